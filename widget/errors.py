"""Errors with their own names, all of them here, caught where a human-readable sentence can
be shown.

Every message is one plain sentence meant for the person. None of them may carry a window
title: titles live only in memory for matching. Two are OSErrors, so that the code that
handles a file system's refusals handles them too: `DataFolderRefused` and
`TemporarySwapped`.
"""

from __future__ import annotations

import errno


class DriftcheckError(Exception):
    """Base class: `str(error)` is a sentence fit to show the person."""


class UsageError(DriftcheckError):
    """A command-line argument or setting value that cannot be used."""


class InvalidRule(DriftcheckError):
    """A match rule (process or title pattern) that would be wrong to store."""


class InvalidGoal(DriftcheckError):
    """A goal that would be wrong to store; `field` names where the dialog shows the message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownApp(DriftcheckError):
    """An app id that is neither in the catalog nor among the person's own apps."""


class StoreError(DriftcheckError):
    """The database could not be opened, read or written."""


class RowGone(StoreError):
    """A row to change is no longer in the database (an interval the tracker was extending,
    a check-in deleted meanwhile)."""


class ProbeError(DriftcheckError):
    """The platform probe could not read the foreground app or idle time this time."""


class ProbeUnavailable(ProbeError):
    """A probe that cannot start here, whose message tells the person what would let it
    (GNOME's: switch driftcheck's Shell extension on); said by `doctor` and `apps check`."""


class DamagedStore(StoreError):
    """The database file is damaged; `Store.open` sets it aside and starts afresh."""


class ImportRefused(DriftcheckError):
    """An import file that cannot be taken as it is; nothing has been written."""


class ExportRefused(DriftcheckError):
    """The data cannot be exported (or the file not written); nothing has been written."""


class WipeRefused(DriftcheckError):
    """Wipe did not start: nothing was removed."""


class AutostartRefused(DriftcheckError):
    """The command that starts driftcheck holds a character the entry cannot carry."""


class BrowserInstallRefused(DriftcheckError):
    """`driftcheck browser install` wrote nothing: no browser to write for, or a folder that
    cannot take its file."""


class DesktopInstallRefused(DriftcheckError):
    """`driftcheck desktop install` could not do what was asked; nothing half done stays."""


class DataFolderRefused(PermissionError):
    """A data folder driftcheck will not use; `strerror` is the reason, in words for the
    person ("it is a symbolic link; ...")."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EPERM, reason)


class TemporarySwapped(OSError):
    """The temporary file's name no longer points at the file driftcheck made."""
