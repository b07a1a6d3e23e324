"""The quickstart behind `floe sla demo`: a local lake, three contracts, a live monitor.

Needs the ``iceberg`` extra and the ``floe-alert-webhook`` channel::

    pip install 'floe-monitoring-core[iceberg]' floe-alert-webhook
    floe sla demo

The quickstart's contracts and `floe-monitor.yaml` ship in this package
(`quickstart_bytes`) and are copied into the demo's work folder.
"""

from floe_monitoring.demo.errors import DemoError
from floe_monitoring.demo.files import QUICKSTART_FILES, prepare_workdir, quickstart_bytes
from floe_monitoring.demo.receiver import ReceivedEvent, WebhookReceiver
from floe_monitoring.demo.report import print_final_report
from floe_monitoring.demo.scenario import DEFAULT_WORKDIR, RECEIVER_LOG, run_demo
from floe_monitoring.demo.verify import check_receiver_log, read_receiver_log

__all__ = [
    "DEFAULT_WORKDIR",
    "QUICKSTART_FILES",
    "RECEIVER_LOG",
    "DemoError",
    "ReceivedEvent",
    "WebhookReceiver",
    "check_receiver_log",
    "prepare_workdir",
    "print_final_report",
    "quickstart_bytes",
    "read_receiver_log",
    "run_demo",
]
