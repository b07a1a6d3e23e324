"""Conformance kit for floe monitoring alert channels.

One command in a channel's CI (`floe-conformance <entry-point name>`) tests the
installed channel against real fake servers on loopback. Channels describe themselves
to the kit with a `ChannelProfile`; authors who prefer their own test module subclass
`ChannelConformance`.
"""

from importlib.metadata import version as _version

from floe_testing_kit.capture import LogCapture, LoopLagMonitor, capture_logs
from floe_testing_kit.cases import Case, Plan, plan_cases
from floe_testing_kit.checks import CATALOG, Check
from floe_testing_kit.conformance import ChannelConformance
from floe_testing_kit.events import hostile_event, large_event, make_event, resolved_of
from floe_testing_kit.harness import ConformanceFailure, Delivered, Destination, KitContext
from floe_testing_kit.packaging import PROFILE_ENTRY_POINT_GROUP, PackagingFailure
from floe_testing_kit.profile import ChannelProfile, Endpoint, RecordedMail, TextFormat, Transport
from floe_testing_kit.servers import (
    FakeHTTPServer,
    FakeSMTPServer,
    RecordedRequest,
    ResponseHandler,
    ScriptedResponse,
    unused_tcp_url,
)

__version__ = _version("floe-testing-kit")

__all__ = [
    "CATALOG",
    "PROFILE_ENTRY_POINT_GROUP",
    "Case",
    "ChannelConformance",
    "ChannelProfile",
    "Check",
    "ConformanceFailure",
    "Delivered",
    "Destination",
    "Endpoint",
    "FakeHTTPServer",
    "FakeSMTPServer",
    "KitContext",
    "LogCapture",
    "LoopLagMonitor",
    "PackagingFailure",
    "Plan",
    "RecordedMail",
    "RecordedRequest",
    "ResponseHandler",
    "ScriptedResponse",
    "TextFormat",
    "Transport",
    "__version__",
    "capture_logs",
    "hostile_event",
    "large_event",
    "make_event",
    "plan_cases",
    "resolved_of",
    "unused_tcp_url",
]
