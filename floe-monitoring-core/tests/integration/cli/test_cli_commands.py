"""`floe sla ...` through a real subprocess: exit codes, JSON, and errors for people."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import SECRET, Project


def test_check_passes_and_prints_json(project: Project) -> None:
    done = project.floe("sla", "check", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {r["contract"] for r in data["results"]} == {"orders", "customers"}
    first = data["results"][0]
    assert set(first) >= {
        "contract",
        "check_type",
        "status",
        "severity",
        "element",
        "expected",
        "actual",
        "message",
        "duration_seconds",
    }
    assert data["summary"]["fail"] == 0
    assert data["summary"]["exit_code"] == 0


def test_check_exit_code_2_on_a_failure_with_a_readable_table(stale_project: Project) -> None:
    done = stale_project.floe("sla", "check")
    assert done.returncode == 2, done.stderr
    assert "orders" in done.stdout
    assert "fail" in done.stdout
    assert "checks:" in done.stdout


def test_check_selects_contracts_and_check_types(stale_project: Project) -> None:
    done = stale_project.floe(
        "sla", "check", "--contract", "customers", "--check", "freshness", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert [(r["contract"], r["check_type"]) for r in results] == [("customers", "freshness")]


def test_an_unknown_contract_is_bad_input(project: Project) -> None:
    done = project.floe("sla", "check", "--contract", "nope")
    assert done.returncode == 4
    assert done.stderr.strip() == "error: no such contract: nope"


def test_check_exit_code_3_when_a_check_cannot_be_evaluated(project: Project) -> None:
    (project.root / "lake" / "catalog.db").unlink()
    (project.root / "lake" / "catalog.db").mkdir()  # the catalog cannot be opened at all
    done = project.floe("sla", "check", "--check", "freshness", "--format", "json")
    assert done.returncode == 3, done.stdout + done.stderr
    assert {r["status"] for r in json.loads(done.stdout)["results"]} == {"error"}


def test_missing_config_is_one_line(tmp_path: Path) -> None:
    done = Project(tmp_path).floe("sla", "check")
    assert done.returncode == 4
    assert done.stderr.strip() == (
        "error: floe-monitor.yaml: config file not found (pass --config or set FLOE_MONITOR_CONFIG)"
    )
    assert "Traceback" not in done.stderr


def test_bad_yaml_names_the_line_and_debug_shows_the_traceback(project: Project) -> None:
    project.config.write_text("contracts: [\nstate: {}\n")
    done = project.floe("sla", "check")
    assert done.returncode == 4
    assert done.stderr.startswith("error: floe-monitor.yaml:")
    assert "invalid YAML" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    debug = project.floe("sla", "--debug", "check")
    assert "Traceback" in debug.stderr


def test_unknown_key_names_line_and_key(project: Project) -> None:
    text = project.config.read_text()
    project.config.write_text(text + "monitoring:\n  dedup_windw: 10m\n")
    line = len(text.splitlines()) + 2
    done = project.floe("sla", "config", "validate")
    assert done.returncode == 4
    assert (
        done.stderr.strip()
        == f"error: floe-monitor.yaml:{line}: monitoring.dedup_windw: unknown key"
    )


def test_config_validate_checks_channels_without_leaking_secrets(project: Project) -> None:
    good = project.floe("sla", "config", "validate")
    assert good.returncode == 0, good.stderr
    assert "is valid" in good.stdout
    bad = project.floe("sla", "config", "validate", env={"HOOK_SECRET": "not-a-whsec-" + SECRET})
    assert bad.returncode == 4
    assert "channel 'hook', field 'secret'" in bad.stderr
    assert SECRET not in bad.stderr + bad.stdout
    missing = project.floe("sla", "config", "validate", env={"HOOK_SECRET": ""})
    assert missing.returncode == 4


def test_usage_errors_exit_4_not_2(project: Project) -> None:
    done = project.floe("sla", "check", "--format", "xml")
    assert done.returncode == 4
    assert "Invalid value for '--format'" in done.stderr


def test_status_history_and_deliveries_read_the_real_store(stale_project: Project) -> None:
    notify = stale_project.floe("sla", "check", "--notify")
    assert notify.returncode == 2
    status = stale_project.floe("sla", "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert {c["name"] for c in data["contracts"]} == {"orders", "customers"}
    assert len(data["open_incidents"]) == 1
    assert data["outbox"]["pending"] + data["outbox"]["dead_letters"] == 1  # the hook is down
    history = stale_project.floe("sla", "history", "--contract", "orders", "--format", "json")
    assert history.returncode == 0, history.stderr
    assert any(r["status"] == "fail" for r in json.loads(history.stdout)["results"])
    deliveries = stale_project.floe("sla", "deliveries", "list", "--format", "json")
    [row] = json.loads(deliveries.stdout)
    assert row["channel"] == "hook"
    assert SECRET not in deliveries.stdout


def test_incidents_and_silences_round_trip(stale_project: Project) -> None:
    assert stale_project.floe("sla", "check", "--notify").returncode == 2
    listed = json.loads(stale_project.floe("sla", "incidents", "list", "--format", "json").stdout)
    incident = listed[0]["incident_id"]
    assert stale_project.floe("sla", "incidents", "ack", incident, "--by", "alice").returncode == 0
    assert stale_project.floe("sla", "incidents", "ack", "nope").returncode == 4
    added = stale_project.floe(
        "sla", "silence", "add", "--contract", "orders", "--duration", "2h", "--comment", "backfill"
    )
    assert added.returncode == 0, added.stderr
    silences = json.loads(stale_project.floe("sla", "silence", "list", "--format", "json").stdout)
    assert silences[0]["comment"] == "backfill"
    assert stale_project.floe("sla", "silence", "remove", silences[0]["silence_id"]).returncode == 0
    assert (
        stale_project.floe(
            "sla", "silence", "add", "--contract", "x", "--duration", "soon", "--comment", "c"
        ).returncode
        == 4
    )


def test_channels_list_and_a_failing_test_send(project: Project) -> None:
    listed = project.floe("sla", "channels", "list", "--format", "json")
    data = json.loads(listed.stdout)
    assert {"webhook", "slack", "pagerduty", "email"} <= {i["type"] for i in data["installed"]}
    assert data["configured"] == [{"name": "hook", "type": "webhook", "known": True}]
    sent = project.floe("sla", "channels", "test", "hook", "--format", "json", "--timeout", "5")
    assert sent.returncode == 2
    outcome = json.loads(sent.stdout)
    assert outcome["delivered"] is False
    assert outcome["retryable"] is True
    assert outcome["reason"] == "connection"
    assert project.floe("sla", "channels", "test", "nope").returncode == 4


def test_db_upgrade_and_the_schema(project: Project) -> None:
    upgraded = project.floe("sla", "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "revision" in upgraded.stdout
    schema = json.loads(project.floe("sla", "config", "schema").stdout)
    assert schema["title"] == "floe-monitor.yaml"
    assert {"contracts", "channels", "routing", "monitoring", "state"} <= set(schema["properties"])


def test_binary_and_empty_config_files(project: Project) -> None:
    project.config.write_bytes(b"\x00\x01\x02binary")
    done = project.floe("sla", "check")
    assert done.returncode == 4
    assert "not text" in done.stderr or "not UTF-8" in done.stderr
    project.config.write_text("")
    empty = project.floe("sla", "check", "--format", "json")
    assert empty.returncode == 0
    assert json.loads(empty.stdout)["results"] == []
