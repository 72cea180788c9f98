// check.js loads every Adaptive Card found in the JSON files it is given (or
// in the JSON files of the folders it is given) with the official Adaptive
// Cards parser, and exits with status 1 if the parser reports any error or
// warning. Usage: node check.js FILE_OR_DIR...
"use strict";
const fs = require("fs");
const path = require("path");
const AC = require("adaptivecards/dist/adaptivecards.js");

function files(args) {
  const out = [];
  for (const a of args) {
    if (fs.statSync(a).isDirectory()) {
      for (const f of fs.readdirSync(a).sort()) {
        if (f.endsWith(".json")) out.push(path.join(a, f));
      }
    } else {
      out.push(a);
    }
  }
  return out;
}

// cards returns every object of type AdaptiveCard inside v, with its path.
function cards(v, where, out) {
  if (Array.isArray(v)) {
    v.forEach((x, i) => cards(x, `${where}[${i}]`, out));
  } else if (v && typeof v === "object") {
    if (v.type === "AdaptiveCard") out.push([where, v]);
    else for (const k of Object.keys(v)) cards(v[k], `${where}.${k}`, out);
  }
  return out;
}

let problems = 0;
let checked = 0;
for (const f of files(process.argv.slice(2))) {
  const found = cards(JSON.parse(fs.readFileSync(f, "utf8")), "$", []);
  if (found.length === 0) {
    console.log(`${f}: no Adaptive Card`);
    problems++;
  }
  for (const [where, json] of found) {
    checked++;
    if (json.version !== "1.5") {
      console.log(`${f} ${where}: version is ${json.version}, want 1.5`);
      problems++;
    }
    const card = new AC.AdaptiveCard();
    const ctx = new AC.SerializationContext(AC.Versions.v1_5);
    card.parse(json, ctx);
    for (let i = 0; i < ctx.eventCount; i++) {
      const e = ctx.getEventAt(i);
      console.log(`${f} ${where}: parse: ${e.message}`);
      problems++;
    }
    const v = card.validateProperties();
    for (const e of v.validationEvents) {
      console.log(`${f} ${where}: validate: ${e.message}`);
      problems++;
    }
  }
}
console.log(`${checked} cards checked, ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
