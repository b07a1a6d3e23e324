"""OpenLineage run events for one contract evaluation (pure: no I/O).

One evaluation (the results of one contract's checks written in one cycle) is one run of
the job named after the contract, job type ``TEST``:

- ``START`` at the first check's start, with every Iceberg table read as an input dataset
  (``schema``, ``catalog`` and ``version`` = snapshot id facets);
- ``COMPLETE`` when every check passed (or warned), ``FAIL`` when one failed or could not
  be evaluated (with an ``errorMessage`` run facet), at the last check's end; its inputs
  add ``dataQualityAssertions`` (one assertion per check) and, when a notification was
  raised for the table, the custom ``contractViolation`` facet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from importlib.metadata import version
from typing import Any, ClassVar
from uuid import UUID

import attr
from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    RunFacet,
    catalog_dataset,
    data_quality_assertions_dataset,
    dataset_version_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    processing_engine_run,
    schema_dataset,
)
from openlineage.client.uuid import generate_new_uuid

from floe_monitoring.checks.base import CheckResult, CheckStatus
from floe_monitoring.checks.schema_observed import ObservedField, parse_observed
from floe_monitoring.contracts.model import Contract, PropertySpec
from floe_monitoring.sdk.enums import EventStatus
from floe_monitoring.sdk.event import ContractViolationEvent
from floe_monitoring.sdk.lineage_facet import (
    CONTRACT_VIOLATION_FACET_NAME,
    FACET_PRODUCER,
    FACET_SCHEMA_URL,
    contract_violation_facet,
)
from floe_monitoring.telemetry.lineage_config import LineageConfig

__all__ = [
    "ASSERTIONS_FACET",
    "ContractViolationDatasetFacet",
    "EvaluationEvents",
    "build_evaluation_events",
]

#: The input facet with one assertion per check.
ASSERTIONS_FACET = "dataQualityAssertions"
#: Job facet values that say "a test run by floe".
JOB_TYPE = "TEST"
INTEGRATION = "FLOE"
PROCESSING_TYPE = "BATCH"
ENGINE_NAME = "floe-monitoring"

_PASSED = frozenset({CheckStatus.PASS, CheckStatus.WARN})
_UNHEALTHY = frozenset({CheckStatus.FAIL, CheckStatus.ERROR})
_MAX_ERROR_MESSAGE = 2000


@attr.define
class ContractViolationDatasetFacet(DatasetFacet):
    """The custom ``contractViolation`` dataset facet, as an OpenLineage typed facet.

    Its fields are those of `floe_monitoring.sdk.lineage_facet.contract_violation_facet`
    (the one builder), and its ``_schemaURL`` is the schema shipped with the SDK.
    """

    # OpenLineage field names are camelCase.
    contractName: str
    contractVersion: str
    violationType: str
    severity: str
    message: str
    timestamp: str
    contractId: str | None = attr.field(default=None)
    status: str | None = attr.field(default=None)
    element: str | None = attr.field(default=None)
    expectedValue: str | None = attr.field(default=None)
    actualValue: str | None = attr.field(default=None)
    eventId: str | None = attr.field(default=None)
    dedupKey: str | None = attr.field(default=None)

    _additional_skip_redact: ClassVar[list[str]] = ["contractName", "contractVersion"]

    @staticmethod
    def _get_schema() -> str:
        return FACET_SCHEMA_URL

    @classmethod
    def from_event(cls, event: ContractViolationEvent) -> ContractViolationDatasetFacet:
        """The facet of ``event``, built by the SDK's builder."""
        data = contract_violation_facet(event)
        producer = data.pop("_producer")
        data.pop("_schemaURL")
        return cls(producer=producer, **data)


@attr.define(frozen=True)
class EvaluationEvents:
    """The two events of one evaluation run."""

    run_id: UUID
    start: RunEvent
    end: RunEvent


def build_evaluation_events(
    contract: Contract,
    results: Sequence[CheckResult],
    events: Sequence[ContractViolationEvent] = (),
    *,
    config: LineageConfig | None = None,
) -> EvaluationEvents:
    """Build the ``START`` and ``COMPLETE``/``FAIL`` events of one contract evaluation.

    Args:
        contract: The contract evaluated.
        results: Its check results in this evaluation (at least one).
        events: The notifications raised from them (for the ``contractViolation`` facet).
        config: Naming and catalog description.

    Raises:
        ValueError: No results were given.
    """
    if not results:
        raise ValueError("an evaluation needs at least one check result")
    config = config or LineageConfig()
    started = min(r.started_at for r in results)
    ended = max(r.started_at + timedelta(seconds=r.duration_seconds) for r in results)
    run_id = generate_new_uuid(started)
    job = _job(contract, config)
    by_table = _results_by_table(contract, results)
    failed = [r for r in results if r.status in _UNHEALTHY]

    start = RunEvent(
        eventType=RunState.START,
        eventTime=_iso(started),
        run=Run(runId=str(run_id), facets=_run_facets()),
        job=job,
        inputs=[
            _input(contract, table, rows, config, events=(), assertions=False)
            for table, rows in by_table.items()
        ],
        producer=FACET_PRODUCER,
    )
    end_facets = _run_facets()
    if failed:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=_failure_summary(failed, len(results)),
            programmingLanguage="python",
            producer=FACET_PRODUCER,
        )
    end = RunEvent(
        eventType=RunState.FAIL if failed else RunState.COMPLETE,
        eventTime=_iso(ended),
        run=Run(runId=str(run_id), facets=end_facets),
        job=job,
        inputs=[
            _input(contract, table, rows, config, events=events, assertions=True)
            for table, rows in by_table.items()
        ],
        producer=FACET_PRODUCER,
    )
    return EvaluationEvents(run_id, start, end)


# -- job and run -------------------------------------------------------------------------


def _job(contract: Contract, config: LineageConfig) -> Job:
    facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType=PROCESSING_TYPE,
            integration=INTEGRATION,
            jobType=JOB_TYPE,
            producer=FACET_PRODUCER,
        ),
        "documentation": documentation_job.DocumentationJobFacet(
            description=(
                f"Run-time checks of data contract {contract.name} {contract.version} "
                f"({contract.id}) by floe monitoring."
            ),
            producer=FACET_PRODUCER,
        ),
    }
    return Job(namespace=config.namespace, name=contract.id, facets=facets)


def _run_facets() -> dict[str, RunFacet]:
    return {
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=version("floe-monitoring-core"),
            name=ENGINE_NAME,
            openlineageAdapterVersion=version("openlineage-python"),
            producer=FACET_PRODUCER,
        )
    }


def _failure_summary(failed: Sequence[CheckResult], total: int) -> str:
    lines = [f"{len(failed)} of {total} checks did not pass:"]
    for result in failed:
        where = result.element or result.table or "*"
        lines.append(
            f"- {result.check_type.value} {where}: {result.status.value}: {result.message}"
        )
    return "\n".join(lines)[:_MAX_ERROR_MESSAGE]


# -- datasets ----------------------------------------------------------------------------


def _results_by_table(
    contract: Contract, results: Sequence[CheckResult]
) -> dict[str, list[CheckResult]]:
    grouped: dict[str, list[CheckResult]] = defaultdict(list)
    for result in results:
        table = result.table or _table_of_element(contract, result.element)
        if table is not None:
            grouped[table].append(result)
    return dict(grouped)


def _table_of_element(contract: Contract, element: str | None) -> str | None:
    # Results that read no table (skipped, errors before the read) belong to the table
    # their element names, or to the contract's only table.
    found = contract.resolve_element(element) if element else None
    if found is not None and found[0].table is not None:
        return str(found[0].table)
    mapped = [obj.table for obj in contract.objects if obj.table is not None]
    return str(mapped[0]) if len(mapped) == 1 else None


def _input(
    contract: Contract,
    table: str,
    results: Sequence[CheckResult],
    config: LineageConfig,
    *,
    events: Sequence[ContractViolationEvent],
    assertions: bool,
) -> InputDataset:
    catalog, _, identifier = table.partition(":")
    facets: dict[str, DatasetFacet] = {
        "catalog": _catalog_facet(contract, catalog, config),
    }
    schema = _schema_facet(contract, table, results)
    if schema is not None:
        facets["schema"] = schema
    snapshot = _latest_snapshot(results)
    if snapshot is not None:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=str(snapshot), producer=FACET_PRODUCER
        )
    input_facets: dict[str, InputDatasetFacet] = {}
    if assertions:
        violation = _violation_for(table, events, contract)
        if violation is not None:
            facets[CONTRACT_VIOLATION_FACET_NAME] = ContractViolationDatasetFacet.from_event(
                violation
            )
        input_facets[ASSERTIONS_FACET] = _assertions(contract, results)
    return InputDataset(
        namespace=config.dataset_namespace(catalog),
        name=identifier,
        facets=facets,
        inputFacets=input_facets,
    )


def _catalog_facet(
    contract: Contract, catalog: str, config: LineageConfig
) -> catalog_dataset.CatalogDatasetFacet:
    warehouse = config.catalog_warehouses.get(catalog)
    server = contract.iceberg_server
    if warehouse is None and server is not None and server.catalog in (None, catalog):
        warehouse = server.warehouse
    return catalog_dataset.CatalogDatasetFacet(
        framework="iceberg",
        type=config.catalog_types.get(catalog, "unknown"),
        name=catalog,
        warehouseUri=warehouse,
        source="floe-monitoring",
        producer=FACET_PRODUCER,
    )


def _latest_snapshot(results: Sequence[CheckResult]) -> int | None:
    with_snapshot = [r for r in results if r.snapshot_id is not None]
    if not with_snapshot:
        return None
    return max(with_snapshot, key=lambda r: r.started_at).snapshot_id


def _schema_facet(
    contract: Contract, table: str, results: Sequence[CheckResult]
) -> schema_dataset.SchemaDatasetFacet | None:
    # The observed schema (what the table really has) beats the contract's promise.
    observed = [r for r in results if r.observed_schema is not None]
    if observed:
        latest = max(observed, key=lambda r: r.started_at)
        fields = _observed_fields(parse_observed(latest.observed_schema))
    else:
        obj = next((o for o in contract.objects if o.table and str(o.table) == table), None)
        if obj is None or not obj.properties:
            return None
        fields = [_declared_field(prop) for prop in obj.properties]
    return schema_dataset.SchemaDatasetFacet(fields=fields, producer=FACET_PRODUCER)


def _observed_fields(
    observed: Sequence[ObservedField],
) -> list[schema_dataset.SchemaDatasetFacetFields]:
    # Paths are parent-first (``addr`` before ``addr.city``): nest children under parents.
    by_path: dict[str, schema_dataset.SchemaDatasetFacetFields] = {}
    top: list[schema_dataset.SchemaDatasetFacetFields] = []
    for field in observed:
        parent_path, _, name = field.path.rpartition(".")
        node = schema_dataset.SchemaDatasetFacetFields(name=name, type=field.type, fields=[])
        by_path[field.path] = node
        parent = by_path.get(parent_path) if parent_path else None
        if parent is None:
            top.append(node)
        else:
            assert parent.fields is not None  # built with a list just above
            parent.fields.append(node)
    return top


def _declared_field(prop: PropertySpec) -> schema_dataset.SchemaDatasetFacetFields:
    children = [_declared_field(p) for p in prop.properties]
    return schema_dataset.SchemaDatasetFacetFields(
        name=prop.column, type=prop.physical_type or prop.logical_type, fields=children
    )


# -- assertions and violations ---------------------------------------------------------


def _assertions(
    contract: Contract, results: Sequence[CheckResult]
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    assertions = [_assertion(contract, r) for r in results if r.status is not CheckStatus.SKIPPED]
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=assertions, producer=FACET_PRODUCER
    )


def _assertion(
    contract: Contract, result: CheckResult
) -> data_quality_assertions_dataset.Assertion:
    params: dict[str, Any] = {"status": result.status.value}
    if result.unit:
        params["unit"] = result.unit
    if result.reason:
        params["reason"] = result.reason
    subject = result.element or result.table or contract.name
    return data_quality_assertions_dataset.Assertion(
        assertion=result.check_type.value,
        # An error means the promise could not be verified: not a success.
        success=result.status in _PASSED,
        column=_column_of(contract, result.element),
        severity=result.severity.value if result.severity is not None else None,
        name=result.key,
        description=f"{result.check_type.value} of {subject}: {result.message}",
        expected=_number(result.threshold),
        actual=_number(result.measured_value),
        params=params,
    )


def _column_of(contract: Contract, element: str | None) -> str | None:
    found = contract.resolve_element(element) if element else None
    if found is None or found[1] is None:
        return None
    return found[1].column


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if value.is_integer() else repr(value)


def _violation_for(
    table: str, events: Sequence[ContractViolationEvent], contract: Contract
) -> ContractViolationEvent | None:
    # One facet per dataset: the most severe firing notification, else the latest one.
    mine = [e for e in events if _event_table(e, contract) == table]
    if not mine:
        return None
    firing = [e for e in mine if e.status is EventStatus.FIRING]
    if firing:
        return max(firing, key=lambda e: (e.severity.rank, e.timestamp))
    return max(mine, key=lambda e: e.timestamp)


def _event_table(event: ContractViolationEvent, contract: Contract) -> str | None:
    table = event.metadata.get("table")
    if isinstance(table, str):
        return table
    return _table_of_element(contract, event.element)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
