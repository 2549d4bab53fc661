"""``POST /_lettr/faults``: a fault of :mod:`pytest_lettr.faults` from a JSON body."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors

if TYPE_CHECKING:
    from ..faults import Fault, Faults

#: Each field a fault takes over the wire, and the JSON types it may have.
FIELDS: dict[str, tuple[type, ...]] = {
    "method": (str,), "path": (str,), "dialect": (str,), "status": (int,), "retry_after": (int,),
    "delay": (int, float), "drop": (bool,), "truncate": (bool,), "after_commit": (bool,), "times": (int,),
    "probability": (int, float), "after": (int,),
}
_NUMBERS = {"status", "retry_after", "delay", "times", "probability", "after"}


def _checked(name: str, value: Any) -> Any:
    if name not in FIELDS:
        raise errors.InvalidParameter(f"Unknown fault field: {name}", param=name)
    if value is None:
        return None
    wrong_bool = isinstance(value, bool) and name in _NUMBERS
    if wrong_bool or not isinstance(value, FIELDS[name]):
        raise errors.InvalidParameter(f"{name} has the wrong type", param=name)
    return value


def add_fault(faults: Faults, body: dict[str, Any]) -> Fault:
    """Add the fault ``body`` describes (a path is a glob, as in ``faults.add``)."""
    given = {name: _checked(name, value) for name, value in body.items()}
    given = {name: value for name, value in given.items() if value is not None}
    if given.get("dialect") not in (None, "v1", "api"):
        raise errors.InvalidParameter("dialect must be v1 or api", param="dialect")
    try:
        return faults.add(**given)
    except ValueError as error:
        raise errors.InvalidParameter(str(error)) from None


__all__ = ["FIELDS", "add_fault"]
