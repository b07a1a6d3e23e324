"""Conformance kit for floe monitoring alert channels.

One command in a channel's CI (`floe-conformance <entry-point name>`) tests the
installed channel against real fake servers on loopback. Channels describe themselves
to the kit with a `ChannelProfile`.
"""

from importlib.metadata import version as _version

from floe_testing_kit.profile import ChannelProfile, Endpoint, RecordedMail, TextFormat, Transport
from floe_testing_kit.servers import (
    FakeHTTPServer,
    RecordedRequest,
    ResponseHandler,
    ScriptedResponse,
    unused_tcp_url,
)

__version__ = _version("floe-testing-kit")

__all__ = [
    "ChannelProfile",
    "Endpoint",
    "FakeHTTPServer",
    "RecordedMail",
    "RecordedRequest",
    "ResponseHandler",
    "ScriptedResponse",
    "TextFormat",
    "Transport",
    "__version__",
    "unused_tcp_url",
]
