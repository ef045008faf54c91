// driftcheck's browser extension: follows the active tab of the focused window and tells
// driftcheck's native host only which tracked app (if any) it shows, whether it is audible and
// whether the browser has the focus. No address, host name or title ever leaves it: the host
// sends the address rules and the matching happens here (docs/BROWSER.md).
//
// One source for both builds: the Chromium MV3 service worker and the Firefox MV2 background
// page. Message shapes: docs/BROWSER.md "Native messaging: extension <-> host".
"use strict";

if (typeof importScripts === "function" && typeof driftcheckAddress === "undefined") {
  importScripts("address.js");  // the Chromium service worker; Firefox lists it in "scripts"
}

const ext = globalThis.browser ?? globalThis.chrome;
const HOST = "io.github.driftcheck";
const RETRY_FIRST_MS = 1000;
const RETRY_LAST_MS = 60000;
// Chromium on Linux does not fire windows.onFocusChanged when another program's window takes
// the focus, nor always when one of its own gets it back (Chromium 156 under openbox, seen in
// tests/browser; on Windows too: github.com/GoogleChrome/developer.chrome.com/issues/3082),
// while windows.getLastFocused() tells the truth: look that often.
const FOCUS_CHECK_MS = 500;

let port = null;
let apps = null;  // the compiled rules of the last `rules` message on this port; null: none yet
let sent = null;  // the last state posted on this port, as its JSON text
let retryMs = RETRY_FIRST_MS;
let retryTimer = null;
let seenFocus = "";  // the focus as the last update found it, to tell when the check differs
let updating = null;  // the update under way, if any
let updateAgain = false;  // something changed while it ran

function connect() {
  retryTimer = null;
  let opened;
  try {
    opened = ext.runtime.connectNative(HOST);
  } catch (error) {
    retry();
    return;
  }
  port = opened;
  apps = null;
  sent = null;
  opened.onMessage.addListener((message) => received(opened, message));
  opened.onDisconnect.addListener(() => {
    // Reading lastError marks it as seen (Chromium logs an unchecked one otherwise).
    void ext.runtime.lastError;
    if (port === opened) {
      port = null;
      apps = null;
      retry();
    }
  });
}

// The host exits when the browser closes the port, and a missing or broken host makes it
// close at once: try again, less and less often. An open port is also what keeps Chromium's
// service worker alive.
function retry() {
  if (retryTimer !== null) return;
  retryTimer = setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_LAST_MS);
}

function received(from, message) {
  if (from !== port || message === null || typeof message !== "object") return;
  if (message.type !== "rules" || message.version !== 1 || !Array.isArray(message.apps)) return;
  apps = driftcheckAddress.compileApps(message.apps);
  retryMs = RETRY_FIRST_MS;  // a host that answers is a working one
  sent = null;  // once after each `rules`, changed or not
  update();
}

// The last focused window (whose active tab counts, focused or not: docs/BROWSER.md) and
// whether it has the focus now; null when there is no window.
async function lastFocused() {
  try {
    const win = await ext.windows.getLastFocused({});
    return { id: win.id, focused: win.focused === true };
  } catch (error) {
    return null;
  }
}

async function currentState() {
  const win = await lastFocused();
  seenFocus = JSON.stringify(win);
  const [tab] = win === null ? [] : await ext.tabs.query({ active: true, windowId: win.id });
  const app = tab === undefined || apps === null
    ? null : driftcheckAddress.appForUrl(apps, tab.url);
  return {
    type: "state",
    app,
    audible: tab !== undefined && tab.audible === true,
    focused: win !== null && win.focused,
  };
}

// Work out the state again and post it when it changed. Updates never overlap: a change that
// arrives during one runs another right after it, so the last word is always the newest.
function update() {
  if (updating !== null) {
    updateAgain = true;
    return;
  }
  updating = (async () => {
    do {
      updateAgain = false;
      if (port === null || apps === null) return;
      let state;
      try {
        state = await currentState();
      } catch (error) {
        continue;  // a tab or window went away while we looked: the next event says more
      }
      const text = JSON.stringify(state);
      if (port !== null && apps !== null && text !== sent) {
        try {
          port.postMessage(state);
          sent = text;
        } catch (error) {
          return;  // the port has just closed: onDisconnect reconnects
        }
      }
    } while (updateAgain);
  })().finally(() => {
    updating = null;
  });
}

async function checkFocus() {
  if (port !== null && apps !== null && JSON.stringify(await lastFocused()) !== seenFocus) update();
}

ext.tabs.onActivated.addListener(update);
ext.tabs.onRemoved.addListener(update);
ext.tabs.onReplaced.addListener(update);
ext.tabs.onUpdated.addListener((tabId, change) => {
  if ("url" in change || "audible" in change) update();
});
ext.windows.onFocusChanged.addListener(update);
ext.windows.onRemoved.addListener(update);
setInterval(checkFocus, FOCUS_CHECK_MS);
connect();
