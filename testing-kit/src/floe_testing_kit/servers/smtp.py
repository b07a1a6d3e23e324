"""A real SMTP server (aiosmtpd) on 127.0.0.1:0 that answers from a script and records mail.

It runs aiosmtpd's threaded `Controller`, so a channel that blocks the event loop still
gets answers (the kit then reports the blocked loop instead of a confusing hang). It
speaks STARTTLS or implicit TLS with a throwaway CA made at run time by `trustme`, offers
AUTH LOGIN and PLAIN over TLS only, and can misbehave on purpose: answer a command with a
scripted reply (``451 4.3.0 try later``), refuse chosen recipients, drop the connection,
never answer, or hide STARTTLS from its EHLO answer the way a downgrading middlebox does.

Example:
    >>> async with FakeSMTPServer(                                  # doctest: +SKIP
    ...     tls_mode="starttls", auth_required=True, username="floe", password="s3cret"
    ... ) as smtp:
    ...     smtp.script("DATA", "451 4.3.0 try later")
    ...     ...  # point the channel at smtp.endpoint() and trust smtp.ca_bundle
    ...     mails = await smtp.wait_for_messages(1)
    ...     assert mails[0].extra["tls"]
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import shutil
import ssl
import tempfile
import threading
from collections import deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

# A module import, not `from ... import Endpoint`: profile.py imports servers.http, which
# runs servers/__init__ and so this module while profile.py is still half-initialised.
from floe_testing_kit import profile as _profile

if TYPE_CHECKING:
    from floe_testing_kit.profile import Endpoint, RecordedMail

__all__ = [
    "SMTP_SCRIPTABLE_COMMANDS",
    "AuthAttempt",
    "FakeSMTPServer",
    "SMTPCommand",
    "SMTPTLSMode",
    "ScriptedReply",
]

#: How the fake offers TLS: STARTTLS upgrade, TLS from the first byte, or none.
SMTPTLSMode = Literal["starttls", "tls", "none"]

#: Points in a session where a scripted reply can replace the normal answer. ``CONNECT``
#: is the greeting; ``DATA`` is the final answer after the message content was received.
SMTPCommand = Literal["CONNECT", "EHLO", "AUTH", "MAIL", "RCPT", "DATA"]

SMTP_SCRIPTABLE_COMMANDS: frozenset[str] = frozenset(get_args(SMTPCommand))

_AUTH_MECHANISMS = frozenset({"LOGIN", "PLAIN"})
_SERVER_NAME = "localhost"
_SHUTDOWN_SECONDS = 10.0


@dataclass(frozen=True)
class ScriptedReply:
    """What the server does instead of its normal answer to one command.

    Attributes:
        line: The reply, for example ``451 4.3.0 try later`` or ``550 5.1.1 unknown``.
        drop: Close the connection (TCP abort) without answering.
        hang: Never answer (until the client gives up or the server stops).
    """

    line: str = ""
    drop: bool = False
    hang: bool = False

    def __post_init__(self) -> None:
        if self.drop or self.hang:
            if self.line or (self.drop and self.hang):
                raise ValueError("a scripted reply is one of: a line, drop, or hang")
            return
        code = self.line[:3]
        if not (code.isdigit() and self.line[3:4] in ("", " ")) or any(
            ch in self.line for ch in "\r\n"
        ):
            raise ValueError(f"not an SMTP reply line: {self.line!r}")

    @classmethod
    def drop_connection(cls) -> ScriptedReply:
        """Close the connection instead of answering."""
        return cls(drop=True)

    @classmethod
    def never_answer(cls) -> ScriptedReply:
        """Keep the connection open and never answer."""
        return cls(hang=True)

    @property
    def code(self) -> int | None:
        """The reply code, or None for drop and hang."""
        return int(self.line[:3]) if self.line else None


@dataclass(frozen=True)
class AuthAttempt:
    """One AUTH exchange the server judged (the password is never kept).

    Attributes:
        mechanism: ``LOGIN`` or ``PLAIN``.
        username: The login the client sent.
        success: Whether the credentials matched.
    """

    mechanism: str
    username: str
    success: bool


class FakeSMTPServer:
    """A scripted SMTP server for channel tests, recording what it accepts.

    Args:
        tls_mode: ``starttls`` (offers the upgrade and requires it before MAIL),
            ``tls`` (implicit TLS from the first byte) or ``none`` (plaintext only).
        auth_required: Refuse MAIL with 530 until the client authenticated.
        username: The login AUTH accepts.
        password: The password AUTH accepts.
        advertise_starttls: With ``starttls``, False hides STARTTLS from the EHLO
            answer and stops requiring it, as a downgrading middlebox would.
        auth_mechanisms: AUTH mechanisms to offer (``LOGIN``, ``PLAIN``).

    Raises:
        ValueError: An unknown mode or mechanism, AUTH without both credentials, or
            credentials with ``tls_mode="none"`` (AUTH is offered over TLS only).
    """

    def __init__(
        self,
        *,
        tls_mode: SMTPTLSMode = "starttls",
        auth_required: bool = False,
        username: str | None = None,
        password: str | None = None,
        advertise_starttls: bool = True,
        auth_mechanisms: Sequence[str] = ("LOGIN", "PLAIN"),
    ) -> None:
        if tls_mode not in get_args(SMTPTLSMode):
            raise ValueError(f"tls_mode must be starttls, tls or none, not {tls_mode!r}")
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        if auth_required and username is None:
            raise ValueError("auth_required needs a username and password")
        if tls_mode == "none" and username is not None:
            raise ValueError("AUTH is offered over TLS only: use tls_mode starttls or tls")
        mechanisms = {m.upper() for m in auth_mechanisms}
        if not mechanisms or not mechanisms <= _AUTH_MECHANISMS:
            raise ValueError(f"auth_mechanisms must be a non-empty subset of {_AUTH_MECHANISMS}")
        self.tls_mode: SMTPTLSMode = tls_mode
        self.auth_required = auth_required
        self.username = username
        self._password = password
        self.advertise_starttls = advertise_starttls
        self.auth_mechanisms = frozenset(mechanisms)
        self.host = "127.0.0.1"
        self.port = 0
        self.ca_bundle: str | None = None
        self._ca_dir: str | None = None
        # Written by the server thread and read by the test: every access holds the lock.
        self._lock = threading.Lock()
        self._messages: list[RecordedMail] = []
        self._auth_attempts: list[AuthAttempt] = []
        self._scripts: dict[str, deque[ScriptedReply]] = {}
        self._refused: dict[str, str] = {}
        self._controller: _KitController | None = None
        self._owner_loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    def __repr__(self) -> str:
        # The password is deliberately absent.
        return f"<FakeSMTPServer {self.host}:{self.port} tls_mode={self.tls_mode!r}>"

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on 127.0.0.1 on a free port (the server runs in its own thread).

        Raises:
            RuntimeError: The server is already running.
        """
        if self._controller is not None:
            raise RuntimeError("the fake SMTP server is already running")
        self._owner_loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        context = None
        if self.tls_mode != "none":
            # Key generation and thread start-up block: keep them off the caller's loop.
            context = await asyncio.to_thread(self._make_tls_context)
        booting = asyncio.get_running_loop().run_in_executor(
            None, _KitController.boot, self, context
        )
        try:
            self._controller = await asyncio.shield(booting)
        except BaseException:
            # Cancelled while the thread still boots: stop the server once it is up.
            booting.add_done_callback(_stop_when_booted)
            self._remove_ca()
            raise
        self.port = self._controller.port
        return self

    async def close(self) -> None:
        """Drop every open session, stop the server thread and delete the test CA.

        Idempotent; safe without a prior `start`.
        """
        controller, self._controller = self._controller, None
        if controller is not None:
            await asyncio.to_thread(controller.shutdown)
        self._remove_ca()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def endpoint(self) -> Endpoint:
        """Where the server listens, in the form a `ChannelProfile.config` takes."""
        return _profile.Endpoint(
            url="",
            host=self.host,
            port=self.port,
            ca_bundle=self.ca_bundle,
            tls_mode=self.tls_mode,
            username=self.username,
        )

    # -- scripting -------------------------------------------------------------------

    def script(self, command: SMTPCommand, *replies: str | ScriptedReply) -> None:
        """Queue replies for `command`; each occurrence of it takes the next one.

        Strings are reply lines (``"451 4.3.0 try later"``). A ``DATA`` reply answers
        after the message content was read, so a scripted ``DATA`` reply means the
        message was not accepted and is not recorded.

        Raises:
            ValueError: `command` cannot be scripted, or a string is not a reply line.
        """
        name = command.upper()
        if name not in SMTP_SCRIPTABLE_COMMANDS:
            raise ValueError(f"cannot script {command!r}; use one of {SMTP_SCRIPTABLE_COMMANDS}")
        queued = [r if isinstance(r, ScriptedReply) else ScriptedReply(r) for r in replies]
        with self._lock:
            self._scripts.setdefault(name, deque()).extend(queued)

    def refuse_recipients(self, *addresses: str, reply: str | None = None) -> None:
        """Refuse RCPT for `addresses` (case-insensitive) until `clear`.

        Args:
            addresses: Recipients to refuse.
            reply: The refusal (default ``550 5.1.1 <address>: Recipient address
                rejected``); a 4xx reply makes the refusal temporary.
        """
        for address in addresses:
            line = reply or f"550 5.1.1 <{address}>: Recipient address rejected"
            ScriptedReply(line)  # validates the line
            with self._lock:
                self._refused[address.lower()] = line

    def clear(self) -> None:
        """Forget recorded mail, AUTH attempts, queued replies and refused recipients."""
        with self._lock:
            self._messages.clear()
            self._auth_attempts.clear()
            self._scripts.clear()
            self._refused.clear()

    # -- what arrived ----------------------------------------------------------------

    @property
    def messages(self) -> list[RecordedMail]:
        """The accepted messages, oldest first.

        Each one's `extra` holds ``tls`` (the session was encrypted),
        ``authenticated_as`` (the AUTH login or None) and ``peer``.
        """
        with self._lock:
            return list(self._messages)

    @property
    def auth_attempts(self) -> list[AuthAttempt]:
        """Every AUTH exchange judged so far, oldest first."""
        with self._lock:
            return list(self._auth_attempts)

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[RecordedMail]:  # noqa: ASYNC109
        """Wait until at least `count` messages were accepted.

        Raises:
            TimeoutError: Fewer arrived within `timeout` seconds.
            RuntimeError: The server was never started.
        """
        if self._changed is None:
            raise RuntimeError("start the fake SMTP server first")
        changed = self._changed
        async with asyncio.timeout(timeout):
            while True:
                # Clear before looking: a message recorded after the look sets it again.
                changed.clear()
                with self._lock:
                    if len(self._messages) >= count:
                        return list(self._messages)
                await changed.wait()

    # -- called from the server thread -----------------------------------------------

    def _next_reply(self, command: str) -> ScriptedReply | None:
        with self._lock:
            queue = self._scripts.get(command)
            return queue.popleft() if queue else None

    def _refusal(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def _check_credentials(self, mechanism: str, login: bytes, password: bytes) -> bool:
        expected_user = (self.username or "").encode("utf-8")
        expected_password = (self._password or "").encode("utf-8")
        # Both comparisons always run, so timing does not tell which part was wrong.
        user_ok = hmac.compare_digest(login, expected_user)
        password_ok = hmac.compare_digest(password, expected_password)
        success = user_ok and password_ok and self.username is not None
        attempt = AuthAttempt(mechanism, login.decode("utf-8", "replace"), success)
        with self._lock:
            self._auth_attempts.append(attempt)
        return success

    def _record(self, mail: RecordedMail) -> int:
        with self._lock:
            self._messages.append(mail)
            number = len(self._messages)
        self._notify()
        return number

    def _notify(self) -> None:
        loop, changed = self._owner_loop, self._changed
        if loop is None or changed is None or loop.is_closed():
            return
        # The test's loop may be closing; the message is recorded either way.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(changed.set)

    # -- TLS -------------------------------------------------------------------------

    def _make_tls_context(self) -> ssl.SSLContext:
        import trustme

        authority = trustme.CA()
        cert = authority.issue_cert(self.host, _SERVER_NAME)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._ca_dir = tempfile.mkdtemp(prefix="floe-kit-smtp-ca-")
        self.ca_bundle = f"{self._ca_dir}/ca.pem"
        authority.cert_pem.write_to_path(self.ca_bundle)
        return context

    def _remove_ca(self) -> None:
        if self._ca_dir is not None:
            shutil.rmtree(self._ca_dir, ignore_errors=True)
            self._ca_dir = None
            self.ca_bundle = None


def _stop_when_booted(booting: asyncio.Future[_KitController]) -> None:
    if booting.cancelled() or booting.exception() is not None:
        return
    # shutdown() joins the server thread: never on the event loop.
    threading.Thread(target=booting.result().shutdown, daemon=True).start()


class _KitHandler:
    """aiosmtpd handler hooks: scripted replies first, then the normal behaviour."""

    def __init__(self, fake: FakeSMTPServer) -> None:
        self._fake = fake

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        scripted = self._fake._next_reply("EHLO")
        if scripted is not None:
            return [await _perform(server, scripted)]
        # With this hook installed, aiosmtpd leaves recording the client's name to us.
        session.host_name = hostname
        if not self._fake.advertise_starttls:
            responses = [r for r in responses if r[4:].upper() != "STARTTLS"]
        return responses

    async def handle_AUTH(
        self, server: SMTP, session: Session, envelope: Envelope, args: list[str]
    ) -> object:
        scripted = self._fake._next_reply("AUTH")
        return MISSING if scripted is None else await _perform(server, scripted)

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        scripted = self._fake._next_reply("MAIL")
        if scripted is not None:
            return await _perform(server, scripted)
        if self._fake.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        scripted = self._fake._next_reply("RCPT")
        if scripted is not None:
            return await _perform(server, scripted)
        refusal = self._fake._refusal(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        scripted = self._fake._next_reply("DATA")
        if scripted is not None:
            return await _perform(server, scripted)
        transport = server.transport
        tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        raw = envelope.original_content
        if raw is None:
            content = envelope.content
            raw = content.encode("utf-8") if isinstance(content, str) else (content or b"")
        number = self._fake._record(
            _profile.RecordedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=bytes(raw),
                extra={
                    "tls": tls,
                    "authenticated_as": login.decode("utf-8", "replace") if login else None,
                    "peer": str(session.peer),
                },
            )
        )
        return f"250 2.0.0 OK: queued as {number}"

    def authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: object,
    ) -> AuthResult:
        """Check LOGIN/PLAIN credentials (aiosmtpd's authenticator callback)."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = self._fake._check_credentials(mechanism, auth_data.login, auth_data.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


async def _perform(server: SMTP, reply: ScriptedReply) -> str:
    if reply.drop:
        _abort(server)
    if reply.drop or reply.hang:
        # Wait to be cancelled: by connection_lost after the abort, or by shutdown.
        await asyncio.get_running_loop().create_future()
    return reply.line


def _abort(server: SMTP) -> None:
    # The original transport is the TCP one under a STARTTLS layer: abort it too, or
    # the TLS layer would try a polite close_notify first.
    original = getattr(server, "_original_transport", None)
    for transport in (server.transport, original):
        if isinstance(transport, asyncio.Transport) and not transport.is_closing():
            transport.abort()


class _KitSession(Session):
    """aiosmtpd's session without the deprecation log line on every successful AUTH."""

    @property
    def login_data(self) -> Any:
        """The login of the last successful AUTH (aiosmtpd's legacy attribute)."""
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _KitSMTP(SMTP):
    """aiosmtpd's SMTP session, tracked so that shutdown can end every session cleanly."""

    def __init__(
        self,
        handler: _KitHandler,
        *,
        fake: FakeSMTPServer,
        sessions: set[_KitSMTP],
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self._kit_fake = fake
        self._kit_sessions = sessions

    def _create_session(self) -> Session:
        return _KitSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._kit_sessions.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        try:
            super().connection_lost(error)
        finally:
            self._kit_sessions.discard(self)

    async def _handle_client(self) -> None:
        scripted = self._kit_fake._next_reply("CONNECT")
        if scripted is None:
            await super()._handle_client()
            return
        line = await _perform(self, scripted)
        await self.push(line)
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Abort the connection without a goodbye (used at shutdown)."""
        _abort(self)

    @property
    def handler_task(self) -> asyncio.Task[None] | None:
        """The task serving this session."""
        return self._handler_coroutine


class _KitController(Controller):
    """aiosmtpd's threaded controller, bound to port 0 and stopped without leftovers."""

    def __init__(self, fake: FakeSMTPServer, context: ssl.SSLContext | None) -> None:
        implicit = fake.tls_mode == "tls"
        super().__init__(
            _KitHandler(fake),
            hostname=fake.host,
            port=0,
            ssl_context=context if implicit else None,
        )
        self._fake = fake
        self._tls_context = context
        self._sessions: set[_KitSMTP] = set()

    @classmethod
    def boot(cls, fake: FakeSMTPServer, context: ssl.SSLContext | None) -> _KitController:
        """Create and start a controller (blocking: run it in a worker thread)."""
        controller = cls(fake, context)
        try:
            controller.start()
        except BaseException:
            controller.shutdown()
            raise
        return controller

    def factory(self) -> SMTP:
        """A session per connection, configured from the fake's settings."""
        fake = self._fake
        handler = self.handler
        assert isinstance(handler, _KitHandler)
        starttls = fake.tls_mode == "starttls"
        excluded = sorted(_AUTH_MECHANISMS - fake.auth_mechanisms)
        return _KitSMTP(
            handler,
            fake=fake,
            sessions=self._sessions,
            # An explicit loop and hostname: aiosmtpd's defaults would touch the global
            # warning filters from this thread and do a blocking DNS lookup.
            loop=self.loop,
            hostname=_SERVER_NAME,
            tls_context=self._tls_context if starttls else None,
            require_starttls=starttls and fake.advertise_starttls,
            # Under implicit TLS aiosmtpd cannot tell the session is encrypted; it is.
            auth_require_tls=fake.tls_mode != "tls",
            auth_exclude_mechanism=excluded,
            authenticator=handler.authenticate,
            enable_SMTPUTF8=True,
        )

    def _create_server(self) -> Coroutine[Any, Any, asyncio.Server]:
        return self._bind()

    async def _bind(self) -> asyncio.Server:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
        )
        # Known before start() connects to it: start() waits for the bind to finish.
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _end_sessions(self) -> None:
        if self.server is not None:
            self.server.close()
        sessions = list(self._sessions)
        for session in sessions:
            session.abort()
        tasks = [s.handler_task for s in sessions if s.handler_task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # connection_lost runs from loop callbacks; let them close every socket so no
        # transport is left for the garbage collector to warn about.
        for _ in range(200):
            if not self._sessions:
                break
            await asyncio.sleep(0.005)
        if self.server is not None:
            await self.server.wait_closed()

    def shutdown(self) -> None:
        """End every session, stop the loop and join the thread (blocking)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            if thread is not None:
                thread.join()
            self._thread = None
            if not self.loop.is_running() and not self.loop.is_closed():
                self.loop.close()
            return
        ended = asyncio.run_coroutine_threadsafe(self._end_sessions(), self.loop)
        try:
            ended.result(timeout=_SHUTDOWN_SECONDS)
        finally:
            # Controller._run closes the listener and the loop once the loop stops.
            self.loop.call_soon_threadsafe(self.loop.stop)
            thread.join()
            self._thread = None
