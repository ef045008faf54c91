// The extension's address matcher (resources/browser/extension/address.js) against the
// cases it shares with the Python reference (tests/data/address_cases.json), and how it picks
// an app. Run by tests/browser/test_address_js.py with `node --test`.
"use strict";

const assert = require("node:assert/strict");
const path = require("node:path");
const { test } = require("node:test");

const address = require(path.join(__dirname, "..", "..", "resources", "browser",
  "extension", "address.js"));
const cases = require(path.join(__dirname, "..", "data", "address_cases.json"));

test("the shared cases are there", () => {
  assert.ok(cases.match.length > 50 && cases.refuse.length > 20 && cases.canonical.length > 5);
});

for (const c of cases.match) {
  test(`match: ${JSON.stringify(c.address)} ${JSON.stringify(c.url)} (${c.why})`, () => {
    assert.equal(address.addressMatches(c.address, c.url), c.matches);
  });
}

for (const c of cases.refuse) {
  test(`refuse: ${JSON.stringify(c.address)} (${c.why})`, () => {
    assert.equal(address.parseRule(c.address), null);
    assert.equal(address.appForUrl(address.compileApps([{ id: "x", addresses: [c.address] }]),
      "https://claude.ai/"), null);
  });
}

for (const c of cases.canonical) {
  test(`canonical: ${JSON.stringify(c.canonical)} is read`, () => {
    assert.notEqual(address.parseRule(c.canonical), null);
  });
}

test("an address written in another form than the canonical one is not read", () => {
  // The host sends only canonical addresses; the extension does not guess at others.
  for (const c of cases.canonical) {
    if (c.address !== c.canonical) assert.equal(address.parseRule(c.address), null, c.address);
  }
});

test("the most specific rule decides between two apps", () => {
  const apps = address.compileApps([
    { id: "google", addresses: ["google.com"] },
    { id: "gemini", addresses: ["gemini.google.com"] },
    { id: "chat", addresses: ["example.com/chat"] },
    { id: "site", addresses: ["example.com"] },
  ]);
  assert.equal(address.appForUrl(apps, "https://gemini.google.com/app"), "gemini");
  assert.equal(address.appForUrl(apps, "https://www.google.com/"), "google");
  assert.equal(address.appForUrl(apps, "https://example.com/chat/1"), "chat");
  assert.equal(address.appForUrl(apps, "https://example.com/other"), "site");
});

test("the first app listed wins between equally specific rules", () => {
  const apps = address.compileApps([
    { id: "first", addresses: ["claude.ai"] },
    { id: "second", addresses: ["claude.ai"] },
  ]);
  assert.equal(address.appForUrl(apps, "https://claude.ai/"), "first");
});

test("malformed apps and refused addresses are left out, the rest kept", () => {
  const apps = address.compileApps([
    null, "claude", { id: "" , addresses: ["claude.ai"] }, { id: 3, addresses: ["claude.ai"] },
    { id: "none" }, { id: "refused", addresses: ["*.claude.ai", 7, null] },
    { id: "claude", addresses: ["ai", "claude.ai"] },
  ]);
  assert.deepEqual(apps.map((app) => app.id), ["claude"]);
  assert.deepEqual(address.compileApps("apps"), []);
});

test("no page, an empty tab and a browser page give no app", () => {
  const apps = address.compileApps([{ id: "claude", addresses: ["claude.ai"] }]);
  for (const url of [undefined, null, "", "about:blank", "about:newtab", "chrome://newtab/",
    "chrome://new-tab-page-third-party/", "moz-extension://claude.ai/"]) {
    assert.equal(address.appForUrl(apps, url), null, String(url));
  }
  assert.equal(address.appForUrl(apps, "https://claude.ai/new"), "claude");
});
