"""The built wheels, installed alone in clean virtual environments outside the repository.

This is how channel authors and platform teams meet the packages: core + one channel,
core + kit + a private channel. Each environment is checked for what it must not pull
in, then the conformance kit runs there by the channel's entry-point name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = {
    None: {
        "pyiceberg",
        "pyarrow",
        "asyncpg",
        "openlineage-python",
        "slack-sdk",
        "aiohttp",
        "aiosmtplib",
    },
    "webhook": {"pyiceberg", "pyarrow", "asyncpg", "slack-sdk", "aiosmtplib"},
    "slack": {"pyiceberg", "pyarrow", "asyncpg", "aiosmtplib"},
    "pagerduty": {"pyiceberg", "pyarrow", "asyncpg", "slack-sdk", "aiosmtplib"},
    "email": {"pyiceberg", "pyarrow", "asyncpg", "slack-sdk", "aiohttp"},
}


def _uv() -> str:
    found = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    assert Path(found).exists(), "uv is installed by `make setup`"
    return found


def _run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build all six wheels once (`uv build --all-packages`)."""
    out = tmp_path_factory.mktemp("dist")
    done = _run(_uv(), "build", "--all-packages", "--wheel", "--out-dir", str(out), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return {p.name.split("-")[0]: p for p in out.glob("*.whl")}


def _venv(tmp: Path, *wheels: Path) -> Path:
    venv = tmp / "venv"
    done = _run(_uv(), "venv", "--python", sys.executable, str(venv))
    assert done.returncode == 0, done.stderr
    done = _run(
        _uv(), "pip", "install", "--python", str(venv / "bin" / "python"), *map(str, wheels)
    )
    assert done.returncode == 0, done.stderr
    return venv


def _installed(venv: Path) -> set[str]:
    done = _run(
        _uv(), "pip", "list", "--python", str(venv / "bin" / "python"), "--format", "freeze"
    )
    return {line.split("==")[0].lower() for line in done.stdout.splitlines() if "==" in line}


def test_six_wheels_are_built(wheels: dict[str, Path]) -> None:
    assert set(wheels) == {
        "floe_monitoring_core",
        "floe_alert_webhook",
        "floe_alert_slack",
        "floe_alert_pagerduty",
        "floe_alert_email",
        "floe_testing_kit",
    }


def test_the_core_wheel_requires_nothing_heavy(wheels: dict[str, Path]) -> None:
    with zipfile.ZipFile(wheels["floe_monitoring_core"]) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
        assert any(n.endswith("floe_monitoring/py.typed") for n in archive.namelist())
    base = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    names = {
        r.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
        for r in base
    }
    assert not names & FORBIDDEN[None]


def test_the_core_installs_alone_and_imports(wheels: dict[str, Path], tmp_path: Path) -> None:
    venv = _venv(tmp_path, wheels["floe_monitoring_core"])
    assert not _installed(venv) & FORBIDDEN[None]
    done = _run(
        str(venv / "bin" / "python"),
        "-c",
        "import floe_monitoring; print(floe_monitoring.__version__)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0.1.0"


@pytest.mark.parametrize("channel", ["webhook", "slack", "pagerduty", "email"])
def test_core_and_one_channel_install_alone_and_pass_the_kit(
    wheels: dict[str, Path], tmp_path: Path, channel: str
) -> None:
    venv = _venv(tmp_path, wheels["floe_monitoring_core"], wheels[f"floe_alert_{channel}"])
    assert not _installed(venv) & FORBIDDEN[channel], "the channel pulls in what it must not"
    done = _run(
        _uv(),
        "pip",
        "install",
        "--python",
        str(venv / "bin" / "python"),
        str(wheels["floe_testing_kit"]),
    )
    assert done.returncode == 0, done.stderr
    outside = tmp_path / "ci"
    outside.mkdir()
    run = _run(
        str(venv / "bin" / "floe-conformance"), channel, "--json-report", "report.json", cwd=outside
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"channel '{channel}' PASSED" in run.stdout


PRIVATE_CHANNEL = '''
"""A private channel, as a company would write it in an afternoon."""

import asyncio
import json
from typing import ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from floe_monitoring import (
    AlertChannelPlugin, AlertMessage, ChannelCapability, DeliveryReceipt, FailureReason,
    HealthState, HealthStatus, RetryableDeliveryError, classify_http_status,
)
from floe_testing_kit import ChannelProfile


class TicketsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str
    api_key: SecretStr
    timeout_seconds: float = 5.0


class TicketsChannel(AlertChannelPlugin[TicketsConfig]):
    name: ClassVar[str] = "acme-tickets"
    version: ClassVar[str] = "0.0.1"
    floe_api_version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Opens and closes tickets in ACME's internal tracker."
    config_model = TicketsConfig
    capabilities = frozenset({ChannelCapability.RESOLVE})

    async def on_startup(self):
        self.client = httpx.AsyncClient()

    async def on_shutdown(self):
        await self.client.aclose()

    async def check_health(self):
        try:
            async with asyncio.timeout(2):
                await self.client.head(self.config.url)
        except (httpx.TransportError, TimeoutError) as exc:
            return HealthStatus(state=HealthState.UNHEALTHY, message=type(exc).__name__)
        return HealthStatus(state=HealthState.HEALTHY)

    async def send_alert(self, event):
        message = AlertMessage.from_event(event)
        body = json.dumps({"key": event.dedup_key, "title": message.title,
                           "text": message.as_text()}, sort_keys=True).encode()
        headers = {"X-Api-Key": self.config.api_key.get_secret_value(),
                   "Idempotency-Key": str(event.event_id)}
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                response = await self.client.post(self.config.url, content=body, headers=headers)
        except TimeoutError:
            raise RetryableDeliveryError("timed out", reason=FailureReason.TIMEOUT) from None
        except httpx.TransportError as exc:
            reason = FailureReason.CONNECTION
            raise RetryableDeliveryError(type(exc).__name__, reason=reason) from None
        error = classify_http_status(response.status_code, response.headers.get("Retry-After"))
        if error:
            raise error
        return self.receipt(event, status_code=response.status_code)


class TicketsProfile(ChannelProfile):
    channel = "acme-tickets"

    def config(self, endpoint, *, secret, variant):
        return {"url": endpoint.url + "/tickets", "api_key": secret}

    def idempotency_key(self, request, *, variant):
        return request.headers.get("idempotency-key")
'''


def test_a_private_channel_runs_through_the_same_command(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    package = tmp_path / "acme-floe-tickets"
    (package / "src" / "acme_floe_tickets").mkdir(parents=True)
    (package / "src" / "acme_floe_tickets" / "__init__.py").write_text(PRIVATE_CHANNEL)
    (package / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "acme-floe-tickets"
            version = "0.0.1"
            dependencies = ["floe-monitoring-core>=0.1,<1", "httpx"]

            [project.entry-points."floe.alert_channels"]
            acme-tickets = "acme_floe_tickets:TicketsChannel"

            [project.entry-points."floe.conformance"]
            acme-tickets = "acme_floe_tickets:TicketsProfile"

            [tool.hatch.build.targets.wheel]
            packages = ["src/acme_floe_tickets"]
            """
        )
    )
    venv = _venv(tmp_path, wheels["floe_monitoring_core"], wheels["floe_testing_kit"])
    done = _run(_uv(), "pip", "install", "--python", str(venv / "bin" / "python"), str(package))
    assert done.returncode == 0, done.stderr
    run = _run(str(venv / "bin" / "floe-conformance"), "acme-tickets", cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "channel 'acme-tickets' PASSED" in run.stdout
    assert "capabilities declared: resolve" in run.stdout
