"""The HTTP client: httpx's transport API over aiohttp, one pool per channel instance.

Four things here are deliberate:

* Requests are `httpx.Request` objects handed straight to the transport
  (`httpx_aiohttp.AiohttpTransport`), without an `httpx.AsyncClient` around them. The
  client's features are all ones a webhook sender turns off (redirects, auth flows,
  cookies, environment proxies), and it cost about half of each send's CPU (URL merging,
  cookie extraction, its request log). Measured in benchmarks scenario 3.
* The URL is a credential. httpx's client logs every request's URL at INFO; without the
  client nothing logs it, and no exception we raise holds it (`failures`).
* The aiohttp session is built here, not by `AiohttpTransport`, to give it our TLS
  context, our connection limit, a resolver that refuses link-local and metadata
  addresses (`GuardedResolver`) and no cookie jar (a receiver's cookies are never sent
  back). Environment proxies are not read (`trust_env=False`).
* Redirects are never followed (the transport passes `allow_redirects=False`): a 3xx is
  reported, not chased to a place nobody configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from floe_alert_webhook.targets import GuardedResolver, TargetURL, resolve_checked

__all__ = [
    "MAX_CONNECTIONS",
    "MAX_RESPONSE_BYTES",
    "HttpAnswer",
    "WebhookClient",
    "probe",
    "ssl_context",
]

#: Connections kept per channel instance (concurrent sends beyond it wait for one).
MAX_CONNECTIONS = 32
#: How much of a response body is read: enough for an error message, and a hostile
#: receiver cannot make us buffer more.
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class HttpAnswer:
    """What the receiver answered.

    Attributes:
        status: The HTTP status code.
        retry_after: The `Retry-After` header, if any.
        content_type: The `Content-Type` header, if any.
        body: Up to `MAX_RESPONSE_BYTES` of the body.

    """

    status: int
    retry_after: str | None
    content_type: str | None
    body: bytes


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """A verifying TLS context: the CA bundle when given, else httpx's default (certifi).

    Reads files, so call it in a worker thread.
    """
    if ca_bundle is not None:
        return ssl.create_default_context(cafile=str(ca_bundle))
    return httpx.create_ssl_context(trust_env=False)


class WebhookClient:
    """One pooled HTTP client for one channel instance.

    Args:
        target: The validated destination.
        tls: The TLS context (used for https targets).
        timeout: Per-operation bound handed to the transport; the channel's overall
            deadline (`asyncio.timeout`) is what limits a send as a whole.
        user_agent: The `User-Agent` header.
        allow_link_local: Skip the resolver guard.

    """

    def __init__(
        self,
        target: TargetURL,
        *,
        tls: ssl.SSLContext,
        timeout: float,
        user_agent: str,
        allow_link_local: bool,
    ) -> None:
        self._url = httpx.URL(target.url)
        self._resolver = None if allow_link_local else GuardedResolver()
        connector = aiohttp.TCPConnector(
            ssl=tls if target.is_https else False,
            limit=MAX_CONNECTIONS,
            resolver=self._resolver,
        )
        session = aiohttp.ClientSession(
            connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar()
        )
        self._transport = AiohttpTransport(
            verify=tls,
            client=session,
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
        )
        # Identity encoding: only error text is ever read, and it is capped in bytes.
        self._headers = {"User-Agent": user_agent, "Accept-Encoding": "identity"}
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}

    async def post(self, headers: dict[str, str], body: bytes) -> HttpAnswer:
        """POST `body` once and return the answer (at most `MAX_RESPONSE_BYTES` of it).

        Raises:
            httpx.HTTPError, aiohttp.ClientError, OSError: The request failed; the
                caller classifies it (`failures.delivery_error`).

        """
        request = httpx.Request(
            "POST",
            self._url,
            headers={**self._headers, **headers},
            content=body,
            extensions=self._extensions,
        )
        response = await self._transport.handle_async_request(request)
        try:
            received = bytearray()
            stream = response.stream
            if isinstance(stream, httpx.AsyncByteStream):  # always, from this transport
                async for chunk in stream:
                    received += chunk
                    if len(received) >= MAX_RESPONSE_BYTES:
                        break
        finally:
            await response.aclose()
        return HttpAnswer(
            status=response.status_code,
            retry_after=response.headers.get("retry-after"),
            content_type=response.headers.get("content-type"),
            body=bytes(received[:MAX_RESPONSE_BYTES]),
        )

    async def aclose(self) -> None:
        """Close the pool (and the resolver, which the connector does not own)."""
        try:
            await self._transport.aclose()
        finally:
            if self._resolver is not None:
                await self._resolver.close()


async def probe(
    target: TargetURL,
    *,
    tls: ssl.SSLContext,
    allow_link_local: bool,
) -> str:
    """Open (and close) a TCP connection to the target, with a TLS handshake for https.

    A cheap health probe: no request is sent, so a receiver never mistakes it for a
    delivery. Returns the address connected to.

    Raises:
        TargetRefusedError: The host resolves to a refused address.
        OSError, ssl.SSLError: Nothing accepts connections there, or TLS fails.

    """
    addresses = await resolve_checked(target.host, target.port, allow_link_local=allow_link_local)
    last: OSError | None = None
    for address in addresses:
        try:
            _reader, writer = await asyncio.open_connection(
                address,
                target.port,
                ssl=tls if target.is_https else None,
                server_hostname=target.host if target.is_https else None,
            )
        except OSError as exc:  # try the next address, as a client would
            last = exc
            continue
        writer.close()
        # The connection was made: an untidy close does not make the receiver unhealthy.
        with contextlib.suppress(TimeoutError, OSError):
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
        return address
    raise last if last is not None else OSError("the host name resolved to no address")
