"""pluggy hook specifications: where private code extends the monitor without forking it.

Implement a hook in any module or class and expose it under the entry-point group
``floe.hooks`` (or decorate methods of a channel class)::

    from floe_monitoring import hookimpl

    @hookimpl
    def floe_enrich_event(event):
        return event.with_changes(links=[*event.links, runbook_link(event)])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from floe_monitoring.errors import DeliveryError
    from floe_monitoring.sdk.event import ContractViolationEvent
    from floe_monitoring.sdk.plugin import DeliveryReceipt

__all__ = ["HOOK_ENTRY_POINT_GROUP", "PROJECT_NAME", "FloeHookSpecs", "hookimpl", "hookspec"]

PROJECT_NAME = "floe"
#: Entry-point group for modules that implement hooks (not channels).
HOOK_ENTRY_POINT_GROUP = "floe.hooks"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class FloeHookSpecs:
    """The extension points the monitor calls."""

    @hookspec
    def floe_enrich_event(self, event: ContractViolationEvent) -> ContractViolationEvent | None:
        """Return an enriched copy of `event` before it is routed, or None to keep it.

        Implementations run one after another, each seeing the previous one's result
        (for example: add a runbook link, an owner from a CMDB, a ticket id).
        """

    @hookspec
    def floe_delivery_outcome(
        self,
        event: ContractViolationEvent,
        channel: str,
        receipt: DeliveryReceipt | None,
        error: DeliveryError | None,
    ) -> None:
        """Observe one delivery attempt: `receipt` on success, `error` on failure."""
