"""The SMTP listeners: one asyncio loop in one thread, serving STARTTLS and implicit-TLS ports.

::

    listeners = SMTPListeners(handler, host="127.0.0.1", tls=local_ca().server_ssl_context())
    listeners.start()          # binds both ports (0 = any free), returns once they accept
    listeners.port, listeners.tls_port
    listeners.stop()           # closes both, ends every session, joins the thread

The protocol is aiosmtpd's :class:`~aiosmtpd.smtp.SMTP`; only loopback addresses are accepted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import threading
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Session

from .handler import SubmissionHandler

#: The largest message accepted (``SIZE``), as Lettr's largest API send.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
#: Seconds an idle session is kept open.
IDLE_TIMEOUT = 60.0
HOSTNAME = "smtp.lettr.test"


def loopback_only(host: str) -> str:
    """``host`` if it is a loopback address or ``localhost`` (the fake serves nobody else)."""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the SMTP listener binds loopback only, not {host!r}")
    return host


class SMTPListeners:
    """Two listening sockets on one loop: ``port`` (STARTTLS offered) and ``tls_port`` (implicit TLS)."""

    def __init__(self, handler: SubmissionHandler, *, host: str, tls: ssl.SSLContext, port: int = 0,
                 tls_port: int = 0) -> None:
        self.handler = handler
        self.host = loopback_only(host)
        self._tls = tls
        self._wanted = (port, tls_port)
        self.port = 0
        self.tls_port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._sessions: set[_Session] = set()

    def is_running(self) -> bool:
        return self._thread is not None

    def _protocol(self, *, implicit: bool) -> Callable[[], SMTP]:
        def make() -> SMTP:
            options: dict[str, Any] = {"auth_require_tls": False} if implicit else {"tls_context": self._tls}
            protocol = _Session(self.handler, self._sessions, hostname=HOSTNAME, ident="Lettr mock ESMTP",
                                data_size_limit=MAX_MESSAGE_BYTES, enable_SMTPUTF8=True,
                                authenticator=self.handler.authenticator, timeout=IDLE_TIMEOUT,
                                loop=self._loop, **options)
            return protocol
        return make

    async def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        plain = await loop.create_server(self._protocol(implicit=False), self.host, self._wanted[0])
        implicit = await loop.create_server(self._protocol(implicit=True), self.host, self._wanted[1],
                                            ssl=self._tls)
        self._servers = [plain, implicit]
        self.port = plain.sockets[0].getsockname()[1]
        self.tls_port = implicit.sockets[0].getsockname()[1]

    def start(self) -> None:
        """Bind both ports and serve in a daemon thread; an ``OSError`` (port taken) is raised here.

        The loop lives wholly in its thread (bound, run and closed there), so starting and stopping
        work from a thread that runs an event loop of its own (Playwright's sync API, say).
        """
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet)
        bound = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(target=self._serve, args=(loop, bound, failure), name="lettr-smtp", daemon=True)
        thread.start()
        bound.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._loop, self._thread = loop, thread

    def _serve(self, loop: asyncio.AbstractEventLoop, bound: threading.Event, failure: list[BaseException]) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._bind())
        except BaseException as error:  # handed to start(), which raises it
            failure.append(error)
            loop.close()
            bound.set()
            return
        bound.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    def stop(self) -> None:
        """Close the ports and every open session, then end the loop and its thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = None
        self._servers = []

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self._sessions):
            session.drop()
        for server in self._servers:
            await server.wait_closed()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(3):  # the sockets' connection_lost callbacks (which close them) run now
            await asyncio.sleep(0)


class _Session(SMTP):
    """aiosmtpd's protocol, remembered while connected so that ``stop()`` can end it."""

    def __init__(self, handler: SubmissionHandler, sessions: set[_Session], **options: Any) -> None:
        super().__init__(handler, **options)
        self._registry = sessions

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._registry.add(self)
        super().connection_made(transport)

    def drop(self) -> None:
        """Close the connection at once: abort the TCP transport under any TLS layer (a TLS
        shutdown would wait for the client)."""
        transport = self._original_transport or self.transport
        if isinstance(transport, asyncio.Transport):
            transport.abort()

    def connection_lost(self, error: Exception | None) -> None:
        self._registry.discard(self)
        super().connection_lost(error)


class _QuietSession(Session):
    """aiosmtpd still fills the deprecated ``login_data`` (and logs a warning each time): a plain slot."""

    login_data: Any = None


def _quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A client that drops mid-handshake (or speaks plain text to the TLS port) is not an error of
    the fake; anything else is reported as asyncio would."""
    if not isinstance(context.get("exception"), (ssl.SSLError, ConnectionError, TimeoutError)):
        loop.default_exception_handler(context)


__all__ = ["HOSTNAME", "MAX_MESSAGE_BYTES", "SMTPListeners", "loopback_only"]
