"""The monitor engine: `ContractMonitor` and what it reports."""

from floe_monitoring.engine.monitor import ContractMonitor
from floe_monitoring.engine.processor import Processed, ResultProcessor
from floe_monitoring.engine.status import ChannelState, MonitorStatus, ReloadReport

__all__ = [
    "ChannelState",
    "ContractMonitor",
    "MonitorStatus",
    "Processed",
    "ReloadReport",
    "ResultProcessor",
]
