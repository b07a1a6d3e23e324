"""The demo's one error: it cannot run here (a folder it must not wipe, a missing part)."""

from __future__ import annotations

from floe_monitoring.errors import FloeError

__all__ = ["DemoError"]


class DemoError(FloeError):
    """The quickstart cannot run: the message says why and what to do."""
