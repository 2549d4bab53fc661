"""A bounded schemathesis run of every operation of the vendored spec against the fake.

Phases: examples (the spec's own), coverage (boundaries and each constraint broken once) and
fuzzing; a fixed seed and derandomized generation make every run the same. The stateful phase
is left out: the spec declares no links between operations. Findings outside
:mod:`allowlist` fail the test of their operation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup

from pytest_lettr import LettrServer
from pytest_lettr.spec import load_openapi

from .allowlist import allowed

MAX_EXAMPLES = 5
CONFIG = SchemathesisConfig.from_dict({
    "seed": 11,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(load_openapi(), config=CONFIG)


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[str, dict[str, str]]]:
    """The fake (one for the run: hypothesis reuses a test's fixtures across its examples) and the
    ``lttr_`` key of its fresh account."""
    with LettrServer(smtp=False) as server:
        key = server.create_key("schemathesis", mode="api").key
        yield server.api_url, {"Authorization": f"Bearer {key}"}
        server.check_handler_errors()


def _unlisted(operation: str, failures: list[Failure]) -> list[Failure]:
    return [failure for failure in failures if not allowed(operation, getattr(failure, "code", None))]


@schema.parametrize()
def test_operation_conforms(case: schemathesis.Case, target: tuple[str, dict[str, str]]) -> None:
    url, headers = target
    operation = case.operation.label
    try:
        case.call_and_validate(base_url=url, headers=headers)
    except FailureGroup as group:
        left = _unlisted(operation, list(group.exceptions))
        if left:
            raise FailureGroup(left, group.message) from None
    except Failure as failure:
        if _unlisted(operation, [failure]):
            raise


def test_the_allowlist_names_real_operations() -> None:
    from .allowlist import ALLOWED

    labels = {operation.label for operation in (result.ok() for result in schema.get_all_operations())}
    assert {operation for operation, _ in ALLOWED} - {"*"} <= labels
