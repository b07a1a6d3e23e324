"""Tables for people (rich), with untrusted text never read as markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

__all__ = ["STATUS_STYLE", "fmt_time", "table"]

STATUS_STYLE = {
    "pass": "green",
    "warn": "yellow",
    "fail": "bold red",
    "error": "magenta",
    "skipped": "dim",
    "firing": "bold red",
    "resolved": "green",
    "acknowledged": "yellow",
    "pending": "yellow",
    "delivered": "green",
    "dead": "bold red",
    "healthy": "green",
    "degraded": "yellow",
    "unhealthy": "bold red",
    "failed": "bold red",
}


def fmt_time(value: Any) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM:SSZ`` (or the value as text)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    return "" if value is None else str(value)


def table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    status_column: str | None = None,
) -> Table:
    """A rich table; every cell is plain text (contract text can hold ``[``)."""
    result = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    index = columns.index(status_column) if status_column in columns else -1
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = fmt_time(value)
            cells.append(Text(text, style=STATUS_STYLE.get(text, "")) if i == index else Text(text))
        result.add_row(*cells)
    return result
