"""Glob matching and contract identity shared by rules, silences and the memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Annotated, Any

from pydantic import BeforeValidator

from floe_monitoring.contracts.sla import to_duration
from floe_monitoring.sdk.event import ContractViolationEvent

__all__ = [
    "DurationField",
    "accept_alias",
    "any_glob",
    "contract_key",
    "event_tags",
    "matches_contract",
    "require_utc",
]


def any_glob(patterns: Iterable[str], value: str | None) -> bool:
    """True when `value` matches one of the glob `patterns` (never for a missing value).

    Matching is case-sensitive on every platform (`fnmatchcase`): `fnmatch` would fold
    case on Windows only, and routing must not depend on where the monitor runs.
    """
    if value is None:
        return False
    return any(fnmatchcase(value, pattern) for pattern in patterns)


def matches_contract(patterns: Iterable[str], name: str, contract_id: str | None) -> bool:
    """True when a glob matches the contract's name or its id (either is enough)."""
    patterns = tuple(patterns)
    return any_glob(patterns, name) or any_glob(patterns, contract_id)


def contract_key(event: ContractViolationEvent) -> str:
    """The key a contract is counted and grouped under: its id, else its name.

    The same choice `derive_dedup_key` makes, so one contract has one key everywhere.
    """
    return event.contract_id or event.contract_name


def event_tags(event: ContractViolationEvent) -> tuple[str, ...]:
    """The event's tags from ``metadata["tags"]`` (a list of strings, or one string).

    Anything else in that entry is ignored rather than rejected: metadata is free-form,
    and a malformed tag list must not stop an alert from being routed.
    """
    raw = event.metadata.get("tags")
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(item for item in raw if isinstance(item, str))
    return ()


def require_utc(value: datetime, name: str = "now") -> datetime:
    """Return `value` in UTC; a naive datetime is refused (it has no defined instant).

    Raises:
        ValueError: When `value` is naive.

    """
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime")
    return value.astimezone(UTC)


#: A `timedelta` config field that also reads ``"PT30M"``, ``"30 min"`` or seconds.
DurationField = Annotated[timedelta, BeforeValidator(to_duration)]


def accept_alias(data: Any, alias: str, name: str) -> Any:
    """Let config spell field `name` as `alias` too (for a ``mode="before"`` validator).

    Raises:
        ValueError: When both spellings are given.

    """
    if not isinstance(data, Mapping) or alias not in data:
        return data
    if name in data:
        raise ValueError(f"give '{name}' or '{alias}', not both")
    renamed = {key: value for key, value in data.items() if key != alias}
    renamed[name] = data[alias]
    return renamed
