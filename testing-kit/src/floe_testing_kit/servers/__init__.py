"""Real servers on loopback that stand in for a channel's destination."""

from floe_testing_kit.servers.http import (
    FakeHTTPServer,
    RecordedRequest,
    ResponseHandler,
    ScriptedResponse,
    unused_tcp_url,
)

__all__ = [
    "FakeHTTPServer",
    "RecordedRequest",
    "ResponseHandler",
    "ScriptedResponse",
    "unused_tcp_url",
]
