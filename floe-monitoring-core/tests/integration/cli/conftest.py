"""A config file, a lake and contracts on disk: what a person running `floe` has."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from floe_monitoring.catalog.local import create_local_catalog, write_table

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)

CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:cli:{name}
name: {name}
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: default
    namespace: shop
schema:
  - name: {name}
    properties:
      - name: id
        logicalType: integer
        physicalType: long
        required: true
      - name: updated_at
        logicalType: timestamp
slaProperties:
  - property: latency
    value: {hours}
    unit: h
    element: {name}.updated_at
"""

CONFIG = """\
contracts:
  - contracts/*.yaml
catalog:
  properties:
    type: sql
    uri: sqlite:///lake/catalog.db
    warehouse: file://{warehouse}
state:
  url: sqlite+aiosqlite:///state/monitor.db
channels:
  hook:
    type: webhook
    url: http://127.0.0.1:9/never
    mode: json
    secret: ${{HOOK_SECRET}}
    allow_insecure_http: true
routing:
  - channel: hook
"""

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Project:
    """A folder with floe-monitor.yaml, contracts and an Iceberg lake."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "floe-monitor.yaml"

    def floe(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the real `floe` command in the project folder."""
        command = [str(Path(sys.executable).parent / "floe"), *args]
        full_env = {**os.environ, "HOOK_SECRET": SECRET, **(env or {})}
        full_env.pop("FLOE_MONITOR_CONFIG", None)
        return subprocess.run(
            command,
            cwd=self.root,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def make_project(root: Path, *, stale_hours: float = 0.1) -> Project:
    (root / "contracts").mkdir(parents=True)
    (root / "lake").mkdir()
    catalog = create_local_catalog(root / "lake")
    now = datetime.now(UTC)
    for name, age in (("orders", stale_hours), ("customers", 0.1)):
        write_table(
            catalog,
            f"shop.{name}",
            {"id": [1, 2], "updated_at": [now - timedelta(hours=age)] * 2},
            schema=SCHEMA,
        )
        (root / "contracts" / f"{name}.yaml").write_text(CONTRACT.format(name=name, hours=1))
    catalog.close()
    (root / "floe-monitor.yaml").write_text(
        CONFIG.format(warehouse=(root / "lake" / "warehouse").resolve())
    )
    return Project(root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "fresh")


@pytest.fixture
def stale_project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "stale", stale_hours=5)
