"""Who receives an alert: the owner's route or the default list, plus the severity's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from floe_alert_email.config import EmailConfig
from floe_monitoring import ContractViolationEvent

__all__ = ["recipients_for"]


def recipients_for(config: EmailConfig, events: Sequence[ContractViolationEvent]) -> list[str]:
    """The envelope recipients for `events` (one event, or the events of a digest).

    For each event: `owner_recipients[event.owner]` when the owner has a non-empty route,
    otherwise `to`; then `severity_recipients[event.severity]`. Addresses are merged in
    that order and kept once, compared case-insensitively.

    Returns:
        The recipients; empty when no route matches (the caller refuses to send).
    """
    chosen: list[str] = []
    for event in events:
        route = config.owner_recipients.get(event.owner or "") if event.owner else None
        chosen += route or config.to
        chosen += config.severity_recipients.get(event.severity, ())
    return _unique(chosen)


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        key = address.lower()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return out
