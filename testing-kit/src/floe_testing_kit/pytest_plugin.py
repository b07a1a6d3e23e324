"""The kit's pytest plugin: options, stop-on-packaging-failure, summary and JSON report.

Registered as a ``pytest11`` plugin but inert unless a conformance case is collected
(``--floe-channel`` or a `ChannelConformance` subclass): it never changes collection
for projects that merely have the kit installed.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from floe_testing_kit.cases import Case
from floe_testing_kit.conformance import PLAN_KEY
from floe_testing_kit.report import Result, build_report, summary_lines

RESULTS_KEY = pytest.StashKey[list[Result]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the kit's options (they do nothing unless a conformance case runs)."""
    group = parser.getgroup("floe-conformance", "floe alert-channel conformance kit")
    group.addoption("--floe-channel", default=None, help="entry-point name of the channel to test")
    group.addoption("--floe-profile", default=None, help="the ChannelProfile as module:Class")
    group.addoption(
        "--floe-variant", action="append", default=[], help="only this profile variant (repeatable)"
    )
    group.addoption(
        "--floe-strict", action="store_true", default=False, help="run bypassed checks too"
    )
    group.addoption("--floe-json-report", default=None, help="write a JSON report to this path")


def _case(item: pytest.Item) -> Case | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get("floe_case") if callspec is not None else None
    return value if isinstance(value, Case) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """Record each case's outcome; stop the session when a packaging check fails."""
    report = yield
    case = _case(item)
    if case is None:
        return report
    if report.when == "call" or (report.when == "setup" and report.skipped):
        message = ""
        if report.failed and call.excinfo is not None:
            message = (
                str(call.excinfo.value).strip().splitlines()[0]
                if str(call.excinfo.value).strip()
                else call.excinfo.typename
            )
        outcome = "bypassed" if report.skipped else report.outcome
        item.config.stash.setdefault(RESULTS_KEY, []).append(
            Result(case.id, case.check_id, case.variant, outcome, message, report.duration)
        )
        if case.packaging and report.failed:
            item.session.shouldstop = f"packaging check {case.check_id} failed: {message}"
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the conformance summary and write the JSON report, when cases ran."""
    plans = config.stash.get(PLAN_KEY, {})
    if not plans:
        return
    results = config.stash.get(RESULTS_KEY, [])
    for plan in plans.values():
        for line in summary_lines(plan, results):
            terminalreporter.write_line(line)
    path = config.getoption("floe_json_report", None)
    if path:
        reports = [build_report(plan, results) for plan in plans.values()]
        Path(path).write_text(
            json.dumps(reports[0] if len(reports) == 1 else reports, indent=2) + "\n"
        )
        terminalreporter.write_line(f"floe conformance: JSON report written to {path}")
