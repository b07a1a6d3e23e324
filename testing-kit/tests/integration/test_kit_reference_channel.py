"""The kit passes a minimal correct channel and says what it checked."""

from __future__ import annotations

from typing import Any

from floe_testing_kit import CATALOG


def test_minimal_channel_passes_every_applicable_check(run_kit: Any) -> None:
    run = run_kit("minimal")
    assert run.returncode == 0, run.output
    report = run.report
    assert report["passed"] is True
    assert report["capabilities"] == []
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] == report["summary"]["planned"]
    ran = {r["check"] for r in report["results"]}
    assert {
        "packaging.entry_point",
        "delivery.firing",
        "failures.status_429",
        "loop.no_blocking",
    } <= ran
    # Undeclared capabilities are verified the other way round.
    assert {"capabilities.resolve_undeclared", "capabilities.batch_undeclared"} <= ran
    assert "delivery.resolved" not in ran
    assert "capabilities.signing" not in ran
    assert "floe conformance: channel 'minimal' PASSED" in run.output
    assert "capabilities declared: none" in run.output


def test_every_check_id_is_stable_and_grouped() -> None:
    ids = [c.id for c in CATALOG]
    assert len(ids) == len(set(ids))
    groups = {c.group for c in CATALOG}
    assert groups == {
        "config",
        "lifecycle",
        "delivery",
        "failures",
        "idempotency",
        "concurrency",
        "loop",
        "secrets",
        "capabilities",
    }


def test_junit_xml_is_written(run_kit: Any, tmp_path: Any) -> None:
    junit = tmp_path / "junit.xml"
    run = run_kit("minimal", "-k", "delivery", "--junitxml", str(junit))
    assert run.returncode == 0, run.output
    text = junit.read_text()
    assert "delivery.firing" in text
    assert 'failures="0"' in text
