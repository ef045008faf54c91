"""Errors with their own names, caught where a human-readable sentence can be shown.

Every message is one plain sentence meant for the person. None of them may carry a window
title: titles live only in memory for matching.
"""


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
