"""Several webhook POSTs at once from one thread: every request is written first, then the answers
are read as they arrive.

What the delivery engine uses for the first attempts of one event (a fan-out) to plain-HTTP
targets::

    outcomes = post_together([Post(url, body, headers, deadline, inflight), ...])
    status, headers, body = outcomes[0].reply      # or outcomes[0].error, an exception

Five receivers then cost the slowest one's time, not the sum, without handing work to other
threads (under the GIL, waking a helper thread per POST cost more than the POST). Each POST
keeps the rules of :func:`pytest_lettr.webhooks.transport.post`: loopback addresses only, its own
deadline for the whole exchange (a silent or trickling receiver is cut when it runs out, while
the others are read as soon as they answer), keep-alive per target with one fresh retry when a
kept connection turns out closed, and :class:`~pytest_lettr.webhooks.transport.Inflight` can cut
everything at once.
"""

from __future__ import annotations

import http.client
import math
import select
import selectors
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .http1 import parse_response
from .transport import MAX_RESPONSE_BODY, Connection, Deadline, Inflight, Key, Reply, fresh, post, settle, target_key

__all__ = ["Outcome", "Post", "post_together"]

_READ = 65536


@dataclass(frozen=True)
class Post:
    """One POST to make: ``url`` must be ``http://`` (TLS goes through :func:`transport.post`)."""

    url: str
    body: bytes
    headers: Mapping[str, str]
    deadline: Deadline
    inflight: Inflight | None = None


@dataclass
class Outcome:
    """What one POST got: a reply, or the exception :func:`transport.post` would have raised;
    ``finished`` is the monotonic moment it was over."""

    reply: Reply | None = None
    error: BaseException | None = None
    finished: float = 0.0


@dataclass(eq=False)
class _Waiting:
    post: Post
    key: Key
    path: str
    connection: Connection
    kept: bool
    outcome: Outcome
    data: bytearray = field(default_factory=bytearray)


def post_together(posts: Sequence[Post]) -> list[Outcome]:
    """Make every POST; the outcomes in the order of ``posts``."""
    outcomes = [Outcome() for _ in posts]
    sent = [_send(request, outcome) for request, outcome in zip(posts, outcomes, strict=True)]
    waiting = [w for w in sent if w is not None]
    try:
        _collect(waiting)
    finally:
        _abandon(waiting)
    for late in waiting:
        if late.kept and _closed_while_idle(late.outcome.error):
            _again(late)  # after the others: a kept connection had been closed by the receiver
    return outcomes


def _abandon(waiting: list[_Waiting]) -> None:
    """Close what was left unanswered (only when collecting was interrupted)."""
    for left in waiting:
        if left.outcome.reply is None and left.outcome.error is None:
            left.connection.release()
            left.outcome.error = ConnectionError("the POST was abandoned")


def _closed_while_idle(error: BaseException | None) -> bool:
    return isinstance(error, (ConnectionError, http.client.BadStatusLine))


def _again(late: _Waiting) -> None:
    """POST once more on a fresh connection, as :func:`transport.post` does."""
    request = late.post
    late.outcome.error = None
    try:
        late.outcome.reply = post(request.url, request.body, request.headers, request.deadline,
                                  inflight=request.inflight)
    except Exception as error:
        late.outcome.error = error
    late.outcome.finished = time.monotonic()


def _send(request: Post, outcome: Outcome) -> _Waiting | None:
    """Write the request (on a kept connection if there is one); ``None`` if that failed."""
    try:
        key, path = target_key(request.url)
        if key[0] != "http":
            raise ValueError("post_together makes plain-HTTP POSTs only")
    except Exception as error:
        return _failed(outcome, error)
    inflight = request.inflight
    kept = inflight.take(key, request.deadline) if inflight is not None else None
    if kept is not None:
        try:
            kept.request(path, request.body, request.headers)
            return _Waiting(request, key, path, kept, True, outcome)
        except (ConnectionError, http.client.BadStatusLine):
            kept.release()  # closed while idle: a fresh connection below
        except Exception as error:
            kept.release()
            return _failed(outcome, error)
    connection = fresh(key, request.deadline, inflight, None)
    try:
        connection.request(path, request.body, request.headers)
    except Exception as error:
        connection.release()
        return _failed(outcome, error)
    return _Waiting(request, key, path, connection, False, outcome)


def _failed(outcome: Outcome, error: BaseException) -> _Waiting | None:
    outcome.error, outcome.finished = error, time.monotonic()
    return None


class _Waiter:
    """Waits until one of several sockets can be read: ``poll(2)`` where the system has it (less
    Python per socket than :mod:`selectors`), else the default selector."""

    def __init__(self) -> None:
        self._poll = select.poll() if hasattr(select, "poll") else None
        self._selector = None if self._poll is not None else selectors.DefaultSelector()
        self._items: dict[int, _Waiting] = {}

    def add(self, fd: int, item: _Waiting) -> None:
        self._items[fd] = item
        if self._poll is not None:
            self._poll.register(fd, select.POLLIN)
        else:
            assert self._selector is not None
            self._selector.register(fd, selectors.EVENT_READ)

    def remove(self, fd: int) -> None:
        if self._items.pop(fd, None) is None:
            return
        if self._poll is not None:
            self._poll.unregister(fd)
        else:
            assert self._selector is not None
            self._selector.unregister(fd)

    def ready(self, timeout: float) -> list[_Waiting]:
        if self._poll is not None:
            events = [fd for fd, _ in self._poll.poll(math.ceil(timeout * 1000))]
        else:
            assert self._selector is not None
            events = [key.fd for key, _ in self._selector.select(timeout)]
        return [self._items[fd] for fd in events if fd in self._items]

    def close(self) -> None:
        if self._selector is not None:
            self._selector.close()


def _collect(waiting: list[_Waiting]) -> None:
    """Read every answer as it arrives, each within its own deadline."""
    waiter = _Waiter()
    try:
        pending = _registered(waiting, waiter)
        while pending:
            now = time.monotonic()
            for item in [w for w in pending if w.post.deadline.at <= now]:
                _done(item, pending, waiter, error=TimeoutError(f"no answer within {item.post.deadline.timeout:g} s"))
            if not pending:
                return
            wait = min(w.post.deadline.at for w in pending) - now
            for item in waiter.ready(max(wait, 0.0)):
                _read(item, pending, waiter)
    finally:
        waiter.close()


def _registered(waiting: list[_Waiting], waiter: _Waiter) -> set[_Waiting]:
    """The connections to wait on, non-blocking and registered with ``waiter``."""
    pending: set[_Waiting] = set()
    for item in waiting:
        raw = item.connection.raw
        if raw is not None:
            raw.setblocking(False)  # a kept connection's next request sets its timeout again
            waiter.add(raw.fileno(), item)
            pending.add(item)
    return pending


def _read(item: _Waiting, pending: set[_Waiting], waiter: _Waiter) -> None:
    raw = item.connection.raw
    try:
        assert raw is not None
        chunk = raw.recv(_READ)
    except (BlockingIOError, InterruptedError):
        return
    except OSError as error:
        _done(item, pending, waiter, error=error)
        return
    item.data += chunk
    try:
        answer = parse_response(item.data, not chunk, MAX_RESPONSE_BODY)
    except (http.client.HTTPException, ValueError) as error:
        _done(item, pending, waiter, error=error)
        return
    if answer is not None:
        _unregister(item, pending, waiter)
        item.outcome.reply = settle(item.connection, item.key, answer, item.post.inflight)
        item.outcome.finished = time.monotonic()


def _unregister(item: _Waiting, pending: set[_Waiting], waiter: _Waiter) -> None:
    pending.discard(item)
    raw = item.connection.raw
    if raw is not None:
        waiter.remove(raw.fileno())


def _done(item: _Waiting, pending: set[_Waiting], waiter: _Waiter, *, error: BaseException) -> None:
    _unregister(item, pending, waiter)
    item.connection.release()
    item.outcome.error, item.outcome.finished = error, time.monotonic()

