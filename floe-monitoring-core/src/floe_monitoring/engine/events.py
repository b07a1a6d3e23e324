"""Turning the incident tracker's notifications into `ContractViolationEvent`s."""

from __future__ import annotations

from collections.abc import Mapping

from floe_monitoring.contracts.model import Contract
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.incidents import Notification
from floe_monitoring.sdk.event import ContractViolationEvent

__all__ = ["build_event"]


def build_event(
    notification: Notification,
    contract: Contract | None,
    overrides: ContractOverrides | None = None,
    *,
    trace: Mapping[str, str] | None = None,
) -> ContractViolationEvent:
    """The event that announces `notification`, with the contract's identity added."""
    fields = notification.event_fields()
    metadata = dict(fields.pop("metadata"))
    result = notification.result
    metadata["check_key"] = result.key
    if result.unit:
        metadata["unit"] = result.unit
    if result.table:
        metadata["table"] = result.table
    # trace_id and traceparent: the delivery span joins the check's trace.
    metadata.update(trace or {})
    consumers: tuple[str, ...] = ()
    if contract is not None:
        metadata["tags"] = list(contract.tags)
        consumers = contract.consumers
        fields.update(domain=contract.domain, owner=contract.owner or contract.team)
    if overrides is not None and overrides.consumers:
        consumers = tuple(dict.fromkeys((*consumers, *overrides.consumers)))
    return ContractViolationEvent.model_validate(
        {**fields, "metadata": metadata, "affected_consumers": consumers}
    )
