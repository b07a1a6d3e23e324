"""Every benchmark scenario runs once at its tiny size and writes its JSON (never timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[4] / "benchmarks"
SCENARIOS = sorted(p.name for p in BENCHMARKS.glob("b[0-9][0-9]_*.py"))

#: What each scenario's JSON must report (beyond the common keys).
EXPECTED = {
    "engine_throughput": {"executions_per_s", "lag_p99_ms", "cpu_per_check_us", "peak_rss_mb"},
    "detection_to_dispatch": {"violations_per_s", "p50_ms", "p99_ms"},
    "delivery_throughput": {
        "webhook_per_s",
        "apprise_per_s",
        "bare_client_per_s",
        "bare_transport_per_s",
        "x_apprise",
        "pct_of_transport",
    },
    "iceberg_checks": {"bare_s", "ours_s", "ratio"},
    "storage_reports": {
        "bytes_per_contract_day",
        "extrapolated_gb",
        "report_one_s",
        "report_all_s",
        "cli_one_s",
        "rollups_match_rebuild",
    },
}


def test_every_scenario_is_covered() -> None:
    assert len(SCENARIOS) == len(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCENARIOS)
def test_scenario_runs_at_tiny_size(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--size", "tiny", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=BENCHMARKS,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [written] = list(tmp_path.glob("*.json"))
    document = json.loads(written.read_text())
    assert {"scenario", "size", "runs", "machine", "figures", "raw"} <= set(document)
    assert document["size"] == "tiny"
    assert {"cores", "cpu_model", "python"} <= set(document["machine"])
    figures = document["figures"]
    assert EXPECTED[document["scenario"]] <= set(figures)
    for figure in figures.values():
        assert {"value", "target", "verdict", "per_run"} <= set(figure)
    assert "| figure" in done.stdout
    if document["scenario"] == "storage_reports":
        # The server-side rollups the scenario builds are the store's own rollups.
        assert figures["rollups_match_rebuild"]["value"] == 1
