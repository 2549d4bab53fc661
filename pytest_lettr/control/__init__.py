"""The control API (``/_lettr``) and the registry of a server's isolated accounts (see docs/control.md)."""

from .api import PREFIX, TOKEN_HEADER, ControlAPI, owns
from .registry import DEFAULT_ACCOUNT_ID, AccountRegistry

__all__ = ["DEFAULT_ACCOUNT_ID", "PREFIX", "TOKEN_HEADER", "AccountRegistry", "ControlAPI", "owns"]
