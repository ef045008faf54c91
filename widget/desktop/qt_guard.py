"""A guard against PySide6 6.12's reference counting of None, True and False on Python 3.11.

PySide6 6.12 gives back None from every void call, and True from `Signal.emit()` and
`disconnect()`, without taking a reference to it: right from Python 3.12 on, where those
objects are immortal, wrong before. On Python 3.11 every such call takes one of their references
away, and the interpreter aborts ("Fatal Python error: none_dealloc", "bool_dealloc") once a
count reaches zero: the tray app after some forty week steps in the dashboard, or after about
forty minutes of switching windows (True, one a second); measured in
docs/FIGURES.md "The dashboard's lifetime". Giving the three 2**40 more references at start
makes them immortal in practice. Called before Qt is used, by every program of ours that uses
it (the tray app, the dashboard on its own, the PDF report) and by the test suite.
"""

from __future__ import annotations

import ctypes
import sys

EXTRA = 1 << 40
_kept = False


def keep_singletons_alive() -> bool:
    """Give None, True and False `EXTRA` references, once per process, on CPython before 3.12
    (where they are not immortal yet); True when it did."""
    global _kept
    if _kept or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += EXTRA  # ob_refcnt comes first
    _kept = True
    return True
