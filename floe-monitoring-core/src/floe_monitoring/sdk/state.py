"""A small key-value store a channel instance may use to remember things across sends.

Slack keeps `dedup_key -> message ts` here so a resolution lands in the firing message's
thread. The monitor backs it with its database; the in-memory one serves tests and
one-off sends.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["ChannelStateStore", "InMemoryChannelState"]


@runtime_checkable
class ChannelStateStore(Protocol):
    """Per-channel-instance string key-value store (values are never secrets)."""

    async def get(self, key: str) -> str | None:
        """Return the value stored under `key`, or None."""
        ...

    async def set(self, key: str, value: str, *, ttl_seconds: float | None = None) -> None:
        """Store `value` under `key`, optionally expiring after `ttl_seconds`."""
        ...

    async def delete(self, key: str) -> None:
        """Forget `key` (no error when absent)."""
        ...


class InMemoryChannelState:
    """A `ChannelStateStore` in a dict: lost on restart."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, float | None]] = {}

    async def get(self, key: str) -> str | None:
        """Return the value stored under `key`, or None when absent or expired."""
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and time.monotonic() >= expires:
            del self._items[key]
            return None
        return value

    async def set(self, key: str, value: str, *, ttl_seconds: float | None = None) -> None:
        """Store `value` under `key`."""
        expires = None if ttl_seconds is None else time.monotonic() + ttl_seconds
        self._items[key] = (value, expires)

    async def delete(self, key: str) -> None:
        """Forget `key`."""
        self._items.pop(key, None)
