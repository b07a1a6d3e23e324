"""Reading ODCS SLA properties: names with their synonyms, durations, percentages, dates.

Property names are case-insensitive and have short synonyms (``ly`` for latency). Durations
are ISO-8601 (``PT6H``, ``P1D``) or a value plus a unit (``4`` + ``d``). ``m`` is ambiguous
(minutes in datacontract-cli's freshness, months in some retention examples): it is read as
minutes and reported as a warning.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

__all__ = [
    "SLA_SYNONYMS",
    "Duration",
    "canonical_sla_name",
    "parse_date",
    "parse_duration",
    "parse_percent",
    "to_duration",
]

#: Lower-cased property name or synonym -> canonical ODCS name.
SLA_SYNONYMS: dict[str, str] = {
    "availability": "availability",
    "av": "availability",
    "throughput": "throughput",
    "th": "throughput",
    "errorrate": "errorRate",
    "er": "errorRate",
    "generalavailability": "generalAvailability",
    "ga": "generalAvailability",
    "endofsupport": "endOfSupport",
    "es": "endOfSupport",
    "endoflife": "endOfLife",
    "el": "endOfLife",
    "retention": "retention",
    "re": "retention",
    "frequency": "frequency",
    "fy": "frequency",
    "latency": "latency",
    "ly": "latency",
    "freshness": "freshness",
    "timetodetect": "timeToDetect",
    "td": "timeToDetect",
    "timetonotify": "timeToNotify",
    "tn": "timeToNotify",
    "timetorepair": "timeToRepair",
    "tr": "timeToRepair",
    "timeofavailability": "timeOfAvailability",
}

_DAY = 86_400.0
# Calendar units have no fixed length; these are the conventional approximations.
_UNIT_SECONDS: dict[str, float] = {
    **dict.fromkeys(("ms", "millisecond", "milliseconds"), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3_600.0),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("w", "wk", "week", "weeks"), 7 * _DAY),
    **dict.fromkeys(("mo", "mon", "month", "months"), 30 * _DAY),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365 * _DAY),
}

_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?!$)(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_ISO_PARTS = {"y": 365 * _DAY, "mo": 30 * _DAY, "w": 7 * _DAY, "d": _DAY}
_ISO_TIME_PARTS = {"h": 3_600.0, "mi": 60.0, "s": 1.0}
_VALUE_WITH_UNIT = re.compile(r"^\s*(?P<value>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z]+)\s*$")


class Duration(NamedTuple):
    """A parsed duration and, when the input was ambiguous, a warning to report."""

    value: timedelta
    warning: str | None = None


def canonical_sla_name(name: str) -> str | None:
    """The canonical ODCS name of an SLA property or synonym, or None if unknown."""
    return SLA_SYNONYMS.get(name.strip().lower())


def to_duration(value: object) -> object:
    """Read "15m", "30s", "PT6H", "6 hours" or seconds as a timedelta (else unchanged).

    The one reader of configured durations (monitor config, routing rules), for pydantic
    `BeforeValidator`s: anything that is neither text nor a number is left to the field.

    Raises:
        ValueError: The value is not a duration, or beyond what a timedelta holds.

    """
    if isinstance(value, str):
        return parse_duration(value).value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return timedelta(seconds=value)
        except OverflowError:
            # pydantic turns ValueError, not OverflowError, into a validation error.
            raise ValueError("duration out of range") from None
    return value


def parse_duration(value: object, unit: str | None = None) -> Duration:
    """Read an SLA duration: ISO-8601 (``PT6H``), ``value`` + ``unit``, or ``"6 h"``.

    Raises:
        ValueError: When the value is not a positive duration (message says why).

    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"'{value}' is not a duration")
    if isinstance(value, str):
        text = value.strip()
        iso = _ISO_DURATION.match(text)
        if iso and unit is None:
            return Duration(_positive(_iso_seconds(iso)))
        compact = _VALUE_WITH_UNIT.match(text)
        if compact and unit is None:
            return _with_unit(float(compact["value"]), compact["unit"])
        try:
            number = float(text)
        except ValueError:
            raise ValueError(
                f"'{value}' is not a duration (use ISO-8601 such as PT6H, or a value and unit)"
            ) from None
    else:
        number = float(value)  # type: ignore[arg-type]
    if unit is None:
        raise ValueError(f"duration {value} has no unit (add 'unit', e.g. h, d, min)")
    return _with_unit(number, unit)


def _with_unit(number: float, unit: str) -> Duration:
    key = unit.strip().lower()
    warning = None
    if key == "m":
        # datacontract-cli reads freshness 'm' as minutes; retention examples mean months.
        key = "min"
        warning = "unit 'm' is ambiguous; read as minutes (write 'min' or 'mo')"
    seconds = _UNIT_SECONDS.get(key)
    if seconds is None:
        raise ValueError(f"unknown duration unit '{unit}'")
    return Duration(_positive(number * seconds), warning)


def _iso_seconds(match: re.Match[str]) -> float:
    total = 0.0
    for group, seconds in (*_ISO_PARTS.items(), *_ISO_TIME_PARTS.items()):
        if match[group]:
            total += float(match[group]) * seconds
    return total


def _positive(seconds: float) -> timedelta:
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("duration must be positive")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        # Callers (contracts, pydantic validators) report ValueErrors, not OverflowErrors.
        raise ValueError("duration out of range") from None


def parse_percent(value: object, unit: str | None = None) -> float:
    """Read a percentage target (``99.9%``, ``99.9`` + ``%``/``percent``) as a fraction.

    A bare number above 1 is read as percent (``99.9``); at most 1 as a fraction (``0.999``).

    Raises:
        ValueError: When the value is not a percentage between 0 and 100.

    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"'{value}' is not a percentage")
    text = str(value).strip()
    as_percent = text.endswith("%") or (unit or "").strip().lower() in {"%", "percent"}
    try:
        number = float(text.removesuffix("%").strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a percentage (write e.g. 99.9%)") from None
    # Rounded so 99.9% reads back as 0.999, not 0.9990000000000001.
    fraction = round(number / 100 if as_percent or number > 1 else number, 12)
    if not 0 <= fraction <= 1 or not math.isfinite(fraction):
        raise ValueError(f"'{value}' is not between 0% and 100%")
    return fraction


def parse_date(value: object) -> datetime:
    """Read an SLA date (``2032-05-12``, ``2032-05-12T09:30:10-08:00``) as aware UTC.

    Date-only values mean midnight UTC; a time without an offset is read as UTC.

    Raises:
        ValueError: When the value is not an ISO-8601 date or date-time.

    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO-8601 date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
