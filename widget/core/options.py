"""Every option's default and range, in one place.

Numbers with a range live in `SPECS` (and `Options`, which the tracker reads); every setting,
these among them, is declared with its type and default in `widget.core.settings`. Settings
are stored as JSON by `Store.set_setting`; instants as ISO 8601 UTC strings
(`instant_to_setting` / `instant_from_setting`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime

from widget.errors import UsageError


@dataclass(frozen=True, slots=True)
class OptionSpec:
    default: float
    low: float
    high: float
    unit: str
    help: str
    integer: bool = False
    # What the value is, for reading and saying it: "length" (seconds; takes '3m', '180s',
    # '1.5m' as goals do, said '3 min'), "share" (of a goal; takes '80%' or 0.8, said '80%'),
    # "hour" (of the day) or "number".
    kind: str = "number"


SPECS: dict[str, OptionSpec] = {
    "sample_interval": OptionSpec(5, 1, 60, "seconds", "how often the tracker looks",
                                  kind="length"),
    "idle_after": OptionSpec(180, 2, 7200, "seconds",
                             "how long without keyboard or mouse before time stops counting",
                             kind="length"),
    "day_start_hour": OptionSpec(4, 0, 12, "o'clock", "when a new day begins (late nights belong "
                                 "to the evening before)", integer=True, kind="hour"),
    "near_share": OptionSpec(0.8, 0.5, 0.95, "of a goal",
                             "how much of a goal is used before a gentle heads-up",
                             kind="share"),
}

# What a value of each kind looks like, for the sentence that refuses one.
_LIKE = {"length": "a length of time, like 3m or 180s", "share": "a share of a goal, like 80%",
         "hour": "an hour of the day, like 4"}

@dataclass(frozen=True, slots=True)
class Options:
    sample_interval: float = SPECS["sample_interval"].default
    idle_after: float = SPECS["idle_after"].default
    day_start_hour: int = int(SPECS["day_start_hour"].default)
    near_share: float = SPECS["near_share"].default

    @classmethod
    def from_settings(cls, settings: dict[str, object]) -> Options:
        """Options from stored settings; a stored value out of range falls back to its default
        rather than stopping the tracker."""
        values: dict[str, float | int] = {}
        for f in fields(cls):
            raw = settings.get(f.name)
            if raw is None:
                continue
            try:
                values[f.name] = check_option(f.name, raw)
            except UsageError:
                continue
        return cls(**values)  # type: ignore[arg-type]


def check_option(key: str, raw: object) -> float | int:
    """The value of option `key` parsed from `raw`, or UsageError with one sentence."""
    spec = SPECS.get(key)
    if spec is None:
        known = ", ".join(sorted(SPECS))
        raise UsageError(f"There is no setting called '{key}'; the settings are {known}.")
    value = _read(key, spec, raw)
    if value != value or not spec.low <= value <= spec.high:  # NaN or out of range
        raise UsageError(f"{key} must be between {say_option(key, spec.low)} and "
                         f"{say_option(key, spec.high)}.")
    if spec.integer:
        if value != int(value):
            raise UsageError(f"{key} must be a whole number.")
        return int(value)
    return value


def _read(key: str, spec: OptionSpec, raw: object) -> float:
    """The number `raw` stands for; a text in the option's own forms ('3m', '80%')."""
    from widget.core.goals import NegativeLength, length_seconds

    like = _LIKE.get(spec.kind, f"a number ({spec.unit})")
    try:
        if isinstance(raw, bool):
            return float("nan")
        if isinstance(raw, str) and spec.kind == "length":
            return length_seconds(raw, bare_unit=1)
        if isinstance(raw, str) and spec.kind == "share":
            text = raw.strip()
            value = float(text.removesuffix("%"))
            # '80%' and '80' are a share in hundredths; '0.8' already is one.
            return value / 100 if text.endswith("%") or value > 1 else value
        return float(raw)  # type: ignore[arg-type]
    except NegativeLength:
        raise UsageError(f"{key} needs a positive length, like 3m or 180s, not "
                         f"'{raw}'.") from None
    except (TypeError, ValueError):
        raise UsageError(f"{key} needs {like}, not '{raw}'.") from None


def say_option(key: str, value: float) -> str:
    """An option's value as a person reads it: '3 min', '5 s', '80%', '4'."""
    from widget.core.format import duration

    kind = SPECS[key].kind
    if kind == "length":
        return duration(value)
    if kind == "share":
        return f"{value * 100:.0f}%"
    return f"{value:g}"


def instant_to_setting(moment: datetime) -> str:
    """An aware instant as the ISO UTC string settings hold."""
    if moment.tzinfo is None:
        raise ValueError("settings hold aware datetimes only")
    return moment.astimezone(UTC).isoformat()


def instant_from_setting(raw: object) -> datetime | None:
    """The aware UTC instant of a stored ISO string; None for null or anything unreadable."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
