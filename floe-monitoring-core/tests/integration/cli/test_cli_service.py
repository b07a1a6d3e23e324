"""`floe sla monitor` as a real process: probes answer, SIGTERM drains and exits 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from .conftest import SECRET, Project


def _get(url: str, method: str = "GET") -> tuple[int, dict[str, object]]:
    # The URL is the loopback service the test started (http only).
    request = urllib.request.Request(url, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_service_serves_probes_and_stops_gracefully_on_sigterm(project: Project) -> None:
    command = [
        str(Path(sys.executable).parent / "floe"),
        "sla",
        "monitor",
        "--port",
        "0",
        "--reload-interval",
        "0",
    ]
    env = {**os.environ, "HOOK_SECRET": SECRET}
    with subprocess.Popen(
        command,
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("floe monitor ready: http://127.0.0.1:"), line
            base = line.split(": ", 1)[1].strip().removesuffix("/readyz")
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
