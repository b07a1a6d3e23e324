"""One self-contained HTML page for SLA reports: inline SVG charts, no external assets.

Everything from the store is escaped (contract names are untrusted text), so the page
can be opened locally or attached to a ticket safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from floe_monitoring.reports import SlaReport

__all__ = ["render_html"]

_WIDTH, _HEIGHT, _PAD = 640, 180, 32

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1f2328;max-width:1000px}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #eaeef2;text-align:left}
.ok{color:#1a7f37}.bad{color:#cf222e}.muted{color:#6e7781}svg{background:#f6f8fa;border-radius:6px}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def _compliance_chart(report: SlaReport) -> str:
    points = [(p.day.isoformat(), p.compliance) for p in report.series]
    if not points:
        return '<p class="muted">no daily data yet</p>'
    step = (_WIDTH - 2 * _PAD) / max(len(points) - 1, 1)
    coords = [
        (_PAD + i * step, _HEIGHT - _PAD - (value or 0.0) * (_HEIGHT - 2 * _PAD))
        for i, (_, value) in enumerate(points)
        if value is not None
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0969da"/>' for x, y in coords)
    labels = "".join(
        f'<text x="{_PAD + i * step:.1f}" y="{_HEIGHT - 8}" font-size="10" text-anchor="middle">{escape(day[5:])}</text>'
        for i, (day, _) in enumerate(points)
        if len(points) <= 14 or i % max(len(points) // 10, 1) == 0
    )
    target = min(c.target for c in report.check_types) if report.check_types else 0.99
    ty = _HEIGHT - _PAD - target * (_HEIGHT - 2 * _PAD)
    return (
        f'<svg width="{_WIDTH}" height="{_HEIGHT}" role="img" aria-label="daily compliance">'
        f'<line x1="{_PAD}" y1="{ty:.1f}" x2="{_WIDTH - _PAD}" y2="{ty:.1f}" stroke="#cf222e" stroke-dasharray="4 3"/>'
        f'<text x="{_WIDTH - _PAD}" y="{ty - 4:.1f}" font-size="10" text-anchor="end">target {_pct(target)}</text>'
        f'<polyline fill="none" stroke="#0969da" stroke-width="2" points="{line}"/>{dots}{labels}</svg>'
    )


def _violations_chart(report: SlaReport) -> str:
    bars = [(c.check_type, c.violations) for c in report.check_types]
    if not bars:
        return ""
    top = max(v for _, v in bars) or 1
    width = (_WIDTH - 2 * _PAD) / len(bars)
    parts = []
    for i, (name, count) in enumerate(bars):
        height = count / top * (_HEIGHT - 2 * _PAD)
        x = _PAD + i * width
        parts.append(
            f'<rect x="{x + 6:.1f}" y="{_HEIGHT - _PAD - height:.1f}" width="{width - 12:.1f}" height="{height:.1f}" fill="#cf222e"/>'
            f'<text x="{x + width / 2:.1f}" y="{_HEIGHT - 10}" font-size="11" text-anchor="middle">{escape(name)}</text>'
            f'<text x="{x + width / 2:.1f}" y="{_HEIGHT - _PAD - height - 4:.1f}" font-size="11" text-anchor="middle">{count}</text>'
        )
    return f'<svg width="{_WIDTH}" height="{_HEIGHT}" role="img" aria-label="violations by check type">{"".join(parts)}</svg>'


def _section(report: SlaReport) -> str:
    rows = "".join(
        f'<tr><td>{escape(c.check_type)}</td><td class="{"ok" if c.meets_target else "bad" if c.meets_target is False else "muted"}">'
        f"{_pct(c.compliance)}</td><td>{_pct(c.target)}</td><td>{c.violations}</td><td>{escape(c.trend.value)}</td>"
        f"<td>{_pct(c.error_budget_remaining)}</td></tr>"
        for c in report.check_types
    )
    return (
        f'<h2>{escape(report.contract_name)} <span class="muted">{escape(report.contract_id)}</span></h2>'
        f"<p>{escape(report.window_label)} window {escape(report.since.isoformat())} → {escape(report.until.isoformat())}; "
        f"overall compliance <b>{_pct(report.compliance)}</b></p>"
        f"<table><tr><th>check</th><th>compliance</th><th>target</th><th>violations</th><th>trend</th>"
        f"<th>error budget left</th></tr>{rows}</table>"
        f"<h3>Daily compliance</h3>{_compliance_chart(report)}"
        f"<h3>Violations</h3>{_violations_chart(report)}"
    )


def render_html(reports: Sequence[SlaReport]) -> str:
    """The page for `reports` (one section per contract)."""
    generated = reports[0].generated_at.isoformat() if reports else ""
    body = "".join(_section(r) for r in reports) or '<p class="muted">no contracts</p>'
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>floe SLA report</title>"
        f"<style>{_STYLE}</style></head><body><h1>floe SLA report</h1>"
        f'<p class="muted">generated {escape(generated)} from the monitor\'s state store</p>{body}</body></html>\n'
    )
