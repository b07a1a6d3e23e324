"""How large a webhook body may grow, and how an event is cut to fit.

Receivers limit request bodies (often to 1 MiB or less), and aiohttp warns about bodies
over 1 MiB handed to it as bytes. Like the other channels, the webhook cuts free text
instead of failing: an event's JSON data is kept under `MAX_BODY_BYTES` (a batch shares
that budget equally between its events).

* Names (contract name, version and id, element, owner, domain, each affected consumer,
  each link title) are cut at `MAX_NAME_CHARS`, always: they also travel as the
  CloudEvents ``subject`` (a header in binary mode).
* When the data is still over the budget, the message, the expected and actual values
  and every string in ``metadata`` are cut to the longest common length that fits.
* If the rest alone is too large (thousands of consumers or metadata entries), metadata
  is dropped and the consumer and link lists are shortened.

Every cut string ends with the core's `TRUNCATION_MARKER` (``… [truncated]``), and
``metadata.floe_truncated`` names what was cut. An event within the limits is sent
unchanged, byte for byte. Cutting is deterministic, so a retry sends the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from floe_monitoring import TRUNCATION_MARKER, ContractViolationEvent, truncate

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_CONSUMERS",
    "MAX_LINKS",
    "MAX_NAME_CHARS",
    "TRUNCATED_KEY",
    "event_budget",
    "fit_event",
    "surely_fits",
]

#: The JSON data of one notification (or of a whole batch) is kept under this size.
MAX_BODY_BYTES: Final = 256 * 1024
#: Names and identifiers longer than this are cut.
MAX_NAME_CHARS: Final = 1024
#: Affected consumers kept when the list alone is too large.
MAX_CONSUMERS: Final = 100
#: Links kept when the list alone is too large.
MAX_LINKS: Final = 20
#: The metadata key that lists what was cut (field names, ``metadata.<key>`` paths).
TRUNCATED_KEY: Final = "floe_truncated"

# JSON data names (camelCase, as sent) of the fields cut at MAX_NAME_CHARS.
_NAMES: Final = ("contractName", "contractVersion", "contractId", "element", "owner", "domain")
# Free text that may be long by nature: cut to the common length when over the budget.
_TEXTS: Final = ("message", "expectedValue", "actualValue")
# Room kept for the note that says what was cut (the note is cut to fit it).
_NOTE_ROOM: Final = 1024


def event_budget(events: int) -> int:
    """The budget of each event's JSON data when `events` share one body."""
    return MAX_BODY_BYTES // max(events, 1)


def fit_event(
    event: ContractViolationEvent, *, max_bytes: int = MAX_BODY_BYTES
) -> ContractViolationEvent:
    """Return `event`, or a copy whose free text is cut so its JSON data fits `max_bytes`.

    Args:
        event: The event to send.
        max_bytes: The budget of its JSON data (see the module docstring).

    Returns:
        The event itself when nothing had to be cut, else the cut copy, with
        ``metadata.floe_truncated`` naming what was cut.

    """
    data = event.to_json_data()
    cut: list[str] = []
    _cut_names(data, cut)
    budget = max(max_bytes - _NOTE_ROOM, 0)  # room for the note, once something is cut
    if _size(data) > (budget if cut else max_bytes):
        trimmed, paths = _cut_texts(data, budget)
        if _size(trimmed) > budget:
            # Even the shortest texts leave it too large: the structure is the problem.
            data = _cut_structure(data, cut)
            trimmed, paths = _cut_texts(data, budget)
        data = trimmed
        cut.extend(paths)
    if not cut:
        return event
    metadata = data["metadata"]
    metadata[TRUNCATED_KEY] = truncate(", ".join(dict.fromkeys(cut)), _NOTE_ROOM // 2)
    return ContractViolationEvent.model_validate(data)


def surely_fits(event: ContractViolationEvent) -> bool:
    """True when no name needs cutting (the cheap half of `fit_event`'s test).

    The caller still checks the encoded size; together they say `fit_event` would
    return the event unchanged, without building and sizing a copy of its JSON.
    """
    names = (
        event.contract_name,
        event.contract_version,
        event.contract_id,
        event.element,
        event.owner,
        event.domain,
        *event.affected_consumers,
        *(link.title for link in event.links),
    )
    return all(name is None or len(name) <= MAX_NAME_CHARS for name in names)


def _size(data: Any) -> int:
    # The size as sent: the cloudevents JSON format uses json.dumps' defaults (ASCII).
    return len(json.dumps(data))


def _cut_names(data: dict[str, Any], cut: list[str]) -> None:
    for name in _NAMES:
        value = data.get(name)
        if isinstance(value, str) and len(value) > MAX_NAME_CHARS:
            data[name] = truncate(value, MAX_NAME_CHARS)
            cut.append(name)
    consumers = data.get("affectedConsumers") or []
    if any(len(c) > MAX_NAME_CHARS for c in consumers):
        data["affectedConsumers"] = [truncate(c, MAX_NAME_CHARS) for c in consumers]
        cut.append("affectedConsumers")
    links = data.get("links") or []
    if any(len(link["title"]) > MAX_NAME_CHARS for link in links):
        data["links"] = [
            {**link, "title": truncate(link["title"], MAX_NAME_CHARS)} for link in links
        ]
        cut.append("links")


def _cut_texts(data: dict[str, Any], budget: int) -> tuple[dict[str, Any], list[str]]:
    """Cut the long texts and metadata strings to the longest common length that fits.

    Returns the cut data and what was cut; the shortest cut when nothing fits.
    """
    longest = max(
        [len(data[name]) for name in _TEXTS if isinstance(data.get(name), str)]
        + _string_lengths(data["metadata"])
        + [0]
    )

    def attempt(limit: int) -> tuple[dict[str, Any], list[str]]:
        paths: list[str] = []
        trimmed = dict(data)
        for name in _TEXTS:
            value = trimmed.get(name)
            if isinstance(value, str) and len(value) > limit:
                trimmed[name] = truncate(value, limit)
                paths.append(name)
        trimmed["metadata"] = {
            key: _cut_json(value, limit, _recorder(paths, f"metadata.{key}"))
            for key, value in data["metadata"].items()
        }
        return trimmed, paths

    # Below the marker's length a cut string would not say it was cut; above the budget
    # no string fits anyway (which keeps every attempt's JSON small).
    low = len(TRUNCATION_MARKER)
    high = max(min(longest, budget), low)
    best = attempt(low)
    if _size(best[0]) > budget:
        return best
    while low < high:  # the largest common length that still fits
        middle = (low + high + 1) // 2
        candidate = attempt(middle)
        if _size(candidate[0]) <= budget:
            low, best = middle, candidate
        else:
            high = middle - 1
    return best


def _cut_structure(data: dict[str, Any], cut: list[str]) -> dict[str, Any]:
    """Drop metadata and shorten the lists: what is left identifies the event."""
    trimmed = dict(data, metadata={})
    cut.append("metadata")
    if len(trimmed.get("affectedConsumers") or []) > MAX_CONSUMERS:
        trimmed["affectedConsumers"] = trimmed["affectedConsumers"][:MAX_CONSUMERS]
        cut.append("affectedConsumers")
    if len(trimmed.get("links") or []) > MAX_LINKS:
        trimmed["links"] = trimmed["links"][:MAX_LINKS]
        cut.append("links")
    return trimmed


def _string_lengths(value: Any) -> list[int]:
    if isinstance(value, str):
        return [len(value)]
    if isinstance(value, dict):
        return [n for item in value.values() for n in _string_lengths(item)]
    if isinstance(value, list):
        return [n for item in value for n in _string_lengths(item)]
    return []


def _recorder(paths: list[str], path: str) -> Callable[[], None]:
    def record() -> None:
        if path not in paths:
            paths.append(path)

    return record


def _cut_json(value: Any, limit: int, record: Callable[[], None]) -> Any:
    """A JSON value with every string longer than `limit` cut (dict keys are kept)."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        record()
        return truncate(value, limit)
    if isinstance(value, dict):
        return {key: _cut_json(item, limit, record) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut_json(item, limit, record) for item in value]
    return value
