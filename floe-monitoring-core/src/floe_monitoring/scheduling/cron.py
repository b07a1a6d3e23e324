"""A small five-field cron subset, evaluated in UTC, for a contract's explicit ``schedule``.

Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or ``jan``-``dec``),
day of week (0-7 or ``sun``-``sat``; 0 and 7 are Sunday). Each field is a comma list of
``*``, ``n``, ``a-b``, each optionally followed by ``/step`` (``n/step`` means ``n-max/step``).
The macros ``@hourly``, ``@daily`` (``@midnight``), ``@weekly``, ``@monthly``, ``@yearly``
(``@annually``) are accepted. As in Vixie cron, when both day fields are restricted (neither
starts with ``*``) a day matches if *either* does; otherwise both must.

Not supported: ``L``, ``W``, ``#``, ``?``, seconds or year fields, time zones (always UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from floe_monitoring.errors import ConfigError

__all__ = ["CronSchedule", "parse_cron"]

_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTH_NAMES = {name: number for number, name in enumerate(_MONTHS, start=1)}
_WEEKDAY_NAMES = {name: number for number, name in enumerate(_WEEKDAYS)}
_MINUTE = timedelta(minutes=1)
# Feb 29 can be 8 years away (2096 -> 2104); a longer search means "never".
_SEARCH_YEARS = 10


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day of month", 1, 31, {}),
    _Field("month", 1, 12, _MONTH_NAMES),
    _Field("day of week", 0, 7, _WEEKDAY_NAMES),
)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression; build it with `parse_cron`.

    Attributes:
        expression: The expression as written.
        minutes: Matching minutes, ascending.
        hours: Matching hours.
        days: Matching days of the month.
        months: Matching months.
        weekdays: Matching days of the week (0 = Sunday … 6 = Saturday).
        days_restricted: The day-of-month field does not start with ``*``.
        weekdays_restricted: The day-of-week field does not start with ``*``.

    """

    expression: str
    minutes: tuple[int, ...]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool

    def first_at_or_after(self, when: datetime) -> datetime:
        """The first matching minute not before `when` (UTC).

        Raises:
            ValueError: If nothing matches within ten years.

        """
        at = when.astimezone(UTC)
        floor = at.replace(second=0, microsecond=0)
        at = floor if floor == at else floor + _MINUTE
        limit = at.year + _SEARCH_YEARS
        while at.year <= limit:
            if at.month not in self.months:
                at = _month_start(at.year + at.month // 12, at.month % 12 + 1)
            elif not self._day_matches(at.date()):
                at = _day_start(at) + timedelta(days=1)
            elif at.hour not in self.hours:
                at = _hour_start(at) + timedelta(hours=1)
            else:
                minute = next((m for m in self.minutes if m >= at.minute), None)
                if minute is not None:
                    return at.replace(minute=minute)
                at = _hour_start(at) + timedelta(hours=1)
        raise ValueError(f"cron {self.expression!r} matches nothing after {when.isoformat()}")

    def latest_at_or_before(self, when: datetime) -> datetime:
        """The last matching minute not after `when` (UTC).

        Raises:
            ValueError: If nothing matches within ten years.

        """
        at = when.astimezone(UTC).replace(second=0, microsecond=0)
        limit = at.year - _SEARCH_YEARS
        while at.year >= limit:
            if at.month not in self.months:
                at = _month_start(at.year, at.month) - _MINUTE
            elif not self._day_matches(at.date()):
                at = _day_start(at) - _MINUTE
            elif at.hour not in self.hours:
                at = _hour_start(at) - _MINUTE
            else:
                minute = next((m for m in reversed(self.minutes) if m <= at.minute), None)
                if minute is not None:
                    return at.replace(minute=minute)
                at = _hour_start(at) - _MINUTE
        raise ValueError(f"cron {self.expression!r} matches nothing before {when.isoformat()}")

    def after(self, when: datetime) -> datetime:
        """The first matching minute strictly after `when`."""
        return self.first_at_or_after(when + timedelta(microseconds=1))

    def _day_matches(self, day: date) -> bool:
        in_month = day.day in self.days
        in_week = (day.weekday() + 1) % 7 in self.weekdays  # Python: Monday=0; cron: Sunday=0
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week
        return in_month and in_week


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _day_start(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0)


def _hour_start(at: datetime) -> datetime:
    return at.replace(minute=0)


@lru_cache(maxsize=256)
def parse_cron(expression: str) -> CronSchedule:
    """Parse a five-field cron expression (the subset in the module docstring).

    Args:
        expression: Such as ``0 */6 * * *`` or ``@daily``.

    Raises:
        ConfigError: If the expression is malformed or never matches (``0 0 30 2 *``).

    """
    text = _MACROS.get(expression.strip().lower(), expression)
    parts = text.split()
    if len(parts) != len(_FIELDS):
        raise ConfigError(f"cron {expression!r}: expected 5 fields, got {len(parts)}")
    values = [
        _parse_field(part, spec, expression) for part, spec in zip(parts, _FIELDS, strict=True)
    ]
    schedule = CronSchedule(
        expression=expression,
        minutes=tuple(sorted(values[0])),
        hours=frozenset(values[1]),
        days=frozenset(values[2]),
        months=frozenset(values[3]),
        weekdays=frozenset(value % 7 for value in values[4]),
        days_restricted=not parts[2].startswith("*"),
        weekdays_restricted=not parts[4].startswith("*"),
    )
    try:
        # A leap-year start, so a Feb 29 schedule is found at once.
        schedule.first_at_or_after(datetime(2000, 1, 1, tzinfo=UTC))
    except ValueError:
        raise ConfigError(f"cron {expression!r}: never matches a date") from None
    return schedule


def _parse_field(text: str, spec: _Field, expression: str) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = _number(step_text, spec, expression) if slash else 1
        if step < 1:
            raise ConfigError(f"cron {expression!r}: {spec.name} step must be at least 1")
        if base == "*":
            low, high = spec.low, spec.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, spec, expression), _value(last, spec, expression)
            if low > high:
                raise ConfigError(f"cron {expression!r}: {spec.name} range {base!r} is reversed")
        else:
            low = _value(base, spec, expression)
            high = spec.high if slash else low
        values.update(range(low, high + 1, step))
    return values


def _value(text: str, spec: _Field, expression: str) -> int:
    named = spec.names.get(text.lower())
    value = named if named is not None else _number(text, spec, expression)
    if not spec.low <= value <= spec.high:
        raise ConfigError(
            f"cron {expression!r}: {spec.name} {text!r} is outside {spec.low}-{spec.high}"
        )
    return value


def _number(text: str, spec: _Field, expression: str) -> int:
    if not (text.isascii() and text.isdigit()):  # isdigit() alone accepts '²'
        raise ConfigError(f"cron {expression!r}: {spec.name} has invalid value {text!r}")
    return int(text)
