"""A planted secret, in every secret field of every channel and in the database URL.

One unique value is planted by each channel package's own conformance profile in every
secret field it has (webhook URL query token, bearer token, custom header, both signing
keys; the Slack webhook URL and bot token; the PagerDuty routing key; the SMTP
password), in the state database URL's password (PostgreSQL), in a channel whose config
is invalid, in a channel whose receiver is down, and in the OpenLineage API key.

The monitor then runs with logs captured at DEBUG from the root logger (every library
included), OpenTelemetry on in-memory SDK providers and OpenLineage to a loopback
receiver; receivers fail some deliveries (500, 401, SMTP 451) and the database goes
away for a moment. The real `floe` command then runs against the same kind of config,
with ``--debug`` and ``--format json``, including while PostgreSQL is stopped.

Proved: the secret (and every value derived from it: the ``whsec_`` signing key, the
``xoxb-`` token, the routing key) appears in none of: the logs at every level,
exception and error messages (outbox last errors, delivery outcomes, health, channel
errors, status), every row of every table of the state database (SQLite: the raw file
bytes too; PostgreSQL: ``pg_dump``), span and metric attributes, lineage events, reprs
of the config and the monitor, and the CLI's stdout and stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_monitoring.catalog.local import create_local_catalog
from floe_monitoring.config import MonitorConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.store import StateStore
from floe_monitoring.telemetry import LineageConfig, Telemetry
from floe_monitoring.testing import TemporaryPostgres
from floe_testing_kit import FakeHTTPServer, capture_logs, unused_tcp_url

from .conftest import (
    FLOE,
    Figures,
    MissingTables,
    dump_database,
    pg_dump,
    write_config,
    write_contracts,
)
from .rel_channels import Destination, destinations

DELIVERY = {"initial_delay": 0.05, "max_delay": 0.1, "send_timeout": 3, "lease_margin": 1}


def planted() -> str:
    """32 characters (a PagerDuty routing key is exactly that), unique per run."""
    return "PLANTED" + uuid.uuid4().hex[:25]


def _channels(found: list[Destination], secret: str) -> dict[str, dict[str, Any]]:
    """Every variant, a receiver that is down, and an invalid config holding the secret."""
    channels = {d.name: {"type": d.channel_type, **d.settings} for d in found}
    channels["webhook-down"] = {
        **channels["webhook-structured"],
        "url": f"{unused_tcp_url()}/hooks?token={secret}",
        "timeout_seconds": 1,
    }
    channels["pagerduty-invalid"] = {
        "type": "pagerduty",
        "routing_key": secret + "-too-long",
        "base_url": "http://127.0.0.1:9",
        "allow_insecure_http": True,
    }
    return channels


def _fail_first(found: list[Destination]) -> None:
    """Each receiver fails its first deliveries: a retryable and a permanent error."""
    for d in found:
        if d.http is not None:
            d.http.script(
                d.profile.error_response(500, variant=d.variant),
                d.profile.error_response(401, variant=d.variant),
            )
        if d.smtp is not None:
            d.smtp.script("DATA", "451 4.3.0 try again later")


def _secrets(monitor: ContractMonitor, secret: str) -> list[str]:
    values = {secret}
    for channel in monitor.channels.values():
        values.update(v for v in channel.secret_values() if len(v) >= 8)
    return sorted(values)


def _leaks(shown: dict[str, str], secrets: list[str]) -> list[str]:
    return [
        f"{where} holds {s[:12]}..." for where, text in shown.items() for s in secrets if s in text
    ]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_the_secret_is_nowhere_the_monitor_writes(
    tmp_path: Path, backend: str, figures: Figures
) -> None:
    secret = planted()
    server: TemporaryPostgres | None = None
    if backend == "postgres":
        server = TemporaryPostgres().start()
        url = f"postgresql+asyncpg://{server.user}:{secret}@127.0.0.1:{server.port}/floe"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'state' / 'monitor.db'}"
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracers = TracerProvider()
    tracers.add_span_processor(SimpleSpanProcessor(spans))
    shown: dict[str, str] = {}
    try:
        async with destinations(secret) as found, FakeHTTPServer() as lineage:
            channels = _channels(found, secret)
            names = sorted(channels)
            for k in range(len(names)):
                write_contracts(tmp_path / "contracts", 2, prefix=f"p{k}-")
            config = MonitorConfig.model_validate(
                {
                    "contracts": [str(tmp_path / "contracts" / "*.yaml")],
                    "state": {"url": url, "pool_size": 2},
                    "channels": channels,
                    # One contract prefix per channel (see test_rel_fanout for why).
                    "routing": [
                        {"channel": name, "contracts": [f"p{k}-*"]} for k, name in enumerate(names)
                    ],
                    "monitoring": {"rate_limit": None, "scheduling": "local", "delivery": DELIVERY},
                    "base_dir": tmp_path,
                }
            )
            transport = {
                "type": "http",
                "url": lineage.url,
                "endpoint": "api/v1/lineage",
                "timeout": 2,
                "auth": {"type": "api_key", "apiKey": secret},
                "retry": {"total": 0, "read": 0, "connect": 0, "status": 0},
            }
            telemetry = Telemetry(
                meter_provider=MeterProvider(metric_readers=[reader]),
                tracer_provider=tracers,
                lineage=LineageConfig(namespace="floe-rel", transport=transport),
            )
            with capture_logs() as logs:
                monitor = ContractMonitor(config, table_source=MissingTables(), telemetry=telemetry)
                async with monitor:
                    _fail_first(found)  # after the start-up health probes
                    await monitor.run_once(check_types=["availability"])
                    if server is not None:  # the database goes away for a cycle
                        await asyncio.to_thread(server.pause)
                        await monitor.run_once(check_types=["availability"])
                        shown["status while down"] = (await monitor.status()).model_dump_json()
                        await asyncio.to_thread(server.resume)
                    for _ in range(40):  # retries until every working receiver has its alerts
                        await monitor.run_once(check_types=["availability"])
                        if all(d.delivered() >= 1 for d in found):
                            break
                        await asyncio.sleep(0.1)
                    await monitor.check_channels()
                    status = await monitor.status()
                    shown["status"] = status.model_dump_json()
                    shown["outcomes"] = "\n".join(repr(o) for o in monitor.outcomes)
                    shown["channel errors"] = json.dumps(monitor.channel_errors)
                    shown["health"] = "\n".join(
                        h.model_dump_json() for h in monitor.channel_health.values()
                    )
                    shown["reprs"] = " ".join(
                        [repr(monitor), repr(config), str(config)]
                        + [repr(c) for c in monitor.channels.values()]
                    )
                    rows = await monitor.store.outbox.rows(limit=None)
                    shown["outbox errors"] = "\n".join(r.last_error or "" for r in rows)
                    secrets = _secrets(monitor, secret)
                    shown["metrics"] = reader.get_metrics_data().to_json()  # type: ignore[union-attr]
                await asyncio.sleep(0)
            shown["logs (DEBUG, every logger)"] = logs.text
            shown["spans"] = "\n".join(s.to_json() for s in spans.get_finished_spans())
            shown["lineage events"] = "\n".join(
                r.text() + json.dumps({k: v for k, v in r.headers.items() if k != "authorization"})
                for r in lineage.requests
            )
            delivered = {d.name: d.delivered() for d in found}
        shown["database rows"] = await dump_database(url)
        if server is not None:
            shown["pg_dump"] = await asyncio.to_thread(pg_dump, server, "floe")
        else:
            state = tmp_path / "state"
            shown["database files"] = b"".join(
                p.read_bytes() for p in sorted(state.iterdir())
            ).decode("latin-1")
    finally:
        if server is not None:
            server.stop()

    leaks = _leaks(shown, secrets)
    figures.update(
        {
            "backend": backend,
            "secret_values_scanned": len(secrets),
            "places_scanned": sorted(shown),
            "bytes_scanned": sum(len(t) for t in shown.values()),
            "log_lines": len(logs.lines),
            "spans": len(spans.get_finished_spans()),
            "lineage_events": len(lineage.requests),
            "delivered": delivered,
            "failed_attempts": sum(1 for o in monitor.outcomes if o.outcome != "delivered"),
            "leaks": leaks,
        }
    )
    # The scan means something: things happened, failed and were logged.
    assert all(n >= 1 for n in delivered.values()), delivered
    assert any(o.outcome != "delivered" for o in monitor.outcomes)
    assert "pagerduty-invalid" in monitor.channel_errors
    assert status.channels["webhook-down"].state == "unhealthy"
    assert len(logs.lines) > 50
    assert lineage.requests
    assert spans.get_finished_spans()
    assert leaks == []


# -- the CLI -------------------------------------------------------------------------


async def test_the_secret_is_nowhere_in_cli_output(
    tmp_path: Path,
    own_postgres: TemporaryPostgres,
    subprocess_env: dict[str, str],
    figures: Figures,
) -> None:
    secret = planted()
    url = f"postgresql+asyncpg://{own_postgres.user}:{secret}@127.0.0.1:{own_postgres.port}/floe"
    outputs: dict[str, str] = {}
    async with destinations(secret) as found:
        channels = _channels(found, secret)
        names = sorted(channels)
        # Half the secrets come from the environment, as a deployment would do it.
        for name in ("slack-web_api", "email"):
            key = "token" if "token" in channels[name] else "password"
            channels[name][key] = channels[name][key].replace(secret, "${FLOE_REL_SECRET}")
        for k, _name in enumerate(names):
            write_contracts(tmp_path / "contracts", 1, prefix=f"p{k}-")
        lake = create_local_catalog(tmp_path / "lake")
        lake.close()
        write_config(
            tmp_path,
            {
                "contracts": ["contracts/*.yaml"],
                "catalog": {
                    "properties": {
                        "type": "sql",
                        "uri": "sqlite:///lake/catalog.db",
                        "warehouse": (tmp_path / "lake" / "warehouse").as_uri(),
                    }
                },
                "state": {"url": url},
                "channels": channels,
                "routing": [
                    {"channel": name, "contracts": [f"p{k}-*"]} for k, name in enumerate(names)
                ],
                "monitoring": {"rate_limit": None, "delivery": DELIVERY},
            },
        )
        env = {**subprocess_env, "FLOE_REL_SECRET": secret}
        _fail_first(found)

        async def floe(label: str, *args: str) -> subprocess.CompletedProcess[str]:
            done = await asyncio.to_thread(
                subprocess.run,
                [FLOE, "sla", *args],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            outputs[label] = done.stdout + done.stderr
            return done

        validate = await floe("--debug config validate", "--debug", "config", "validate")
        check = await floe(
            "--debug check --notify --format json",
            "--debug",
            "check",
            "--notify",
            "--format",
            "json",
        )
        await floe("status --format json", "status", "--format", "json")
        await floe(
            "--debug deliveries list --format json",
            "--debug",
            "deliveries",
            "list",
            "--format",
            "json",
        )
        await floe("channels list --format json", "channels", "list", "--format", "json")
        for name in ("webhook-down", "slack-web_api", "email"):
            await floe(
                f"--debug channels test {name}",
                "--debug",
                "channels",
                "test",
                name,
                "--timeout",
                "3",
            )
        await asyncio.to_thread(own_postgres.pause)
        down = await floe("--debug status (database down)", "--debug", "status")
        await asyncio.to_thread(own_postgres.resume)
        derived = {secret}
        for d in found:
            derived.update(v for v in d.build().secret_values() if len(v) >= 8)

    leaks = _leaks(outputs, sorted(derived))
    figures.update(
        {
            "commands": len(outputs),
            "bytes_scanned": sum(len(o) for o in outputs.values()),
            "secret_values_scanned": len(derived),
            "exit_codes": {
                "config validate": validate.returncode,
                "check": check.returncode,
                "status (db down)": down.returncode,
            },
            "leaks": leaks,
        }
    )
    assert validate.returncode == 4  # the invalid channel is reported...
    assert "channel 'pagerduty-invalid', field 'routing_key'" in validate.stderr  # ...by field
    assert check.returncode == 2  # every contract fails: its table is missing
    assert down.returncode == 4
    assert "Traceback" in outputs["--debug status (database down)"]  # --debug did show it
    assert leaks == []


# -- the embedded database's files ---------------------------------------------------


async def test_the_embedded_database_is_owner_only_whatever_the_umask(
    tmp_path: Path, figures: Figures
) -> None:
    previous = os.umask(0)  # the most permissive process there is
    try:
        fresh = tmp_path / "fresh" / "state" / "monitor.db"
        store = StateStore(f"sqlite+aiosqlite:///{fresh}")
        await store.open()
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in fresh.parent.iterdir()}
        folder = stat.S_IMODE(fresh.parent.stat().st_mode)
        await store.close()
        existing = tmp_path / "existing.db"
        existing.touch(mode=0o644)
        os.chmod(existing, 0o644)
        again = StateStore(f"sqlite+aiosqlite:///{existing}")
        await again.open()
        reopened = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.glob("existing.db*")}
        await again.close()
    finally:
        os.umask(previous)
    figures.update(
        {
            "files": {k: oct(v) for k, v in {**files, **reopened}.items()},
            "folder": oct(folder),
        }
    )
    assert "monitor.db" in files
    assert all(mode & 0o077 == 0 for mode in files.values()), files  # db, -wal, -shm
    assert folder & 0o077 == 0, oct(folder)
    assert all(mode & 0o077 == 0 for mode in reopened.values()), reopened
