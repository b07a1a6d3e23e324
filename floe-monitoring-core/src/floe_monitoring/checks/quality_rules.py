"""Quality rules without data: operators, outcomes, the weighted score, the engine hook.

Pure logic, no PyArrow: `quality_arrow` computes the metrics, this module judges them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import JsonValue

from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.contracts.model import QualityRule

__all__ = [
    "SEVERITY_WEIGHTS",
    "QualityEngine",
    "RuleOutcome",
    "RuleStatus",
    "judge",
    "quality_score",
    "rule_severity",
]

#: Default weight of a rule in the quality score, by its severity.
SEVERITY_WEIGHTS = {Severity.INFO: 1.0, Severity.WARNING: 2.0, Severity.ERROR: 3.0}
SEVERITY_WEIGHTS[Severity.CRITICAL] = 5.0

RuleStatus = Literal["pass", "fail", "skipped", "error"]


@dataclass(frozen=True)
class RuleOutcome:
    """The outcome of one quality rule."""

    key: str
    status: RuleStatus
    severity: Severity
    weight: float
    value: float | None = None
    expected: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        """The outcome as a JSON object (for result details)."""
        return {
            "rule": self.key,
            "status": self.status,
            "severity": self.severity.value,
            "value": self.value,
            "expected": self.expected,
            "message": self.message,
        }


class QualityEngine(Protocol):
    """An external quality engine (Soda, Great Expectations...) for ``custom`` rules.

    ``evaluate`` runs in the catalog worker thread with the loaded table; it may scan it.
    An exception becomes the rule's ``error`` outcome.
    """

    name: str

    def supports(self, rule: QualityRule) -> bool:
        """Whether this engine evaluates ``rule`` (usually: ``rule.engine == name``)."""
        ...

    def evaluate(self, rule: QualityRule, table: Table) -> RuleOutcome:
        """Evaluate ``rule`` against ``table``."""
        ...


def rule_severity(rule: QualityRule) -> Severity:
    """The rule's severity (``error`` when absent or unknown)."""
    try:
        return Severity((rule.severity or "error").strip().lower())
    except ValueError:
        return Severity.ERROR


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def judge(value: float, operators: dict[str, Any]) -> tuple[bool, str]:
    """Apply every ``mustBe...`` operator to ``value``; return (holds, expectation text).

    Raises:
        ValueError: An operator has a value it cannot compare (``mustBeBetween: [1]``).

    """
    results: list[bool] = []
    texts: list[str] = []
    for name, operand in operators.items():
        if name in ("mustBeBetween", "mustNotBeBetween"):
            if not isinstance(operand, list | tuple) or len(operand) != 2:
                raise ValueError(f"{name} needs two numbers")
            low, high = sorted(float(x) for x in operand)
            inside = low <= value <= high
            results.append(inside if name == "mustBeBetween" else not inside)
            texts.append(f"{'' if name == 'mustBeBetween' else 'not '}between {low:g} and {high:g}")
            continue
        number = _num(operand)
        if name in ("mustBe", "mustNotBe"):
            equal = value == number if number is not None else str(value) == str(operand)
            results.append(equal if name == "mustBe" else not equal)
            texts.append(f"{'=' if name == 'mustBe' else '!='} {operand}")
            continue
        if number is None:
            raise ValueError(f"{name} needs a number, not {operand!r}")
        op, holds = {
            "mustBeGreaterThan": (">", value > number),
            "mustBeGreaterOrEqualTo": (">=", value >= number),
            "mustBeLessThan": ("<", value < number),
            "mustBeLessOrEqualTo": ("<=", value <= number),
        }[name]
        results.append(holds)
        texts.append(f"{op} {number:g}")
    return all(results), " and ".join(texts)


def quality_score(outcomes: Iterable[RuleOutcome]) -> float | None:
    """Weighted share of passing rules among those evaluated (pass or fail), or None."""
    total = passed = 0.0
    for outcome in outcomes:
        if outcome.status not in ("pass", "fail"):
            continue
        total += outcome.weight
        if outcome.status == "pass":
            passed += outcome.weight
    return None if total == 0 else passed / total
