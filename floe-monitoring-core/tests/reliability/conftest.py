"""Shared pieces of the reliability and security suite.

Sizes: `make test` runs every scenario at the size the issue states (1,000 notifications
for the kill run, ...); ``FLOE_SOAK=1`` (`make soak`) multiplies them by ten. Every test
records its figures (counts, durations, duplicates, attempts) with the `figures` fixture;
when ``FLOE_RELIABILITY_REPORT`` names a file they are appended to it as JSON lines, which
is where the numbers in docs/reliability.md come from.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from floe_monitoring.catalog.ref import TableRef
from floe_monitoring.cli import main
from floe_monitoring.errors import TableNotFoundError
from floe_monitoring.testing import TemporaryPostgres
from floe_testing_kit import FakeHTTPServer, ResponseHandler

T = TypeVar("T")

#: True under `make soak`: every size below is ten times larger.
SOAK = os.environ.get("FLOE_SOAK", "").strip() not in ("", "0", "false", "no")
SCALE = 10 if SOAK else 1


#: The signing secret of the suite's loopback webhooks (the Standard Webhooks test key).
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def webhook_settings(url: str, **extra: Any) -> dict[str, Any]:
    """Settings of a loopback webhook channel: JSON mode, signed, plain HTTP allowed."""
    return {
        "type": "webhook",
        "url": url,
        "mode": "json",
        "secret": WEBHOOK_SECRET,
        "allow_insecure_http": True,
        **extra,
    }


def scaled(size: int) -> int:
    """`size` in `make test`, ten times `size` under `make soak`."""
    return size * SCALE


#: A contract whose only table is missing: its availability check fails (and fires).
MISSING_TABLE_CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:rel:{prefix}{i}
name: {prefix}{i}
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: rel
schema:
  - name: {prefix}t{i}
    properties:
      - name: id
        logicalType: integer
"""


def write_contracts(folder: Path, count: int, *, prefix: str = "c", start: int = 0) -> list[str]:
    """Write `count` missing-table contracts into `folder`; returns their ids."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(start, start + count):
        (folder / f"{prefix}{i}.yaml").write_text(MISSING_TABLE_CONTRACT.format(prefix=prefix, i=i))
        ids.append(f"urn:rel:{prefix}{i}")
    return ids


class MissingTables:
    """A table source whose every table is gone: each availability check fails."""

    def __init__(self) -> None:
        self.calls = 0

    async def with_table(
        self, ref: TableRef, fn: Callable[[Any], T], *, call_timeout: float | None = None
    ) -> T:
        self.calls += 1
        raise TableNotFoundError(f"table {ref} does not exist", catalog="default", table=str(ref))

    async def probe(self, ref: TableRef, *, call_timeout: float | None = None) -> float:
        self.calls += 1
        raise TableNotFoundError(f"table {ref} does not exist", catalog="default", table=str(ref))


# -- figures -------------------------------------------------------------------------


@dataclass
class Figures:
    """What one test measured; written to ``$FLOE_RELIABILITY_REPORT`` when set."""

    test: str
    values: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def __setitem__(self, key: str, value: Any) -> None:
        self.values[key] = value

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def update(self, values: Mapping[str, Any]) -> None:
        self.values.update(values)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """Record figures: ``figures["duplicates"] = 3``."""
    recorded = Figures(request.node.nodeid)
    yield recorded
    report = os.environ.get("FLOE_RELIABILITY_REPORT")
    if report:
        line = {
            "test": recorded.test,
            "soak": SOAK,
            "seconds": round(time.monotonic() - recorded.started, 2),
            **recorded.values,
        }
        with Path(report).open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, default=str, sort_keys=False) + "\n")


def run(*argv: str, cwd: Path) -> tuple[int, str, str]:
    """The console script's entry point, in process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(argv))
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else int(done.code is not None)
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


# -- real processes ------------------------------------------------------------------


@pytest.fixture(scope="session")
def subprocess_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for the real processes this suite starts.

    The Makefile sets ``PYTHONDONTWRITEBYTECODE`` so no ``__pycache__`` lands in the
    tree; every child would then compile the whole stack again (about 4 s of CPU each).
    A private ``PYTHONPYCACHEPREFIX`` keeps the bytecode out of the tree and shared
    between the children.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    env.pop("FLOE_MONITOR_CONFIG", None)
    for key in [k for k in env if k.startswith(("OPENLINEAGE", "OTEL_"))]:
        env.pop(key)
    return env


FLOE = str(Path(sys.executable).parent / "floe")


@dataclass
class FloeRun:
    """Runs the real `floe` command in a folder."""

    root: Path
    env: dict[str, str]

    def __call__(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FLOE, *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def popen(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [FLOE, *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def floe(tmp_path: Path, subprocess_env: dict[str, str]) -> FloeRun:
    """The real `floe` command, run in ``tmp_path``."""
    return FloeRun(tmp_path, subprocess_env)


@pytest.fixture
def own_postgres() -> Iterator[TemporaryPostgres]:
    """A PostgreSQL server of this test alone (the test stops and restarts it)."""
    with TemporaryPostgres() as server:
        yield server


def free_port() -> int:
    """A port nobody listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ReopenableServer(FakeHTTPServer):
    """The kit's fake receiver on a fixed port, so it can go away and come back."""

    def __init__(self, port: int, handler: ResponseHandler | None = None) -> None:
        super().__init__(handler)
        self.port = port

    async def start(self) -> ReopenableServer:
        self._server = await asyncio.start_server(self._serve_connection, "127.0.0.1", self.port)
        return self

    @property
    def up(self) -> bool:
        return self._server is not None


def write_config(root: Path, config: Mapping[str, Any]) -> Path:
    """Write ``floe-monitor.yaml`` (JSON is YAML) into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "floe-monitor.yaml"
    path.write_text(json.dumps(config, indent=2))
    return path


def _request(url: str, method: str, timeout: float = 10) -> tuple[int, dict[str, Any]]:
    # The URL is the loopback service the test started (http only).
    request = urllib.request.Request(url, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


@dataclass
class Service:
    """A running `floe sla monitor` process."""

    process: asyncio.subprocess.Process
    base: str
    log: Path

    async def call(
        self, path: str, method: str = "GET", timeout: float = 10
    ) -> tuple[int, dict[str, Any]]:
        """Ask the service (off the event loop: the test's receivers live on it)."""
        return await asyncio.to_thread(_request, self.base + path, method, timeout)

    async def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, then wait for the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(timeout):
            return await self.process.wait()

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


@asynccontextmanager
async def running_service(
    root: Path, env: Mapping[str, str], *args: str, reload_interval: float = 0
) -> AsyncIterator[Service]:
    """Run `floe sla monitor --port 0` in `root` until the block ends (then SIGKILL it)."""
    log = root / "service.log"
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            FLOE,
            "sla",
            *args,
            "monitor",
            "--port",
            "0",
            "--reload-interval",
            str(reload_interval),
            cwd=root,
            env=dict(env),
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(120):
            line = (await process.stdout.readline()).decode()
        assert line.startswith("floe monitor ready: "), line + log.read_text()
        base = line.split(": ", 1)[1].strip().removesuffix("/readyz")
        yield Service(process, base, log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def wait_until(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05
) -> float:
    """Await `predicate()` (sync or async) until true; returns the seconds it took."""
    began = time.monotonic()
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return time.monotonic() - began
            await asyncio.sleep(interval)


async def dump_database(url: str) -> str:
    """Every value of every row of every table, as text, one row a line."""
    from sqlalchemy import inspect, text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    lines: list[str] = []
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            for table in tables:
                # The table names come from the database's own catalog, not from input.
                query = text(f'SELECT * FROM "{table}"')  # noqa: S608
                rows = (await connection.execute(query)).all()
                lines += [f"{table}: " + " | ".join(str(v) for v in row) for row in rows]
    finally:
        await engine.dispose()
    return "\n".join(lines)


def pg_dump(server: TemporaryPostgres, database: str) -> str:
    """``pg_dump`` of `database`: schema and data, as PostgreSQL itself writes them."""
    done = subprocess.run(
        [
            str(server.bin_dir / "pg_dump"),
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            server.user,
            database,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout
