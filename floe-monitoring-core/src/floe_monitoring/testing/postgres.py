"""A throwaway PostgreSQL server from the machine's own binaries, for tests and benchmarks.

`initdb` and `pg_ctl` refuse to run as root, so when the process is root the server runs
as the unprivileged ``postgres`` user (``runuser``). It listens on 127.0.0.1 on a free
port and on a private unix socket; `stop()` removes everything it created.

Example:
    >>> with TemporaryPostgres() as pg:                  # doctest: +SKIP
    ...     url = pg.url("postgresql+asyncpg")
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["PostgresUnavailableError", "TemporaryPostgres", "find_pg_bin"]

_UNPRIVILEGED_USER = "postgres"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries on this machine, or the server did not start."""


def find_pg_bin() -> Path:
    """The folder holding `initdb` and `pg_ctl` (PATH first, then Debian's layout).

    Raises:
        PostgresUnavailableError: Neither place has them (``make setup`` installs them).
    """
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise PostgresUnavailableError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install the 'postgresql' "
        "package (make setup does this on Debian)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryPostgres:
    """Start a private PostgreSQL cluster; stop and delete it afterwards.

    Args:
        database: Name of the database to create.
        bin_dir: Folder of the server binaries (found automatically by default).
    """

    def __init__(self, database: str = "floe", bin_dir: Path | None = None) -> None:
        self.database = database
        self.bin_dir = bin_dir or find_pg_bin()
        self.port = 0
        self.user = _UNPRIVILEGED_USER if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        self._root: Path | None = None

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        assert self._root is not None, "start() first"
        return self._root / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _UNPRIVILEGED_USER, "--", *command]
        # The command is one of PostgreSQL's own binaries with arguments we built.
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=120, check=False
        )
        if check and done.returncode != 0:
            raise PostgresUnavailableError(
                f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}"
            )
        return done

    def start(self) -> Self:
        """Create the cluster and database and start the server."""
        self._root = Path(tempfile.mkdtemp(prefix="floe-pg-"))
        (self._root / "socket").mkdir()
        if os.geteuid() == 0:
            shutil.chown(self._root, user=_UNPRIVILEGED_USER)
            shutil.chown(self._root / "socket", user=_UNPRIVILEGED_USER)
        data = str(self.data_dir)
        self._run("initdb", "-D", data, "-U", self.user, "-A", "trust", "-E", "UTF8", "--no-sync")
        self.port = _free_port()
        self.resume()
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database
        )
        return self

    def url(self, driver: str = "postgresql+asyncpg", database: str | None = None) -> str:
        """A SQLAlchemy URL for the database (no password: trust authentication)."""
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database or self.database}"

    def pause(self) -> None:
        """Stop the server but keep its files (for outage tests; see `resume`)."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the (stopped) cluster on its port."""
        assert self._root is not None, "start() first"
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._root / 'socket'} "
            "-c fsync=off -c max_connections=200"
        )
        log = str(self._root / "server.log")
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", log, "-w", "start")

    def stop(self, *, remove: bool = True) -> None:
        """Stop the server (fast shutdown) and delete its files."""
        if self._root is None:
            return
        if self.data_dir.exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
        if remove:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
