"""The SMTP intake: aiosmtpd's protocol, with hooks that call the account's access check and send.

A submission session::

    EHLO → STARTTLS (or implicit TLS) → AUTH PLAIN|LOGIN lettr <key>   access.authorize(emails:send)
    MAIL FROM:<app@example.com>                                        re-checked per message
    RCPT TO:<ada@example.com>                                          550 if not an address
    DATA <MIME message>                                                mime.draft_of → sending.send

The first message of a session uses the check ``AUTH`` made; each further message runs it again
(a key revoked mid-session, the rate limit and the sandbox's windows count per message, as one
HTTP request per email would). A refusal is audited by :func:`~pytest_lettr.access.authorize`.
Mail without ``AUTH`` is mail to an MX: it is taken only for a verified inbound domain of the
account (:mod:`pytest_lettr.state.inbound`), else refused with 550 and a ``relay_rejection``.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import AuthResult, Envelope, Session

from .. import errors
from ..access import Access, anonymous, audit_refusal, authorize
from ..dialects.common import MAX_TO, is_email
from ..state import Account, ApiKey, sending
from . import replies
from .mime import draft_of, inbound_mails

#: The SMTP user names Lettr's pages give (the quickstart's ``lettr``, one guide's ``api``).
USERNAMES = ("lettr", "api")
PERMISSION = "emails:send"


@dataclass
class Grant:
    """A session's ``AUTH``: the key it gave and whether its check is still unused."""

    account: Account
    token: str
    access: Access
    fresh: bool = True


@dataclass
class SubmissionHandler:
    """aiosmtpd handler and authenticator over a server's accounts: a session with ``AUTH`` acts on
    its key's account (``account_for``), mail without ``AUTH`` goes to the default one."""

    account_of: Callable[[], Account]
    on_bug: Callable[[str], None]
    account_for: Callable[[str | None], Account] | None = None

    def _account(self, token: str | None) -> Account:
        return self.account_of() if self.account_for is None else self.account_for(token)

    # -- AUTH ---------------------------------------------------------------------------------
    def authenticator(self, server: Any, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        """``AUTH PLAIN`` / ``LOGIN``: user ``lettr`` (or ``api``), a key of the account as password."""
        client_ip = _client_ip(session)
        user = bytes(getattr(auth_data, "login", b"") or b"").decode("utf-8", "replace")
        token = bytes(getattr(auth_data, "password", b"") or b"").decode("utf-8", "replace")
        account = self._account(token)
        try:
            if user not in USERNAMES:
                error = errors.Unauthorized("Unknown SMTP user name", key_prefix=None, key_length=0)
                audit_refusal(account, anonymous(client_ip), None, error, _context("AUTH"))
                raise error
            access = self._authorize(account, token, client_ip, "AUTH")
        except errors.LettrError as error:
            return AuthResult(success=False, handled=False, message=replies.reply_of(error))
        return AuthResult(success=True, auth_data=Grant(account, token, access))

    def _authorize(self, account: Account, token: str, client_ip: str | None, command: str) -> Access:
        return authorize(account, token, client_ip=client_ip, permission=PERMISSION,
                         intake_checks=lambda key: _sandbox_window(account, key), context=_context(command))

    # -- the transaction ----------------------------------------------------------------------
    async def handle_MAIL(self, server: Any, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        account = self._account(_grant(session).token if session.authenticated else None)
        account.tick()
        if session.authenticated:
            grant = _grant(session)
            try:
                self._renew(account, grant, _client_ip(session))
            except errors.LettrError as error:
                return replies.reply_of(error)
        if address and not is_email(address):
            return replies.reply_of(errors.InvalidSender(f"'{address[:100]}' is not a valid sender address"))
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.OK

    def _renew(self, account: Account, grant: Grant, client_ip: str | None) -> None:
        """The first message uses ``AUTH``'s check; every later one (or a new account) runs it again."""
        if grant.fresh and grant.account is account:
            grant.fresh = False
            return
        grant.account, grant.fresh = account, False
        grant.access = self._authorize(account, grant.token, client_ip, "MAIL")

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if not is_email(address):
            return replies.reply_of(errors.InvalidRecipient(f"<{address[:100]}>: not a valid recipient address"))
        if len(envelope.rcpt_tos) >= MAX_TO:
            return replies.TOO_MANY_RECIPIENTS
        if not session.authenticated:  # mail to an MX: only for an inbound domain of the account
            inbound = self.account_of().inbound
            if not inbound.accepts(address):
                inbound.reject(address, "not a verified inbound domain of this account")
                return replies.RELAY_DENIED
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return replies.OK

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        """Parse and send in a worker thread: webhooks a send triggers must not stall other sessions."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._accept, session, envelope)

    def _accept(self, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            if session.authenticated:
                self._submit(_grant(session), raw, envelope)
            elif not self.account_of().inbound.receive(
                    inbound_mails(raw, mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos))):
                return replies.RELAY_DENIED
        except errors.LettrError as error:
            return replies.reply_of(error)
        except Exception:  # a bug in the mock: a temporary failure, and the test fails loudly
            self.on_bug(traceback.format_exc())
            return replies.MOCK_FAILURE
        return replies.QUEUED

    @staticmethod
    def _submit(grant: Grant, raw: bytes, envelope: Envelope) -> None:
        draft = draft_of(raw, mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos))
        access = grant.access
        sending.send(grant.account, access.key, access.actor, [draft], suppressed="drop")


def _sandbox_window(account: Account, key: ApiKey) -> None:
    """A sandbox key's minute and day windows count each SMTP message, as each API request."""
    if key.sandbox:
        account.sandbox.hit(key.id, enforce=account.options.enforce_limits)


def _grant(session: Session) -> Grant:
    grant = session.auth_data
    assert isinstance(grant, Grant)
    return grant


def _client_ip(session: Session) -> str | None:
    peer = session.peer
    return str(peer[0]) if isinstance(peer, tuple) and peer else None


def _context(command: str) -> dict[str, str]:
    """What an audit entry of an SMTP refusal says was asked."""
    return {"intake": "smtp", "command": command}


__all__ = ["USERNAMES", "Grant", "SubmissionHandler"]
