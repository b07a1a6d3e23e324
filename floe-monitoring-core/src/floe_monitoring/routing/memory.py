"""`RouterMemory`: what was sent recently, for the dedup window and the rate limit.

The original monitor kept this state only in memory and forgot it on every restart, so
a restart re-sent every open alert. Here the memory is a plain index that the engine
rebuilds at startup from the notifications it persisted (`RouterMemory.from_history`);
the router reads and updates it, and never owns it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from floe_monitoring.routing._match import contract_key, require_utc
from floe_monitoring.sdk.enums import EventStatus, Severity
from floe_monitoring.sdk.event import ContractViolationEvent, utc_datetime

__all__ = ["NotificationRecord", "RouterMemory"]

# A notification's identity when counting per contract: its event_id when known, else
# what a stored row has. One event sent to three channels is one notification, not three,
# so the rate limit does not shrink as channels are added.
_Identity = uuid.UUID | tuple[str, EventStatus, Severity, datetime]


class NotificationRecord(BaseModel):
    """One routed notification as the engine stores it: one event to one channel.

    Field names also accept the spellings of the store's `notifications` table
    (``event_status``, ``contract_id``), so its rows validate as they are. Other columns
    are ignored: a whole database row can be passed.

    Attributes:
        channel: The configured channel it was routed to.
        dedup_key: The incident's key.
        status: ``firing`` or ``resolved``.
        severity: The event's severity.
        contract_key: The contract's id, else its name (`contract_key`).
        created_at: When it was routed (the ``now`` given to `AlertRouter.route`).
        event_id: The event's id, when the row has it (makes counting exact).

    """

    # extra="ignore" on purpose: this reads database rows, which carry delivery columns
    # (attempts, lease...) that mean nothing to routing.
    model_config = ConfigDict(frozen=True, extra="ignore")

    channel: str = Field(min_length=1)
    dedup_key: str = Field(min_length=1)
    status: EventStatus
    severity: Severity
    contract_key: str = Field(min_length=1)
    created_at: utc_datetime
    event_id: uuid.UUID | None = None

    @model_validator(mode="before")
    @classmethod
    def _store_spellings(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        # The notifications table's own `status` is pending|delivered|dead; the event's
        # status is `event_status` there, and wins.
        if "event_status" in data:
            data["status"] = data.pop("event_status")
        if "contract_key" not in data and "contract_id" in data:
            data["contract_key"] = data.pop("contract_id")
        return data

    @classmethod
    def of(cls, channel: str, event: ContractViolationEvent, at: datetime) -> NotificationRecord:
        """The record of `event` routed to `channel` at `at`."""
        return cls.model_validate(
            {
                "channel": channel,
                "dedup_key": event.dedup_key,
                "status": event.status,
                "severity": event.severity,
                "contract_key": contract_key(event),
                "created_at": require_utc(at, "at"),
                "event_id": event.event_id,
            }
        )

    @property
    def identity(self) -> _Identity:
        """What makes two records the same notification on different channels."""
        if self.event_id is not None:
            return self.event_id
        return (self.dedup_key, self.status, self.severity, self.created_at)


class RouterMemory:
    """An in-memory index of recent sends, rebuilt from persisted history at startup.

    Not thread-safe: one router (one asyncio task) uses it at a time.

    Example:
        >>> memory = RouterMemory.from_history(rows)          # doctest: +SKIP
        >>> decision = router.route(events, now=now, memory=memory)  # doctest: +SKIP

    """

    def __init__(self) -> None:
        self._last_sent: dict[tuple[str, str, EventStatus, Severity], datetime] = {}
        self._latest: dict[tuple[str, str], NotificationRecord] = {}
        self._by_contract: dict[str, list[tuple[datetime, _Identity]]] = {}
        # Firing notifications not yet followed by a resolved one, per (channel, key).
        # Kept through `prune`: a resolve may come days after the firing it closes.
        self._open: dict[tuple[str, str], datetime] = {}

    @classmethod
    def from_history(cls, rows: Iterable[NotificationRecord | Mapping[str, Any] | Any]) -> Self:
        """Rebuild the memory from persisted notifications.

        Each row is a `NotificationRecord`, a mapping or an object with its fields (a
        database row of the `notifications` table). A row with an ``events`` list (a batch
        delivery) is expanded into one record per event, since a batch row alone names
        only its first event's key. Rows may come in any order.

        Give it at least the rows of the last `AlertRouter.memory_horizon`; rows of older
        firing notifications that were never resolved keep the resolve exemption of the
        rate limit alive across the restart.

        Raises:
            pydantic.ValidationError: A row lacks a field or has an invalid value.

        """
        records: list[NotificationRecord] = []
        for row in rows:
            records.extend(_records_of(row))
        memory = cls()
        # Replay in time order so "latest" and open incidents come out as they were live.
        for record in sorted(records, key=lambda r: r.created_at):
            memory.add(record)
        return memory

    def record(self, channel: str, event: ContractViolationEvent, at: datetime) -> None:
        """Remember that `event` was routed to `channel` at `at` (timezone-aware)."""
        self.add(NotificationRecord.of(channel, event, at))

    def add(self, record: NotificationRecord) -> None:
        """Remember one routed notification."""
        at = record.created_at
        exact = (record.channel, record.dedup_key, record.status, record.severity)
        if at >= self._last_sent.get(exact, at):
            self._last_sent[exact] = at
        incident = (record.channel, record.dedup_key)
        latest = self._latest.get(incident)
        if latest is None or at >= latest.created_at:
            self._latest[incident] = record
            if record.status is EventStatus.FIRING:
                self._open[incident] = at
            else:
                self._open.pop(incident, None)
        self._by_contract.setdefault(record.contract_key, []).append((at, record.identity))

    def last_sent(
        self, channel: str, dedup_key: str, status: EventStatus, severity: Severity
    ) -> datetime | None:
        """When exactly this notification (same status and severity) last went to `channel`."""
        return self._last_sent.get((channel, dedup_key, status, severity))

    def latest(self, channel: str, dedup_key: str) -> NotificationRecord | None:
        """The most recent notification of the incident `dedup_key` sent to `channel`."""
        return self._latest.get((channel, dedup_key))

    def is_open(self, channel: str, dedup_key: str) -> bool:
        """True when a firing notification went to `channel` and no resolved one since."""
        return (channel, dedup_key) in self._open

    def count_for_contract(self, contract_key: str, since: datetime) -> int:
        """Distinct notifications routed for a contract strictly after `since`.

        One event routed to several channels counts once.
        """
        since = require_utc(since, "since")
        sent = self._by_contract.get(contract_key, ())
        return len({identity for at, identity in sent if at > since})

    def prune(self, before: datetime) -> None:
        """Forget sends older than `before` (open incidents are kept until resolved)."""
        before = require_utc(before, "before")
        self._last_sent = {k: at for k, at in self._last_sent.items() if at >= before}
        self._latest = {k: r for k, r in self._latest.items() if r.created_at >= before}
        pruned: dict[str, list[tuple[datetime, _Identity]]] = {}
        for key, sent in self._by_contract.items():
            kept = [item for item in sent if item[0] >= before]
            if kept:
                pruned[key] = kept
        self._by_contract = pruned

    def __len__(self) -> int:
        """How many (channel, incident) pairs are remembered."""
        return len(self._latest.keys() | self._open.keys())


def _records_of(row: NotificationRecord | Mapping[str, Any] | Any) -> list[NotificationRecord]:
    if isinstance(row, NotificationRecord):
        return [row]
    data = row if isinstance(row, Mapping) else _attributes(row)
    events = data.get("events")
    if not events:
        return [NotificationRecord.model_validate(data)]
    at = data["created_at"]
    parsed = (
        e if isinstance(e, ContractViolationEvent) else ContractViolationEvent.model_validate(e)
        for e in events
    )
    return [NotificationRecord.of(data["channel"], event, at) for event in parsed]


def _attributes(row: Any) -> Mapping[str, Any]:
    # SQLAlchemy rows expose `_mapping`; other objects are read field by field.
    mapping = getattr(row, "_mapping", None)
    if isinstance(mapping, Mapping):
        return mapping
    names = (
        "channel",
        "dedup_key",
        "event_status",
        "status",
        "severity",
        "contract_key",
        "contract_id",
        "created_at",
        "event_id",
        "events",
    )
    return {name: getattr(row, name) for name in names if hasattr(row, name)}
