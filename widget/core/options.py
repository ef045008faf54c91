"""Every option's default and range, in one place."""

from __future__ import annotations

from dataclasses import dataclass, fields

from widget.errors import UsageError


@dataclass(frozen=True, slots=True)
class OptionSpec:
    default: float
    low: float
    high: float
    unit: str
    help: str
    integer: bool = False


SPECS: dict[str, OptionSpec] = {
    "sample_interval": OptionSpec(5, 1, 60, "seconds", "how often the tracker looks"),
    "idle_after": OptionSpec(180, 2, 7200, "seconds",
                             "how long without keyboard or mouse before time stops counting"),
    "day_start_hour": OptionSpec(4, 0, 12, "o'clock", "when a new day begins (late nights belong "
                                 "to the evening before)", integer=True),
}


@dataclass(frozen=True, slots=True)
class Options:
    sample_interval: float = SPECS["sample_interval"].default
    idle_after: float = SPECS["idle_after"].default
    day_start_hour: int = int(SPECS["day_start_hour"].default)

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
    try:
        value = float(raw) if not isinstance(raw, bool) else float("nan")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"{key} needs a number of {spec.unit}, not '{raw}'.") from None
    if value != value or not spec.low <= value <= spec.high:  # NaN or out of range
        raise UsageError(f"{key} must be between {spec.low:g} and {spec.high:g} {spec.unit}.")
    if spec.integer:
        if value != int(value):
            raise UsageError(f"{key} must be a whole number.")
        return int(value)
    return value
