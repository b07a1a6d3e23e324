"""Remember which Slack message started each incident, so later notifications thread.

The mapping ``dedup_key -> (channel ID, ts)`` lives in the channel's `ChannelStateStore`,
which the monitor backs with its database, so threads survive restarts. It also records
which event posted the message and whether the incident was resolved, which is what
keeps a re-delivered notification byte-identical to its first delivery.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from floe_monitoring import ChannelStateStore

__all__ = ["THREAD_TTL_SECONDS", "ThreadRef", "ThreadStore"]

#: Incidents open longer than this start a new thread (the store must not grow forever).
THREAD_TTL_SECONDS = 30 * 24 * 3600.0


@dataclass(frozen=True)
class ThreadRef:
    """Where an incident's first message is.

    Attributes:
        channel: Channel ID Slack answered with (``C…``); `chat.update` needs the ID.
        ts: The message's timestamp, which is its ID and the thread's ID.
        event_id: The event that posted it (a re-delivery of it posts the same root).
        resolved: True once a resolution was posted in the thread.

    """

    channel: str
    ts: str
    event_id: str
    resolved: bool = False


class ThreadStore:
    """`ThreadRef` by incident, on top of a `ChannelStateStore`."""

    def __init__(self, state: ChannelStateStore) -> None:
        self._state = state

    @staticmethod
    def key(dedup_key: str) -> str:
        """The state key of an incident: ``slack.thread:<dedup_key>``."""
        return f"slack.thread:{dedup_key}"

    async def get(self, dedup_key: str) -> ThreadRef | None:
        """The incident's thread, or None (also for a value this version cannot read)."""
        raw = await self._state.get(self.key(dedup_key))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return ThreadRef(
                channel=str(data["channel"]),
                ts=str(data["ts"]),
                event_id=str(data["event_id"]),
                resolved=bool(data.get("resolved", False)),
            )
        except (ValueError, KeyError, TypeError):
            return None

    async def put(self, dedup_key: str, ref: ThreadRef) -> None:
        """Remember `ref` for the incident (expires after `THREAD_TTL_SECONDS`)."""
        await self._state.set(
            self.key(dedup_key),
            json.dumps(asdict(ref), sort_keys=True),
            ttl_seconds=THREAD_TTL_SECONDS,
        )
