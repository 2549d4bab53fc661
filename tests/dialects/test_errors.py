"""Every error class has a status in each dialect, and each class carries its own code."""

from __future__ import annotations

import pytest

from pytest_lettr import errors
from pytest_lettr.dialects.api import wire as api_wire
from pytest_lettr.dialects.v1 import wire as v1_wire

CLASSES = errors.error_classes()


def test_the_module_lists_every_error_class() -> None:
    assert len(CLASSES) >= 30
    assert errors.Suppressed in CLASSES and errors.ValidationFailed in CLASSES


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_has_a_status_in_each_dialect(cls: type[errors.LettrError]) -> None:
    assert cls in v1_wire.STATUS, f"{cls.__name__} has no v1 status"
    assert cls in api_wire.STATUS, f"{cls.__name__} has no /api status"
    assert 400 <= v1_wire.STATUS[cls] < 600
    assert 400 <= api_wire.STATUS[cls][0] < 600


def test_codes_are_unique_per_class() -> None:
    codes = [cls.code for cls in CLASSES if cls is not errors.ServerError]
    assert len(codes) == len(set(codes))


def test_a_user_subclass_takes_its_nearest_listed_base() -> None:
    class Mine(errors.TemplateNotFound):
        pass

    assert v1_wire.status_of(Mine("x")) == 404
    assert api_wire.status_of(Mine("x")) == (404, "template_not_found")


def test_the_code_is_the_class_s_and_cannot_be_overridden_per_raise() -> None:
    error = errors.InvalidParameter("x", param="to", code="other")
    assert error.code == "invalid_parameter"
