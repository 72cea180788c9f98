// mmdbot's web page, enhanced: the table filter applies as one types and as
// the owner changes, without a round trip. Without this script the filter
// form is submitted and the server filters the same way.
(function () {
  "use strict";

  var form = document.getElementById("filter-form");
  var input = document.getElementById("filter");
  var owner = document.getElementById("owner");
  var status = document.getElementById("filter-status");
  var none = document.getElementById("no-match");
  if (!form || !input || !owner || !status || !none) {
    return;
  }
  var groups = Array.prototype.slice.call(document.querySelectorAll(".group[data-owner]"));
  var total = document.querySelectorAll(".group .row[data-title]").length;

  // The fuzzy score of github.com/sahilm/fuzzy, which the server uses: a
  // title matches when the pattern's characters appear in it in order; the
  // score rewards a first-character match, matches after a separator or at
  // a camelCase hump and runs of adjacent matches, and penalises leading and
  // unmatched characters. Positions count UTF-8 bytes, as in Go.
  var FIRST_CHAR = 10, AFTER_SEPARATOR = 20, CAMEL_CASE = 20, ADJACENT = 5;
  var LEADING = -5, MAX_LEADING = -15;
  var SEPARATORS = ["/", "-", "_", " ", ".", "\\"];

  function utf8Len(ch) {
    var cp = ch.codePointAt(0);
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  function isLower(ch) { return ch !== "" && ch === ch.toLowerCase() && ch !== ch.toUpperCase(); }
  function isUpper(ch) { return ch !== "" && ch === ch.toUpperCase() && ch !== ch.toLowerCase(); }
  function equalFold(a, b) {
    return a === b || (a !== "" && b !== "" && (a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase()));
  }

  // fuzzyScore returns the score of title for the pattern's characters, or
  // null when it does not match.
  function fuzzyScore(pattern, title) {
    var nul = title.indexOf("\u0000");
    if (nul >= 0) {
      title = title.slice(0, nul);
    }
    var chars = Array.from(title);
    var offsets = [], size = 0;
    for (var i = 0; i < chars.length; i++) {
      offsets.push(size);
      size += utf8Len(chars[i]);
    }
    var total = 0, matched = [], p = 0;
    var best = -1, bestAt = -1, adjacent = 0, last = "", lastAt = 0;
    for (var k = 0; k < chars.length; k++) {
      var c = chars[k], at = offsets[k];
      if (p < pattern.length && equalFold(c, pattern[p])) {
        var score = 0;
        if (at === 0) {
          score += FIRST_CHAR;
        }
        if (isLower(last) && isUpper(c)) {
          score += CAMEL_CASE;
        }
        if (at !== 0 && SEPARATORS.indexOf(last) >= 0) {
          score += AFTER_SEPARATOR;
        }
        if (matched.length > 0) {
          var bonus = lastAt === matched[matched.length - 1] ? adjacent * 2 + ADJACENT : 0;
          score += bonus;
          adjacent += bonus;
        }
        if (score > best) {
          best = score;
          bestAt = at;
        }
      }
      var nextP = p < pattern.length - 1 ? pattern[p + 1] : "";
      var nextC = k + 1 < chars.length ? chars[k + 1] : "";
      if (equalFold(nextP, nextC) || nextC === "") {
        if (bestAt > -1) {
          if (matched.length === 0) {
            best += Math.max(bestAt * LEADING, MAX_LEADING);
          }
          total += best;
          matched.push(bestAt);
          best = -1;
          p++;
        }
      }
      lastAt = at;
      last = c;
    }
    total += matched.length - size;
    return matched.length === pattern.length ? total : null;
  }

  // The margin below the best score within which a title is kept; the same
  // as the server's filterMargin.
  var MARGIN = 25;

  // keptTitles returns the set of titles the filter keeps, or null for all.
  function keptTitles(text, titles) {
    var pattern = text.trim();
    if (pattern === "") {
      return null;
    }
    var chars = Array.from(pattern), lower = pattern.toLowerCase();
    var scores = {}, best = null;
    titles.forEach(function (t) {
      var s = fuzzyScore(chars, t);
      scores[t] = s;
      if (s !== null && (best === null || s > best)) {
        best = s;
      }
    });
    var keep = {};
    titles.forEach(function (t) {
      var s = scores[t];
      if ((s !== null && s >= best - MARGIN) || t.toLowerCase().indexOf(lower) >= 0) {
        keep[t] = true;
      }
    });
    return keep;
  }

  var titles = [];
  groups.forEach(function (g) {
    g.querySelectorAll(".row[data-title]").forEach(function (row) {
      titles.push(row.getAttribute("data-title"));
    });
  });

  var announce = null;
  function apply() {
    var wanted = owner.value;
    var keep = keptTitles(input.value, titles);
    var shown = 0;
    groups.forEach(function (g) {
      var any = false;
      var sameOwner = wanted === "" || g.getAttribute("data-owner") === wanted;
      g.querySelectorAll(".row[data-title]").forEach(function (row) {
        var hide = !sameOwner || (keep !== null && !keep[row.getAttribute("data-title")]);
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
    if (window.history && window.history.replaceState && window.URL) {
      var u = new URL(window.location.href);
      if (wanted === "") {
        u.searchParams.delete("owner");
      } else {
        u.searchParams.set("owner", wanted);
      }
      if (input.value.trim() === "") {
        u.searchParams.delete("filter");
      } else {
        u.searchParams.set("filter", input.value);
      }
      window.history.replaceState(null, "", u.pathname + u.search + u.hash);
    }
  }

  input.addEventListener("input", apply);
  owner.addEventListener("change", apply);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    apply();
  });
  form.setAttribute("data-live", "true");
})();
