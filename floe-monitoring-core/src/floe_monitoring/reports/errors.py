"""Errors of SLA reports; both derive from `floe_monitoring.errors.FloeError`.

::

FloeError
└── ReportError                 a report cannot be built from this input
    └── UnknownContractError    no contract with that id or name, and no history of one
"""

from __future__ import annotations

from floe_monitoring.errors import FloeError

__all__ = ["ReportError", "UnknownContractError"]


class ReportError(FloeError):
    """A report cannot be built: unknown window, bad bounds, unknown contract."""


class UnknownContractError(ReportError):
    """No registered contract has that id or name, and no results carry that id."""
