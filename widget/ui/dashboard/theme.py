"""Colours for the dashboard and its charts: Okabe-Ito hues, light and dark.

Okabe and Ito's eight colours stay apart for the common kinds of colour blindness; every
chart also tells its series apart by shape or line style, never by colour alone. Nothing is
red, and nothing turns "alarm" coloured above a goal: the numbers are the person's own.

The theme follows the application's palette (its window colour's lightness, which follows
the desktop's light or dark scheme) unless one is forced, as the screenshots do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PySide6.QtGui import QColor, QGuiApplication, QPalette

Theme = Literal["light", "dark"]

# https://jfly.uni-koeln.de/color/ (Okabe & Ito, 2008)
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

# Apps in this order; on a dark ground the dark blue goes last and sky blue first.
_APPS_LIGHT = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, VERMILLION, YELLOW)
_APPS_DARK = (SKY_BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, YELLOW, VERMILLION, BLUE)


@dataclass(frozen=True)
class Palette:
    """What every chart and the heat map draw with."""

    dark: bool
    window: QColor  # the ground under the charts
    text: QColor
    muted: QColor  # secondary text, axis lines
    grid: QColor
    apps: tuple[QColor, ...]
    week: QColor  # weekly use, a neutral grey
    week_so_far: QColor  # the week in progress, paler
    band: QColor  # the usual range, translucent
    trend: QColor
    drift: QColor
    goal: QColor
    answer: QColor
    heat_low: QColor
    heat_high: QColor
    quiet: QColor  # the quiet-hours outline

    def app_color(self, index: int) -> QColor:
        return self.apps[index % len(self.apps)]

    def app_colors(self, keys: Sequence[str]) -> dict[str, QColor]:
        """One colour per app, in the order given (the dashboard's table order)."""
        return {key: self.app_color(i) for i, key in enumerate(keys)}


def _mix(a: QColor, b: QColor, share: float) -> QColor:
    share = max(0.0, min(1.0, share))
    return QColor(round(a.red() + (b.red() - a.red()) * share),
                  round(a.green() + (b.green() - a.green()) * share),
                  round(a.blue() + (b.blue() - a.blue()) * share))


def heat_color(palette: Palette, share: float) -> QColor:
    """The heat map's colour for `share` (0..1) of an hour in use."""
    return _mix(palette.heat_low, palette.heat_high, share)


def _alpha(color: str, alpha: int) -> QColor:
    found = QColor(color)
    found.setAlpha(alpha)
    return found


def make_palette(dark: bool, window: QColor | None = None, text: QColor | None = None
                 ) -> Palette:
    """The dashboard's palette for a light or dark ground (the widget palette's window and
    text colours when given, so the charts sit on the same ground as the window)."""
    window = QColor(window) if window is not None else QColor("#202225" if dark else "#fbfaf7")
    text = QColor(text) if text is not None else QColor("#e8e6e3" if dark else "#26282b")
    return Palette(
        dark=dark,
        window=window,
        text=text,
        muted=_mix(window, text, 0.62),
        grid=_mix(window, text, 0.16),
        apps=tuple(QColor(c) for c in (_APPS_DARK if dark else _APPS_LIGHT)),
        week=_mix(window, text, 0.5),  # neutral: the band, trend and marks carry colour
        week_so_far=_mix(window, text, 0.25),
        band=_alpha(BLUISH_GREEN, 70 if dark else 55),
        trend=QColor(REDDISH_PURPLE),
        drift=QColor(ORANGE),
        goal=_mix(window, text, 0.75),
        answer=QColor(ORANGE if dark else VERMILLION),
        heat_low=_mix(window, text, 0.07),
        heat_high=QColor(SKY_BLUE if dark else BLUE),
        quiet=QColor(REDDISH_PURPLE),
    )


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether a palette (the application's by default) is a dark one."""
    palette = palette if palette is not None else QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def window_palette(theme: Theme) -> QPalette:
    """A whole widget palette for a forced theme, so the window's own widgets match the
    charts (the screenshots force both themes on one machine)."""
    ours = make_palette(theme == "dark")
    palette = QPalette()
    role = QPalette.ColorRole
    base = _mix(ours.window, ours.text, 0.04) if ours.dark else QColor("#ffffff")
    button = _mix(ours.window, ours.text, 0.10 if ours.dark else 0.05)
    for which, color in ((role.Window, ours.window), (role.WindowText, ours.text),
                         (role.Base, base), (role.AlternateBase, _mix(base, ours.text, 0.05)),
                         (role.Text, ours.text), (role.Button, button),
                         (role.ButtonText, ours.text), (role.ToolTipBase, base),
                         (role.ToolTipText, ours.text), (role.PlaceholderText, ours.muted),
                         (role.Highlight, QColor(SKY_BLUE if ours.dark else BLUE)),
                         (role.HighlightedText, QColor("#101214" if ours.dark else "#ffffff")),
                         (role.Mid, ours.grid), (role.Midlight, ours.grid),
                         (role.Dark, _mix(ours.window, ours.text, 0.3)),
                         (role.Light, _mix(ours.window, QColor("#ffffff"), 0.1)),
                         (role.Link, QColor(SKY_BLUE if ours.dark else BLUE))):
        palette.setColor(which, color)
    palette.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, ours.muted)
    palette.setColor(QPalette.ColorGroup.Disabled, role.WindowText, ours.muted)
    palette.setColor(QPalette.ColorGroup.Disabled, role.Text, ours.muted)
    return palette
