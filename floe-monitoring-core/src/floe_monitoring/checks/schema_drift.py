"""Schema drift: the table's current Iceberg schema against the contract's properties.

The result carries the observed schema (``observed_schema`` and its fingerprint) so the
engine can store it and hand it back next time (`SchemaDriftCheck.with_previous`): then a
change is reported as "changed since last run" even when the table still complies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from floe_monitoring.checks.base import CheckStatus, CheckType
from floe_monitoring.checks.runner import BaseCheck, Outcome, SkipCheck
from floe_monitoring.checks.schema_observed import (
    ObservedField,
    diff_observed,
    fingerprint,
    parse_observed,
    to_json,
)
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.contracts.model import Contract

__all__ = ["SchemaDriftCheck"]


@dataclass(frozen=True)
class _Observed:
    schema_id: int
    fields: list[ObservedField]
    history: list[list[ObservedField]]
    snapshot_id: int | None


class SchemaDriftCheck(BaseCheck):
    """Compare the table's schema with the contract (recursively for nested fields)."""

    check_type = CheckType.SCHEMA_DRIFT
    # The whole table gone is every column removed.
    missing_table_severity = Severity.CRITICAL

    def __init__(
        self,
        contract_id: str,
        *,
        object_name: str,
        previous_observed: dict[str, Any] | None = None,
        overrides: ContractOverrides | None = None,
    ) -> None:
        super().__init__(contract_id, object_name=object_name, overrides=overrides)
        self.previous_observed = previous_observed

    def with_previous(self, observed: dict[str, Any] | None) -> SchemaDriftCheck:
        """A copy that compares against ``observed`` (a stored ``result.observed_schema``)."""
        return SchemaDriftCheck(
            self.contract_id,
            object_name=self.object_name or "",
            previous_observed=observed,
            overrides=self.overrides,
        )

    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Observe the schema, compare it with the contract and with the previous run."""
        from floe_monitoring.checks.schema_compare import compare_schema

        obj, ref = self.table_object(contract)
        if not obj.properties:
            raise SkipCheck("no_properties", f"schema object '{obj.name}' declares no properties")
        observed = await source.with_table(ref, _observe, call_timeout=self.timeout)
        previous = parse_observed(self.previous_observed)
        history = [*observed.history, previous] if previous else observed.history
        changes, notes = compare_schema(
            obj.properties,
            observed.fields,
            history,
            allow_extra_columns=self.thresholds.allow_extra_columns,
        )
        since_last = diff_observed(previous, observed.fields) if previous else []
        schema_json = to_json(observed.schema_id, observed.fields)
        print_ = fingerprint(observed.fields)
        # Remember it, so the next run of this same instance also sees the change.
        self.previous_observed = schema_json
        details: dict[str, JsonValue] = {
            "schema_id": observed.schema_id,
            "changes": [c.to_json() for c in changes],
            "changed_since_last_run": bool(since_last),
        }
        if since_last:
            details["changes_since_last_run"] = list(since_last)
        if notes:
            details["notes"] = list(notes)
        worst = max((c.severity for c in changes), default=None)
        if worst is not None and worst >= Severity.ERROR:
            status = CheckStatus.FAIL
        elif worst is not None or since_last:
            status = CheckStatus.WARN
        else:
            status = CheckStatus.PASS
        if changes:
            message = "; ".join(c.message for c in changes[:3])
            message += f" (and {len(changes) - 3} more)" if len(changes) > 3 else ""
        elif since_last:
            message = "schema changed since the last run (still compliant): " + "; ".join(
                since_last[:3]
            )
            worst = Severity.INFO
        else:
            message = f"{ref.identifier} matches the contract"
        return Outcome(
            status,
            message,
            severity=worst,
            measured_value=float(len(changes)),
            threshold=0.0,
            unit="{change}",
            reason=changes[0].kind if changes else ("changed" if since_last else None),
            details=details,
            snapshot_id=observed.snapshot_id,
            observed_schema=schema_json,
            observed_schema_fingerprint=print_,
        )


def _observe(table: Table) -> _Observed:
    from floe_monitoring.checks.schema_observed import observe_schema

    schema = table.schema()
    history = [
        observe_schema(old)
        for schema_id, old in sorted(table.schemas().items(), reverse=True)
        if schema_id != schema.schema_id
    ]
    snapshot = table.current_snapshot()
    return _Observed(
        schema_id=schema.schema_id,
        fields=observe_schema(schema),
        history=history,
        snapshot_id=snapshot.snapshot_id if snapshot else None,
    )
