"""Choosing the apps to track: from the catalog (searchable), from what is running right now,
or one the person describes by its process name or a tab title.

Nothing is stored until `save()`; then ticked apps are added and unticked tracked ones are
no longer tracked (their history stays).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Protocol

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
from widget.core.catalog import Catalog, CatalogEntry, custom_app, entry_to_app
from widget.core.model import RuleKind, TrackedApp
from widget.core.rules import compile_glob, is_glob, validate_pattern
from widget.errors import InvalidRule
from widget.ui.form import error_label, hint

KEY_ROLE = Qt.ItemDataRole.UserRole  # the app key an item stands for
APP_ROLE = Qt.ItemDataRole.UserRole + 1  # an own app not yet stored

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
))


def plausible_app_names(names: Iterable[str]) -> list[str]:
    """Unique process names that could be an app a person opened, sorted case-insensitively."""
    found: dict[str, str] = {}
    for name in names:
        name = name.strip()
        if not _PLAUSIBLE.match(name) or any(p.match(name) for p in _NOT_APPS):
            continue
        found.setdefault(name.lower(), name)
    return sorted(found.values(), key=str.lower)


def running_process_names() -> list[str]:
    """The person's own running programs (not kernel threads or other users' services)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    names: list[str] = []
    for proc in psutil.process_iter(["name", "exe", "uids"]):
        info = proc.info
        if not info.get("name") or not info.get("exe"):
            continue
        uids = info.get("uids")
        if uid is not None and uids is not None and uids.real != uid:
            continue
        names.append(info["name"])
    return plausible_app_names(names)


class AppStore(Protocol):
    def list_apps(self) -> list[TrackedApp]: ...
    def add_app(self, app: TrackedApp) -> None: ...
    def remove_app(self, key: str) -> bool: ...


def _entry_matches(entry: CatalogEntry, platform: str, process: str) -> bool:
    for pattern in entry.processes.get(platform, ()):
        if is_glob(pattern):
            if compile_glob(pattern).match(process):
                return True
        elif pattern.lower() == process.lower():
            return True
    return False


class AppPicker(QWidget):
    """The app lists and the "Add your own" fields, with `load()` and `save()`."""

    def __init__(self, store: AppStore, catalog: Catalog, platform: str | None = None,
                 running: Callable[[], Iterable[str]] = running_process_names,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._catalog = catalog
        self._platform = platform or current_platform()
        self._running = running
        self._tracked: set[str] = set()

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search, for example Replika")
        self.search.setAccessibleName("Search the list of apps")
        self.search.setClearButtonEnabled(True)
        self.apps = QListWidget()
        self.apps.setAccessibleName("Apps to track")
        self.apps.setMinimumHeight(150)
        self.apps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

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

        running_box = QGroupBox("Running now")
        running_layout = QVBoxLayout(running_box)
        running_layout.addWidget(hint("Programs open on this computer right now. Tick one to "
                                       "track it by its process name."))
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

        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(listed, 1)
        right = QVBoxLayout()
        right.addWidget(running_box)
        right.addWidget(own)
        columns.addLayout(right, 1)

        self.search.textChanged.connect(self._filter)
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
        self._tracked = {app.key for app in tracked}
        self.apps.clear()
        for app in tracked:
            if app.source != "catalog":
                self._add_item(f"{app.name} (your own)", app.key, checked=True)
        for entry in sorted(self._catalog.entries, key=lambda e: e.name.lower()):
            self._add_item(entry.name, entry.id, checked=entry.id in self._tracked)
        self.load_running()
        self._filter(self.search.text())

    def load_running(self) -> None:
        self.running_list.clear()
        try:
            names = list(self._running())
        except (psutil.Error, OSError):
            names = []
        for name in names:
            entry = self._catalog_entry_for(name)
            text = f"{name}  ({entry.name})" if entry is not None else name
            item = QListWidgetItem(text)
            item.setData(KEY_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.running_list.addItem(item)
        if not names:
            item = QListWidgetItem("No other programs found just now.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.running_list.addItem(item)

    def save(self) -> bool:
        """Store the choices; False (and a message next to a field) when an own app that was
        typed but not added yet cannot be used."""
        if any(e.text().strip() for e in (self.own_name, self.own_process, self.own_title)) \
                and not self.add_own():
            return False
        chosen: dict[str, TrackedApp] = {}
        for row in range(self.apps.count()):
            item = self.apps.item(row)
            if item.checkState() is not Qt.CheckState.Checked:
                continue
            key = item.data(KEY_ROLE)
            own = item.data(APP_ROLE)
            if isinstance(own, TrackedApp):
                chosen[key] = own
            elif key not in self._tracked:
                chosen[key] = entry_to_app(self._catalog.get(key), self._platform)
            else:
                chosen[key] = TrackedApp(key, item.text(), ())  # already tracked: keep as is
        for row in range(self.running_list.count()):
            item = self.running_list.item(row)
            if item.checkState() is not Qt.CheckState.Checked or not item.data(KEY_ROLE):
                continue
            app = self._app_for_process(item.data(KEY_ROLE))
            chosen.setdefault(app.key, app)
        for key, app in chosen.items():
            if key not in self._tracked:
                self._store.add_app(app)
        # Goals of an app no longer tracked stay stored (the store keeps them for history, and
        # they come back if the app does); they cannot fire without its time.
        for key in self._tracked - set(chosen):
            self._store.remove_app(key)
        self._tracked = set(chosen)
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
        if app.key in self._tracked or self._find_item(app.key) is not None:
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

    def _app_for_process(self, process: str) -> TrackedApp:
        entry = self._catalog_entry_for(process)
        if entry is not None:
            return entry_to_app(entry, self._platform)
        return custom_app(process, [process], [], any_window=False)

    def _show(self, label: QLabel, message: str) -> bool:
        label.setText(message)
        label.setVisible(True)
        return False

    def _clear_errors(self) -> None:
        for label in (self.name_error, self.process_error, self.title_error):
            label.setVisible(False)
