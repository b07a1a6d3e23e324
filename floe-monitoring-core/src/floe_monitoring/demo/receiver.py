"""A loopback webhook receiver: logs every event it is sent, one JSON line each.

A small HTTP/1.1 server on ``127.0.0.1`` (keep-alive, ``Content-Length`` or chunked
bodies) that answers ``200`` to a ``POST`` of JSON, checks the Standard Webhooks
signature when it knows the shared secret, appends the body to a JSONL file and tells
its listener. It is the demo's stand-in for a real endpoint, so the core needs no test
server of the kit at run time.

Example:
    >>> async with WebhookReceiver(Path("events.jsonl")) as receiver:  # doctest: +SKIP
    ...     print(receiver.url)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = ["ReceivedEvent", "WebhookReceiver"]

_MAX_BODY = 1024 * 1024
_MAX_LINE = 16 * 1024


@dataclass(frozen=True)
class ReceivedEvent:
    """One notification as the receiver got it.

    Attributes:
        body: The JSON body (a CloudEvent in the webhook's structured mode).
        verified: Whether the signature matched the shared secret (None: no secret).
        received_at: When it arrived (wall clock, UTC).
    """

    body: dict[str, Any]
    verified: bool | None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def event(self) -> dict[str, Any]:
        """The `ContractViolationEvent` fields: a CloudEvent's ``data``, else the body."""
        data = self.body.get("data")
        if "specversion" in self.body and isinstance(data, dict):
            return data
        return self.body

    def get(self, name: str) -> str:
        """A top-level event field as text (``""`` when absent)."""
        value = self.event.get(name)
        return "" if value is None else str(value)

    @property
    def notification(self) -> str:
        """firing, resolved, escalated, ... (the event's ``status`` when not given)."""
        metadata = self.event.get("metadata")
        kind = metadata.get("notification") if isinstance(metadata, dict) else None
        return str(kind) if kind else self.get("status")


Listener = Callable[[ReceivedEvent], None]


class WebhookReceiver:
    """Serve ``POST /events`` on a free loopback port and log what arrives.

    Args:
        log_path: The JSONL file every accepted body is appended to.
        secret: The ``whsec_`` secret the sender signs with, to verify signatures.
        on_event: Called with each accepted event, as it arrives.
    """

    def __init__(
        self, log_path: Path, *, secret: str | None = None, on_event: Listener | None = None
    ) -> None:
        self.log_path = log_path
        self._key = _decode_secret(secret) if secret else None
        self._on_event = on_event
        self.events: list[ReceivedEvent] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """Where to send events."""
        return f"http://127.0.0.1:{self.port}/events"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind a free port on 127.0.0.1 and start serving."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.touch()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0, limit=_MAX_LINE)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._writers):
            writer.close()
        await server.wait_closed()

    # -- HTTP ------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the sender went away (or a health probe only connected): nothing to do
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the connection should close."""
        line = await reader.readline()
        if not line.strip():
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3:
            await _respond(writer, 400, {"error": "bad request line"}, close=True)
            return False
        method, target, _ = parts
        headers = await _read_headers(reader)
        try:
            body = await _read_body(reader, headers)
        except ValueError as exc:
            await _respond(writer, 413 if "large" in str(exc) else 400, {"error": str(exc)}, True)
            return False
        status, answer = self._handle(method, target, headers, body)
        close = headers.get("connection", "").lower() == "close"
        await _respond(writer, status, answer, close)
        return not close

    def _handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        if method != "POST":
            return 405, {"error": "POST events here"}
        if target.split("?", 1)[0] != "/events":
            return 404, {"error": "not found: POST /events"}
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {"error": "the body is not JSON"}
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(item, dict) for item in items):
            return 400, {"error": "expected a JSON object (or an array of them)"}
        verified = self._verify(headers, body)
        if verified is False:
            return 401, {"error": "the signature does not match the shared secret"}
        received = [ReceivedEvent(item, verified) for item in items]
        # A few hundred bytes appended to a local file: cheaper than a thread hop, and
        # written before the 200 so the log is complete once the sender hears back.
        with self.log_path.open("a", encoding="utf-8") as log:
            for event in received:
                log.write(json.dumps(event.body, separators=(",", ":"), sort_keys=True) + "\n")
        for event in received:
            self.events.append(event)
            if self._on_event is not None:
                self._on_event(event)
        return 200, {"received": len(received)}

    def _verify(self, headers: dict[str, str], body: bytes) -> bool | None:
        """Standard Webhooks: HMAC-SHA256 of ``id.timestamp.body`` under the secret."""
        if self._key is None:
            return None
        message_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        signed = f"{message_id}.{stamp}.".encode() + body
        expected = base64.b64encode(hmac.new(self._key, signed, hashlib.sha256).digest())
        offered = [
            part.split(",", 1)[1].encode()
            for part in headers.get("webhook-signature", "").split()
            if part.startswith("v1,")
        ]
        return bool(message_id and stamp) and any(
            hmac.compare_digest(expected, candidate) for candidate in offered
        )


def _decode_secret(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        raise ValueError("the receiver's secret is not a whsec_ base64 secret") from None


async def _read_headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(100):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        size_total = 0
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await _read_headers(reader)  # trailers, if any, and the final blank line
                return b"".join(chunks)
            size_total += size
            if size_total > _MAX_BODY:
                raise ValueError("body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length") or 0)
    if length < 0:
        raise ValueError("negative Content-Length")
    if length > _MAX_BODY:
        raise ValueError("body too large")
    return await reader.readexactly(length)


async def _respond(
    writer: asyncio.StreamWriter, status: int, body: dict[str, Any], close: bool
) -> None:
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
    reasons |= {405: "Method Not Allowed", 413: "Content Too Large"}
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reasons.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + payload)
    await writer.drain()
