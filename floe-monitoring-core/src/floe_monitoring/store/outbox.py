"""The outbox: notifications written with the results that caused them, sent later.

A row is claimed with a lease (owner + expiry) so that several dispatchers, in one
process or in several replicas, never send it at the same time; every state change is
fenced on the lease owner, so a dispatcher that lost its lease cannot overwrite the
work of the one that took it over. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from floe_monitoring.sdk.event import ContractViolationEvent
from floe_monitoring.store.database import Database
from floe_monitoring.store.schema import notifications

__all__ = ["DeliveredMark", "OutboxEntry", "OutboxRepository", "OutboxRow", "OutboxStatus"]


class OutboxStatus(StrEnum):
    """The states of an outbox row."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class OutboxEntry:
    """A notification to write: one channel, one or more events (a batch)."""

    channel: str
    events: tuple[ContractViolationEvent, ...]
    created_at: datetime
    deadline_at: datetime

    @property
    def delivery_id(self) -> str:
        """Derived from the channel and the event ids: stable across retries.

        Distinct per channel, so one event routed to two channels makes two rows;
        receivers still deduplicate on the event_id they receive.
        """
        if len(self.events) == 1:
            return str(
                uuid.uuid5(
                    uuid.NAMESPACE_URL, f"floe-delivery:{self.channel}:{self.events[0].event_id}"
                )
            )
        joined = ",".join(sorted(str(e.event_id) for e in self.events))
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"floe-batch:{self.channel}:{joined}"))

    def row(self) -> dict[str, Any]:
        """The row to insert."""
        first = self.events[0]
        worst = max(e.severity for e in self.events)
        return {
            "delivery_id": self.delivery_id,
            "channel": self.channel,
            "events": [e.model_dump(mode="json") for e in self.events],
            "event_count": len(self.events),
            "contract_id": first.contract_id or first.contract_name,
            "dedup_key": first.dedup_key,
            "event_status": first.status.value,
            "severity": worst.value,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "created_at": self.created_at,
            "next_attempt_at": self.created_at,
            "deadline_at": self.deadline_at,
        }


@dataclass(frozen=True)
class DeliveredMark:
    """One successful send to record (see `OutboxRepository.delivered_many`)."""

    delivery_id: str
    now: datetime
    attempts: int
    receipt: dict[str, Any]


@dataclass(frozen=True)
class OutboxRow:
    """A stored notification, as the dispatcher and the CLI see it."""

    delivery_id: str
    channel: str
    events: tuple[ContractViolationEvent, ...]
    contract_id: str
    dedup_key: str
    event_status: str
    severity: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    deadline_at: datetime
    last_error: str | None
    last_reason: str | None
    delivered_at: datetime | None
    dead_at: datetime | None

    @classmethod
    def from_row(cls, row: RowMapping) -> OutboxRow:
        """Parse a database row (events validated back into the frozen model)."""
        return cls(
            delivery_id=row["delivery_id"],
            channel=row["channel"],
            events=tuple(ContractViolationEvent.model_validate(e) for e in row["events"]),
            contract_id=row["contract_id"],
            dedup_key=row["dedup_key"],
            event_status=row["event_status"],
            severity=row["severity"],
            status=row["status"],
            attempts=row["attempts"],
            created_at=row["created_at"],
            next_attempt_at=row["next_attempt_at"],
            deadline_at=row["deadline_at"],
            last_error=row["last_error"],
            last_reason=row["last_reason"],
            delivered_at=row["delivered_at"],
            dead_at=row["dead_at"],
        )


class OutboxRepository:
    """Reads and writes of the `notifications` table."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @staticmethod
    async def add(connection: AsyncConnection, entries: Sequence[OutboxEntry]) -> None:
        """Insert entries inside the caller's transaction (with the results)."""
        if entries:
            await connection.execute(insert(notifications), [e.row() for e in entries])

    async def claim(
        self,
        *,
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        channels: Sequence[str] | None = None,
        exclude_channels: Sequence[str] = (),
    ) -> list[OutboxRow]:
        """Lease up to `limit` due rows to `owner` and return them (oldest due first).

        Args:
            owner: Lease owner.
            now: Current time.
            lease: How long the rows stay leased.
            limit: Most rows to claim.
            channels: Only rows of these channels.
            exclude_channels: Never rows of these channels.
        """
        statement = _claim_statement(channels is not None, bool(exclude_channels))
        parameters: dict[str, Any] = {
            "b_now": now,
            "b_limit": limit,
            "b_owner": owner,
            "b_expires": now + lease,
        }
        if channels is not None:
            parameters["b_channels"] = list(channels)
        if exclude_channels:
            parameters["b_excluded"] = list(exclude_channels)
        async with self._db.begin() as connection:
            rows = (await connection.execute(statement, parameters)).mappings().all()
        return sorted((OutboxRow.from_row(r) for r in rows), key=lambda r: r.next_attempt_at)

    async def _fenced(self, delivery_id: str, owner: str, **values: Any) -> bool:
        statement = (
            update(notifications)
            .where(notifications.c.delivery_id == delivery_id, notifications.c.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None, **values)
        )
        async with self._db.begin() as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def delivered(
        self, delivery_id: str, *, owner: str, now: datetime, attempts: int, receipt: dict[str, Any]
    ) -> bool:
        """Mark delivered; False when the lease was lost (someone else owns the row)."""
        return await self._fenced(
            delivery_id,
            owner,
            status=OutboxStatus.DELIVERED,
            delivered_at=now,
            attempts=attempts,
            receipt=receipt,
            last_error=None,
        )

    async def delivered_many(self, marks: Sequence[DeliveredMark], *, owner: str) -> list[bool]:
        """`delivered` for several rows in one transaction; one flag per mark, in order.

        Each row is fenced on its own (a lost lease leaves that row alone), so the
        outcome per row is exactly what `delivered` would have returned.
        """
        if not marks:
            return []
        parameters = [
            {
                "b_id": mark.delivery_id,
                "b_owner": owner,
                "b_now": mark.now,
                "b_attempts": mark.attempts,
                "b_receipt": mark.receipt,
            }
            for mark in marks
        ]
        async with self._db.begin() as connection:
            if len(marks) == 1 or not connection.dialect.supports_sane_multi_rowcount:
                # One statement per row: its rowcount says whether that row was ours.
                return [
                    bool((await connection.execute(_DELIVERED, p)).rowcount) for p in parameters
                ]
            # One executemany (on SQLite every statement is several thread hops); when a
            # row was not ours (rare: its lease was lost) find out which from the rows.
            if (await connection.execute(_DELIVERED, parameters)).rowcount == len(marks):
                return [True] * len(marks)
            query = select(
                notifications.c.delivery_id,
                notifications.c.lease_owner,
                notifications.c.status,
                notifications.c.attempts,
                notifications.c.delivered_at,
            ).where(notifications.c.delivery_id.in_([m.delivery_id for m in marks]))
            stored = {r.delivery_id: r for r in (await connection.execute(query)).all()}
        return [_is_our_mark(stored.get(mark.delivery_id), mark) for mark in marks]

    async def retry_later(
        self,
        delivery_id: str,
        *,
        owner: str,
        attempts: int,
        next_attempt_at: datetime,
        error: str,
        reason: str,
        status_code: int | None,
    ) -> bool:
        """Schedule the next attempt; False when the lease was lost."""
        return await self._fenced(
            delivery_id,
            owner,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=error,
            last_reason=reason,
            last_status_code=status_code,
        )

    async def dead(
        self,
        delivery_id: str,
        *,
        owner: str,
        now: datetime,
        attempts: int,
        error: str,
        reason: str,
        status_code: int | None,
    ) -> bool:
        """Dead-letter with the last error; False when the lease was lost."""
        return await self._fenced(
            delivery_id,
            owner,
            status=OutboxStatus.DEAD,
            dead_at=now,
            attempts=attempts,
            last_error=error,
            last_reason=reason,
            last_status_code=status_code,
        )

    async def release(self, delivery_id: str, *, owner: str, next_attempt_at: datetime) -> bool:
        """Give a claimed row back untouched (channel unhealthy, shutting down)."""
        return await self._fenced(delivery_id, owner, next_attempt_at=next_attempt_at)

    async def replay(
        self, *, now: datetime, deadline: timedelta, delivery_id: str | None = None
    ) -> int:
        """Requeue dead letters (one, or all): attempts reset, a fresh deadline.

        Returns:
            How many rows were requeued.
        """
        condition = notifications.c.status == OutboxStatus.DEAD
        if delivery_id is not None:
            condition = and_(condition, notifications.c.delivery_id == delivery_id)
        statement = (
            update(notifications)
            .where(condition)
            .values(
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                deadline_at=now + deadline,
                dead_at=None,
                lease_owner=None,
                lease_expires_at=None,
            )
        )
        async with self._db.begin() as connection:
            result = await connection.execute(statement)
        return int(result.rowcount or 0)

    async def rows(
        self, *, status: str | None = None, limit: int | None = 100, channel: str | None = None
    ) -> list[OutboxRow]:
        """Newest rows first, optionally of one status or channel (all with limit=None)."""
        query = select(notifications).order_by(notifications.c.created_at.desc()).limit(limit)
        if status is not None:
            query = query.where(notifications.c.status == status)
        if channel is not None:
            query = query.where(notifications.c.channel == channel)
        async with self._db.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [OutboxRow.from_row(r) for r in rows]

    async def depth(self) -> tuple[int, datetime | None]:
        """Pending rows and the creation time of the oldest one."""
        query = select(func.count(), func.min(notifications.c.created_at)).where(
            notifications.c.status == OutboxStatus.PENDING
        )
        async with self._db.connect() as connection:
            count, oldest = (await connection.execute(query)).one()
        return int(count), oldest

    async def count(self, status: str) -> int:
        """Rows in `status`."""
        query = select(func.count()).where(notifications.c.status == status)
        async with self._db.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def recent(self, since: datetime) -> list[dict[str, Any]]:
        """What was routed since `since` (to rebuild the router's dedup/rate memory)."""
        query = select(
            notifications.c.channel,
            notifications.c.dedup_key,
            notifications.c.event_status,
            notifications.c.severity,
            notifications.c.contract_id,
            notifications.c.created_at,
            notifications.c.events,
        ).where(notifications.c.created_at >= since)
        async with self._db.connect() as connection:
            return [dict(r) for r in (await connection.execute(query)).mappings().all()]


def _is_our_mark(row: Any, mark: DeliveredMark) -> bool:
    """Whether `row` carries exactly what `mark` wrote (so our fenced update applied)."""
    return (
        row is not None
        and row.status == OutboxStatus.DELIVERED
        and row.lease_owner is None
        and row.attempts == mark.attempts
        and row.delivered_at == mark.now
    )


# The dispatcher's hot statements, built once with bound parameters: building them per
# call (expressions, then their cache keys) showed in the delivery path's profile.


@functools.cache
def _claim_statement(only_channels: bool, excluding: bool) -> Any:
    now = bindparam("b_now", type_=notifications.c.next_attempt_at.type)
    due = (
        select(notifications.c.delivery_id)
        .where(
            notifications.c.status == OutboxStatus.PENDING,
            notifications.c.next_attempt_at <= now,
            or_(
                notifications.c.lease_expires_at.is_(None),
                notifications.c.lease_expires_at < now,
            ),
        )
        .order_by(notifications.c.next_attempt_at)
        .limit(bindparam("b_limit", type_=Integer()))
        .with_for_update(skip_locked=True)
    )
    if only_channels:
        due = due.where(notifications.c.channel.in_(bindparam("b_channels", expanding=True)))
    if excluding:
        due = due.where(notifications.c.channel.not_in(bindparam("b_excluded", expanding=True)))
    return (
        update(notifications)
        .where(notifications.c.delivery_id.in_(due.scalar_subquery()))
        .values(lease_owner=bindparam("b_owner"), lease_expires_at=bindparam("b_expires"))
        .returning(*notifications.c)
    )


_DELIVERED = (
    update(notifications)
    .where(
        notifications.c.delivery_id == bindparam("b_id"),
        notifications.c.lease_owner == bindparam("b_owner"),
    )
    .values(
        lease_owner=None,
        lease_expires_at=None,
        status=OutboxStatus.DELIVERED,
        delivered_at=bindparam("b_now"),
        attempts=bindparam("b_attempts"),
        receipt=bindparam("b_receipt"),
        last_error=None,
    )
)
