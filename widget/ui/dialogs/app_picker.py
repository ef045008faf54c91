"""Choosing the apps to track: from the catalog (searchable), from what is running right now,
or one the person describes by its process name or a tab title.

Nothing is stored until `save()`; then ticked apps are added and unticked tracked ones are
no longer tracked (their history stays).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widget.catalog_data import current_platform
from widget.core.catalog import (
    PLATFORM_NAMES,
    Catalog,
    CatalogEntry,
    custom_app,
    distinct_custom_key,
    entry_to_app,
    recognition,
)
from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import CountCheck, Matcher, compile_glob, is_glob, validate_pattern
from widget.errors import InvalidRule
from widget.store.api import AppEditor
from widget.ui.dialogs.count_check import CountCheckBox
from widget.ui.dialogs.form import error_label, hint
from widget.ui.plain import plain_tooltip

KEY_ROLE = Qt.ItemDataRole.UserRole  # the app key an item stands for
APP_ROLE = Qt.ItemDataRole.UserRole + 1  # an own app not yet stored
WORDS_ROLE = Qt.ItemDataRole.UserRole + 2  # how the app is recognised here, as plain words

_PLAUSIBLE = re.compile(r"[A-Za-z][\w .+-]{1,63}\Z")
# Shells, system services and desktop plumbing: running, but never what a person "opens".
_NOT_APPS = tuple(compile_glob(p) for p in (
    "bash", "sh", "dash", "zsh", "fish", "ksh", "tcsh", "csh", "login", "sudo", "su", "ssh*",
    "systemd*", "dbus*", "init", "agetty", "cron", "crond", "rsyslogd", "udisksd", "polkit*",
    "xorg", "xvfb", "xwayland", "xinit", "xauth", "openbox", "trayer", "dunst", "*-daemon",
    "*-helper", "*-launcher", "at-spi*", "gvfs*", "pipewire*", "pulseaudio", "wireplumber",
    "gnome-*", "kworker*", "kthreadd", "python", "python3*", "pytest", "tmux*", "screen",
    "sleep", "cat", "tail", "less", "ps", "top", "htop", "driftcheck", "xdg-*", "ibus*",
    "fcitx*", "gpg-agent", "ssh-agent", "containerd*", "dockerd", "node", "tini", "make",
    "conmon", "runc", "snapd", "packagekitd", "upowerd", "accounts-daemon", "colord",
    "bwrap", "xdotool", "dbus-run-session", "dconf-service", "evolution-*", "tracker-*",
    "timeout", "forkserver", "Isolated Web Co*", "Web Content", "WebExtensions", "Privileged*",
    "RDD Process", "Socket Process", "Utility Process", "GPU Process", "env", "flatpak*",
))


@dataclass(frozen=True, slots=True)
class RunningApp:
    """A program open now: `process` is the name the probe will see (the full name, not the
    kernel's 15-character `comm`), `label` what a person calls it (its desktop entry's Name)."""

    process: str
    label: str


def plausible_app_names(names: Iterable[str]) -> list[str]:
    """Unique process names that could be an app a person opened, sorted case-insensitively."""
    found: dict[str, str] = {}
    for name in names:
        name = name.strip()
        if not _PLAUSIBLE.match(name) or any(p.match(name) for p in _NOT_APPS):
            continue
        found.setdefault(name.lower(), name)
    return sorted(found.values(), key=str.lower)


def desktop_entries(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Program names of the desktop entries a person sees in their menu (Type=Application, not
    NoDisplay, Hidden or Terminal), each with the entry's Name: {"firefox-esr": "Firefox ESR"}."""
    home = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME", "~"), ".local", "share")
    dirs = [home, *(env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")]
    found: dict[str, str] = {}
    for folder in dirs:
        try:
            files = sorted(Path(folder, "applications").glob("*.desktop"))
        except OSError:
            continue
        for file in files:
            try:
                text = file.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            fields = _desktop_fields(text)
            if fields.get("Type") != "Application" or any(
                    fields.get(k, "").lower() == "true" for k in ("NoDisplay", "Hidden",
                                                                  "Terminal")):
                continue
            words = fields.get("Exec", "").split()
            while words and (words[0] == "env" or "=" in words[0]):
                words = words[1:]  # `env VAR=1 program`
            if words and fields.get("Name"):
                found.setdefault(os.path.basename(words[0].strip('"')), fields["Name"])
    return found


def _desktop_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    in_entry = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            in_entry = line == "[Desktop Entry]"
        elif in_entry and "=" in line:
            key, _, value = line.partition("=")
            fields.setdefault(key.strip(), value.strip())
    return fields


def window_pids(env: Mapping[str, str] = os.environ) -> set[int]:
    """Process ids of the windows on the X screen (`_NET_CLIENT_LIST`); empty where that
    cannot be read (Wayland, no display, no window manager)."""
    if not env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return set()
    try:
        from widget.probes.x11 import open_display

        conn = open_display(env["DISPLAY"])
    except Exception:  # no X server, python-xlib missing: nothing to list
        return set()
    pids: set[int] = set()
    try:
        root = conn.screen().root
        clients = root.get_full_property(conn.intern_atom("_NET_CLIENT_LIST"), 0)
        wm_pid = conn.intern_atom("_NET_WM_PID")
        for wid in clients.value if clients is not None else ():
            with contextlib.suppress(Exception):  # a window closing meanwhile
                prop = conn.create_resource_object("window", int(wid)).get_full_property(
                    wm_pid, 0)
                if prop is not None and prop.value:
                    pids.add(int(prop.value[0]))
    except Exception:
        pass
    finally:
        with contextlib.suppress(Exception):
            conn.close()
    return pids


def running_process_names(env: Mapping[str, str] = os.environ) -> list[RunningApp]:
    """The person's own programs a person would call an app: they own a window on the screen
    or have an entry in the desktop menu; by full name, sorted."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    with_windows = window_pids(env)
    menu = desktop_entries(env) if sys.platform.startswith("linux") else {}
    sees_apps = bool(with_windows or menu)
    found: dict[str, RunningApp] = {}
    for proc in psutil.process_iter(["pid", "name", "exe", "uids", "cmdline"]):
        info = proc.info
        name = (info.get("name") or "").strip()
        if not name or not info.get("exe"):
            continue
        uids = info.get("uids")
        if uid is not None and uids is not None and uids.real != uid:
            continue
        if not _PLAUSIBLE.match(name) or any(p.match(name) for p in _NOT_APPS):
            continue
        first = (info.get("cmdline") or [""])[0]
        label = menu.get(name) or menu.get(os.path.basename(first)) if first else menu.get(name)
        if sees_apps and info.get("pid") not in with_windows and label is None:
            continue  # a helper, a wrapper or a service: no window, no menu entry
        found.setdefault(name.lower(), RunningApp(name, label or name))
    return sorted(found.values(), key=lambda a: a.label.lower())


AppStore = AppEditor  # the tracked apps, added and removed


def _folded(text: str) -> str:
    text = text.lower()
    return re.sub(r"[^a-z0-9]+", "", text[:-4] if text.endswith(".exe") else text)


def _entry_matches(entry: CatalogEntry, platform: str, process: str) -> bool:
    """Whether a running program is this catalog app: by this platform's process patterns, or
    by its id, its name or another platform's program name ("replika" is Replika on Linux)."""
    for pattern in entry.processes.get(platform, ()):
        if is_glob(pattern):
            if compile_glob(pattern).match(process):
                return True
        elif pattern.lower() == process.lower():
            return True
    names = {entry.id, entry.name, *(n for ns in entry.processes.values() for n in ns
                                     if not is_glob(n))}
    return _folded(process) in {_folded(n) for n in names}


def _check_now(apps: list[TrackedApp], data_dir: Path) -> CountCheck:
    from widget.services.count_check import check_now

    return check_now(apps, data_dir)



def explain(item: QListWidgetItem, words: str) -> None:
    """How the item's app is recognised here: its tooltip, and the words under the list."""
    item.setData(WORDS_ROLE, words)
    item.setToolTip(plain_tooltip(words))

class AppPicker(QWidget):
    """The app lists and the "Add your own" fields, with `load()` and `save()`."""

    def __init__(self, store: AppStore, catalog: Catalog, platform: str | None = None,
                 running: Callable[[], Iterable[str | RunningApp]] = running_process_names,
                 parent: QWidget | None = None, *,
                 check: Callable[[list[TrackedApp]], CountCheck] | None = None,
                 countdown_s: int | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._catalog = catalog
        self._platform = platform or current_platform()
        self._running = running
        self._tracked: set[str] = set()
        self._tracked_apps: list[TrackedApp] = []
        self._syncing = False

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search, for example Replika")
        self.search.setAccessibleName("Search the list of apps")
        self.search.setClearButtonEnabled(True)
        self.apps = QListWidget()
        self.apps.setAccessibleName("Apps to track")
        self.apps.setMinimumHeight(150)
        self.apps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.how = hint("")
        self.how.setAccessibleName("How the app is recognised")
        self.how.setTextFormat(Qt.TextFormat.PlainText)
        if check is None:  # the tracker of this store's data folder speaks for browser tabs
            folder = store.path.parent
            check = lambda apps: _check_now(apps, folder)  # noqa: E731
        self.count_check = CountCheckBox(lambda: check(self.chosen_apps()),
                                         *(() if countdown_s is None else (countdown_s,)))

        self.running_list = QListWidget()
        self.running_list.setAccessibleName("Programs running now")
        self.running_list.setMinimumHeight(100)
        self.refresh = QPushButton("Look again")
        self.refresh.setAutoDefault(False)

        self.own_name = QLineEdit()
        self.own_name.setAccessibleName("Your app's name")
        self.own_name.setPlaceholderText("e.g. My chat")
        self.own_process = QLineEdit()
        self.own_process.setAccessibleName("Process name")
        self.own_process.setPlaceholderText("e.g. mychat")
        self.own_title = QLineEdit()
        self.own_title.setAccessibleName("Browser tab title")
        self.own_title.setPlaceholderText("e.g. My Chat")
        self.add_button = QPushButton("Add")
        self.add_button.setAutoDefault(False)
        self.name_error = error_label()
        self.process_error = error_label()
        self.title_error = error_label()

        listed = QGroupBox("From the list")
        listed_layout = QVBoxLayout(listed)
        listed_layout.addWidget(self.search)
        listed_layout.addWidget(self.apps)
        listed_layout.addWidget(self.how)

        running_box = QGroupBox("Running now")
        running_layout = QVBoxLayout(running_box)
        running_layout.addWidget(hint("Apps open on this computer right now. Tick one to "
                                       "track it by its program name."))
        running_layout.addWidget(self.running_list)
        refresh_row = QHBoxLayout()
        refresh_row.addStretch(1)
        refresh_row.addWidget(self.refresh)
        running_layout.addLayout(refresh_row)

        own = QGroupBox("Add your own")
        own_form = QFormLayout(own)
        own_form.addRow(hint("Give a process name, or part of a browser tab title for an "
                              "app you use on the web, or both."))
        own_form.addRow("Name", self.own_name)
        own_form.addRow("", self.name_error)
        own_form.addRow("Process name", self.own_process)
        own_form.addRow("", self.process_error)
        own_form.addRow("Tab title", self.own_title)
        own_form.addRow("", self.title_error)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        add_row.addWidget(self.add_button)
        own_form.addRow(add_row)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        columns = QHBoxLayout()
        columns.addWidget(listed, 1)
        right = QVBoxLayout()
        right.addWidget(running_box)
        right.addWidget(own)
        columns.addLayout(right, 1)
        outer.addLayout(columns, 1)
        outer.addWidget(self.count_check)

        self.search.textChanged.connect(self._filter)
        self.apps.currentItemChanged.connect(lambda item, _: self._describe(item))
        self.apps.itemChanged.connect(self._app_ticked)
        self.running_list.itemChanged.connect(self._running_ticked)
        self.refresh.clicked.connect(self.load_running)
        self.add_button.clicked.connect(self.add_own)
        for edit in (self.own_name, self.own_process, self.own_title):
            edit.textChanged.connect(self._clear_errors)
            edit.installEventFilter(self)
        for first, second in ((self.search, self.apps), (self.apps, self.running_list),
                              (self.running_list, self.refresh), (self.refresh, self.own_name),
                              (self.own_name, self.own_process),
                              (self.own_process, self.own_title),
                              (self.own_title, self.add_button)):
            self.setTabOrder(first, second)

    # --- load / save ----------------------------------------------------------------------

    def load(self) -> None:
        """Fill the lists: tracked apps ticked, the catalog, and what is running now."""
        tracked = self._store.list_apps()
        self._tracked_apps = tracked
        self._tracked = {app.key for app in tracked}
        self._syncing = True
        self.apps.clear()
        for app in tracked:
            if app.source != "catalog":
                item = self._add_item(f"{app.name} (your own)", app.key, checked=True)
                explain(item, self._words(app))
        for entry in sorted(self._catalog.entries, key=lambda e: e.name.lower()):
            item = self._add_item(entry.name, entry.id, checked=entry.id in self._tracked)
            explain(item, self._words(entry_to_app(entry, self._platform)))
        self._syncing = False
        self.load_running()
        self._filter(self.search.text())
        self._describe(self.apps.currentItem())

    def load_running(self) -> None:
        """What runs now, each shown as the app it already is: a tracked app (ticked, fixed),
        a catalog app (its tick is the catalog item's tick), or a program of its own."""
        self._syncing = True
        self.running_list.clear()
        try:
            found = [RunningApp(r, r) if isinstance(r, str) else r for r in self._running()]
        except (psutil.Error, OSError):
            found = []
        matcher = Matcher(self._tracked_apps, self._catalog.browser_names(self._platform))
        for program in found:
            tracked = matcher.match(Foreground(process=program.process))
            entry = self._catalog_entry_for(program.process)
            key = tracked or (entry.id if entry is not None else None)
            item = QListWidgetItem()
            item.setData(KEY_ROLE, program.process)
            item.setData(APP_ROLE, key)
            if tracked is not None:
                name = next(a.name for a in self._tracked_apps if a.key == tracked)
                item.setText(f"{name} (the program {program.process}), tracked already")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setData(Qt.ItemDataRole.CheckStateRole, Qt.CheckState.Checked)
            else:
                shown = entry.name if entry is not None else program.label
                text = shown if shown == program.process else \
                    f"{shown} (the program {program.process})"
                item.setText(text)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                listed = self._find_item(key) if key is not None else None
                ticked = listed is not None and listed.checkState() is Qt.CheckState.Checked
                item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            self.running_list.addItem(item)
        if not found:
            item = QListWidgetItem("No other apps found just now.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.running_list.addItem(item)
        self._syncing = False

    def chosen_apps(self) -> list[TrackedApp]:
        """The apps as ticked now, with their rules (what "Is it counted now?" matches)."""
        stored = {app.key: app for app in self._tracked_apps}
        chosen: dict[str, TrackedApp] = {}
        for row in range(self.apps.count()):
            item = self.apps.item(row)
            if item.checkState() is not Qt.CheckState.Checked:
                continue
            key = item.data(KEY_ROLE)
            own = item.data(APP_ROLE)
            if isinstance(own, TrackedApp):
                chosen[key] = own
            elif key in stored:
                chosen[key] = stored[key]
            else:
                chosen[key] = entry_to_app(self._catalog.get(key), self._platform)
        for row in range(self.running_list.count()):
            item = self.running_list.item(row)
            process = item.data(KEY_ROLE)
            if not process or not item.flags() & Qt.ItemFlag.ItemIsUserCheckable \
                    or item.checkState() is not Qt.CheckState.Checked:
                continue
            key = item.data(APP_ROLE)
            if key is None:
                app = self._own_for_process(process, chosen)
                chosen.setdefault(app.key, app)
            elif key in chosen:
                chosen[key] = _with_process(chosen[key], process)
        return list(chosen.values())

    def save(self) -> bool:
        """Store the choices; False (and a message next to a field) when an own app that was
        typed but not added yet cannot be used."""
        if any(e.text().strip() for e in (self.own_name, self.own_process, self.own_title)) \
                and not self.add_own():
            return False
        stored = {app.key: app for app in self._tracked_apps}
        chosen = {app.key: app for app in self.chosen_apps()}
        for key, app in chosen.items():
            if stored.get(key) != app:  # new, or now also recognised by a running program
                self._store.add_app(app)
        # Goals of an app no longer tracked stay stored (the store keeps them for history, and
        # they come back if the app does); they cannot fire without its time.
        for key in self._tracked - set(chosen):
            self._store.remove_app(key)
        self._tracked = set(chosen)
        self._tracked_apps = self._store.list_apps()
        return True

    # --- your own app ---------------------------------------------------------------------

    def add_own(self) -> bool:
        """Check the "Add your own" fields; add the app to the list, ticked, or show why not."""
        self._clear_errors()
        name = self.own_name.text()
        process, title = self.own_process.text().strip(), self.own_title.text().strip()
        for text, kind, label in ((process, RuleKind.PROCESS, self.process_error),
                                  (title, RuleKind.TITLE, self.title_error)):
            if text:
                try:
                    validate_pattern(kind, text)
                except InvalidRule as error:
                    return self._show(label, str(error))
        try:
            app = custom_app(name, [process] if process else [], [title] if title else [],
                             any_window=False)
        except InvalidRule as error:
            label = self.name_error if not name.strip() or process or title \
                else self.process_error
            return self._show(label, str(error))
        try:
            app = distinct_custom_key(app, self._known_names(), self._tracked | self._pending())
        except InvalidRule:
            return self._show(self.name_error, "There is already an app with that name; "
                                               "please choose another.")
        item = self._add_item(f"{app.name} (your own)", app.key, checked=True, row=0)
        item.setData(APP_ROLE, app)
        self.apps.scrollToItem(item)
        for edit in (self.own_name, self.own_process, self.own_title):
            edit.clear()
        self._clear_errors()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter in the "Add your own" fields adds that app, rather than reaching the dialog's
        # default button (which would save the whole page).
        if watched in (self.own_name, self.own_process, self.own_title) \
                and event.type() is QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.add_own()
            return True
        return super().eventFilter(watched, event)

    # --- inside ---------------------------------------------------------------------------

    def _add_item(self, text: str, key: str, checked: bool, row: int | None = None
                  ) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(KEY_ROLE, key)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        if row is None:
            self.apps.addItem(item)
        else:
            self.apps.insertItem(row, item)
        return item

    def _find_item(self, key: str) -> QListWidgetItem | None:
        for row in range(self.apps.count()):
            if self.apps.item(row).data(KEY_ROLE) == key:
                return self.apps.item(row)
        return None

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.apps.count()):
            item = self.apps.item(row)
            item.setHidden(bool(needle) and needle not in item.text().lower()
                           and needle not in str(item.data(KEY_ROLE)))

    def _catalog_entry_for(self, process: str) -> CatalogEntry | None:
        for entry in self._catalog.entries:
            if _entry_matches(entry, self._platform, process):
                return entry
        return None

    def _own_for_process(self, process: str, chosen: Mapping[str, TrackedApp]) -> TrackedApp:
        app = custom_app(process, [process], [], any_window=False)
        known = {**self._known_names(), **{k: a.name for k, a in chosen.items()}}
        try:
            return distinct_custom_key(app, known, self._tracked | set(chosen))
        except InvalidRule:  # an own app of that very name is tracked: it is that one
            return next(a for a in chosen.values() if a.name.casefold() == process.casefold())

    def _known_names(self) -> dict[str, str]:
        names = self._store.app_names()
        for row in range(self.apps.count()):
            own = self.apps.item(row).data(APP_ROLE)
            if isinstance(own, TrackedApp):
                names[own.key] = own.name
        return names

    def _pending(self) -> set[str]:
        return {own.key for row in range(self.apps.count())
                if isinstance(own := self.apps.item(row).data(APP_ROLE), TrackedApp)}

    def _words(self, app: TrackedApp) -> str:
        seen = recognition(app, self._platform)
        system = PLATFORM_NAMES.get(self._platform, self._platform)
        return f"On {system}, counted as {seen.counted}.\n{seen.not_counted}"

    def _describe(self, item: QListWidgetItem | None) -> None:
        """Under the list: how the current app is recognised here, and what it will not catch."""
        if item is None:
            self.how.setText("Choose an app to see how driftcheck recognises it here.")
            return
        self.how.setText(f"{item.text()}: {item.data(WORDS_ROLE) or ''}")

    def _app_ticked(self, item: QListWidgetItem) -> None:
        """A catalog app ticked or unticked: the same app among "Running now" follows."""
        if self._syncing:
            return
        self._syncing = True
        try:
            for row in range(self.running_list.count()):
                other = self.running_list.item(row)
                if other.data(APP_ROLE) == item.data(KEY_ROLE) \
                        and other.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                    other.setCheckState(item.checkState())
        finally:
            self._syncing = False

    def _running_ticked(self, item: QListWidgetItem) -> None:
        """A running program that is a catalog app: ticking it ticks that app, never a second
        app of the same name."""
        if self._syncing:
            return
        key = item.data(APP_ROLE)
        listed = self._find_item(key) if isinstance(key, str) else None
        if listed is None:
            return
        self._syncing = True
        try:
            listed.setCheckState(item.checkState())
        finally:
            self._syncing = False

    def _show(self, label: QLabel, message: str) -> bool:
        label.setText(message)
        label.setVisible(True)
        return False

    def _clear_errors(self) -> None:
        for label in (self.name_error, self.process_error, self.title_error):
            label.setVisible(False)


def _with_process(app: TrackedApp, process: str) -> TrackedApp:
    """A catalog app also recognised by a program seen running here, unless its own rules
    already catch that program (Replika on Linux has title rules only)."""
    if Matcher([app], frozenset()).match(Foreground(process=process)) is not None:
        return app
    return TrackedApp(key=app.key, name=app.name,
                      rules=(Rule(RuleKind.PROCESS, process), *app.rules),
                      any_window_titles=app.any_window_titles, source=app.source)
