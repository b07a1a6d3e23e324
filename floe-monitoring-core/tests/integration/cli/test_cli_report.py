"""`floe sla report` from the real store: JSON, a table, and a self-contained HTML page."""

from __future__ import annotations

import json
import re

from .conftest import Project


def test_report_json_table_and_html(stale_project: Project) -> None:
    assert stale_project.floe("sla", "check", "--notify").returncode == 2
    done = stale_project.floe(
        "sla", "report", "--contract", "orders", "--window", "daily", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["contract_name"] == "orders"
    freshness = next(c for c in report["check_types"] if c["check_type"] == "freshness")
    assert freshness["counts"]["failed"] == 1
    assert freshness["violations"] == 1
    assert freshness["method"] == "time"

    table = stale_project.floe("sla", "report", "--window", "rolling-7d")
    assert table.returncode == 0, table.stderr
    assert "customers" in table.stdout
    assert "orders" in table.stdout
    assert "overall compliance" in table.stdout

    page_path = stale_project.root / "report.html"
    html = stale_project.floe("sla", "report", "--format", "html", "--output", str(page_path))
    assert html.returncode == 0, html.stderr
    page = page_path.read_text()
    assert page.startswith("<!doctype html>")
    assert page.count("<svg") >= 4  # compliance and violations charts for two contracts
    # Self-contained: no external scripts, styles, images or fonts.
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert "<script" not in page


def test_report_input_errors(project: Project) -> None:
    unknown = project.floe("sla", "report", "--contract", "nope")
    assert unknown.returncode == 4
    assert unknown.stderr.strip() == "error: no contract with id or name 'nope'"
    window = project.floe("sla", "report", "--window", "yearly")
    assert window.returncode == 4
    assert "unknown window 'yearly'" in window.stderr
    since = project.floe("sla", "report", "--since", "last tuesday")
    assert since.returncode == 4
    assert "--since: not an ISO-8601 date or time" in since.stderr
