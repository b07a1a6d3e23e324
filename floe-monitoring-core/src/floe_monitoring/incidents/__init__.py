"""Incidents: a check's results become few, well-keyed notifications.

`IncidentTracker.observe` takes a check's stored `IncidentState` and its new
`CheckResult` and returns the new state and the `Notification` list to send: firing
after N failures, resolved after M passes, escalations, optional reminders, one notice
for a flapping check, and a separate notice when the check cannot be evaluated.
"""

from floe_monitoring.incidents.notifications import Notification, NotificationKind
from floe_monitoring.incidents.policy import IncidentPolicy
from floe_monitoring.incidents.severity import IncidentPriority, incident_priority, result_severity
from floe_monitoring.incidents.state import IncidentPhase, IncidentState, OpenIncident
from floe_monitoring.incidents.tracker import IncidentTracker

__all__ = [
    "IncidentPhase",
    "IncidentPolicy",
    "IncidentPriority",
    "IncidentState",
    "IncidentTracker",
    "Notification",
    "NotificationKind",
    "OpenIncident",
    "incident_priority",
    "result_severity",
]
