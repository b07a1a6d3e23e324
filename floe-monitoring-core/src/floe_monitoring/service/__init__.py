"""The long-running service: probes, metrics, signals."""

from floe_monitoring.service.http import HTTPResponse, ProbeServer
from floe_monitoring.service.runner import MonitorService

__all__ = ["HTTPResponse", "MonitorService", "ProbeServer"]
