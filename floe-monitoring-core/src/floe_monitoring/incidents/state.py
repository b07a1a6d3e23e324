"""`IncidentState`: what the tracker remembers about one check between two results.

The engine stores it as JSON next to the check (one row per check key) and hands it
back with the next result, so it is frozen, small and round-trips through JSON.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from floe_monitoring.sdk.enums import EventStatus, Severity
from floe_monitoring.sdk.event import MAX_DEDUP_KEY_LENGTH, utc_datetime

__all__ = ["IncidentPhase", "IncidentState", "OpenIncident"]


class IncidentPhase(StrEnum):
    """Where a check stands in ok → pending → firing → resolved.

    ``pending`` has failed fewer than ``fire_after`` times in a row; ``resolved`` is a
    check whose last incident has recovered and, for the next failure, behaves like
    ``ok``.
    """

    OK = "ok"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class OpenIncident(BaseModel):
    """The incident receivers were told about and not yet told is resolved.

    Attributes:
        incident_id: Names this incident (derived from `dedup_key`).
        dedup_key: Stable for this incident's life, at most 255 characters.
        opened_at: When the tracker opened it (the ``now`` of the opening result).
        first_seen_at: When the first failing result of the run that opened it started.
        occurrences: Failing results counted in this incident.
        severity: The severity of the latest failing result.
        last_notified_at: When receivers last heard about it (drives repeats).
        last_notified_severity: The severity they last heard (drives escalations).

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: uuid.UUID
    dedup_key: str = Field(min_length=1, max_length=MAX_DEDUP_KEY_LENGTH)
    opened_at: utc_datetime
    first_seen_at: utc_datetime
    occurrences: int = Field(ge=1)
    severity: Severity
    last_notified_at: utc_datetime
    last_notified_severity: Severity


class IncidentState(BaseModel):
    """The tracker's memory of one check (one contract, check type and element).

    Attributes:
        check_key: ``CheckResult.key`` of the check this state belongs to.
        phase: The violation state machine's state.
        consecutive_failures: Failing results in a row (``error`` does not break a run).
        consecutive_passes: Passing or warning results in a row.
        failing_since: Start of the first result of the current failing run.
        last_failure_severity: Severity of the latest failing result.
        history: The last pass/fail outcomes, oldest first: ``F`` fail, ``P`` pass/warn.
        flapping: Whether the check is flapping (notifications are held back).
        incidents_opened: How many incidents this check has opened (numbers the keys).
        incident: The open incident, if receivers have one.
        consecutive_errors: ``error`` results in a row.
        errors_since: Start of the first ``error`` result of that run.
        cannot_evaluate_sent: Whether the "cannot evaluate" notice went out for that run.

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    check_key: str = Field(min_length=1)
    phase: IncidentPhase = IncidentPhase.OK
    consecutive_failures: int = Field(default=0, ge=0)
    consecutive_passes: int = Field(default=0, ge=0)
    failing_since: utc_datetime | None = None
    last_failure_severity: Severity | None = None
    history: str = Field(default="", max_length=100, pattern=r"^[FP]*$")
    flapping: bool = False
    incidents_opened: int = Field(default=0, ge=0)
    incident: OpenIncident | None = None
    consecutive_errors: int = Field(default=0, ge=0)
    errors_since: utc_datetime | None = None
    cannot_evaluate_sent: bool = False

    @model_validator(mode="after")
    def _one_run_at_a_time(self) -> Self:
        if self.consecutive_failures and self.consecutive_passes:
            raise ValueError("a check cannot be on a failing and a passing run at once")
        return self

    @property
    def dedup_key(self) -> str | None:
        """The open incident's dedup key, if one is open."""
        return self.incident.dedup_key if self.incident else None

    @property
    def incident_id(self) -> uuid.UUID | None:
        """The open incident's id, if one is open."""
        return self.incident.incident_id if self.incident else None

    @property
    def last_notified_status(self) -> EventStatus | None:
        """What receivers last heard about this check's violations (None: nothing yet)."""
        if self.incident is not None:
            return EventStatus.FIRING
        return EventStatus.RESOLVED if self.incidents_opened else None
