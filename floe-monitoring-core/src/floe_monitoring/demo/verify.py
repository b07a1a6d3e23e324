"""What the receiver's log must hold after the demo (the demo checks it; so can CI).

Each line of the log is one body the webhook delivered: a CloudEvent whose ``data`` is
the `ContractViolationEvent`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["EXPECTED", "SILENCED", "check_receiver_log", "read_receiver_log"]

#: (contract, violation type, notification, severity or None for any) the log must hold.
EXPECTED: tuple[tuple[str, str, str, str | None], ...] = (
    ("orders", "freshness", "firing", "error"),
    ("customers", "schema_drift", "firing", "critical"),
    ("payments", "quality", "firing", "error"),
    ("orders", "freshness", "resolved", None),
    ("customers", "schema_drift", "resolved", None),
    ("payments", "quality", "resolved", None),
)
#: The silenced (contract, violation type): nothing about it may reach the receiver.
SILENCED = ("customers", "quality")


def read_receiver_log(path: Path) -> list[dict[str, Any]]:
    """The events of the log, in arrival order (a CloudEvent's ``data``, else the line)."""
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        body = json.loads(line)
        data = body.get("data") if isinstance(body, dict) else None
        events.append(data if isinstance(data, dict) else body)
    return events


def check_receiver_log(path: Path) -> list[str]:
    """What is wrong with the log (an empty list when it holds exactly the story)."""
    try:
        events = read_receiver_log(path)
    except (OSError, ValueError) as exc:
        return [f"cannot read the receiver log {path}: {exc}"]
    seen = {
        (
            e.get("contractName"),
            e.get("violationType"),
            (e.get("metadata") or {}).get("notification") or e.get("status"),
            e.get("severity"),
        )
        for e in events
    }
    problems = [
        f"no {kind} notification for {contract} {check}"
        + (f" with severity {severity}" if severity else "")
        for contract, check, kind, severity in EXPECTED
        if not any(
            s[:3] == (contract, check, kind) and (severity is None or s[3] == severity)
            for s in seen
        )
    ]
    leaked = [e for e in events if (e.get("contractName"), e.get("violationType")) == SILENCED]
    if leaked:
        problems.append(f"{len(leaked)} notification(s) for the silenced {' '.join(SILENCED)}")
    return problems
