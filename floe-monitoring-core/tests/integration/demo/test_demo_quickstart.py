"""`floe sla demo` end to end: the real command, its receiver log and its state store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from floe_monitoring.contracts import parse_contract
from floe_monitoring.demo import QUICKSTART_FILES, quickstart_bytes
from floe_monitoring.demo.files import evolved_customers_contract
from floe_monitoring.store import StateStore

FLOE = Path(sys.executable).with_name("floe")
REPO = Path(__file__).resolve().parents[4]
EXAMPLES = REPO / "examples" / "quickstart"
CUSTOMERS_ID = "urn:datacontract:crm:customers"


@dataclass(frozen=True)
class DemoRun:
    workdir: Path
    process: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def log(self) -> Path:
        return self.workdir / "receiver" / "events.jsonl"

    def events(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def floe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FLOE_")}
    environ.update(env or {}, COLUMNS="200")
    return subprocess.run(
        [str(FLOE), *args], capture_output=True, text=True, timeout=170, env=environ, check=False
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One run of the whole demo, shared by the tests that read what it left."""
    workdir = tmp_path_factory.mktemp("demo") / "work"
    began = time.monotonic()
    process = floe("sla", "demo", "--workdir", str(workdir))
    return DemoRun(workdir, process, time.monotonic() - began)


def _key(body: dict[str, Any]) -> tuple[str, str, str, str]:
    data = body["data"]
    return (
        data["contractName"],
        data["violationType"],
        data["metadata"]["notification"],
        data["severity"],
    )


def test_the_demo_exits_0_within_two_minutes_and_tells_the_story(demo_run: DemoRun) -> None:
    out = demo_run.process.stdout
    assert demo_run.process.returncode == 0, out + demo_run.process.stderr
    assert demo_run.seconds < 120
    assert "Traceback" not in out + demo_run.process.stderr
    for title in (
        "A small lake",
        "The monitor starts",
        "Data goes stale",
        "The schema drifts",
        "A quality rule breaks",
        "Everything recovers",
        "A silence",
        "The report",
    ):
        assert title in out
    assert "did not go as expected" not in out
    assert "✓ the receiver log holds the 6 expected notifications" in out
    assert out.count("webhook received") == 6
    assert f"receiver log: {demo_run.log}" in out
    assert "SLA report" in out


def test_the_receiver_log_holds_the_firing_and_resolved_notifications(demo_run: DemoRun) -> None:
    events = demo_run.events()
    assert all(e["type"] == "floe.contract.violation" for e in events)
    assert all(e["source"] == "floe-contract-monitor" for e in events)
    keys = [_key(e) for e in events]
    firing = [k for k in keys if k[2] == "firing"]
    assert firing == [
        ("orders", "freshness", "firing", "error"),
        ("customers", "schema_drift", "firing", "critical"),
        ("payments", "quality", "firing", "error"),
    ]
    resolved = {k[:3] for k in keys if k[2] == "resolved"}
    assert resolved == {
        ("orders", "freshness", "resolved"),
        ("customers", "schema_drift", "resolved"),
        ("payments", "quality", "resolved"),
    }
    assert len(events) == 6
    # Each resolved notification closes the incident its firing one opened.
    by_status: dict[str, set[str]] = {"firing": set(), "resolved": set()}
    for event in events:
        by_status[event["data"]["status"]].add(event["data"]["dedupKey"])
    assert by_status["firing"] == by_status["resolved"]


def test_the_schema_drift_alert_names_the_drop_and_the_widening(demo_run: DemoRun) -> None:
    [drift] = [e["data"] for e in demo_run.events() if _key(e)[1:3] == ("schema_drift", "firing")]
    assert "phone" in drift["message"]
    assert "loyalty_points" in drift["message"]
    assert "widening" in drift["message"]


async def test_the_silenced_check_failed_and_sent_nothing(demo_run: DemoRun) -> None:
    sent = [e for e in demo_run.events() if _key(e)[:2] == ("customers", "quality")]
    assert sent == []
    store = StateStore(f"sqlite+aiosqlite:///{demo_run.workdir / 'state' / 'monitor.db'}")
    await store.open()
    try:
        suppressions = await store.suppressions(contract_id=CUSTOMERS_ID)
        incidents = await store.incidents(contract_id=CUSTOMERS_ID)
        silences = await store.silences()
    finally:
        await store.close()
    assert [s["reason"] for s in suppressions] == ["silenced"]
    assert {(i["check_type"], i["status"]) for i in incidents} == {
        ("schema_drift", "resolved"),
        ("quality", "firing"),
    }
    assert len(silences) == 1
    assert silences[0]["created_by"] == "floe sla demo"


def test_the_work_folder_holds_the_quickstart_and_the_evolved_contract(demo_run: DemoRun) -> None:
    assert (demo_run.workdir / "floe-monitor.yaml").read_bytes() == quickstart_bytes(
        "floe-monitor.yaml"
    )
    customers = (demo_run.workdir / "contracts" / "customers.yaml").read_text()
    assert "version: 1.1.0" in customers
    assert (demo_run.workdir / "lake" / "catalog.db").is_file()


def test_examples_are_the_packaged_quickstart_byte_for_byte() -> None:
    for name in QUICKSTART_FILES:
        assert (EXAMPLES / name).read_bytes() == quickstart_bytes(name), name
    shipped = {
        p.relative_to(EXAMPLES).as_posix()
        for p in EXAMPLES.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    assert shipped == set(QUICKSTART_FILES)
    assert (EXAMPLES / "README.md").is_file()


def test_every_packaged_contract_loads() -> None:
    ids = set()
    for name in QUICKSTART_FILES[1:]:
        contract = parse_contract(quickstart_bytes(name).decode(), source=name)
        assert contract.warnings == ()
        assert contract.iceberg_server is not None
        ids.add(contract.id)
    assert len(ids) == 3


def test_the_evolved_customers_contract_describes_the_new_schema() -> None:
    original = quickstart_bytes("contracts/customers.yaml").decode()
    evolved = parse_contract(evolved_customers_contract(original), source="customers.yaml")
    [customers] = evolved.objects
    assert evolved.version == "1.1.0"
    assert customers.property("phone") is None
    points = customers.property("loyalty_points")
    assert points is not None
    assert points.physical_type == "long"


def test_setup_only_makes_a_lake_that_floe_sla_check_passes(tmp_path: Path) -> None:
    workdir = tmp_path / "lake-only"
    made = floe("sla", "demo", "--setup-only", "--workdir", str(workdir))
    assert made.returncode == 0, made.stdout + made.stderr
    assert not (workdir / "receiver").exists()
    config = str(workdir / "floe-monitor.yaml")
    checked = floe("sla", "--config", config, "check", "--format", "json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    summary = json.loads(checked.stdout)["summary"]
    assert (summary["checks"], summary["pass"], summary["contracts"]) == (12, 12, 3)
    # The repository's copy reads the same lake when told where it is.
    examples = floe(
        "sla",
        "--config",
        str(EXAMPLES / "floe-monitor.yaml"),
        "check",
        "--format",
        "json",
        env={"FLOE_DEMO_DIR": str(workdir)},
    )
    assert examples.returncode == 0, examples.stdout + examples.stderr
    assert json.loads(examples.stdout)["summary"]["pass"] == 12
    assert not (EXAMPLES / "state").exists()


def test_a_folder_the_demo_did_not_make_is_never_wiped(tmp_path: Path) -> None:
    keep = tmp_path / "precious.txt"
    keep.write_text("do not delete")
    refused = floe("sla", "demo", "--setup-only", "--workdir", str(tmp_path))
    assert refused.returncode == 4
    assert refused.stderr.startswith("error: ")
    assert "not made by `floe sla demo`" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert keep.read_text() == "do not delete"


def test_a_folder_of_an_earlier_demo_is_wiped(tmp_path: Path) -> None:
    workdir = tmp_path / "again"
    assert floe("sla", "demo", "--setup-only", "--workdir", str(workdir)).returncode == 0
    leftover = workdir / "leftover.txt"
    leftover.write_text("from the last run")
    assert floe("sla", "demo", "--setup-only", "--workdir", str(workdir)).returncode == 0
    assert not leftover.exists()
    assert (workdir / "floe-monitor.yaml").is_file()
