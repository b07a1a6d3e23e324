"""Lifecycle: ``endOfSupport``/``endOfLife`` dates and the contract's status.

Needs no table. ``fail`` once past end of life (or ``status: retired``); ``warn`` past end
of support (or ``status: deprecated``), and with info within the notice period (default
30 days) before either date.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from floe_monitoring.checks.base import CheckStatus, CheckType, result_details
from floe_monitoring.checks.runner import BaseCheck, Outcome, SkipCheck
from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.contracts.model import Contract

__all__ = ["LifecycleCheck"]


class LifecycleCheck(BaseCheck):
    """Warn before and at end of support, fail at end of life."""

    check_type = CheckType.LIFECYCLE

    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Compare the lifecycle dates and status with ``now``."""
        support = _date(contract, "endOfSupport")
        life = _date(contract, "endOfLife")
        problems = [s.problem for s in contract.sla_properties("endOfSupport", "endOfLife")]
        status_text = (contract.status or "").lower()
        if support is None and life is None and status_text not in ("deprecated", "retired"):
            reason = "; ".join(p for p in problems if p) or "no endOfSupport/endOfLife dates"
            raise SkipCheck("invalid_sla" if any(problems) else "no_dates", reason)
        details = result_details(end_of_support=support, end_of_life=life, status=contract.status)
        notice = self.thresholds.lifecycle_notice
        if (life is not None and now >= life) or status_text == "retired":
            when = f"reached end of life on {life:%Y-%m-%d}" if life else "is retired"
            return Outcome(
                CheckStatus.FAIL,
                f"contract {when}",
                Severity.ERROR,
                reason="end_of_life",
                details=details,
            )
        if (support is not None and now >= support) or status_text == "deprecated":
            when = f"is past end of support ({support:%Y-%m-%d})" if support else "is deprecated"
            return Outcome(
                CheckStatus.WARN,
                f"contract {when}",
                Severity.WARNING,
                reason="end_of_support",
                details=details,
            )
        upcoming = [d for d in (support, life) if d is not None and d - now <= notice]
        if upcoming:
            return Outcome(
                CheckStatus.WARN,
                f"contract reaches end of support/life on {min(upcoming):%Y-%m-%d}",
                Severity.INFO,
                reason="approaching",
                details=details,
            )
        return Outcome(CheckStatus.PASS, "contract is within its supported life", details=details)


def _date(contract: Contract, name: str) -> datetime | None:
    dates = [s.date for s in contract.sla_properties(name) if s.date is not None]
    return min(dates) if dates else None
