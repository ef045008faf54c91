// Address rules: which tracked app, if any, a page's address belongs to.
//
// The semantics are docs/BROWSER.md "Address rules"; the Python reference is
// widget.core.rules.address_matches, and both are tested against tests/data/address_cases.json.
// A classic script (no modules): the Chromium service worker loads it with importScripts, the
// Firefox background page with a second entry in "scripts", node's test runner with require.
"use strict";

const driftcheckAddress = (() => {
  const MAX_LENGTH = 253;
  const DEFAULT_PORTS = { "http:": 80, "https:": 443 };
  // Endings many unrelated sites share, refused as rules on their own: the same list as
  // widget.core.rules.PUBLIC_SUFFIXES (tests/browser checks that they agree).
  const PUBLIC_SUFFIXES = new Set([
    "co.uk", "org.uk", "me.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "net.uk", "com.au",
    "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "net.nz", "co.jp", "ne.jp",
    "or.jp", "ac.jp", "co.kr", "or.kr", "com.br", "net.br", "org.br", "com.cn", "net.cn",
    "org.cn", "com.mx", "com.ar", "com.tr", "com.tw", "com.hk", "com.sg", "com.my", "co.in",
    "net.in", "org.in", "co.za", "co.id", "com.ph", "com.vn", "com.ua", "co.il", "com.pl",
    "eu.org", "github.io", "gitlab.io", "pages.dev", "workers.dev", "vercel.app",
    "netlify.app", "herokuapp.com", "web.app", "firebaseapp.com", "appspot.com",
    "blogspot.com", "azurewebsites.net", "cloudfront.net", "s3.amazonaws.com", "hf.space",
    "ngrok.io", "ngrok-free.app", "ngrok.app", "trycloudflare.com", "gradio.live", "fly.dev",
    "onrender.com", "glitch.me", "replit.app", "repl.co", "duckdns.org", "ts.net", "loca.lt",
  ]);
  const LABEL = /^[a-z0-9_-]{1,63}$/;
  const PORT = /^[1-9][0-9]{0,4}$/;  // canonical: no leading zero
  // A path as the host writes it: printable ASCII but " < > ` { }, the rest escaped as UTF-8
  // in lower-case hex, all in lower case.
  const PATH = /^(?:\/(?:[!$-;=\[\]^_a-z|~]|%[0-9a-f]{2})*)+$/;
  const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/;
  const LOCAL_HOSTS = /^(?:localhost|.*\.localhost|127(?:\.[0-9]+){3}|0\.0\.0\.0|\[::1?\])$/;
  // Whitespace, control, format and lone surrogate characters; the characters of wildcards,
  // queries, fragments and user names; a backslash (browsers read it as a slash).
  const FORBIDDEN = /[\s\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}*?#@\\]/u;

  // The host of "http://<host>/" as the URL parser writes it (lower case, punycode, IPv4 in
  // dots, IPv6 compressed), or null when it refuses it.
  function parsedHost(host) {
    try {
      return new URL(`http://${host}/`).hostname;
    } catch {
      return null;
    }
  }

  /**
   * A rule's parts {host, port, path, ip}, or null when `text` is not an address rule in the
   * canonical form widget.core.rules.check_address gives (the only form the host sends):
   * refused rules, and rules written another way, match nothing.
   */
  function parseRule(text) {
    if (typeof text !== "string" || text.length === 0 || text.length > MAX_LENGTH) return null;
    if (FORBIDDEN.test(text)) return null;
    const slash = text.indexOf("/");
    const site = slash < 0 ? text : text.slice(0, slash);
    const path = slash < 0 ? "" : text.slice(slash);
    let host = site;
    let portText = null;
    if (site.startsWith("[")) {
      const end = site.indexOf("]") + 1;
      if (end === 0) return null;
      host = site.slice(0, end);
      if (end < site.length) {
        if (site[end] !== ":") return null;
        portText = site.slice(end + 1);
      }
    } else if (site.includes(":")) {
      host = site.slice(0, site.indexOf(":"));
      portText = site.slice(site.indexOf(":") + 1);
    }
    let port = null;
    if (portText !== null) {
      if (!PORT.test(portText) || Number(portText) > 65535) return null;
      port = Number(portText);
    }
    if (host === "" || parsedHost(host) !== host) return null;
    const ip = host.startsWith("[") || /^[0-9.]+$/.test(host);
    if (!ip) {
      const labels = host.split(".");
      if (!labels.every((label) => LABEL.test(label))) return null;
      if (labels.length === 1 && host !== "localhost") return null;
      if (PUBLIC_SUFFIXES.has(host)) return null;
    }
    if (port === null && LOCAL_HOSTS.test(host)) return null;
    if (path !== "") {
      if (!PATH.test(path) || path.endsWith("/")) return null;
      if (path.split("/").some((segment) => DOT_SEGMENT.test(segment))) return null;
    }
    return { host, port, path, ip };
  }

  /** The address parts of a page {host, port, path}, or null when no rule can match it. */
  function parsePage(url) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    const defaultPort = DEFAULT_PORTS[parsed.protocol];
    if (defaultPort === undefined || parsed.hostname === "") return null;
    // One trailing dot taken away ("claude.ai." is claude.ai); paths compare in lower case.
    const host = parsed.hostname.toLowerCase().replace(/\.$/, "");
    const port = parsed.port === "" ? defaultPort : Number(parsed.port);
    return { host, port, path: parsed.pathname.toLowerCase(), defaultPort: parsed.port === "" };
  }

  function ruleMatchesPage(rule, page) {
    if (rule.port === null ? !page.defaultPort : page.port !== rule.port) return false;
    const hostMatches = page.host === rule.host
      || (!rule.ip && page.host.endsWith("." + rule.host));
    if (!hostMatches) return false;
    return rule.path === "" || page.path === rule.path || page.path.startsWith(rule.path + "/");
  }

  /** Whether the address rule `ruleText` matches the page at `url` (a refused rule: never). */
  function addressMatches(ruleText, url) {
    const rule = parseRule(ruleText);
    const page = parsePage(url);
    return rule !== null && page !== null && ruleMatchesPage(rule, page);
  }

  /**
   * The apps of a `rules` message made ready for matching: [{id, rules}], leaving out
   * refused rules and malformed entries.
   */
  function compileApps(apps) {
    if (!Array.isArray(apps)) return [];
    const compiled = [];
    for (const app of apps) {
      if (app === null || typeof app !== "object" || typeof app.id !== "string" || app.id === "") {
        continue;
      }
      const addresses = Array.isArray(app.addresses) ? app.addresses : [];
      const rules = addresses.map(parseRule).filter((rule) => rule !== null);
      if (rules.length > 0) compiled.push({ id: app.id, rules });
    }
    return compiled;
  }

  // How specific a matching rule is: a longer host, then a port, then a longer path wins,
  // so that an app for "gemini.google.com" wins over one for "google.com".
  function specificity(rule) {
    return [rule.host.length, rule.port === null ? 0 : 1, rule.path.length];
  }

  function moreSpecific(a, b) {
    const sa = specificity(a);
    const sb = specificity(b);
    for (let i = 0; i < sa.length; i += 1) {
      if (sa[i] !== sb[i]) return sa[i] > sb[i];
    }
    return false;
  }

  /** The id of the app whose rule matches `url` most specifically, or null. */
  function appForUrl(compiled, url) {
    const page = typeof url === "string" ? parsePage(url) : null;
    if (page === null) return null;
    let best = null;
    for (const app of compiled) {
      for (const rule of app.rules) {
        if (ruleMatchesPage(rule, page) && (best === null || moreSpecific(rule, best.rule))) {
          best = { id: app.id, rule };
        }
      }
    }
    return best === null ? null : best.id;
  }

  return { parseRule, addressMatches, compileApps, appForUrl, PUBLIC_SUFFIXES };
})();

if (typeof module === "object" && module !== null && module.exports) {
  module.exports = driftcheckAddress;
}
