"""A small HTTP/1.1 client exchange for webhook POSTs: one request out, one response in.

:mod:`http.client` costs about 100 µs of Python per keep-alive POST (header objects, the
:mod:`email` parser for the response headers, and the head and the body sent in two writes);
a webhook fan-out pays that per subscriber. This module writes the request in one piece and
reads the answer with a plain parser, about a tenth of that::

    sock.sendall(request_bytes("POST", "/hooks", "127.0.0.1:8000", body, headers))
    answer = read_response(sock)        # sock: anything with ``recv_into``
    answer.status, answer.headers, answer.body, answer.reusable

It reads what a receiver may send: interim ``1xx`` answers (skipped), ``Content-Length``,
``chunked`` and close-delimited bodies, folded header lines, LF-only line ends, headers that
are not latin-1 text (decoded as latin-1, as :mod:`http.client` does). At most ``limit`` bytes of
the body are kept; a connection whose answer was not read to its end is not reusable. Errors
are :mod:`http.client`'s own classes, so callers treat both alike: ``RemoteDisconnected`` when
the peer hung up before answering, ``BadStatusLine`` for something that is not HTTP,
``LineTooLong`` for a head without end.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Answer", "parse_response", "read_response", "request_bytes"]

#: The longest response head read (status line and headers).
MAX_HEAD = 64 * 1024
_READ = 65536
_NO_BODY = frozenset({204, 304})
_ADDED = ("host", "accept-encoding", "content-length")


class Readable(Protocol):
    def recv_into(self, buffer: Any) -> int: ...


@dataclass(frozen=True)
class Answer:
    """A response: its status, headers (the last of a repeated name wins), the body kept, and
    whether the connection may carry another request."""

    status: int
    headers: dict[str, str]
    body: bytes
    reusable: bool


def request_bytes(method: str, path: str, host: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    """The whole request: ``Host``, ``Accept-Encoding: identity`` and ``Content-Length`` are added
    unless ``headers`` has them (names compared without case); values are latin-1."""
    given = {name.lower() for name in headers}
    lines = [f"{method} {path} HTTP/1.1"]
    if "host" not in given:
        lines.append(f"Host: {host}")
    if "accept-encoding" not in given:
        lines.append("Accept-Encoding: identity")
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if "content-length" not in given:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1") + body


class _NeedMore(Exception):
    """The bytes so far end before the response does."""


class _Buffered:
    """The bytes of a response read so far, consumed from the front as they are parsed."""

    def __init__(self, data: bytes | bytearray, eof: bool) -> None:
        self.data, self.pos, self.eof = data, 0, eof

    def __len__(self) -> int:
        return len(self.data) - self.pos

    def fill(self) -> bool:
        """``False`` at the end of the stream; :class:`_NeedMore` if more may come."""
        if self.eof:
            return False
        raise _NeedMore

    def take(self, count: int) -> bytes:
        taken = bytes(self.data[self.pos:self.pos + count])
        self.pos += len(taken)
        return taken

    def find(self, what: bytes) -> int:
        found = self.data.find(what, self.pos)
        return found - self.pos if found >= 0 else -1

    def rest(self, count: int = MAX_HEAD) -> bytes:
        return bytes(self.data[self.pos:self.pos + count])

    def line(self) -> bytes:
        """One line without its end; :class:`http.client.IncompleteRead` if the stream ends first."""
        while (end := self.find(b"\n")) < 0:
            if len(self) > MAX_HEAD:
                raise http.client.LineTooLong("chunk size line")
            if not self.fill():
                raise http.client.IncompleteRead(self.rest())
        return self.take(end + 1).rstrip(b"\r\n")


def _head_end(stream: _Buffered) -> tuple[int, int]:
    """Where the head ends and where the body starts, or ``(-1, -1)``."""
    crlf, lf = stream.find(b"\r\n\r\n"), stream.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf, crlf + 4
    return (lf, lf + 2) if lf >= 0 else (-1, -1)


def _read_head(stream: _Buffered) -> bytes:
    end, start = _head_end(stream)
    if end < 0:
        if len(stream) > MAX_HEAD:
            raise http.client.LineTooLong("response head")
        if not stream.fill():
            if not stream.rest().strip():
                raise http.client.RemoteDisconnected("Remote end closed connection without response")
            raise http.client.BadStatusLine(stream.rest(80).decode("latin-1"))
    head = stream.take(end)
    stream.take(start - end)
    return head


def _status(line: str) -> tuple[str, int]:
    version, _, rest = line.partition(" ")
    code = rest.strip().split(" ", 1)[0]
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
        raise http.client.BadStatusLine(line[:80])
    return version, int(code)


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    last: str | None = None
    for line in lines:
        if line[:1] in (" ", "\t") and last is not None:  # an obsolete folded line
            headers[last] = f"{headers[last]} {line.strip()}"
            continue
        name, colon, value = line.partition(":")
        if colon and name.strip():
            last = name.strip()
            headers[last] = value.strip()  # a repeated name: the last value, in the first place
    return headers


def _parsed_head(stream: _Buffered) -> tuple[str, int, dict[str, str]]:
    """The final answer's head: interim 1xx answers (other than 101) are skipped."""
    while True:
        lines = _read_head(stream).decode("latin-1").replace("\r\n", "\n").split("\n")
        version, status = _status(lines[0])
        if not 100 <= status < 200 or status == 101:
            return version, status, _headers(lines[1:])


def _get(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _keeps_alive(version: str, headers: dict[str, str]) -> bool:
    tokens = {t.strip().lower() for t in _get(headers, "connection").split(",")}
    if "close" in tokens:
        return False
    return version != "HTTP/1.0" or "keep-alive" in tokens


def _sized(stream: _Buffered, length: int, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` of a ``length``-byte body; complete whether it was all read."""
    wanted = min(length, limit)
    if len(stream) < wanted:
        stream.fill()
    body = stream.take(wanted)
    return body, len(body) == length


def _until_close(stream: _Buffered, limit: int) -> tuple[bytes, bool]:
    if len(stream) < limit:
        stream.fill()
    return stream.take(limit), False


def _chunked(stream: _Buffered, limit: int) -> tuple[bytes, bool]:
    kept = bytearray()
    while True:
        size_text = stream.line().split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise http.client.IncompleteRead(bytes(kept)) from None
        if size == 0:
            while stream.line():  # trailers, up to the empty line
                pass
            return bytes(kept), True
        if len(kept) + size > limit:
            data, _ = _sized(stream, size, limit - len(kept))
            return bytes(kept + data), False
        data, complete = _sized(stream, size, size)
        kept += data
        if not complete:
            return bytes(kept), False
        stream.line()  # the CRLF after the chunk


def _body(stream: _Buffered, status: int, headers: dict[str, str], limit: int) -> tuple[bytes, bool]:
    """The body kept, and whether it was read to its end."""
    if status in _NO_BODY or status == 101:
        return b"", status != 101
    if "chunked" in _get(headers, "transfer-encoding").lower():
        return _chunked(stream, limit)
    length = _get(headers, "content-length")
    if length.isdigit():
        return _sized(stream, int(length), limit)
    return _until_close(stream, limit)


def parse_response(data: bytes | bytearray, eof: bool, limit: int) -> Answer | None:
    """The response in ``data`` (everything read so far; ``eof`` once the peer has closed),
    keeping at most ``limit`` bytes of its body; ``None`` while more bytes are needed."""
    stream = _Buffered(data, eof)
    try:
        version, status, headers = _parsed_head(stream)
        body, complete = _body(stream, status, headers, limit)
    except _NeedMore:
        return None
    reusable = complete and not len(stream) and _keeps_alive(version, headers)
    return Answer(status, headers, body, reusable)


def read_response(sock: Readable, limit: int) -> Answer:
    """Read one response from ``sock`` (blocking), keeping at most ``limit`` bytes of its body."""
    data = bytearray()
    chunk = bytearray(_READ)
    while True:
        count = sock.recv_into(chunk)
        data += memoryview(chunk)[:count]
        answer = parse_response(data, not count, limit)
        if answer is not None:
            return answer
