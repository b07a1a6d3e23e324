"""The OpenLineage `contractViolation` dataset facet, and the JSON schema it follows."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from floe_monitoring.sdk.event import ContractViolationEvent

__all__ = [
    "CONTRACT_VIOLATION_FACET_NAME",
    "FACET_PRODUCER",
    "FACET_SCHEMA_URL",
    "contract_violation_facet",
    "contract_violation_facet_schema",
]

CONTRACT_VIOLATION_FACET_NAME = "contractViolation"
FACET_PRODUCER = "https://github.com/floe-monitoring/floe-monitoring/tree/main/floe-monitoring-core"
FACET_SCHEMA_URL = (
    "https://github.com/floe-monitoring/floe-monitoring/blob/main/floe-monitoring-core/"
    "src/floe_monitoring/sdk/schemas/ContractViolationDatasetFacet.json"
    "#/$defs/ContractViolationDatasetFacet"
)


def contract_violation_facet(event: ContractViolationEvent) -> dict[str, Any]:
    """Render the event as the custom `contractViolation` OpenLineage dataset facet."""
    return {
        "_producer": FACET_PRODUCER,
        "_schemaURL": FACET_SCHEMA_URL,
        "contractName": event.contract_name,
        "contractVersion": event.contract_version,
        "contractId": event.contract_id,
        "violationType": event.violation_type.value,
        "severity": event.severity.value,
        "status": event.status.value,
        "message": event.message,
        "element": event.element,
        "expectedValue": event.expected_value,
        "actualValue": event.actual_value,
        "timestamp": event.timestamp.isoformat().replace("+00:00", "Z"),
        "eventId": str(event.event_id),
        "dedupKey": event.dedup_key,
    }


@cache
def contract_violation_facet_schema() -> dict[str, Any]:
    """The facet's JSON schema (draft 2020-12), as shipped inside this package."""
    text = (
        files("floe_monitoring.sdk") / "schemas" / "ContractViolationDatasetFacet.json"
    ).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
