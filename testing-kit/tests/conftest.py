"""Install the fixture channels as a temporary distribution for subprocess runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CHANNELS = {
    "minimal": "MinimalChannel",
    "leaky": "LeakyChannel",
    "retrier": "RetrierChannel",
    "lenient400": "Lenient400Channel",
    "noretryafter": "NoRetryAfterChannel",
    "blocking": "BlockingChannel",
    "future": "FutureChannel",
}


@dataclass(frozen=True)
class KitRun:
    """The outcome of one `floe-conformance` run in a subprocess."""

    returncode: int
    output: str
    report: dict[str, Any]

    def outcome(self, check_id: str) -> set[str]:
        """Every outcome the check had (one per variant)."""
        return {r["outcome"] for r in self.report.get("results", []) if r["check"] == check_id}


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a dist-info that registers the fixture channels and profiles."""
    site = tmp_path_factory.mktemp("site")
    info = site / "floe_kit_fixture_channels-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: floe-kit-fixture-channels\nVersion: 1.0\n"
    )
    lines = ["[floe.alert_channels]"]
    lines += [f"{name} = kit_fixture_channels:{cls}" for name, cls in CHANNELS.items()]
    lines.append("wrongentry = kit_fixture_channels:DoesNotExist")
    lines.append("[floe.conformance]")
    lines += [
        f"{name} = kit_fixture_channels:{cls.removesuffix('Channel')}Profile"
        for name, cls in CHANNELS.items()
    ]
    lines.append("wrongentry = kit_fixture_channels:WrongentryProfile")
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return site


@pytest.fixture
def kit_env(fixture_site: Path) -> dict[str, str]:
    """Environment in which the fixture channels are installed."""
    paths = [str(fixture_site), str(FIXTURES), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


@pytest.fixture
def run_kit(kit_env: dict[str, str], tmp_path: Path) -> Any:
    """Run the real `floe-conformance` command; returns a `KitRun`."""

    def run(*args: str) -> KitRun:
        report = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.json"
        command = [
            str(Path(sys.executable).parent / "floe-conformance"),
            *args,
            "--json-report",
            str(report),
        ]
        done = subprocess.run(
            command,
            env=kit_env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        data = json.loads(report.read_text()) if report.exists() else {}
        return KitRun(done.returncode, done.stdout + done.stderr, data)

    return run
