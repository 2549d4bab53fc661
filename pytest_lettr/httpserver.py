"""A pytest-httpserver ``HTTPServer`` that stops at once and keeps connections alive.

:class:`LettrHTTPServer` is a drop-in subclass (``expect_request``, ``expect_oneshot_request``,
``expect_ordered_request``, ``log``, ``check_assertions`` all work) with these differences from
the stock server::

    server = LettrHTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.fallback = lambda request: Response("what no expectation matched")
    server.start()
    ...
    server.stop()        # ~1 ms: no 0.5 s poll to wait for, open connections are closed

- **Stop is immediate.** werkzeug's ``serve_forever`` polls for shutdown every 0.5 s, so every
  stock ``stop()`` costs up to half a second. Here the accept loop also waits on a wake-up
  socket that ``shutdown()`` writes to.
- **HTTP/1.1 keep-alive.** werkzeug's request handler answers ``Connection: close`` to every
  request, so each request pays a new TCP (and TLS) handshake. Here a connection stays open
  while requests on it are framed (``Content-Length``), their bodies are drained after the
  response, and the client wants it; an idle connection is closed after :data:`IDLE_TIMEOUT`.
  With ``threaded=False`` (one request at a time) every connection is closed after one request,
  as before, so one client cannot starve the others.
- **A fallback.** :attr:`LettrHTTPServer.fallback` answers what no expectation matches (the
  Lettr mock is installed there, so every expectation a test adds wins over it).
- **No secrets in the access log, no leaks.** The request line logged on the ``werkzeug``
  logger has secret-looking query names and values, and key-shaped path segments, masked; TLS
  handshakes run in the connection's thread (a silent client cannot block the accept loop);
  ``stop()`` closes open connections and joins their threads, so nothing outlives the server.
"""

from __future__ import annotations

import contextlib
import errno
import io
import re
import selectors
import socket
import ssl
import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import IO, Any, cast

from pytest_httpserver import HTTPServer
from pytest_httpserver.httpserver import HTTPServerError
from werkzeug.exceptions import InternalServerError, RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import LimitedStream

from .masking import mask_query
from .requestlog import LOG_BYTES, LOG_ENTRIES, RecordingStream, RequestLog

__all__ = ["ACCEPT_BACKOFF", "IDLE_TIMEOUT", "ChunkedBody", "DropConnection", "KeepAliveRequestHandler",
           "LettrHTTPServer", "LettrWSGIServer", "RequestHeaders", "mask_query"]

IDLE_TIMEOUT = 60.0
"""Seconds a connection may wait for its next request (or a slow client for its TLS handshake)."""

DRAIN_LIMIT = 64 * 1024 * 1024
"""Unread request body bytes the server discards to keep a connection; past this it closes it."""

ACCEPT_BACKOFF = (0.01, 0.5)
"""Shortest and longest pause of the accept loop while the process is out of file descriptors."""

#: ``accept()`` failures that last until something is freed: retrying at once would spin.
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

JOIN_TIMEOUT = 2.0
"""How long ``stop()`` waits for connection threads after closing their sockets."""

MAX_HEADERS = 100
MAX_LINE = 65536
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VERSION = re.compile(r"HTTP/(\d{1,9})\.(\d{1,9})")


class RequestHeaders:
    """Request header fields in arrival order, looked up case-insensitively.

    Offers what werkzeug and ``http.server`` use of ``http.client.HTTPMessage`` (``get``, ``get_all``,
    ``items``, ``in``, ``[]``) without the ``email`` package's parser, which costs more than the rest
    of reading a request.

    >>> headers = RequestHeaders([("Host", "x"), ("Accept", "a"), ("accept", "b")])
    >>> headers.get("ACCEPT"), headers.get_all("accept"), headers["missing"]
    ('a', ['a', 'b'], None)
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: Any = None) -> Any:
        wanted = name.lower()
        for field_name, value in self._fields:
            if field_name.lower() == wanted:
                return value
        return default

    def get_all(self, name: str, failobj: Any = None) -> Any:
        wanted = name.lower()
        found = [value for field_name, value in self._fields if field_name.lower() == wanted]
        return found or failobj

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def keys(self) -> list[str]:
        return [name for name, _ in self._fields]

    def values(self) -> list[str]:
        return [value for _, value in self._fields]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Any:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._fields)

    def __str__(self) -> str:
        return "".join(f"{name}: {value}\r\n" for name, value in self._fields) + "\r\n"


class ChunkedBody(io.RawIOBase):
    """A ``Transfer-Encoding: chunked`` request body that ends with an error, not a hang.

    werkzeug's reader keeps "reading" past the end of a body that stops short of its declared chunk
    size (a client can pin a server thread at 100% CPU that way); this one raises ``OSError`` when
    the body ends early or is malformed, and :class:`~werkzeug.exceptions.RequestEntityTooLarge`
    past ``limit`` bytes::

        >>> ChunkedBody(io.BytesIO(b"3\\r\\nabc\\r\\n0\\r\\n\\r\\n"), limit=10).read()
        b'abc'
    """

    def __init__(self, rfile: IO[bytes], limit: int) -> None:
        self._rfile = rfile
        self._limit = limit
        self._left = 0  # bytes left in the current chunk
        self._total = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view) and self._in_chunk():
            data = self._rfile.read(min(len(view) - filled, self._left))
            if not data:
                raise OSError("Chunked body ended early")
            view[filled:filled + len(data)] = data
            filled += len(data)
            self._consumed(len(data))
        return filled

    def _in_chunk(self) -> bool:
        """Whether chunk data follows; reads the next chunk header (or the last one and the trailer)."""
        if self._done:
            return False
        if self._left == 0:
            self._left = self._next_chunk_size()
            if self._left == 0:
                self._skip_trailer()
                self._done = True
                return False
            if self._total + self._left > self._limit:
                raise RequestEntityTooLarge()
        return True

    def _consumed(self, size: int) -> None:
        self._left -= size
        self._total += size
        if self._left == 0 and self._rfile.readline(3) not in (b"\r\n", b"\n"):
            raise OSError("Missing chunk terminating newline")

    def _next_chunk_size(self) -> int:
        line = self._rfile.readline(1026)
        if not line.endswith(b"\n"):
            raise OSError("Chunked body ended early" if len(line) < 1026 else "Chunk header too long")
        size = line.split(b";", 1)[0].strip()
        if not size or len(size) > 16 or any(c not in b"0123456789abcdefABCDEF" for c in size):
            raise OSError("Invalid chunk header")
        return int(size, 16)

    def _skip_trailer(self) -> None:
        for _ in range(100):  # trailer fields, up to the blank line
            trailer = self._rfile.readline(8192)
            if trailer in (b"\r\n", b"\n"):
                return
            if not trailer.endswith(b"\n"):
                raise OSError("Chunked body ended early")


class DropConnection(Exception):
    """Raised by an app (before or while its body is sent) to close the connection at once:
    the client gets no answer, or an answer cut short."""


class _Refused(Exception):
    """A request head that is answered with an error status (and the connection closed)."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def _http_version(version: str) -> tuple[int, int]:
    match = _VERSION.fullmatch(version)
    if match is None:
        raise _Refused(HTTPStatus.BAD_REQUEST, f"Bad request version ({version[:20]!r})")
    number = (int(match[1]), int(match[2]))
    if number >= (2, 0):
        raise _Refused(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"Invalid HTTP version ({version[:20]})")
    return number


def _header_field(line: bytes) -> tuple[str, str]:
    name, colon, value = line.decode("iso-8859-1").partition(":")
    value = value.strip(" \t\r\n")
    if not colon or _TOKEN.fullmatch(name) is None or "\x00" in value or "\r" in value:
        raise _Refused(HTTPStatus.BAD_REQUEST, "Bad header field")
    return name, value


def _masked_line(requestline: str) -> str:
    """A request line as logged: secrets in the target masked, control characters escaped."""
    words = [mask_query(word) for word in requestline.split(" ")]
    return " ".join(words).translate(_CONTROL_CHARS)


_CONTROL_CHARS = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]} | {ord("\\"): "\\\\"}


class KeepAliveRequestHandler(WSGIRequestHandler):
    """werkzeug's WSGI handler, speaking HTTP/1.1 with persistent connections.

    werkzeug's own ``run_wsgi`` ends every response with ``Connection: close`` and then reads the
    socket dry, so it cannot keep a connection; :meth:`run_wsgi` here frames and drains the body.
    Responses go out in one write (the socket's writer is buffered and flushed per ``write``).
    """

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True
    wbufsize = -1  # buffered: the status line, headers and the first body chunk leave together
    server: LettrWSGIServer

    def parse_request(self) -> bool:
        """The request line and header fields (HTTP/1.0 and 1.1), as ``http.server`` reads them but
        stricter (no HTTP/0.9, no obsolete line folding, header names must be tokens) and faster."""
        self.command = None  # type: ignore[assignment]
        self.request_version = "HTTP/1.0"  # errors about the request line still get a status line
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if not words:
            return False
        try:
            self._parse_request_line(words)
            self.headers = RequestHeaders(self._read_header_fields())  # type: ignore[assignment]
        except _Refused as refused:
            self.send_error(refused.status, str(refused))
            return False
        connection = self.headers.get("Connection", "").lower()
        self.close_connection = {"close": True, "keep-alive": False}.get(connection, self.close_connection)
        return True  # Expect: 100-continue is answered by run_wsgi

    def _parse_request_line(self, words: list[str]) -> None:
        if len(words) != 3:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({_masked_line(self.requestline)[:100]!r})")
        command, path, version = words
        number = _http_version(version)
        self.request_version = version
        self.close_connection = number < (1, 1)
        self.command, self.path = command, "/" + path.lstrip("/") if path.startswith("//") else path

    def _read_header_fields(self) -> list[tuple[str, str]]:
        fields: list[tuple[str, str]] = []
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                raise _Refused(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
            if line in (b"\r\n", b"\n", b""):
                return fields
            if len(fields) == MAX_HEADERS:
                raise _Refused(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            fields.append(_header_field(line))

    def handle(self) -> None:
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket):
            try:
                connection.do_handshake()
            except (OSError, ValueError):
                return  # not TLS, the client does not trust us, or it gave up: nothing to answer
        super().handle()

    def finish(self) -> None:
        """Flush and close the socket's files; a client that went away meanwhile is no error."""
        with contextlib.suppress(OSError):
            super().finish()

    def log_error(self, format: str, *args: Any) -> None:
        if not format.startswith("Request timed out"):  # an idle keep-alive connection expiring
            super().log_error(format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """werkzeug's access log line (uncoloured), with secret-looking query values masked."""
        if not getattr(self, "command", None):  # the request line did not parse: log it as it came
            line = _masked_line(self.requestline)
        else:
            line = _masked_line(f"{self.command} {self.path} {self.request_version}")
        self.log("info", '"%s" %s %s', line, code, size)

    def make_environ(self) -> Any:
        environ = super().make_environ()
        if environ.get("wsgi.input_terminated"):  # chunked: read it with a reader that cannot hang
            environ["wsgi.input"] = ChunkedBody(cast(IO[bytes], self.rfile), DRAIN_LIMIT)
        return environ

    def _body_framing(self, environ: dict[str, Any]) -> LimitedStream | None:
        """Wrap the body so what the app leaves unread can be drained; ``None`` if that is
        impossible (chunked or malformed framing), which closes the connection afterwards."""
        if "wsgi.input_terminated" in environ:  # chunked: werkzeug already de-chunks it
            return None
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return LimitedStream(cast(IO[bytes], self.rfile), 0)
        if len(lengths) > 1 or not lengths[0].strip().isdigit():
            return None
        stream = LimitedStream(cast(IO[bytes], self.rfile), int(lengths[0]))
        environ["wsgi.input"] = stream
        return stream

    def _send_head(self, code: int, message: str, headers: list[tuple[str, str]], *, chunked: bool,
                   keep_alive: bool) -> bool:
        """Status line and headers (buffered); whether the connection stays open after this response."""
        self.send_response(code, message)
        for name, value in headers:
            if name.lower() == "connection":
                keep_alive = keep_alive and value.lower() != "close"
            else:
                self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if not keep_alive:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        return keep_alive

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        self.environ = environ = self.make_environ()
        body = self._body_framing(environ)
        keep_alive = self.server.keep_alive and body is not None and not self.close_connection
        status_sent = False
        chunked = False
        pending: list[tuple[int, str, list[tuple[str, str]]]] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal chunked
            if exc_info and status_sent:
                raise exc_info[1].with_traceback(exc_info[2])
            code_text, _, message = status.partition(" ")
            code = int(code_text)
            names = {name.lower() for name, _ in headers}
            chunked = not ("content-length" in names or environ["REQUEST_METHOD"] == "HEAD"
                           or code < 200 or code in (204, 304))
            pending[:] = [(code, message, headers)]
            return write

        def write(data: bytes) -> None:
            nonlocal status_sent, keep_alive
            if not status_sent:
                status_sent = True
                # What the app left unread must be drained to keep the connection: if it cannot be
                # (a 100 MiB body refused with 413 unread), say so in this response.
                keep_alive = self._send_head(*pending[0], chunked=chunked,
                                             keep_alive=keep_alive and self._drainable(body))
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            self.wfile.flush()

        def execute(app: Any) -> None:
            iterable = app(environ, start_response)
            try:
                for data in iterable:
                    write(data)
                if not status_sent:
                    write(b"")
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()

        try:
            execute(self.server.app)
        except DropConnection:
            self.close_connection = True
            return
        except (ConnectionError, TimeoutError, ssl.SSLError) as error:
            self.close_connection = True
            self.connection_dropped(error, environ)
            return
        except Exception as error:
            self.close_connection = True
            if self.server.passthrough_errors:
                raise
            if not status_sent:
                keep_alive = False
                with contextlib.suppress(Exception):
                    execute(InternalServerError())
            self.server.log("error", f"Error on request {environ['REQUEST_METHOD']} "
                                     f"{mask_query(environ.get('RAW_URI', ''))}: {error!r}")
            return
        self.close_connection = not keep_alive or not self._drain(body)

    @staticmethod
    def _drainable(body: LimitedStream | None) -> bool:
        """Whether what is left of the request body is small enough to be read and discarded."""
        return body is not None and body.limit - body.tell() <= DRAIN_LIMIT

    def _drain(self, body: LimitedStream | None) -> bool:
        """Discard what the app left of the request body; whether the connection is reusable."""
        if body is None:
            return False
        remaining = body.limit - body.tell()
        if remaining <= 0:
            return True
        if remaining > DRAIN_LIMIT:
            return False
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    return False
                remaining -= len(chunk)
        except (OSError, ValueError):
            return False
        return True


class CloseAfterEachRequestHandler(KeepAliveRequestHandler):
    """HTTP/1.1 framing, but one request per connection (for the single-threaded server)."""

    timeout = 10.0


class _ListenFailed(Exception):
    """Carries a bind/listen ``OSError`` past werkzeug, which would print it and ``sys.exit(1)``."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class LettrWSGIServer(BaseWSGIServer):
    """werkzeug's WSGI server with a wake-up socket, tracked connections and lazy TLS::

        server = LettrWSGIServer("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever).start()
        server.shutdown()        # returns as soon as the accept loop has seen the wake-up

    ``threaded=True`` serves each connection in its own thread (named ``lettr-connection:PORT``)
    and keeps connections alive; ``threaded=False`` serves one request at a time, each on its own
    connection. A port that cannot be bound raises its ``OSError`` (e.g. ``EADDRINUSE``), never
    ``SystemExit``. When the process runs out of file descriptors (``EMFILE``), the loop pauses
    (10 ms, doubling up to 0.5 s) instead of retrying the accept at once; a waiting client is
    served as soon as a descriptor is free.
    """

    timeout = 0  # handle_request() returns at once if the client hung up before it was accepted

    def __init__(self, host: str, port: int, app: Any, *, ssl_context: ssl.SSLContext | None = None,
                 threaded: bool = True) -> None:
        self.multithread = self.keep_alive = threaded
        self._wake_read, self._wake_write = socket.socketpair()  # closed by server_close()
        self._stopping = False
        self._serving = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread | None] = {}
        self._backoff = 0.0  # the last pause after an accept failed for want of descriptors
        self._pause = 0.0  # the pause the accept loop takes before it selects again
        handler = KeepAliveRequestHandler if threaded else CloseAfterEachRequestHandler
        try:
            super().__init__(host, port, app, handler=handler)
        except _ListenFailed as failed:
            raise failed.error from None
        if ssl_context is not None:  # werkzeug's wrapping would shake hands in the accept loop
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.ssl_context = ssl_context

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept connections until :meth:`shutdown`, then close the server (as werkzeug's does);
        ``poll_interval`` is ignored: the loop sleeps until a client or the wake-up socket calls."""
        self._serving.set()
        try:
            with selectors.DefaultSelector() as selector, selectors.DefaultSelector() as wake_only:
                selector.register(self, selectors.EVENT_READ)
                selector.register(self._wake_read, selectors.EVENT_READ)
                wake_only.register(self._wake_read, selectors.EVENT_READ)
                while not self._stopping:
                    if self._pause:  # out of descriptors: wait (for a stop, at most) before retrying
                        wake_only.select(self._pause)
                        self._pause = 0.0
                        continue
                    ready = [key.fileobj for key, _ in selector.select()]
                    if self in ready and not self._stopping:
                        self.handle_request()
        finally:
            self._stopped.set()
            self.server_close()

    def get_request(self) -> tuple[Any, Any]:
        """Accept a connection; out of file descriptors, set the loop's pause (and re-raise)."""
        try:
            accepted = super().get_request()
        except OSError as error:
            if error.errno in _OUT_OF_RESOURCES:
                low, high = ACCEPT_BACKOFF
                self._backoff = self._pause = min(max(self._backoff * 2, low), high)
            raise
        self._backoff = 0.0
        return accepted

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.multithread:
            with self._lock:
                self._connections[request] = None
            super().process_request(request, client_address)
            return
        thread = threading.Thread(target=self._serve_connection, args=(request, client_address),
                                  name=f"lettr-connection:{self.port}", daemon=True)
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def shutdown(self) -> None:
        """Stop accepting, close every open connection and wait (briefly) for their threads."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")
        if self._serving.is_set():
            self._stopped.wait()
        with self._lock:
            connections = list(self._connections.items())
        for connection, _ in connections:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(connection, socket.SHUT_RDWR)
        for _, thread in connections:
            if thread is not None and thread is not threading.current_thread():
                thread.join(JOIN_TIMEOUT)

    def server_bind(self) -> None:
        try:
            super().server_bind()
        except OSError as exc:
            raise _ListenFailed(exc) from exc

    def server_activate(self) -> None:
        try:
            super().server_activate()
        except OSError as exc:
            raise _ListenFailed(exc) from exc

    def server_close(self) -> None:
        super().server_close()
        self._wake_read.close()
        self._wake_write.close()


class LettrHTTPServer(HTTPServer):
    """pytest-httpserver's ``HTTPServer`` on :class:`LettrWSGIServer` (see the module docstring).

    ``start()`` differs (it makes the server; pytest-httpserver has no hook for that), and so does
    ``log``: a :class:`~pytest_lettr.requestlog.RequestLog`, the last :attr:`log_entries` exchanges
    with secrets masked. Two switches: :attr:`fallback` answers what no expectation matches, and
    :attr:`middleware` wraps every dispatch (faults on demand are one). A body is read only when a
    handler (or an expectation matching on it) reads it. ``startup_timeout`` is not needed: the
    socket listens before ``start()`` returns.
    """

    server: LettrWSGIServer | None
    log: RequestLog

    #: Exchanges (request and response) the log keeps by default; the oldest make room.
    log_entries = LOG_ENTRIES
    #: Body bytes the log keeps by default, requests and responses together.
    log_bytes = LOG_BYTES

    #: Answers a request that no expectation (permanent, one-shot or ordered) matches, instead of
    #: pytest-httpserver's "No handler found" 500 and assertion. A request that breaks the order of
    #: ordered expectations still fails as pytest-httpserver makes it fail::
    #:
    #:     server.fallback = lambda request: Response("from the fallback")
    fallback: Callable[[Request], Response] | None = None

    #: Called as ``middleware(request, dispatch)`` for every request instead of ``dispatch(request)``:
    #: it may delay, answer on its own, call ``dispatch`` and change its answer, or raise
    #: :class:`DropConnection` to close the connection without an answer.
    middleware: Callable[[Request, Callable[[Request], Response]], Response] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log = RequestLog(self.log_entries, self.log_bytes)

    def clear_log(self) -> None:
        self.log.clear()

    def application(self, request: Request) -> Response:
        recorder = RecordingStream(request.environ["wsgi.input"])
        request.environ["wsgi.input"] = recorder  # the log keeps what was read, and reads nothing more
        middleware = self.middleware
        response = self.dispatch(request) if middleware is None else middleware(request, self.dispatch)
        self.log.record(request, bytes(recorder.recorded), response)
        return response

    def respond_nohandler(self, request: Request, extra_message: str = "") -> Response:
        if self.fallback is None or self.permanently_failed:
            return super().respond_nohandler(request, extra_message)
        return self.fallback(request)

    def start(self) -> None:
        if self.is_running():
            raise HTTPServerError("Server is already running")
        self.server = LettrWSGIServer(self.host, self.port, Request.application(self.application),
                                      ssl_context=self.ssl_context, threaded=self.threaded)
        self.port = self.server.port
        self.server_thread = threading.Thread(target=self.thread_target, name=f"lettr-httpserver:{self.port}",
                                              daemon=True)
        self.server_thread.start()
