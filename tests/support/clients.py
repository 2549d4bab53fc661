"""The one httpx client factory of the test suite."""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any, Literal

import httpx

from pytest_lettr import LettrServer


@cache
def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """One verifying TLS context per CA bundle (making one costs milliseconds, even for http URLs)."""
    return ssl.create_default_context(cafile=ca_bundle)


def client_for(server: LettrServer, key: str | None = None, *, dialect: Literal["v1", "api"] = "v1",
               auth: bool = True, **options: Any) -> httpx.Client:
    """A client for ``server``'s ``/v1`` (or ``/api``) with ``key`` (default: the admin key);
    ``auth=False`` sends no ``Authorization`` header; other keywords go to :class:`httpx.Client`."""
    headers = dict(options.pop("headers", {}))
    if auth:
        headers["Authorization"] = f"Bearer {key or server.admin_key}"
    options.setdefault("verify", tls_context(server.ca_bundle))
    options.setdefault("timeout", 30)
    base_url = server.v1_url if dialect == "v1" else server.api_url
    return httpx.Client(base_url=base_url, headers=headers, **options)
