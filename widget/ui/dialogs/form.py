"""Small pieces every dialog shares: the title pattern, quiet hint text and the message next
to a field."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from widget.ui.plain import plain_label

ERROR_STYLE = "color: #b3541e;"  # a warm orange-brown, readable on light and dark themes
APP_TITLE = "driftcheck"


def window_title(name: str | None = None) -> str:
    """Every window's title, in one pattern: 'driftcheck — Settings' (the widget: 'driftcheck')."""
    return f"{APP_TITLE} \u2014 {name}" if name else APP_TITLE


def make_quiet(label: QLabel) -> QLabel:
    """Smaller, quieter text for hints and asides."""
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def hint(text: str) -> QLabel:
    """A word-wrapped, quiet explanation."""
    label = plain_label(text)
    label.setWordWrap(True)
    return make_quiet(label)


def error_label() -> QLabel:
    """An empty, word-wrapped label that shows a validation message next to its field."""
    label = plain_label()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label
