"""`BaseCheck`: the shared run loop that makes every check total (it never raises).

A subclass implements `evaluate` and returns an `Outcome`; `run` adds identity and timing,
and turns exceptions into results: a missing table is a ``fail``, a catalog that cannot
answer an ``error`` (reason ``timeout`` or ``catalog_unavailable``), anything unexpected an
``error`` with the exception type in ``details``. `SkipCheck` ends a check as ``skipped``.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from pydantic import JsonValue

from floe_monitoring.checks.base import CheckResult, CheckStatus, CheckType, Clock, system_clock
from floe_monitoring.checks.iceberg_read import ColumnMissingError
from floe_monitoring.contracts.overrides import CheckThresholds, ContractOverrides
from floe_monitoring.errors import (
    CatalogError,
    CatalogNotConfiguredError,
    CatalogTimeoutError,
    TableNotFoundError,
)
from floe_monitoring.sdk.enums import Severity
from floe_monitoring.sdk.event import derive_dedup_key

if TYPE_CHECKING:
    from floe_monitoring.catalog.ref import TableRef
    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.contracts.model import Contract, SchemaObjectSpec

__all__ = ["BaseCheck", "Outcome", "SkipCheck"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What `evaluate` found; `BaseCheck.run` turns it into a `CheckResult`."""

    status: CheckStatus
    message: str
    severity: Severity | None = None
    measured_value: float | None = None
    threshold: float | None = None
    unit: str | None = None
    reason: str | None = None
    details: dict[str, JsonValue] = field(default_factory=dict)
    snapshot_id: int | None = None
    observed_schema: dict[str, JsonValue] | None = None
    observed_schema_fingerprint: str | None = None


class SkipCheck(Exception):  # a control-flow signal, not an error
    """Raised inside `evaluate` to end the check as ``skipped`` with a reason."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(message)


class BaseCheck(ABC):
    """A check of one contract's object (or column); subclasses implement `evaluate`.

    Attributes:
        contract_id: The contract this check belongs to (part of its key).
        object_name: The schema object whose table is read, or None.
        element: What the result names (``orders`` or ``orders.updated_at``).
        overrides: The contract's merged overrides from the monitor config.
        skip: ``(reason, message)`` when the plan already knows the check cannot run (an
            SLA element that names nothing): every run reports ``skipped``.

    """

    check_type: ClassVar[CheckType]
    #: Severity of a missing table for this check type.
    missing_table_severity: ClassVar[Severity] = Severity.ERROR

    def __init__(
        self,
        contract_id: str,
        *,
        object_name: str | None = None,
        element: str | None = None,
        overrides: ContractOverrides | None = None,
        skip: tuple[str, str] | None = None,
    ) -> None:
        self.contract_id = contract_id
        self.object_name = object_name
        self.element = element if element is not None else object_name
        self.overrides = overrides or ContractOverrides()
        self.skip = skip

    @property
    def key(self) -> str:
        """``<contract id>:<check type>:<element or *>``."""
        return derive_dedup_key(self.contract_id, self.check_type.value, self.element)

    @property
    def thresholds(self) -> CheckThresholds:
        """The threshold overrides that apply to this check."""
        return self.overrides.thresholds

    @property
    def timeout(self) -> float | None:
        """Per-call timeout override for catalog calls, if configured."""
        return self.overrides.timeout_seconds

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"

    @abstractmethod
    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Evaluate the check at ``now``; may raise (`run` classifies the exception)."""

    def on_catalog_error(self, exc: CatalogError) -> Outcome:
        """Turn a catalog error into an outcome; availability overrides this."""
        if isinstance(exc, TableNotFoundError):
            return Outcome(
                CheckStatus.FAIL,
                f"table {exc.catalog}:{exc.table} does not exist",
                severity=self.missing_table_severity,
                reason="table_missing",
            )
        if isinstance(exc, CatalogNotConfiguredError):
            reason = "catalog_not_configured"
        elif isinstance(exc, CatalogTimeoutError):
            reason = "timeout"
        else:
            reason = "catalog_unavailable"
        return Outcome(
            CheckStatus.ERROR, str(exc), reason=reason, details={"error_type": type(exc).__name__}
        )

    def table_object(self, contract: Contract) -> tuple[SchemaObjectSpec, TableRef]:
        """The checked object and its table; `SkipCheck` when it has no table mapping."""
        obj = contract.object(self.object_name) if self.object_name else None
        if obj is None:
            raise SkipCheck("unknown_object", f"contract has no schema object '{self.object_name}'")
        if obj.table is None:
            raise SkipCheck("no_table_mapping", f"schema object '{obj.name}' maps to no table")
        return obj, obj.table

    async def run(self, contract: Contract, table_source: TableSource, clock: Clock) -> CheckResult:
        """Evaluate now and return a result; never raises (cancellation still propagates)."""
        began = time.perf_counter()
        started: datetime | None = None
        try:
            now = clock()
            if not _aware(now):
                raise ValueError(f"the clock returned a naive or non-datetime value: {now!r}")
            started = now
            if self.skip is not None:
                raise SkipCheck(*self.skip)
            outcome = await self.evaluate(contract, table_source, now)
        except SkipCheck as skip:
            outcome = Outcome(CheckStatus.SKIPPED, skip.message, reason=skip.reason)
        except CatalogError as exc:
            outcome = self.on_catalog_error(exc)
        except ColumnMissingError as exc:
            # Schema drift reports the missing column; here it only means "cannot measure".
            outcome = Outcome(
                CheckStatus.ERROR,
                str(exc),
                reason="element_missing",
                details={"error_type": type(exc).__name__},
            )
        except Exception as exc:  # a check never raises
            logger.warning("check %s failed unexpectedly", self.key, exc_info=True)
            outcome = Outcome(
                CheckStatus.ERROR,
                f"check could not run: {type(exc).__name__}: {exc}"[:500],
                reason="internal_error",
                details={"error_type": type(exc).__name__},
            )
        moment = started if started is not None else system_clock()  # the clock failed
        seconds = time.perf_counter() - began
        try:
            return self._result(contract, outcome, moment, seconds)
        except ValueError as exc:  # an outcome the result model rejects (NaN, ...): a bug
            logger.warning("check %s produced an invalid result", self.key, exc_info=True)
            broken = Outcome(
                CheckStatus.ERROR,
                f"check produced an invalid result: {exc}"[:500],
                reason="internal_error",
                details={"error_type": type(exc).__name__},
            )
            return self._result(contract, broken, moment, seconds)

    def _result(
        self, contract: Contract, outcome: Outcome, started: datetime, seconds: float
    ) -> CheckResult:
        obj = contract.object(self.object_name) if self.object_name else None
        table = str(obj.table) if obj is not None and obj.table is not None else None
        return CheckResult(
            contract_id=contract.id,
            contract_name=contract.name,
            contract_version=contract.version,
            check_type=self.check_type,
            element=self.element,
            status=outcome.status,
            severity=outcome.severity,
            measured_value=outcome.measured_value,
            threshold=outcome.threshold,
            unit=outcome.unit,
            message=outcome.message,
            details=outcome.details,
            reason=outcome.reason,
            started_at=started,
            duration_seconds=max(seconds, 0.0),
            table=table,
            snapshot_id=outcome.snapshot_id,
            observed_schema=outcome.observed_schema,
            observed_schema_fingerprint=outcome.observed_schema_fingerprint,
        )


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None
