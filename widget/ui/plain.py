"""Words that may carry an app's name or a check-in note, shown as the words they are.

An app's name comes from the person, from an import or (later) from a sync folder, so it may
hold anything, `<b style='color:red'>BIG</b>` included. A QLabel, a tooltip, a message box and a
chart's legend all guess whether a text is rich text (Qt.mightBeRichText) and, if it looks so,
render it. So every QLabel driftcheck makes is plain text (`plain_label`), but for the one
named RICH_TEXT_LABEL that holds only our own words; every tooltip, message box and legend that
can show a name, a note, a path or a window title goes through this module
(tests/ui/test_plain_text.py walks every window with such names to keep it so).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt  # Qt.mightBeRichText lives in QtGui
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from widget.core.text import escape_markup

RICH_TEXT_LABEL = "rich-text-of-our-own"


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that shows `text` literally, never as rich text."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def make_plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_box(box: QMessageBox) -> QMessageBox:
    """A message box whose text (a path, a name) is shown literally."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def as_html(text: str) -> str:
    """`text` as rich text that shows literally (for the places that only take rich text:
    a chart's legend and a tooltip that looks like rich text)."""
    return escape_markup(text).replace("\n", "<br>")


def plain_tooltip(text: str) -> str:
    """A tooltip that shows `text` literally. Qt renders a tooltip as rich text when it looks
    like it; such a text is escaped and marked as rich text, so its tags show as written.
    Any other text is given back as it is (then Qt shows it plain anyway)."""
    if not GuiQt.mightBeRichText(text):
        return text
    return f"<qt>{as_html(text)}</qt>"
