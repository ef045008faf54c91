// Answers for tests/browser/test_address_js.py from the extension's matcher: reads
// {"parse": [address...], "match": [[address, url]...], "suffixes": true} as JSON on stdin and
// writes {"parse": [accepted...], "match": [matches...], "suffixes": [...]} to stdout.
"use strict";

const path = require("node:path");

const address = require(path.join(__dirname, "..", "..", "resources", "browser",
  "extension", "address.js"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const asked = JSON.parse(input);
  process.stdout.write(JSON.stringify({
    parse: (asked.parse ?? []).map((text) => address.parseRule(text) !== null),
    match: (asked.match ?? []).map(([rule, url]) => address.addressMatches(rule, url)),
    suffixes: [...address.PUBLIC_SUFFIXES],
  }));
});
