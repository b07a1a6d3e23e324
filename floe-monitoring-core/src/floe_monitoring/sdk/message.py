"""`AlertMessage`: what an alert says, once, for every channel to render in its format."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from floe_monitoring.sdk.enums import EventStatus, Severity, ViolationType
from floe_monitoring.sdk.event import ContractViolationEvent, Link

__all__ = ["AlertMessage", "MessageField"]

_CHECK_LABEL = {
    ViolationType.FRESHNESS: "Freshness",
    ViolationType.SCHEMA_DRIFT: "Schema drift",
    ViolationType.QUALITY: "Quality",
    ViolationType.AVAILABILITY: "Availability",
    ViolationType.DEPRECATION: "Deprecation",
}


class MessageField(BaseModel):
    """One labelled value of an alert (raw text: channels escape it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    value: str


class AlertMessage(BaseModel):
    """A channel-neutral rendering of one or more events.

    All text is raw and untrusted; each channel escapes and truncates it for its format
    with the helpers in `floe_monitoring.sdk.escaping`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    summary: str
    severity: Severity
    status: EventStatus
    fields: tuple[MessageField, ...] = ()
    links: tuple[Link, ...] = ()

    @classmethod
    def from_event(cls, event: ContractViolationEvent) -> AlertMessage:
        """Say what one event means, fields in a fixed order, empty ones left out."""
        check = _CHECK_LABEL[event.violation_type]
        if event.is_resolved:
            title = f"RESOLVED · {event.contract_name}: {check.lower()} recovered"
        else:
            title = (
                f"{event.severity.value.upper()} · {event.contract_name}: {check.lower()} violation"
            )
        contract = event.contract_name + (
            f" v{event.contract_version}" if event.contract_version else ""
        )
        rows: list[tuple[str, str | None]] = [
            ("Contract", contract),
            ("Check", check),
            ("Element", event.element),
            ("Expected", event.expected_value),
            ("Actual", event.actual_value),
            ("Severity", event.severity.value),
            ("Status", event.status.value),
            ("Owner", event.owner),
            ("Domain", event.domain),
            ("Affected consumers", ", ".join(event.affected_consumers) or None),
            ("Occurrences", str(event.occurrences) if event.occurrences > 1 else None),
            ("First seen", _iso(event) if event.first_seen_at != event.timestamp else None),
            ("Incident", event.dedup_key),
        ]
        return cls(
            title=title,
            summary=event.message,
            severity=event.severity,
            status=event.status,
            fields=tuple(MessageField(label=k, value=v) for k, v in rows if v),
            links=event.links,
        )

    @classmethod
    def digest(cls, events: Sequence[ContractViolationEvent]) -> AlertMessage:
        """Summarise several events of one contract in one message (batch delivery).

        Raises:
            ValueError: No events were given.

        """
        if not events:
            raise ValueError("a digest needs at least one event")
        if len(events) == 1:
            return cls.from_event(events[0])
        worst = max(e.severity for e in events)
        firing = [e for e in events if not e.is_resolved]
        status = EventStatus.FIRING if firing else EventStatus.RESOLVED
        names = sorted({e.contract_name for e in events})
        subject = names[0] if len(names) == 1 else f"{len(names)} contracts"
        title = f"{worst.value.upper()} · {subject}: {len(events)} notifications"
        fields = tuple(
            MessageField(
                label=f"{_CHECK_LABEL[e.violation_type]}"
                + (f" ({e.element})" if e.element else ""),
                value=f"[{e.status.value}/{e.severity.value}] {e.message}",
            )
            for e in events
        )
        links: dict[str, Link] = {}
        for e in events:
            for link in e.links:
                links.setdefault(link.url, link)
        return cls(
            title=title,
            summary=f"{len(firing)} firing, {len(events) - len(firing)} resolved",
            severity=worst,
            status=status,
            fields=fields,
            links=tuple(links.values()),
        )

    def as_text(self) -> str:
        """A plain-text rendering (raw, unescaped): title, summary, fields, links."""
        lines = [self.title, "", self.summary, ""]
        lines += [f"{f.label}: {f.value}" for f in self.fields]
        if self.links:
            lines.append("")
            lines += [f"{link.title}: {link.url}" for link in self.links]
        return "\n".join(lines)


def _iso(event: ContractViolationEvent) -> str:
    return event.first_seen_at.isoformat().replace("+00:00", "Z")
