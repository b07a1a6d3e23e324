"""The base install must not need PyIceberg, PyArrow or DuckDB to import these packages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pyiceberg", "pyarrow", "duckdb", "sqlalchemy")


@pytest.mark.parametrize(
    "module",
    [
        "floe_monitoring",
        "floe_monitoring.contracts",
        "floe_monitoring.checks",
        "floe_monitoring.catalog",
        "floe_monitoring.errors",
    ],
)
def test_import_does_not_pull_heavy_dependencies(module: str) -> None:
    code = (
        "import json, sys\n"
        f"import {module}\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []


def test_contracts_work_when_pyiceberg_cannot_be_imported() -> None:
    # Simulate the base install: importing pyiceberg/pyarrow/duckdb fails outright.
    code = (
        "import sys\n"
        "for name in ('pyiceberg', 'pyarrow', 'duckdb'):\n"
        "    sys.modules[name] = None\n"
        "from floe_monitoring.contracts import parse_contract\n"
        "from floe_monitoring.checks import checks_for_contract\n"
        "c = parse_contract('apiVersion: v3.1.0\\nkind: DataContract\\nid: x\\nversion: 1\\n"
        "schema:\\n  - name: t\\n')\n"
        "print(len(checks_for_contract(c)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "1"  # the availability check of table t
