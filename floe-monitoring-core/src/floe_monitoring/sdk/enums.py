"""The closed vocabularies of an event: violation type, severity and status."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EventStatus", "Severity", "ViolationType"]


class ViolationType(StrEnum):
    """What kind of promise a contract broke."""

    FRESHNESS = "freshness"
    SCHEMA_DRIFT = "schema_drift"
    QUALITY = "quality"
    AVAILABILITY = "availability"
    DEPRECATION = "deprecation"


_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}


class Severity(StrEnum):
    """How bad a violation is; ordered ``info < warning < error < critical``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Position in the order, 0 for info up to 3 for critical."""
        return _RANK[self.value]

    # StrEnum would compare alphabetically ("critical" < "info"); compare by rank instead.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    # Defining ordering would otherwise drop the str hash inherited from StrEnum.
    __hash__ = StrEnum.__hash__


class EventStatus(StrEnum):
    """Whether a notification announces a broken promise or its recovery."""

    FIRING = "firing"
    RESOLVED = "resolved"
