"""Checks: freshness, schema drift, quality, availability, retention, frequency, lifecycle.

Every check is `async run(contract, table_source, clock) -> CheckResult` and never raises.
`checks_for_contract` builds the list a contract implies. Importing this package does not
import PyIceberg, PyArrow or DuckDB; checks import them when they read a table.
"""

from floe_monitoring.checks.availability import (
    AvailabilityCheck,
    AvailabilityWindow,
    availability_window,
)
from floe_monitoring.checks.base import (
    DEFAULT_CHECK_TIMEOUT,
    Check,
    CheckResult,
    CheckStatus,
    CheckType,
    Clock,
    system_clock,
)
from floe_monitoring.checks.frequency import FrequencyCheck
from floe_monitoring.checks.freshness import FreshnessCheck
from floe_monitoring.checks.lifecycle import LifecycleCheck
from floe_monitoring.checks.plan import checks_for_contract
from floe_monitoring.checks.quality import QualityCheck
from floe_monitoring.checks.quality_rules import QualityEngine, RuleOutcome, quality_score
from floe_monitoring.checks.retention import RetentionCheck
from floe_monitoring.checks.runner import BaseCheck, Outcome, SkipCheck
from floe_monitoring.checks.schema_drift import SchemaDriftCheck
from floe_monitoring.checks.severity import consumption

__all__ = [
    "DEFAULT_CHECK_TIMEOUT",
    "AvailabilityCheck",
    "AvailabilityWindow",
    "BaseCheck",
    "Check",
    "CheckResult",
    "CheckStatus",
    "CheckType",
    "Clock",
    "FrequencyCheck",
    "FreshnessCheck",
    "LifecycleCheck",
    "Outcome",
    "QualityCheck",
    "QualityEngine",
    "RetentionCheck",
    "RuleOutcome",
    "SchemaDriftCheck",
    "SkipCheck",
    "availability_window",
    "checks_for_contract",
    "consumption",
    "quality_score",
    "system_clock",
]
