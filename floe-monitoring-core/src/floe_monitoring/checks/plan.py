"""Which checks a contract implies: one per (check type, element).

- freshness: each ``latency``/``freshness`` SLA, per element (``table.column`` uses the
  column's max; a table name or no element uses the newest data snapshot of each table);
- schema_drift: each schema object with properties;
- quality: each schema object with quality rules;
- availability: each schema object (the target from an ``availability`` SLA, if any);
- retention / frequency: each such SLA, per element;
- lifecycle: once per contract with ``endOfSupport``/``endOfLife`` or a deprecated status.

Checks disabled in the overrides are left out; a disabled contract has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from floe_monitoring.checks.availability import AvailabilityCheck
from floe_monitoring.checks.frequency import FrequencyCheck
from floe_monitoring.checks.freshness import FreshnessCheck
from floe_monitoring.checks.lifecycle import LifecycleCheck
from floe_monitoring.checks.quality import QualityCheck
from floe_monitoring.checks.quality_rules import QualityEngine
from floe_monitoring.checks.retention import RetentionCheck
from floe_monitoring.checks.runner import BaseCheck
from floe_monitoring.checks.schema_drift import SchemaDriftCheck
from floe_monitoring.contracts.model import Contract, SlaProperty
from floe_monitoring.contracts.overrides import ContractOverrides

__all__ = ["checks_for_contract"]


def checks_for_contract(
    contract: Contract,
    overrides: ContractOverrides | None = None,
    *,
    engines: Sequence[QualityEngine] = (),
    previous_observed: Mapping[str, dict[str, Any]] | None = None,
) -> list[BaseCheck]:
    """Build the checks ``contract`` implies, in a stable order, unique by key.

    Args:
        contract: The loaded contract (tables already mapped).
        overrides: Its merged overrides (thresholds, disabled checks).
        engines: External quality engines for ``custom`` rules.
        previous_observed: Stored ``observed_schema`` by check key, for schema drift.

    """
    overrides = overrides or ContractOverrides()
    if not overrides.enabled:
        return []
    cid = contract.id
    found: list[BaseCheck] = []
    for sla in (*contract.sla_properties("latency"), *contract.sla_properties("freshness")):
        for element, obj, column, skip in _targets(contract, sla):
            found.append(
                FreshnessCheck(
                    cid,
                    object_name=obj,
                    threshold=sla.duration,
                    column=column,
                    element=element,
                    problem=sla.problem,
                    overrides=overrides,
                    skip=skip,
                )
            )
    previous = previous_observed or {}
    targets = _availability_targets(contract)
    for spec in contract.objects:
        if spec.properties:
            drift = SchemaDriftCheck(cid, object_name=spec.name, overrides=overrides)
            found.append(drift.with_previous(previous.get(drift.key)))
        if spec.quality:
            found.append(
                QualityCheck(cid, object_name=spec.name, engines=engines, overrides=overrides)
            )
        target = targets.get(spec.name, targets.get(""))
        found.append(
            AvailabilityCheck(cid, object_name=spec.name, target=target, overrides=overrides)
        )
    for sla in contract.sla_properties("retention"):
        for element, obj, column, skip in _targets(contract, sla):
            found.append(
                RetentionCheck(
                    cid,
                    object_name=obj,
                    period=sla.duration,
                    column=column,
                    element=element,
                    driver=sla.driver,
                    problem=sla.problem,
                    overrides=overrides,
                    skip=skip,
                )
            )
    for sla in contract.sla_properties("frequency"):
        for element, obj, _, skip in _targets(contract, sla):
            found.append(
                FrequencyCheck(
                    cid,
                    object_name=obj,
                    period=sla.duration,
                    element=element,
                    problem=sla.problem,
                    overrides=overrides,
                    skip=skip,
                )
            )
    if contract.sla_properties("endOfSupport", "endOfLife") or (
        (contract.status or "").lower() in ("deprecated", "retired")
    ):
        found.append(LifecycleCheck(cid, overrides=overrides))
    return _unique(c for c in found if overrides.is_enabled(c.check_type))


def _unique(checks: Any) -> list[BaseCheck]:
    seen: set[str] = set()
    unique: list[BaseCheck] = []
    for check in checks:
        if check.key not in seen:  # e.g. latency and freshness on one element: latency wins
            seen.add(check.key)
            unique.append(check)
    return unique


def _targets(
    contract: Contract, sla: SlaProperty
) -> list[tuple[str, str, str | None, tuple[str, str] | None]]:
    """(element, object name, column, skip) for each element the SLA applies to."""
    text = sla.element or contract.sla_default_element
    if not text:
        return [(obj.name, obj.name, None, None) for obj in contract.objects]
    targets: list[tuple[str, str, str | None, tuple[str, str] | None]] = []
    for element in (part.strip() for part in text.split(",") if part.strip()):
        resolved = contract.resolve_element(element)
        if resolved is None:
            skip = ("unknown_element", f"SLA element '{element}' matches no schema object/column")
            targets.append((element, element.split(".")[0], None, skip))
            continue
        obj, prop = resolved
        targets.append((element, obj.name, prop.column if prop else None, None))
    return targets


def _availability_targets(contract: Contract) -> dict[str, float]:
    """Availability target per object name ("" for the whole contract)."""
    targets: dict[str, float] = {}
    for sla in contract.sla_properties("availability"):
        if sla.percent is None:
            continue
        resolved = contract.resolve_element(sla.element) if sla.element else None
        targets.setdefault(resolved[0].name if resolved else "", sla.percent)
    return targets
