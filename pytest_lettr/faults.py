"""Faults on demand: make chosen requests slow, fail, lose their connection or their answer.

``lettr_server.faults`` (a :class:`Faults`) holds the faults of the current test; each ``add()``
returns a :class:`Fault` handle::

    outage = lettr_server.faults.add(method="POST", path="/api/emails", status=503, retry_after=2, times=2)
    ...                                   # two sends answered 503 with Retry-After: 2, then the fake
    assert outage.hits == 2
    outage.remove()

A fault matches a request by ``method``, ``path`` (a glob such as ``/api/emails*``, or a compiled
regular expression, matched against the whole path) and ``dialect`` (``"v1"`` or ``"api"``), and
then applies to ``times`` matching requests (every one when ``None``), each with ``probability``,
after letting the first ``after`` through. What it does:

- ``delay=seconds``: wait before answering (combines with everything below);
- ``status=`` 429, 500, 502, 503 or 504: answer with that status and the dialect's own error body
  (429 with ``Retry-After`` and the ``X-RateLimit-*`` headers; ``retry_after=`` for any of them);
- ``drop=True``: close the connection without an answer;
- ``truncate=True``: send the headers and half the body, then close.

A faulted request does not reach the account (nothing is stored), unless ``after_commit=True``:
then the request is processed first and only its answer is delayed, replaced, cut or lost, which is
what a client sees when its connection fails after the server committed. Draws for ``probability``
come from the account's seeded entropy (one stream per fault), so a flaky test reproduces with the
same seed. Faults apply to every request the server answers (the mock's and the test's own
expectations alike) and are cleared with the account, by ``reset()`` and ``stop()``.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from . import errors
from .httpserver import DropConnection

if TYPE_CHECKING:
    from .server import LettrServer

__all__ = ["FAULT_ERRORS", "Fault", "Faults"]

#: The statuses a fault can answer with, and the error each dialect renders for it.
FAULT_ERRORS: dict[int, tuple[type[errors.LettrError], str]] = {
    429: (errors.RateLimited, "Rate limit exceeded (a fault injected by the test)"),
    500: (errors.ServerError, "Internal server error (a fault injected by the test)"),
    502: (errors.TransmissionFailed, "Bad gateway (a fault injected by the test)"),
    503: (errors.ServiceUnavailable, "Service unavailable (a fault injected by the test)"),
    504: (errors.GatewayTimeout, "Gateway timeout (a fault injected by the test)"),
}
DIALECTS = {"v1": "/v1", "api": "/api"}
#: The control API (:mod:`pytest_lettr.control`): never faulted, so a test can always remove a fault.
CONTROL_PREFIX = "/_lettr/"


class Fault:
    """One fault: what it matches, what it does, and how often it did it (:attr:`hits`)."""

    def __init__(self, owner: Faults, number: int, *, method: str | None, path: str | re.Pattern[str] | None,
                 dialect: str | None, status: int | None, retry_after: int | None, delay: float, drop: bool,
                 truncate: bool, after_commit: bool, times: int | None, probability: float, after: int) -> None:
        self._owner = owner
        self.number = number
        self.method = method.upper() if method else None
        self.path = path
        self.dialect = dialect
        self.status, self.retry_after, self.delay = status, retry_after, delay
        self.drop, self.truncate, self.after_commit = drop, truncate, after_commit
        self.times, self.probability, self.after = times, probability, after
        #: Requests this fault was applied to.
        self.hits = 0
        #: Matching requests seen (applied to or let through).
        self.seen = 0

    @property
    def active(self) -> bool:
        """Whether the fault can still apply (it is added and its ``times`` are not used up)."""
        return self in self._owner and (self.times is None or self.hits < self.times)

    def remove(self) -> None:
        """Stop applying this fault (requests already being served finish as they started)."""
        self._owner.remove(self)

    def matches(self, request: Request) -> bool:
        """Whether ``request``'s method and path are this fault's."""
        if self.method is not None and request.method.upper() != self.method:
            return False
        path = request.path
        if self.dialect is not None:
            prefix = DIALECTS[self.dialect]
            if path != prefix and not path.startswith(prefix + "/"):
                return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return fnmatch.fnmatchcase(path, self.path)

    def __repr__(self) -> str:
        action = ("drop" if self.drop else f"status={self.status}" if self.status else
                  "truncate" if self.truncate else f"delay={self.delay}")
        route = f"{self.method or '*'} {getattr(self.path, 'pattern', self.path) or '*'}"
        return f"<Fault {route} {action} hits={self.hits}{' after_commit' if self.after_commit else ''}>"


@dataclass(frozen=True)
class _Asked:
    """A fault's arguments, as :data:`_RULES` check them."""

    status: int | None
    retry_after: int | None
    delay: float
    drop: bool
    truncate: bool
    after_commit: bool
    times: int | None
    probability: float
    after: int
    dialect: str | None


def _whole_seconds(value: int | None) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


#: Each rule: when it is broken, and what the ``ValueError`` says.
_RULES: list[tuple[Callable[[_Asked], bool], str]] = [
    (lambda a: a.status is not None and a.status not in FAULT_ERRORS,
     f"status must be one of {', '.join(map(str, FAULT_ERRORS))}"),
    (lambda a: a.status is not None and a.drop, "give status or drop=True, not both"),
    (lambda a: a.drop and a.truncate, "give drop=True or truncate=True, not both"),
    (lambda a: a.status is None and not (a.drop or a.truncate or a.delay or a.after_commit),
     "nothing to inject: give status, drop, truncate or delay"),
    (lambda a: a.truncate and a.status is None and not a.after_commit,
     "truncate=True without status cuts the real answer, so the request is processed: pass after_commit=True"),
    (lambda a: a.retry_after is not None and (a.status is None or not _whole_seconds(a.retry_after)),
     "retry_after must be a whole number of seconds (>= 0), with a status"),
    (lambda a: not 0 <= a.delay <= 3600, "delay must be between 0 and 3600 seconds"),
    (lambda a: a.times is not None and a.times < 1, "times must be at least 1 (or None: every matching request)"),
    (lambda a: not 0 < a.probability <= 1, "probability must be in (0, 1]"),
    (lambda a: a.after < 0, "after must be >= 0"),
    (lambda a: a.dialect is not None and a.dialect not in DIALECTS, "dialect must be 'v1' or 'api'"),
]


class Faults:
    """The faults of a :class:`~pytest_lettr.server.LettrServer`, applied to every request it serves.

    Installed as the HTTP server's middleware; with no fault added it costs one check per request.
    """

    def __init__(self, server: LettrServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._added = 0
        self._released = threading.Event()

    # -- the API ----------------------------------------------------------------------------------
    def add(self, *, method: str | None = None, path: str | re.Pattern[str] | None = None,
            dialect: str | None = None, status: int | None = None, retry_after: int | None = None,
            delay: float = 0.0, drop: bool = False, truncate: bool = False, after_commit: bool = False,
            times: int | None = None, probability: float = 1.0, after: int = 0) -> Fault:
        """Add a fault (see the module docstring); raises ``ValueError`` when it makes no sense."""
        asked = _Asked(status, retry_after, delay, drop, truncate, after_commit, times, probability, after, dialect)
        problems = [message for broken, message in _RULES if broken(asked)]
        if problems:
            raise ValueError("; ".join(problems))
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._added += 1
            fault = Fault(self, self._added, method=method, path=path, dialect=dialect, status=status,
                          retry_after=retry_after, delay=float(delay), drop=drop, truncate=truncate,
                          after_commit=after_commit, times=times, probability=probability, after=after)
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        """Remove every fault and cut short the delays of requests being served."""
        with self._lock:
            self._faults.clear()
            self._added = 0
            released, self._released = self._released, threading.Event()
        released.set()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)

    def __contains__(self, fault: object) -> bool:
        return fault in self._faults

    def __repr__(self) -> str:
        return f"<Faults {list(self)!r}>"

    # -- the middleware -----------------------------------------------------------------------------
    def __call__(self, request: Request, dispatch: Callable[[Request], Response]) -> Response:
        if not self._faults or request.path.startswith(CONTROL_PREFIX):  # the common case; control calls
            return dispatch(request)                                        # always get through
        fault, released = self._pick(request)
        if fault is None:
            return dispatch(request)
        if not fault.after_commit:
            released.wait(fault.delay)
            if fault.status is None and not fault.drop:  # a delay alone: then the real answer
                return dispatch(request)
            return self._respond(fault, request, None)
        response = dispatch(request)
        released.wait(fault.delay)
        return self._respond(fault, request, response)

    def _pick(self, request: Request) -> tuple[Fault | None, threading.Event]:
        """The first active fault that matches ``request`` and applies to it this time."""
        with self._lock:
            released = self._released
            for fault in self._faults:
                if (fault.times is not None and fault.hits >= fault.times) or not fault.matches(request):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.probability < 1 and self._draw(fault) >= fault.probability:
                    continue
                fault.hits += 1
                return fault, released
        return None, released

    def _draw(self, fault: Fault) -> float:
        return self._server.account.entropy.stream(f"faults:{fault.number}").random()

    def _respond(self, fault: Fault, request: Request, response: Response | None) -> Response:
        if fault.drop:
            raise DropConnection()
        if fault.status is not None:
            response = self._error(fault, request.path)
        assert response is not None  # a status, or the real answer (after_commit)
        return _truncated(response) if fault.truncate else response

    def _error(self, fault: Fault, path: str) -> Response:
        assert fault.status is not None
        cls, message = FAULT_ERRORS[fault.status]
        if cls is errors.RateLimited:
            error: errors.LettrError = errors.RateLimited(message, retry_after=fault.retry_after or 1)
        else:
            error = cls(message)
        response = self._server.render_error(path, error)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        if fault.status == 429:
            response.headers.extend(self._server.rate_limit_headers(fault.retry_after or 1))
        return response


def _truncated(response: Response) -> Response:
    """``response`` with its full ``Content-Length`` but half its body, then the connection closed."""
    body = response.get_data()

    def half_then_close() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        raise DropConnection()

    cut = Response(half_then_close(), status=response.status, headers=list(response.headers.items()))
    cut.headers["Content-Length"] = str(len(body))
    return cut
