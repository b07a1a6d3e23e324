"""One HTTP exchange with Slack through slack-sdk, mapped to floe's delivery errors.

`SlackTransport` owns the aiohttp session and hands it to slack-sdk's
`AsyncWebhookClient` / `AsyncWebClient`, configured so that they make exactly one
attempt (their retry handlers are off: the core retries) and log nothing secret.

Two slack-sdk habits shape this module:

* Its clients log the request URL, body and proxy at DEBUG whenever their logger's own
  level is unset, and the webhook URL is the credential. They get a private logger at
  INFO with a redacting filter instead of the module loggers.
* aiohttp puts the request URL into some exception messages, so failures are mapped
  from their type (in `floe_alert_slack.errors`) and raised outside the ``except``
  block: neither the text nor the original exception travels with the error.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from floe_alert_slack.config import SlackConfig
from floe_alert_slack.errors import (
    map_api_answer,
    map_exception,
    map_webhook_answer,
    redact_error,
)
from floe_monitoring import DeliveryError, FailureReason, PermanentDeliveryError

__all__ = ["SlackTransport"]

_LOGGER_NAME = "floe_alert_slack.slack_sdk"


class _RedactingFilter(logging.Filter):
    """Masks configured secrets in every record slack-sdk logs through our logger."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def _sdk_logger(redact: Callable[[str], str]) -> logging.Logger:
    # A logger outside the manager, one per channel instance, so each carries the filter
    # for its own secrets; it still propagates to "floe_alert_slack" handlers.
    logger = logging.Logger(_LOGGER_NAME, level=logging.INFO)
    logger.parent = logging.getLogger("floe_alert_slack")
    logger.addFilter(_RedactingFilter(redact))
    return logger


class SlackTransport:
    """Sends one request to Slack per call and maps every outcome.

    Args:
        config: The channel's configuration.
        redact: Masks configured secrets in text (the channel's `redact`).

    """

    def __init__(self, config: SlackConfig, *, redact: Callable[[str], str]) -> None:
        self._config = config
        self._redact = redact
        self._logger = _sdk_logger(redact)
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Create the shared connection pool (idempotent)."""
        if self._session is None:
            self._session = await self._new_session()

    async def close(self) -> None:
        """Close the connection pool (idempotent)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _ssl_context(self) -> ssl.SSLContext | None:
        if self._config.ca_bundle is None:
            return None  # aiohttp's verified default context, built once at import
        if self._ssl is None:
            # Loading certificates reads files: keep it off the event loop.
            self._ssl = await asyncio.to_thread(
                ssl.create_default_context, cafile=str(self._config.ca_bundle)
            )
        return self._ssl

    async def _new_session(self) -> aiohttp.ClientSession:
        context = await self._ssl_context()
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context if context is not None else True),
            # A backstop only: the caller's asyncio deadline is the real per-send limit.
            timeout=aiohttp.ClientTimeout(total=self._config.timeout_seconds),
            trust_env=False,
        )

    @asynccontextmanager
    async def _session_scope(self) -> AsyncIterator[aiohttp.ClientSession]:
        # Without `startup` there is no pool: use one just for this call, and close it.
        if self._session is not None and not self._session.closed:
            yield self._session
            return
        session = await self._new_session()
        try:
            yield session
        finally:
            await session.close()

    # -- requests --------------------------------------------------------------------

    async def post_webhook(self, payload: Mapping[str, Any], *, deadline: float) -> int:
        """POST `payload` to the incoming webhook; returns the status of a ``200 ok``.

        Raises:
            DeliveryError: Anything but ``200 ok``, mapped.

        """
        failure: DeliveryError | None = None
        status = 0
        try:
            async with asyncio.timeout_at(deadline), self._session_scope() as session:
                client = AsyncWebhookClient(
                    url=self._webhook_url(),
                    timeout=int(self._config.timeout_seconds) + 1,
                    ssl=await self._ssl_context(),
                    session=session,
                    logger=self._logger,
                    retry_handlers=[],
                )
                response = await client.send_dict(dict(payload))
            status = response.status_code
            failure = map_webhook_answer(status, response.body, response.headers)
        except DeliveryError as exc:
            failure = exc
        except Exception as exc:  # every failure becomes a typed delivery error
            failure = map_exception(exc, timeout=self._config.timeout_seconds)
        if failure is not None:
            raise redact_error(failure, self._redact)
        return status

    async def call_api(
        self, method: str, payload: Mapping[str, Any], *, deadline: float
    ) -> dict[str, Any]:
        """Call Web API `method` with a JSON body; returns Slack's ``ok`` answer.

        Raises:
            DeliveryError: Anything but ``200 {"ok": true}``, mapped.

        """
        failure: DeliveryError | None = None
        data: dict[str, Any] = {}
        try:
            async with asyncio.timeout_at(deadline), self._session_scope() as session:
                client = AsyncWebClient(
                    token=self._token(),
                    base_url=self._config.base_url,
                    timeout=int(self._config.timeout_seconds) + 1,
                    ssl=await self._ssl_context(),
                    session=session,
                    logger=self._logger,
                    retry_handlers=[],
                )
                response = await client.api_call(method, json=dict(payload))
            data = response.data if isinstance(response.data, dict) else {}
        except DeliveryError as exc:
            failure = exc
        except SlackApiError as exc:  # slack-sdk raises for HTTP errors and ok=false
            answer = exc.response
            failure = map_api_answer(
                answer.status_code, answer.data, answer.headers, method=method
            ) or PermanentDeliveryError(
                f"{method}: Slack's answer was not understood", reason=FailureReason.INTERNAL
            )
        except Exception as exc:  # every other failure becomes a typed delivery error
            failure = map_exception(exc, timeout=self._config.timeout_seconds)
        if failure is not None:
            raise redact_error(failure, self._redact)
        return data

    async def probe_webhook(self, *, deadline: float) -> int:
        """GET the webhook URL (posts nothing) and return the HTTP status.

        Raises:
            DeliveryError: The host did not answer (refused, reset, timeout).

        """
        failure: DeliveryError | None = None
        status = 0
        try:
            async with asyncio.timeout_at(deadline), self._session_scope() as session:
                context = await self._ssl_context()
                async with session.get(
                    self._webhook_url(),
                    allow_redirects=False,
                    ssl=context if context is not None else True,
                ) as response:
                    await response.read()
                    status = response.status
        except DeliveryError as exc:
            failure = exc
        except Exception as exc:  # reported as health, not raised to the monitor
            failure = map_exception(exc, timeout=self._config.timeout_seconds)
        if failure is not None:
            raise redact_error(failure, self._redact)
        return status

    def _webhook_url(self) -> str:
        secret = self._config.webhook_url
        if secret is None:  # the config validator makes this unreachable in webhook mode
            raise PermanentDeliveryError("webhook_url is not configured")
        return secret.get_secret_value()

    def _token(self) -> str:
        secret = self._config.token
        if secret is None:  # the config validator makes this unreachable in web_api mode
            raise PermanentDeliveryError("token is not configured")
        return secret.get_secret_value()
