"""`floe sla monitor` as a real process: probes answer, SIGTERM drains and exits 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from .conftest import SECRET, Project


def _get(url: str, method: str = "GET") -> tuple[int, dict[str, object]]:
    # The URL is the loopback service the test started (http only).
    request = urllib.request.Request(url, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _start_service(project: Project) -> subprocess.Popen[str]:
    """`floe sla monitor` on a free port, in the project folder (the caller waits for it)."""
    floe = str(Path(sys.executable).parent / "floe")
    command = [floe, "sla", "monitor", "--port", "0", "--reload-interval", "0"]
    return subprocess.Popen(
        command,
        cwd=project.root,
        env={**os.environ, "HOOK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _base_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("floe monitor ready: http://127.0.0.1:"), line
    return line.split(": ", 1)[1].strip().removesuffix("/readyz")


def test_the_service_serves_probes_and_stops_gracefully_on_sigterm(project: Project) -> None:
    with _start_service(project) as process:
        try:
            base = _base_url(process)
            assert _get(f"{base}/healthz")[0] == 200
            status, ready = _get(f"{base}/readyz")
            assert status == 200
            assert ready["contracts"] == 2
            degraded = ready["degraded"]
            assert isinstance(degraded, list)
            assert any("channel hook" in str(p) for p in degraded)  # the hook is down
            reload_status, reload = _get(f"{base}/contracts/reload", method="POST")
            assert reload_status == 200
            assert reload["errors"] == []
            assert _get(f"{base}/nope")[0] == 404
            assert _get(f"{base}/metrics")[0] == 404  # off unless service.prometheus is set
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
        assert process.stderr is not None
        errors = process.stderr.read()
    assert "Traceback" not in errors
    assert "stopping: draining in-flight work" in errors


def test_the_running_service_exports_prometheus_metrics(stale_project: Project) -> None:
    config = (
        stale_project.config.read_text()
        + "service:\n  prometheus: true\nmonitoring:\n  intervals:\n    freshness: 1s\n"
    )
    stale_project.config.write_text(config)
    with _start_service(stale_project) as process:
        try:
            base = _base_url(process)
            text = ""
            for _ in range(100):  # the first freshness runs land within a few seconds
                with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:  # noqa: S310
                    text = response.read().decode()
                if "floe_contract_violations_total{" in text:
                    break
                time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    families = {f.name for f in text_string_to_metric_families(text)}
    # prometheus_client strips _total from counter family names.
    assert {
        "floe_contract_violations",
        "floe_check_executions",
        "floe_check_duration_seconds",
    } <= families
    assert 'floe_contract_name="orders"' in text
    assert "floe_outbox_depth" in families
