// driftcheck's GNOME Shell extension: which app's window has the focus, told to driftcheck over
// the session bus, with which of driftcheck's title rules its title matches; never the title.
// (docs/GNOME.md; issue 14.)
//
// One source for GNOME 43/44 (GJS's legacy imports) and 45+ (ES modules): driftcheck's builder
// (widget/desktop/gnome_extension.py) puts the names `Gio`, `GLib`, `Meta` and `Shell` in scope
// before titles.js and this file, and the form's own entry point after them. `global` is the
// Shell's in both.
//
// On the bus (the Shell's own connection, so the name is org.gnome.Shell):
//   /io/github/driftcheck/Focus  io.github.driftcheck.Focus1
//   SetTitleRules(as rules)       the caller's title rules (widget.core.rules.Matcher.title_rules)
//   GetFocus() -> (s app_id, u pid, ai hits, b x11)
//                                 the focused window: its app's id ('' when the Shell knows no
//                                 app for it), its process (0: unknown), the indexes of the
//                                 caller's rules its title matches, whether it is an XWayland
//                                 (X11) window; ('', 0, [], false) when nothing has the focus
//   FocusChanged()                the focus moved, or the focused window's title now matches
//                                 other rules of some caller: ask GetFocus again
//   Started()                     the extension was (re)enabled and knows no caller's rules:
//                                 send them again (switched off and on between two of a
//                                 caller's calls, it would otherwise answer with no hits)
//   Version (u)                   this interface's version, 1
// Each caller's rules are its own (by its unique bus name) and forgotten when it leaves the bus:
// a program cannot change what driftcheck is told. Nothing runs while focus and titles stand
// still: the extension only answers signals from the Shell and calls from the bus.

const DRIFTCHECK_FOCUS_PATH = '/io/github/driftcheck/Focus';
const DRIFTCHECK_FOCUS_VERSION = 1;
const DRIFTCHECK_MAX_CALLERS = 8;
const DRIFTCHECK_MAX_RULES = 500; // a person tracking 50 apps has some 200
const DRIFTCHECK_FOCUS_XML = `<node>
  <interface name="io.github.driftcheck.Focus1">
    <method name="SetTitleRules">
      <arg type="as" direction="in" name="rules"/>
    </method>
    <method name="GetFocus">
      <arg type="s" direction="out" name="app_id"/>
      <arg type="u" direction="out" name="pid"/>
      <arg type="ai" direction="out" name="hits"/>
      <arg type="b" direction="out" name="x11"/>
    </method>
    <signal name="FocusChanged"/>
    <signal name="Started"/>
    <property name="Version" type="u" access="read"/>
  </interface>
</node>`;

class DriftcheckFocus {
    constructor() {
        this._callers = new Map(); // unique bus name -> {matcher, watch, hits}
        this._exported = null;
        this._window = null;
        this._focusId = 0;
        this._titleId = 0;
        this._unmanagedId = 0;
    }

    enable() {
        this._exported = Gio.DBusExportedObject.wrapJSObject(DRIFTCHECK_FOCUS_XML, this);
        this._exported.export(Gio.DBus.session, DRIFTCHECK_FOCUS_PATH);
        this._exported.emit_signal('Started', null);
        this._focusId = global.display.connect('notify::focus-window', () => this._follow());
        this._follow();
    }

    disable() {
        if (this._focusId) {
            global.display.disconnect(this._focusId);
            this._focusId = 0;
        }
        this._letGoOfWindow();
        for (const caller of this._callers.values())
            Gio.bus_unwatch_name(caller.watch);
        this._callers.clear();
        if (this._exported) {
            this._exported.unexport();
            this._exported = null;
        }
    }

    get Version() {
        return DRIFTCHECK_FOCUS_VERSION;
    }

    SetTitleRulesAsync([rules], invocation) {
        const sender = invocation.get_sender();
        if (!Array.isArray(rules) || rules.length > DRIFTCHECK_MAX_RULES) {
            invocation.return_dbus_error('io.github.driftcheck.Focus1.Error.TooMany',
                'too many rules');
            return;
        }
        let caller = this._callers.get(sender);
        if (!caller) {
            if (this._callers.size >= DRIFTCHECK_MAX_CALLERS) {
                invocation.return_dbus_error('io.github.driftcheck.Focus1.Error.Busy',
                    'too many callers');
                return;
            }
            const watch = Gio.bus_watch_name_on_connection(Gio.DBus.session, sender,
                Gio.BusNameWatcherFlags.NONE, null, () => this._forget(sender));
            caller = {matcher: null, watch, hits: ''};
            this._callers.set(sender, caller);
        }
        caller.matcher = driftcheckTitleMatcher(rules);
        caller.hits = this._hitsOf(caller, this._window);
        invocation.return_value(null);
    }

    GetFocusAsync(_parameters, invocation) {
        const window = this._window;
        const caller = this._callers.get(invocation.get_sender());
        const hits = caller && window ? driftcheckTitleHits(caller.matcher, window.get_title())
            : [];
        if (!window) {
            invocation.return_value(new GLib.Variant('(suaib)', ['', 0, [], false]));
            return;
        }
        const app = Shell.WindowTracker.get_default().get_window_app(window);
        const appId = app && !app.is_window_backed() ? app.get_id() || '' : '';
        const pid = Math.max(window.get_pid(), 0);
        const x11 = window.get_client_type() === Meta.WindowClientType.X11;
        invocation.return_value(new GLib.Variant('(suaib)', [appId, pid, hits, x11]));
    }

    _forget(sender) {
        const caller = this._callers.get(sender);
        if (caller) {
            Gio.bus_unwatch_name(caller.watch);
            this._callers.delete(sender);
        }
    }

    _follow() {
        const window = global.display.focus_window;
        if (window === this._window)
            return;
        this._letGoOfWindow();
        this._window = window;
        if (window) {
            this._titleId = window.connect('notify::title', () => this._titleChanged());
            this._unmanagedId = window.connect('unmanaged', () => this._closed());
        }
        for (const caller of this._callers.values())
            caller.hits = this._hitsOf(caller, window);
        this._announce();
    }

    _closed() {
        // The focused window went away; the Shell gives the focus to another one next.
        this._letGoOfWindow();
        for (const caller of this._callers.values())
            caller.hits = '';
        this._announce();
    }

    _letGoOfWindow() {
        if (this._window) {
            if (this._titleId)
                this._window.disconnect(this._titleId);
            if (this._unmanagedId)
                this._window.disconnect(this._unmanagedId);
        }
        this._window = null;
        this._titleId = 0;
        this._unmanagedId = 0;
    }

    _titleChanged() {
        // A title that changes (a clock, an unread count) says something only when it changes
        // which rules match, for some caller.
        let changed = false;
        for (const caller of this._callers.values()) {
            const hits = this._hitsOf(caller, this._window);
            changed = changed || hits !== caller.hits;
            caller.hits = hits;
        }
        if (changed)
            this._announce();
    }

    _hitsOf(caller, window) {
        if (!caller.matcher || !window)
            return '';
        return driftcheckTitleHits(caller.matcher, window.get_title()).join(',');
    }

    _announce() {
        if (this._exported)
            this._exported.emit_signal('FocusChanged', null);
    }
}
