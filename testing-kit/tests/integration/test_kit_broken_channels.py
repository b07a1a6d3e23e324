"""Every deliberately broken channel fails the check that targets its defect."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("channel", "check", "says"),
    [
        ("leaky", "secrets.never_leaked", "planted secret appears"),
        ("retrier", "failures.status_503", "made 2 attempts; make one and raise"),
        ("lenient400", "failures.status_400", "expected PermanentDeliveryError"),
        ("noretryafter", "failures.retry_after_seconds", "retry_after=None"),
        ("blocking", "loop.no_blocking", "event loop was blocked"),
    ],
)
def test_broken_channel_fails_its_check(run_kit: Any, channel: str, check: str, says: str) -> None:
    run = run_kit(channel, "-k", check.replace(".", " and "))
    assert run.returncode != 0, run.output
    assert run.outcome(check) == {"failed"}, run.output
    failure = next(r for r in run.report["results"] if r["check"] == check)
    assert says in failure["message"]
    assert f"FAILED default::{check}" in run.output


def test_the_same_checks_pass_for_the_correct_channel(run_kit: Any) -> None:
    checks = ["secrets.never_leaked", "failures.status_503", "failures.status_400"]
    checks += ["failures.retry_after_seconds", "loop.no_blocking"]
    run = run_kit("minimal", "-k", " or ".join(c.replace(".", " and ") for c in checks))
    assert run.returncode == 0, run.output
    for check in checks:
        assert run.outcome(check) == {"passed"}


@pytest.mark.parametrize(
    ("channel", "check", "says"),
    [
        ("wrongentry", "packaging.entry_point", "does not load"),
        ("future", "packaging.api_version", "this core serves API 1.0"),
        ("absent", "packaging.entry_point", "no entry point 'absent'"),
    ],
)
def test_packaging_failure_stops_with_one_message(
    run_kit: Any, channel: str, check: str, says: str
) -> None:
    run = run_kit(channel)
    assert run.returncode != 0
    results = run.report["results"]
    assert results[-1]["check"] == check
    assert results[-1]["outcome"] == "failed"
    assert says in results[-1]["message"]
    assert all(r["check"].startswith("packaging.") for r in results)
    assert run.report["passed"] is False
    assert "nothing else was run" in run.output
