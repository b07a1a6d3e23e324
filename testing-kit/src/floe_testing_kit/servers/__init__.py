"""Real servers on loopback that stand in for a channel's destination."""

from floe_testing_kit.servers.http import (
    FakeHTTPServer,
    RecordedRequest,
    ResponseHandler,
    ScriptedResponse,
    unused_tcp_url,
)
from floe_testing_kit.servers.smtp import FakeSMTPServer

__all__ = [
    "FakeHTTPServer",
    "FakeSMTPServer",
    "RecordedRequest",
    "ResponseHandler",
    "ScriptedResponse",
    "unused_tcp_url",
]
