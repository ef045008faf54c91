// driftcheck's KWin script: which app's window is active, told to driftcheck over the session
// bus, with which of driftcheck's title rules its caption matches; never the caption.
// (widget/probes/kwin.py; issue 15.)
//
// driftcheck writes one script for each start: a header naming its own connection
// (DRIFTCHECK_KWIN: the unique bus name, the object, the interface and a token that tells
// this script's calls from an earlier one's) and its title rules (DRIFTCHECK_RULES), then
// resources/gnome/extension/titles.js (the title matcher, kept equal to the Python one by
// tests/gnome/test_titles_js.py), then this file. KWin runs it in its QJSEngine
// (`org.kde.KWin /Scripting loadScript`); driftcheck unloads it when it stops.
//
// One call, on KWin's own connection to the session bus (org.kde.KWin's owner, the only
// sender driftcheck believes):
//   Focus(s token, s resource_class, s desktop_file, s pid, s hits)
//     the active window's resource class (its Wayland app id, or WM_CLASS through XWayland),
//     its desktop file name, its process (a decimal number; "0" when unknown) and the
//     indexes of the rules its caption matches, comma-separated; all empty ("0" for the pid)
//     when no window is active. Strings only: callDBus sends what QJSValue::toVariant makes
//     of a value, and a string is a string on every KWin.
// It is said when the script starts, when another window becomes active (or none), and when
// the active window's caption changes which rules match; a caption that changes without
// changing a match (a clock, an unread count) says nothing. Nothing runs while nothing
// changes.
//
// KWin 6 names the active window `workspace.activeWindow` and its signal `windowActivated`;
// KWin 5 `workspace.activeClient` and `clientActivated`. The names are looked for, not the
// version.

(function () {
  var six = workspace.windowActivated !== undefined;
  var matcher = driftcheckTitleMatcher(DRIFTCHECK_RULES);
  var current = null;
  var hits = "";

  // KWin 5 hands resourceClass over as a QByteArray (an ArrayBuffer here), KWin 6 as a string.
  function text(value) {
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value;
    if (value instanceof ArrayBuffer) {
      var bytes = new Uint8Array(value);
      var out = "";
      for (var i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
      return out;
    }
    return String(value);
  }

  function hitsOf(window) {
    if (!window) return "";
    return driftcheckTitleHits(matcher, text(window.caption)).join(",");
  }

  function tell(window) {
    var pid = window && window.pid > 0 ? String(window.pid) : "0";
    callDBus(DRIFTCHECK_KWIN.service, DRIFTCHECK_KWIN.path, DRIFTCHECK_KWIN.iface, "Focus",
             DRIFTCHECK_KWIN.token, window ? text(window.resourceClass) : "",
             window ? text(window.desktopFileName) : "", pid, hits);
  }

  function captionChanged() {
    var now = hitsOf(current);
    if (now !== hits) {
      hits = now;
      tell(current);
    }
  }

  function follow(window) {
    window = window || null;
    if (current && current !== window) current.captionChanged.disconnect(captionChanged);
    if (window && window !== current) window.captionChanged.connect(captionChanged);
    current = window;
    hits = hitsOf(current);
    tell(current);
  }

  function removed(window) {
    if (window === current) follow(null);  // KWin activates another one next, if any
  }

  (six ? workspace.windowActivated : workspace.clientActivated).connect(follow);
  (six ? workspace.windowRemoved : workspace.clientRemoved).connect(removed);
  follow(six ? workspace.activeWindow : workspace.activeClient);
})();
