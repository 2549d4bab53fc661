"""plugin.py: what the ``lettr_server`` fixture does around each test, step by step.

The fixture tests in tests/plugin/test_fixtures.py see the outcome through a real server; these drive
``_fresh_account`` with a recording stand-in, so the order of the steps, what is restored when
the test fails, and the exact usage errors are pinned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pytest_lettr.plugin import REPORT_KEY, _fresh_account


class FakeServer:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.options = SimpleNamespace(trust_forwarded_for=False)
        self.account = object()

    def reset(self, seed_material: str, **options: Any) -> None:
        self.calls.append(("reset", seed_material, options, self.options.trust_forwarded_for))

    def set_rate_limit(self, requests: int, per_seconds: float) -> None:
        self.calls.append(("rate_limit", requests, per_seconds, self.options.trust_forwarded_for))

    def check_handler_errors(self) -> None:
        self.calls.append(("check_handler_errors",))

    def route_lettr_hosts(self) -> contextlib.ExitStack:
        return contextlib.ExitStack()


class FakeReport:
    def __init__(self, server: FakeServer) -> None:
        self.server = server

    def collect(self, account: object, test: str) -> None:
        assert account is self.server.account
        self.server.calls.append(("collect", test, self.server.options.trust_forwarded_for))


class FakeConfig:
    def __init__(self, mode: str | None) -> None:
        self.mode = mode
        self.stash = pytest.Stash()

    def getoption(self, name: str, default: Any = None) -> Any:
        assert name == "lettr_sensitive_data"
        return self.mode

    def getini(self, name: str) -> str:
        assert name == "lettr_sensitive_data"
        return "warn"


def request_for(*marks: pytest.MarkDecorator, mode: str | None = None) -> Any:
    """A request for a test carrying ``marks``, closest first (the order pytest yields them)."""
    node = SimpleNamespace(nodeid="tests/test_x.py::test_y",
                           iter_markers=lambda name: iter([mark.mark for mark in marks]))
    return SimpleNamespace(node=node, config=FakeConfig(mode))


def start(server: FakeServer, request: Any) -> Iterator[Any]:
    fixture = _fresh_account(cast(Any, server), request)
    assert next(fixture) is server
    return fixture


def test_a_passing_test_without_marker() -> None:
    server = FakeServer()
    fixture = start(server, request_for())
    with pytest.raises(StopIteration):
        next(fixture)
    assert server.calls == [("reset", "tests/test_x.py::test_y", {"sensitive_data": "warn"}, False),
                            ("check_handler_errors",)]


def test_marker_options_are_applied_in_order_and_restored_after() -> None:
    server = FakeServer()
    request = request_for(pytest.mark.lettr(plan="enterprise", trust_forwarded_for=1, rate_limit=(5, 2),
                                            strict_domains=True, https=True))
    request.config.stash[REPORT_KEY] = FakeReport(server)
    fixture = start(server, request)
    assert server.options.trust_forwarded_for is True  # made a bool
    with pytest.raises(StopIteration):
        next(fixture)
    assert server.calls == [
        ("reset", "tests/test_x.py::test_y", {"plan": "enterprise", "strict_domains": True, "sensitive_data": "warn"},
         False),
        ("rate_limit", 5, 2, True),
        ("check_handler_errors",),
        ("collect", "tests/test_x.py::test_y", True),  # the report sees the test's own settings
    ]
    assert server.options.trust_forwarded_for is False


def test_a_failing_test_is_not_checked_but_is_still_reported_and_restored() -> None:
    server = FakeServer()
    request = request_for(pytest.mark.lettr(trust_forwarded_for=True))
    request.config.stash[REPORT_KEY] = FakeReport(server)
    fixture = start(server, request)
    with pytest.raises(ZeroDivisionError):
        fixture.throw(ZeroDivisionError())
    assert [call[0] for call in server.calls] == ["reset", "collect"]
    assert server.options.trust_forwarded_for is False


def test_a_mock_bug_found_after_the_test_still_reports_and_restores() -> None:
    server = FakeServer()
    request = request_for(pytest.mark.lettr(trust_forwarded_for=True))
    request.config.stash[REPORT_KEY] = FakeReport(server)

    def bug() -> None:
        server.calls.append(("check_handler_errors",))
        raise AssertionError("a handler crashed")

    server.check_handler_errors = bug  # type: ignore[method-assign]
    fixture = start(server, request)
    with pytest.raises(AssertionError, match="a handler crashed"):
        next(fixture)
    assert [call[0] for call in server.calls] == ["reset", "check_handler_errors", "collect"]
    assert server.options.trust_forwarded_for is False


@pytest.mark.parametrize(("mode", "marks", "expected"), [
    ("error", (), "error"),
    ("error", (pytest.mark.lettr(sensitive_data="off"),), "off"),  # the marker wins over the option
    (None, (pytest.mark.lettr(sensitive_data="error"), pytest.mark.lettr(sensitive_data="warn")), "error"),  # closest
])
def test_sensitive_data_mode(mode: str | None, marks: tuple[pytest.MarkDecorator, ...], expected: str) -> None:
    server = FakeServer()
    start(server, request_for(*marks, mode=mode))
    assert server.calls[0][2] == {"sensitive_data": expected}


@pytest.mark.parametrize(("mark", "message"), [
    (pytest.mark.lettr(strict_domain=True, rate=1, plan="pro"),
     "unknown @pytest.mark.lettr option(s): rate, strict_domain"),
    (pytest.mark.lettr(sensitive_data="loud"),
     "@pytest.mark.lettr(sensitive_data=...) must be one of warn, error, off"),
])
def test_usage_errors_come_before_the_account_is_touched(mark: pytest.MarkDecorator, message: str) -> None:
    server = FakeServer()
    with pytest.raises(pytest.UsageError) as caught:
        start(server, request_for(mark))
    assert str(caught.value) == message
    assert server.calls == []
