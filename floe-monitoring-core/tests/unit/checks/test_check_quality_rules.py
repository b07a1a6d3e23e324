"""Quality operators, severities and the weighted score (no data needed)."""

from __future__ import annotations

from typing import Any

import pytest

from floe_monitoring.checks import RuleOutcome, quality_score
from floe_monitoring.checks.quality_rules import judge, rule_severity
from floe_monitoring.contracts import QualityRule
from floe_monitoring.sdk.enums import Severity


@pytest.mark.parametrize(
    ("value", "operators", "holds", "expected"),
    [
        (0, {"mustBe": 0}, True, "= 0"),
        (1, {"mustBe": 0}, False, "= 0"),
        (1, {"mustNotBe": 0}, True, "!= 0"),
        (5, {"mustBeGreaterThan": 5}, False, "> 5"),
        (6, {"mustBeGreaterThan": 5}, True, "> 5"),
        (5, {"mustBeGreaterOrEqualTo": 5}, True, ">= 5"),
        (5, {"mustBeLessThan": 5}, False, "< 5"),
        (5, {"mustBeLessOrEqualTo": 5}, True, "<= 5"),
        (5, {"mustBeBetween": [10, 1]}, True, "between 1 and 10"),
        (11, {"mustBeBetween": [1, 10]}, False, "between 1 and 10"),
        (11, {"mustNotBeBetween": [1, 10]}, True, "not between 1 and 10"),
        (5, {"mustBeGreaterThan": 1, "mustBeLessThan": 4}, False, "> 1 and < 4"),
        (2.5, {"mustBe": "2.5"}, True, "= 2.5"),
    ],
)
def test_operators(value: float, operators: dict[str, Any], holds: bool, expected: str) -> None:
    assert judge(value, operators) == (holds, expected)


@pytest.mark.parametrize(
    "operators",
    [{"mustBeBetween": [1]}, {"mustBeGreaterThan": "many"}, {"mustNotBeBetween": 3}],
)
def test_malformed_operators(operators: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="needs"):
        judge(1, operators)


def _rule(**kwargs: Any) -> QualityRule:
    return QualityRule.model_validate({"key": "r", "object_name": "t", **kwargs})


def test_rule_severity_defaults_to_error() -> None:
    assert rule_severity(_rule()) is Severity.ERROR
    assert rule_severity(_rule(severity="Warning")) is Severity.WARNING
    assert rule_severity(_rule(severity="blocker")) is Severity.ERROR


def _outcome(status: str, weight: float) -> RuleOutcome:
    return RuleOutcome("r", status, Severity.ERROR, weight)  # type: ignore[arg-type]


def test_weighted_score_ignores_skipped_and_errors() -> None:
    outcomes = [
        _outcome("pass", 3),
        _outcome("fail", 1),
        _outcome("skipped", 5),
        _outcome("error", 5),
    ]
    assert quality_score(outcomes) == 0.75
    assert quality_score([_outcome("skipped", 1)]) is None
    assert quality_score([]) is None
