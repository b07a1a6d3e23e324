"""Quality: the contract's ODCS quality rules against the table, with a weighted score.

Status: ``fail`` when a rule of severity error/critical fails (or the score is below the
configured minimum), ``warn`` when only info/warning rules fail, ``error`` when a rule
could not be computed and none failed, ``skipped`` when no rule could be evaluated.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from floe_monitoring.checks.base import CheckStatus, CheckType
from floe_monitoring.checks.quality_rules import QualityEngine, RuleOutcome, quality_score
from floe_monitoring.checks.runner import BaseCheck, Outcome, SkipCheck
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.contracts.model import Contract, SchemaObjectSpec

__all__ = ["QualityCheck"]


class QualityCheck(BaseCheck):
    """Evaluate every quality rule of one schema object in one table read."""

    check_type = CheckType.QUALITY

    def __init__(
        self,
        contract_id: str,
        *,
        object_name: str,
        engines: Sequence[QualityEngine] = (),
        overrides: ContractOverrides | None = None,
    ) -> None:
        super().__init__(contract_id, object_name=object_name, overrides=overrides)
        self.engines = tuple(engines)

    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Compute the rules' metrics and judge them."""
        obj, ref = self.table_object(contract)
        if not obj.quality:
            raise SkipCheck("no_rules", f"schema object '{obj.name}' has no quality rules")
        # A module-level read with plain arguments: it can be sent to a worker process.
        read = functools.partial(_run_rules, obj, self.engines)
        outcomes, snapshot_id = await source.with_table(ref, read, call_timeout=self.timeout)
        return self._judge(outcomes, snapshot_id)

    def _judge(self, outcomes: list[RuleOutcome], snapshot_id: int | None) -> Outcome:
        score = quality_score(outcomes)
        minimum = self.thresholds.min_quality_score
        failed = [o for o in outcomes if o.status == "fail"]
        errors = [o for o in outcomes if o.status == "error"]
        base = Outcome(
            CheckStatus.PASS,
            f"all {len(outcomes)} rules hold (score {score or 0:.2f})",
            measured_value=score,
            threshold=minimum,
            unit="1",
            details={
                "rules": [o.to_json() for o in outcomes],
                "passed": sum(o.status == "pass" for o in outcomes),
                "failed": len(failed),
                "errors": len(errors),
                "skipped": sum(o.status == "skipped" for o in outcomes),
            },
            snapshot_id=snapshot_id,
        )
        worst = max((o.severity for o in failed), default=None)
        below = minimum is not None and score is not None and score < minimum
        if below or (worst is not None and worst >= Severity.ERROR):
            message = (
                _summary(failed, score)
                if failed
                else f"quality score {score or 0:.2f} is below the minimum {minimum or 0:.2f}"
            )
            severity = max(worst or Severity.ERROR, Severity.ERROR)
            return replace(
                base,
                status=CheckStatus.FAIL,
                message=message,
                severity=severity,
                reason="rules_failed",
            )
        if failed:
            return replace(
                base,
                status=CheckStatus.WARN,
                message=_summary(failed, score),
                severity=worst,
                reason="rules_failed",
            )
        if errors:
            text = "; ".join(f"{o.key}: {o.message}" for o in errors[:3])
            return replace(
                base,
                status=CheckStatus.ERROR,
                message=f"rules could not run: {text}",
                reason="rule_error",
            )
        if score is None:
            text = "; ".join(f"{o.key}: {o.message}" for o in outcomes[:3])
            return replace(
                base,
                status=CheckStatus.SKIPPED,
                message=f"no rule could be evaluated: {text}",
                reason="no_evaluable_rules",
            )
        return base


def _run_rules(
    obj: SchemaObjectSpec, engines: Sequence[QualityEngine], table: Table
) -> tuple[list[RuleOutcome], int | None]:
    """In a worker: evaluate ``obj``'s quality rules on ``table``."""
    from floe_monitoring.checks.quality_arrow import evaluate_rules

    snapshot = table.current_snapshot()
    return evaluate_rules(table, obj, engines), snapshot.snapshot_id if snapshot else None


def _summary(failed: list[RuleOutcome], score: float | None) -> str:
    text = "; ".join(f"{o.key}: {o.message}" for o in failed[:3])
    more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
    shown = f"score {score:.2f}" if score is not None else "no score"
    return f"{len(failed)} quality rule(s) failed ({shown}): {text}{more}"
