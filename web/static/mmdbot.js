// mmdbot's web page, enhanced: the table filter applies as one types and as
// the owner changes, without reloading the page. The entries a filter keeps
// come from the server (api/entries?filter=), which filters exactly as it
// does for the form: with the matcher the questions use, words and stems,
// and titles. Without this script, or for a table too large to send whole
// (data-paged), the filter form is submitted instead.
(function () {
  "use strict";

  var form = document.getElementById("filter-form");
  var input = document.getElementById("filter");
  var owner = document.getElementById("owner");
  var status = document.getElementById("filter-status");
  var none = document.getElementById("no-match");
  var table = document.getElementById("table");
  // A large table comes in pages from the server: its filter is the form's.
  if (!form || !input || !owner || !status || !none || !window.fetch || (table && table.hasAttribute("data-paged"))) {
    return;
  }
  var groups = Array.prototype.slice.call(document.querySelectorAll(".group[data-owner]"));
  var total = document.querySelectorAll(".group .row[data-id]").length;

  // kept is the set of entry ids the filter text keeps, null for all.
  var kept = null;
  // asked counts the requests, so that a slow answer to an older text
  // never overwrites the answer to a newer one.
  var asked = 0;
  var typing = null;
  var announce = null;

  // show hides the rows of other owners and those the filter does not keep.
  function show() {
    var wanted = owner.value;
    var shown = 0;
    groups.forEach(function (g) {
      var any = false;
      var sameOwner = wanted === "" || g.getAttribute("data-owner") === wanted;
      g.querySelectorAll(".row[data-id]").forEach(function (row) {
        var hide = !sameOwner || (kept !== null && !kept[row.getAttribute("data-id")]);
        row.hidden = hide;
        if (!hide) {
          any = true;
          shown++;
        }
      });
      g.hidden = !any;
    });
    none.hidden = shown > 0;
    // The status is a live region: tell screen readers the count once the
    // typing pauses, not at every key.
    clearTimeout(announce);
    announce = setTimeout(function () {
      status.textContent = "Showing " + shown + " of " + total + (total === 1 ? " responsibility." : " responsibilities.");
    }, 250);
    form.setAttribute("data-shown", String(shown));
    remember();
  }

  // remember keeps the filter in the address, so that it can be shared.
  function remember() {
    if (!window.history || !window.history.replaceState || !window.URL) {
      return;
    }
    var u = new URL(window.location.href);
    if (owner.value === "") {
      u.searchParams.delete("owner");
    } else {
      u.searchParams.set("owner", owner.value);
    }
    if (input.value.trim() === "") {
      u.searchParams.delete("filter");
    } else {
      u.searchParams.set("filter", input.value);
    }
    window.history.replaceState(null, "", u.pathname + u.search + u.hash);
  }

  // filter asks the server which entries the text keeps, then shows them.
  // Should the server not answer, the form goes the way it goes without
  // this script.
  function filter() {
    var text = input.value;
    var n = ++asked;
    if (text.trim() === "") {
      kept = null;
      show();
      form.setAttribute("data-filtered", text);
      return;
    }
    fetch("api/entries?filter=" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
      .then(function (res) {
        if (!res.ok) {
          throw new Error("status " + res.status);
        }
        return res.json();
      })
      .then(function (entries) {
        if (n !== asked) {
          return;
        }
        kept = {};
        entries.forEach(function (e) { kept[e.id] = true; });
        show();
        form.setAttribute("data-filtered", text);
      })
      .catch(function () {
        if (n === asked) {
          form.submit();
        }
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(filter, 150);
  });
  owner.addEventListener("change", show);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearTimeout(typing);
    filter();
  });
  // A page opened with a filter shows the server's rows; the script learns
  // which they are, so that a change of owner keeps the filter.
  if (input.value.trim() !== "") {
    filter();
  }
  form.setAttribute("data-live", "true");
})();
