"""The conformance summary for people and the JSON report for CI systems."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from floe_monitoring import FLOE_API_VERSION
from floe_testing_kit.cases import Plan

__all__ = ["Result", "build_report", "summary_lines"]


@dataclass(frozen=True)
class Result:
    """The outcome of one case: passed, failed or bypassed."""

    id: str
    check: str
    variant: str | None
    outcome: str
    message: str
    duration: float


def build_report(plan: Plan, results: list[Result]) -> dict[str, Any]:
    """The JSON report of one channel's run."""
    from floe_testing_kit import __version__

    mine = [r for r in results if r.id in {c.id for c in plan.cases}]
    counts = {k: sum(r.outcome == k for r in mine) for k in ("passed", "failed", "bypassed")}
    return {
        "channel": plan.channel,
        "kit_version": __version__,
        "floe_api_version": FLOE_API_VERSION,
        "capabilities": plan.capabilities,
        "variants": sorted({c.variant for c in plan.cases if c.variant is not None}),
        "bypassed": plan.bypassed,
        "packaging_failure": str(plan.failure) if plan.failure else None,
        "summary": {**counts, "planned": len(plan.cases), "not_run": len(plan.cases) - len(mine)},
        "results": [asdict(r) for r in mine],
        # Cases deselected with -k are "not run", which is not a failure.
        "passed": counts["failed"] == 0 and plan.failure is None and counts["passed"] > 0,
    }


def summary_lines(plan: Plan, results: list[Result]) -> list[str]:
    """A few lines: verdict, counts, capabilities, bypasses and failures."""
    report = build_report(plan, results)
    counts = report["summary"]
    verdict = "PASSED" if report["passed"] else "FAILED"
    lines = [
        f"floe conformance: channel '{plan.channel}' {verdict}: {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['bypassed']} bypassed, {counts['not_run']} not run",
        "  capabilities declared: " + (", ".join(report["capabilities"]) or "none"),
    ]
    if report["variants"]:
        lines.append("  variants: " + ", ".join(report["variants"]))
    for check_id, reason in sorted(plan.bypassed.items()):
        lines.append(f"  bypassed {check_id}: {reason}")
    if plan.failure is not None:
        lines.append(f"  packaging failure: {plan.failure} (nothing else was run)")
    for result in report["results"]:
        if result["outcome"] == "failed":
            lines.append(f"  FAILED {result['id']}: {result['message']}")
    return lines
