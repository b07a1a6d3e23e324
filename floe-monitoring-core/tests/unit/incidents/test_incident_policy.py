"""The policy: the spec's defaults, overrides, and values it refuses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from floe_monitoring.checks import CheckType
from floe_monitoring.incidents import IncidentPolicy
from floe_monitoring.sdk.enums import Severity


def test_defaults_are_the_spec_numbers() -> None:
    policy = IncidentPolicy()
    assert (policy.fire_after, policy.resolve_after, policy.repeat_interval) == (1, 1, None)
    assert (policy.flap_window, policy.flap_high, policy.flap_low) == (21, 0.5, 0.25)
    assert (policy.error_after, policy.critical_after) == (3, 3)
    assert policy.detect_flapping
    assert policy.cannot_evaluate_severity is Severity.WARNING


@pytest.mark.parametrize(
    ("check_type", "expected"),
    [
        pytest.param(CheckType.AVAILABILITY, 3, id="override"),
        pytest.param(CheckType.FRESHNESS, 2, id="default"),
    ],
)
def test_fire_after_per_check_type(check_type: CheckType, expected: int) -> None:
    policy = IncidentPolicy(fire_after=2, fire_after_by_type={CheckType.AVAILABILITY: 3})
    assert policy.fire_after_for(check_type) == expected


def test_policy_reads_from_configuration_data() -> None:
    policy = IncidentPolicy.model_validate(
        {"fire_after_by_type": {"availability": 3}, "repeat_interval": "PT1H"}
    )
    assert policy.fire_after_for(CheckType.AVAILABILITY) == 3
    assert policy.repeat_interval == timedelta(hours=1)
    assert IncidentPolicy.model_validate_json(policy.model_dump_json()) == policy


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"fire_after": 0}, "fire_after", id="fire-after-zero"),
        pytest.param({"resolve_after": 0}, "resolve_after", id="resolve-after-zero"),
        pytest.param({"error_after": 0}, "error_after", id="error-after-zero"),
        pytest.param({"critical_after": -1}, "critical_after", id="negative-critical"),
        pytest.param({"fire_after_by_type": {"quality": 0}}, "quality", id="override-zero"),
        pytest.param({"repeat_interval": timedelta(0)}, "positive", id="zero-interval"),
        pytest.param({"repeat_interval": timedelta(minutes=-5)}, "positive", id="neg-interval"),
        pytest.param({"flap_window": 2}, "flap_window", id="tiny-window"),
        pytest.param({"flap_window": 101}, "flap_window", id="huge-window"),
        pytest.param({"flap_low": 0.5, "flap_high": 0.5}, "below", id="no-hysteresis"),
        pytest.param({"flap_low": 0.6, "flap_high": 0.5}, "below", id="inverted"),
        pytest.param({"flap_high": 1.5}, "flap_high", id="high-above-one"),
        pytest.param({"fire_after_by_type": {"nope": 1}}, "fire_after_by_type", id="bad-type"),
        pytest.param({"fire_afterr": 1}, "fire_afterr", id="typo"),
    ],
)
def test_invalid_policy_is_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        IncidentPolicy(**fields)


def test_policy_is_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        IncidentPolicy().fire_after = 2  # type: ignore[misc]
