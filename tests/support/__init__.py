"""Helpers every test directory shares: one client factory, one error asserter per dialect, one
webhook receiver, one SMTP client. Import them as ``from support import client_for, assert_v1_error, Receiver``."""

from .clients import client_for, tls_context
from .errors import assert_api_error, assert_v1_error
from .receiver import HANG, Received, Receiver
from .smtp import message, smtp_client

__all__ = ["HANG", "Received", "Receiver", "assert_api_error", "assert_v1_error", "client_for", "message",
           "smtp_client", "tls_context"]
