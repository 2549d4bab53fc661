"""The server's request log: the last requests and their responses, bounded and with secrets masked.

pytest-httpserver keeps every ``(request, response)`` pair in ``httpserver.log`` for as long as the
server runs, bodies included, so a standalone server grows without end and holds every key it
created and every secret it was sent. :class:`RequestLog` is that list with three differences::

    log = RequestLog(max_entries=1000, max_bytes=64 * 1024 * 1024)
    log.append((request, response))     # keeps a masked copy; the oldest entries make room

- **Bounded.** At most ``max_entries`` pairs and ``max_bytes`` of bodies; the oldest go first.
  A body longer than :data:`BODY_LIMIT` is kept up to that length.
- **Masked.** The ``Authorization`` value (after its scheme), secret-looking header, query and JSON
  field values, and anything shaped like a Lettr key or a webhook secret are ``***``.
- **Detached.** An entry is a new :class:`~werkzeug.wrappers.Request` over the bytes the server
  read (a body nobody read is logged empty), holding no socket or stream of the connection.

Entries still work with pytest-httpserver's ``assert_request_made`` and friends, and with
``request.get_data()``, ``.json``, ``.headers`` and ``.args``.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from werkzeug.wrappers import Request, Response

from .masking import mask_body, mask_cgi_header, mask_query
from .state.keys import mask_keys

__all__ = ["BODY_LIMIT", "LOG_BYTES", "LOG_ENTRIES", "RecordingStream", "RequestLog"]

LOG_ENTRIES = 1000
"""Pairs a log keeps by default (the newest)."""

LOG_BYTES = 64 * 1024 * 1024
"""Body bytes (requests and responses together) a log keeps by default."""

BODY_LIMIT = 1024 * 1024
"""Bytes of one body a log keeps; the rest is dropped."""

class RecordingStream(io.RawIOBase):
    """A request body stream that keeps (up to ``limit`` bytes of) what the app reads through it.

    The log shows what was read and nothing more: a body refused unread is never buffered.
    """

    def __init__(self, stream: Any, limit: int = BODY_LIMIT) -> None:
        self._stream = stream
        self._limit = limit
        self.recorded = bytearray()

    def readable(self) -> bool:
        return True

    def _keep(self, data: bytes) -> bytes:
        room = self._limit - len(self.recorded)
        if room > 0 and data:
            self.recorded += data[:room]
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._keep(self._stream.read() if size is None or size < 0 else self._stream.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._keep(self._stream.readline() if size is None or size < 0 else self._stream.readline(size))

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[:len(data)] = data
        return len(data)


#: The CGI variables that hold the request target, and how each is masked.
_TARGETS = {
    "QUERY_STRING": lambda value: mask_query("?" + value)[1:] if value else value,
    "REQUEST_URI": mask_query,
    "RAW_URI": mask_query,
    "PATH_INFO": mask_keys,
}


def snapshot_request(request: Request, body: bytes) -> Request:
    """A detached, masked copy of ``request`` whose body is ``body`` (what the server read)."""
    # Only text is copied: sockets, streams and the handler of the connection are not kept.
    environ: dict[str, Any] = {}
    for name, value in request.environ.items():
        if not isinstance(value, str):
            continue
        if name.startswith("HTTP_"):
            value = mask_cgi_header(name, value)
        elif name in _TARGETS:
            value = _TARGETS[name](value)
        environ[name] = value
    environ["wsgi.input"] = io.BytesIO(mask_body(body))
    environ["wsgi.input_terminated"] = True  # read it as it is, whatever Content-Length says
    return Request(environ)


def snapshot_response(response: Response) -> Response:
    """``response`` itself when its body holds nothing to mask, else a masked copy (first
    :data:`BODY_LIMIT` bytes). A streamed body is not read (it is the client's)."""
    if response.is_streamed:
        return response
    raw = response.get_data()
    masked = mask_body(raw[:BODY_LIMIT])
    if masked == raw:
        return response
    copy = Response(masked, status=response.status, headers=list(response.headers.items()))
    copy.headers["Content-Length"] = str(len(masked))
    return copy


def _size(entry: tuple[Request, Response]) -> int:
    request, response = entry
    held = request.environ.get("wsgi.input")
    size = len(held.getvalue()) if isinstance(held, io.BytesIO) else 0
    if not response.is_streamed:
        size += sum(len(chunk) for chunk in response.response) if isinstance(response.response, list) else 0
    return size


class RequestLog(list):  # type: ignore[type-arg]
    """pytest-httpserver's log as a bounded, masked ring (see the module docstring)."""

    def __init__(self, max_entries: int = LOG_ENTRIES, max_bytes: int = LOG_BYTES) -> None:
        super().__init__()
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()

    def record(self, request: Request, body: bytes, response: Response) -> None:
        """Keep a masked copy of an exchange (``body``: the request bytes the server read)."""
        self.append((snapshot_request(request, body), snapshot_response(response)))

    def append(self, entry: tuple[Request, Response]) -> None:
        size = _size(entry)
        with self._lock:
            super().append(entry)
            self._bytes += size
            while len(self) > max(self.max_entries, 0) or (self._bytes > self.max_bytes and len(self) > 1):
                self._bytes -= _size(super().pop(0))

    def clear(self) -> None:
        with self._lock:
            super().clear()
            self._bytes = 0

    def __repr__(self) -> str:
        return f"<RequestLog {len(self)} of at most {self.max_entries} exchange(s)>"
