/* Test-only helper for driftcheck's tests (tests/helpers/gnome.py); never shipped.
 *
 * GNOME Shell 43 keeps Eval off and answers Introspect.GetWindows with AccessDenied, so the
 * tests see and move focus through this: it hides the overview the Shell opens at start-up (else no
 * window gets focus) and exports io.github.driftcheck.TestHelper1 on the session bus.
 */
/* exported init */
const {Gio, GLib, Meta, Shell} = imports.gi;
const Main = imports.ui.main;

const PATH = '/io/github/driftcheck/TestHelper';
const IFACE = `<node>
  <interface name="io.github.driftcheck.TestHelper1">
    <method name="Windows">
      <arg type="a(sssub)" direction="out" name="windows"/>
    </method>
    <method name="Activate">
      <arg type="s" direction="in" name="title"/>
      <arg type="b" direction="out" name="found"/>
    </method>
    <method name="FocusedTitle">
      <arg type="s" direction="out" name="title"/>
    </method>
    <method name="OverviewVisible">
      <arg type="b" direction="out" name="visible"/>
    </method>
    <method name="HideOverview"/>
    <method name="Settled">
      <arg type="b" direction="out" name="settled"/>
    </method>
    <method name="Getenv">
      <arg type="s" direction="in" name="name"/>
      <arg type="s" direction="out" name="value"/>
    </method>
    <method name="Notifications">
      <arg type="a(sssas)" direction="out" name="notifications"/>
    </method>
    <method name="ShownBody">
      <arg type="s" direction="in" name="title"/>
      <arg type="s" direction="out" name="text"/>
    </method>
    <method name="PanelItems">
      <arg type="a(sb)" direction="out" name="items"/>
    </method>
    <method name="InvokeNotificationAction">
      <arg type="s" direction="in" name="title"/>
      <arg type="s" direction="in" name="label"/>
      <arg type="b" direction="out" name="found"/>
    </method>
  </interface>
</node>`;

function windows() {
    return global.display.list_all_windows().filter(w => !w.is_override_redirect());
}

class TestHelper {
    /** (title, wm_class, the Shell's app id for it, pid, is_xwayland) of every window. */
    Windows() {
        const tracker = Shell.WindowTracker.get_default();
        return windows().map(w => [
            w.get_title() || '', w.get_wm_class() || '',
            tracker.get_window_app(w)?.get_id() || '',
            w.get_pid(), w.get_client_type() === Meta.WindowClientType.X11,
        ]);
    }

    /** Activate the first window titled exactly `title`, as a click on it would. */
    Activate(title) {
        const win = windows().find(w => w.get_title() === title);
        if (!win)
            return false;
        Main.activateWindow(win, global.get_current_time());
        return true;
    }

    FocusedTitle() {
        const win = global.display.get_focus_window();
        return win ? win.get_title() || '' : '';
    }

    OverviewVisible() {
        return Main.overview.visible;
    }

    HideOverview() {
        Main.overview.hide();
    }

    /** Whether start-up is over with the overview hidden (hiding it again if something
     * showed it): what a test waits for before it opens its first window. */
    Settled() {
        if (Main.layoutManager._startingUp || Main.overview.animationInProgress)
            return false;
        if (Main.overview.visible) {
            Main.overview.hide();
            return false;
        }
        return true;
    }

    /** The Shell's own environment variable `name` ('' when unset): DISPLAY and XAUTHORITY
     * name its XWayland. */
    Getenv(name) {
        return GLib.getenv(name) || '';
    }

    /** (source title, title, body, action labels) of every notification in the Shell's
     * message tray (banners and the list alike). */
    Notifications() {
        return Main.messageTray.getSources().flatMap(source =>
            source.notifications.map(n => [
                source.title || '', n.title || '', n.bannerBodyText || '',
                n.actions.map(a => a.label),
            ]));
    }

    /** The text the banner of the first notification titled `title` shows for its body: the
     * body as sent, read the way the banner reads it (MessageList's markup rules, then Pango);
     * '' when there is no such notification. */
    ShownBody(title) {
        for (const source of Main.messageTray.getSources()) {
            const n = source.notifications.find(m => m.title === title);
            if (n) {
                const markup = imports.ui.messageList._fixMarkup(n.bannerBodyText || '',
                    n.bannerBodyMarkup);
                return imports.gi.Pango.parse_markup(markup, -1, '')[2];
            }
        }
        return '';
    }

    /** (key, shown) of every item of the top bar's status area: the AppIndicator extension
     * puts each tray icon there as `appindicator-<its id in the watcher>`. */
    PanelItems() {
        return Object.entries(Main.panel.statusArea)
            .filter(([_key, item]) => item)
            .map(([key, item]) => [key, item.container.visible && item.visible]);
    }

    /** Click the button labelled `label` of the first notification titled `title`, as a
     * person does on its banner: the action's callback runs, then the notification goes
     * (NotificationBanner's button does the same). */
    InvokeNotificationAction(title, label) {
        for (const source of Main.messageTray.getSources()) {
            for (const notification of source.notifications) {
                if (notification.title !== title)
                    continue;
                const action = notification.actions.find(a => a.label === label);
                if (!action)
                    continue;
                action.callback();
                notification.destroy();
                return true;
            }
        }
        return false;
    }
}

class Extension {
    enable() {
        this._helper = new TestHelper();
        this._dbus = Gio.DBusExportedObject.wrapJSObject(IFACE, this._helper);
        this._dbus.export(Gio.DBus.session, PATH);
        if (Main.layoutManager._startingUp) {
            this._startup = Main.layoutManager.connect('startup-complete',
                () => Main.overview.hide());
        } else {
            Main.overview.hide();
        }
    }

    disable() {
        if (this._startup) {
            Main.layoutManager.disconnect(this._startup);
            this._startup = null;
        }
        this._dbus.unexport();
        this._dbus = null;
        this._helper = null;
    }
}

function init() {
    return new Extension();
}
