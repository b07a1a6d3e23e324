"""A very small HTTP/1.1 server for the service's probes and metrics.

Kubernetes probes, a Prometheus scrape and an occasional reload call are all it serves,
so it is written on asyncio streams instead of pulling a web framework into the core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HTTPResponse", "Handler", "ProbeServer"]

_log = logging.getLogger("floe_monitoring.service")
_REASONS = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class HTTPResponse:
    """A response: status, body and content type."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any) -> HTTPResponse:
        """A JSON response."""
        return cls(status, (json.dumps(data, default=str, indent=2) + "\n").encode())


Handler = Callable[[], Awaitable[HTTPResponse]]


class ProbeServer:
    """Serves `routes` ((method, path) -> handler) on host:port.

    Args:
        routes: Handlers by method and path.
        host: Interface to listen on.
        port: Port (0 picks a free one; see `port` after `start`).
    """

    def __init__(self, routes: dict[tuple[str, str], Handler], *, host: str, port: int) -> None:
        self.routes = routes
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(30):
                head = await reader.readuntil(b"\r\n\r\n")
                method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                length = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip() or 0)
                if 0 < length <= 65536:
                    await reader.readexactly(length)
                response = await self._dispatch(method, target.split("?", 1)[0])
                writer.write(_encode(response))
                await writer.drain()
        except (TimeoutError, ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _dispatch(self, method: str, path: str) -> HTTPResponse:
        handler = self.routes.get((method, path))
        if handler is None:
            allowed = [m for m, p in self.routes if p == path]
            if allowed:
                return HTTPResponse.json(405, {"error": f"use {', '.join(allowed)}"})
            return HTTPResponse.json(
                404, {"error": "not found", "paths": sorted({p for _, p in self.routes})}
            )
        try:
            return await handler()
        except Exception as exc:  # a probe must answer, whatever broke
            _log.error("%s %s failed: %s", method, path, type(exc).__name__)
            return HTTPResponse.json(500, {"error": type(exc).__name__})


def _encode(response: HTTPResponse) -> bytes:
    headers = {
        "Content-Type": response.content_type,
        "Content-Length": str(len(response.body)),
        "Connection": "close",
        "Cache-Control": "no-store",
        **response.headers,
    }
    head = f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Status')}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + response.body
