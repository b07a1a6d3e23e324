"""A real HTTP/1.1 server on 127.0.0.1:0 that answers from a script and records requests.

It speaks HTTP over asyncio streams rather than through a web framework so that it can
misbehave on purpose: hang past a client's deadline, or reset the connection after
reading a request. Optional TLS uses a throwaway CA made at run time with `trustme`.

Example:
    >>> async with FakeHTTPServer() as server:                    # doctest: +SKIP
    ...     server.script(ScriptedResponse(429, headers={"Retry-After": "3"}),
    ...                   ScriptedResponse(200, body=b"ok"))
    ...     ...  # point the channel at server.url
    ...     assert server.requests[0].method == "POST"
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "FakeHTTPServer",
    "RecordedRequest",
    "ResponseHandler",
    "ScriptedResponse",
    "unused_tcp_url",
]

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    410: "Gone",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class ScriptedResponse:
    """What the server does with one request (`accepted` when it is a 2xx answer).

    Attributes:
        status: HTTP status code.
        headers: Response headers.
        body: Response body.
        delay: Seconds to wait before answering.
        hang: Never answer (until the client gives up or the server closes).
        reset: Read the request, then reset the connection (TCP RST) without answering.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    hang: bool = False
    reset: bool = False

    @property
    def accepted(self) -> bool:
        """True when the request gets a 2xx answer (no hang, no reset)."""
        return 200 <= self.status < 300 and not (self.hang or self.reset)

    @classmethod
    def json(cls, status: int, text: str, **headers: str) -> ScriptedResponse:
        """A response with a JSON body given as text."""
        return cls(status, {"Content-Type": "application/json", **headers}, text.encode("utf-8"))


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server read it.

    Attributes:
        method: HTTP method.
        target: The request target as sent (path and query).
        headers: Header names lower-cased; repeated headers joined with ", ".
        body: The raw body bytes.
        received_at: `time.monotonic()` when the request was complete.
    """

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def path(self) -> str:
        """The target's path."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The target's query parameters."""
        return dict(parse_qsl(urlsplit(self.target).query))

    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", "replace")


#: Builds the answer to a request when no scripted response is queued.
ResponseHandler = Callable[[RecordedRequest], ScriptedResponse]


class FakeHTTPServer:
    """A scripted HTTP/1.1 server for channel tests (keep-alive, TLS optional).

    Args:
        handler: Answers requests when the script is empty (default: 200, empty body).
        tls: Serve HTTPS with a certificate for 127.0.0.1/localhost from a test CA;
            the CA bundle's path is `ca_bundle`.
    """

    def __init__(self, handler: ResponseHandler | None = None, *, tls: bool = False) -> None:
        self.handler: ResponseHandler = handler or (lambda _request: ScriptedResponse())
        self.requests: list[RecordedRequest] = []
        self.exchanges: list[tuple[RecordedRequest, ScriptedResponse]] = []
        self._script: deque[ScriptedResponse] = deque()
        self._tls = tls
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._arrived = asyncio.Condition()
        self._ca_dir: str | None = None
        self.ca_bundle: str | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on 127.0.0.1 on a free port."""
        context = self._make_tls_context() if self._tls else None
        self._server = await asyncio.start_server(
            self._serve_connection, "127.0.0.1", 0, ssl=context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening and drop every open connection (hanging ones included)."""
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None
        if self._ca_dir is not None:
            import shutil

            shutil.rmtree(self._ca_dir, ignore_errors=True)
            self._ca_dir = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """Base URL, for example ``http://127.0.0.1:43125``."""
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------------

    def script(self, *responses: ScriptedResponse) -> None:
        """Queue responses; each request takes the next one, then `handler` answers."""
        self._script.extend(responses)

    def clear(self) -> None:
        """Forget recorded requests and queued responses."""
        self.requests.clear()
        self.exchanges.clear()
        self._script.clear()

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:  # noqa: ASYNC109
        """Wait until at least `count` requests have arrived.

        Raises:
            TimeoutError: Fewer arrived within `timeout` seconds.
        """
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)
        return list(self.requests)

    # -- serving ---------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                response = self._script.popleft() if self._script else self.handler(request)
                async with self._arrived:
                    self.requests.append(request)
                    self.exchanges.append((request, response))
                    self._arrived.notify_all()
                if response.reset:
                    _reset(writer)
                    return
                if response.hang:
                    await asyncio.Event().wait()  # until close() cancels us
                if response.delay:
                    await asyncio.sleep(response.delay)
                writer.write(_encode_response(response))
                await writer.drain()
                if request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            # close() cancels open connections; ending quietly keeps asyncio's
            # connection callback from logging the cancellation as an error.
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    def _make_tls_context(self) -> ssl.SSLContext:
        import tempfile

        import trustme

        authority = trustme.CA()
        cert = authority.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._ca_dir = tempfile.mkdtemp(prefix="floe-kit-ca-")
        self.ca_bundle = f"{self._ca_dir}/ca.pem"
        authority.cert_pem.write_to_path(self.ca_bundle)
        return context


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length", "0") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large for the fake server")
        body = await reader.readexactly(length) if length else b""
    return RecordedRequest(method, target, headers, body, time.monotonic())


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _encode_response(response: ScriptedResponse) -> bytes:
    reason = _REASONS.get(response.status, "Status")
    headers = {k.lower(): v for k, v in response.headers.items()}
    headers.setdefault("content-length", str(len(response.body)))
    head = f"HTTP/1.1 {response.status} {reason}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return head.encode("latin-1") + b"\r\n" + response.body


def _reset(writer: asyncio.StreamWriter) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST: "connection reset".
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def unused_tcp_url(scheme: str = "http") -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}"
