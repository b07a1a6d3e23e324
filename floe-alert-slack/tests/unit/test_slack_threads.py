import json

import pytest

from floe_alert_slack.threads import THREAD_TTL_SECONDS, ThreadRef, ThreadStore
from floe_monitoring import InMemoryChannelState


class RecordingState(InMemoryChannelState):
    def __init__(self) -> None:
        super().__init__()
        self.ttls: list[float | None] = []

    async def set(self, key: str, value: str, *, ttl_seconds: float | None = None) -> None:
        self.ttls.append(ttl_seconds)
        await super().set(key, value, ttl_seconds=ttl_seconds)


async def test_round_trip_under_a_readable_key() -> None:
    state = RecordingState()
    store = ThreadStore(state)
    ref = ThreadRef(channel="C0FAKE", ts="1700000001.000001", event_id="e1")
    await store.put("orders:freshness:*", ref)
    assert await store.get("orders:freshness:*") == ref
    raw = await state.get("slack.thread:orders:freshness:*")
    assert raw is not None
    assert json.loads(raw) == {
        "channel": "C0FAKE",
        "ts": "1700000001.000001",
        "event_id": "e1",
        "resolved": False,
    }
    assert state.ttls == [THREAD_TTL_SECONDS]


async def test_unknown_incident_has_no_thread() -> None:
    assert await ThreadStore(InMemoryChannelState()).get("nope") is None


@pytest.mark.parametrize("raw", ["not json", "{}", '{"channel": "C1"}', "[1, 2]"])
async def test_unreadable_values_are_ignored(raw: str) -> None:
    state = InMemoryChannelState()
    await state.set(ThreadStore.key("k"), raw)
    assert await ThreadStore(state).get("k") is None
