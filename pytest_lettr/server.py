"""LettrServer: a real HTTP server on localhost that behaves like Lettr.

In tests, use the ``lettr_server`` fixture. Elsewhere::

    from pytest_lettr import LettrServer

    with LettrServer(seed=42) as server:
        client = httpx.Client(base_url=server.v1_url,
                              headers={"Authorization": f"Bearer {server.admin_key}"})
        client.post("/emails", json={...})
        server.assert_sent(to="ada@example.com")
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, overload

from werkzeug.wrappers import Request, Response

from . import errors
from .clock import Clock
from .control import AccountRegistry, ControlAPI
from .control import owns as control_owns
from .dialects import links
from .dialects.api import ApiDialect
from .dialects.base import Dialect, bearer_token, rate_limit_headers
from .dialects.v1 import V1Dialect
from .dialects.v1.wire import error_response
from .faults import Faults
from .httpserver import LettrHTTPServer
from .inbox.routes import owns as inbox_owns
from .requestlog import LOG_ENTRIES
from .smtp.inbound import ReceivedMessage, received_mails, serve_attachment
from .state import Account, AccountOptions, CreatedKey, Email, Event
from .state.api_webhooks import ApiWebhookStore
from .state.audience import Audience
from .state.audit import AuditEntry
from .state.campaigns import Campaign, CampaignStore
from .state.domains import Domain
from .state.emails import address_of
from .state.history import seed_history
from .state.inbound import ATTACHMENT_PATH, InboundDomain, InboundMessage, InboundStore
from .state.lifecycle import simulate
from .state.limits import RateLimitStatus
from .state.quota import Quota
from .state.sandbox import Sandbox
from .state.stats import PeriodStats, period_stats
from .state.team import Team
from .state.templates import Project, TemplateLibrary
from .state.webhooks import Webhook, WebhookStore
from .webhooks.delivery import ASGIApp, Delivery, WSGIApp

if TYPE_CHECKING:
    from types import TracebackType

    from .proxy import LettrProxy
    from .smtp import SMTPListeners


@dataclass
class ServerOptions:
    """Switches that outlive an account (they belong to the server)."""

    trust_forwarded_for: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class EmailOutbox(Sequence[Email]):
    """A live, read-only view of the account's sent emails, oldest first.

    Reads like a list (``len(server.emails)``, ``server.emails[-1].subject``) and asserts::

        server.emails.assert_sent(to="ada@example.com", subject_contains="Welcome")
    """

    def __init__(self, server: LettrServer) -> None:
        self._server = server

    def __len__(self) -> int:
        return len(self._server.account.outbox)

    @overload
    def __getitem__(self, index: int) -> Email: ...

    @overload
    def __getitem__(self, index: slice) -> list[Email]: ...

    def __getitem__(self, index: int | slice) -> Email | list[Email]:
        outbox = self._server.account.outbox
        return list(outbox)[index] if isinstance(index, slice) else outbox[index]

    def __iter__(self) -> Iterator[Email]:
        return iter(self._server.account.outbox)

    def __repr__(self) -> str:
        return f"<EmailOutbox {len(self)} email(s)>"

    def __eq__(self, other: object) -> bool:
        return list(self) == other if isinstance(other, list) else NotImplemented

    def __hash__(self) -> int:
        return id(self)

    def filter(self, **match: Any) -> list[Email]:
        """Emails for which every ``field=value`` holds (see :meth:`Email.matches`)."""
        return [email for email in self if email.matches(**match)]

    def assert_sent(self, count: int | None = None, **match: Any) -> Email:
        """Assert an email matching ``match`` was sent (exactly ``count`` of them, if given);
        return the newest match. The failure message lists everything that was sent."""
        found = self.filter(**match)
        if found and (count is None or len(found) == count):
            return found[-1]
        wanted = ", ".join(f"{k}={v!r}" for k, v in match.items()) or "anything"
        lines = [f"  {i}. to={e.to} subject={e.subject!r} status={e.status} from={e.from_!r}"
                 for i, e in enumerate(self, 1)]
        expected = f"{count} email(s)" if count is not None else "an email"
        raise AssertionError(
            f"expected {expected} matching {wanted}; found {len(found)}. "
            f"Sent ({len(self)}):\n" + ("\n".join(lines) if lines else "  (nothing was sent)"))

    def assert_not_sent(self, **match: Any) -> None:
        found = self.filter(**match)
        if found:
            raise AssertionError(f"expected no email matching {match}, found {len(found)}: "
                                 + ", ".join(f"{e.id} to={e.to}" for e in found))


class LettrServer:
    """A fake Lettr on ``127.0.0.1``: both API dialects over one in-memory account.

    The account is swapped by :meth:`reset` (the fixture does it before every test); the HTTP
    server keeps running.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int | str | None = None,
        admin_key: str | None = None,
        strict_domains: bool = True,
        domains: Sequence[str] = (),
        plan: str = "pro",
        sensitive_data: str = "warn",
        enforce_limits: bool = False,
        trust_forwarded_for: bool = False,
        threaded: bool = True,
        https: bool = False,
        smtp: bool = True,
        smtp_port: int = 0,
        smtps_port: int = 0,
        request_log: int = LOG_ENTRIES,
        control_token: str | None = None,
        intercept: bool = False,
        proxy: bool = False,
        proxy_port: int = 0,
    ) -> None:
        self.seed = seed
        self.options = ServerOptions(trust_forwarded_for=trust_forwarded_for)
        self._fixed_admin_key = admin_key
        self._account_defaults = AccountOptions(strict_domains=strict_domains, domains=tuple(domains),
                                                plan=plan, sensitive_data=sensitive_data,
                                                enforce_limits=enforce_limits)
        self._faker: Any = None
        self._pinned_keys: dict[str, tuple[str, str, str]] = {}  # name -> (mode, id, secret)
        self._pinned: list[str] = []  # the names every fresh account gets, in pinning order
        #: Path (str) of the CA bundle that verifies this server's certificate, when ``https=True``:
        #: ``httpx.Client(verify=server.ca_bundle)``, ``requests.get(..., verify=server.ca_bundle)``
        #: or ``SSL_CERT_FILE`` for clients that read it (the official SDK). ``None`` over plain HTTP.
        self.ca_bundle: str | None = None
        ssl_context = None
        if proxy:  # clients of the proxy trust the local CA's certificate for Lettr's hosts
            from .tls import local_ca

            self.ca_bundle = str(local_ca().ca_bundle)
        if https:
            from .tls import local_ca

            ca = local_ca()
            ssl_context, self.ca_bundle = ca.server_ssl_context(), str(ca.ca_bundle)
        self.httpserver = LettrHTTPServer(host=host, port=port, ssl_context=ssl_context, threaded=threaded)
        #: ``httpserver.log`` keeps the last ``request_log`` exchanges, secrets masked.
        self.httpserver.log.max_entries = request_log
        #: Faults on demand (:mod:`pytest_lettr.faults`): ``faults.add(path="/api/emails", status=503)``.
        self.faults = Faults(self)
        self.httpserver.middleware = self.faults
        self.handler_errors: list[str] = []
        #: ``intercept=True``: while running, requests to Lettr's real hosts come here (:mod:`.intercept`).
        self.intercept = intercept
        self._routing: contextlib.ExitStack | None = None
        #: The key the ``lettr_env`` fixture gave the app (send-only by default); ``None`` without it.
        self.env_key: CreatedKey | None = None
        #: ``proxy=True``: the HTTPS-intercepting proxy (:mod:`.proxy`), made by :meth:`start`.
        self.proxy: LettrProxy | None = None
        self._proxy_port = proxy_port if proxy else None
        self._errors_lock = threading.Lock()
        self.dialects: dict[str, Dialect] = {"/v1": V1Dialect()}
        self._install_api_dialect()
        self.emails = EmailOutbox(self)
        self.account: Account = self._new_account(None)
        #: Every account of this server: the default one (``account``) and those made by
        #: ``POST /_lettr/accounts`` or :meth:`create_account` (see docs/control.md).
        self.accounts = AccountRegistry(seed, self._make_account, lambda: self.account, self._set_account)
        #: The control API under ``/_lettr``; with ``control_token`` every call must carry it.
        self.control = ControlAPI(self.accounts, self.faults, base_url=lambda: self.url,
                                  control_token=control_token, trust_forwarded_for=trust_forwarded_for)
        self._inbox: Any = None  # the web inbox, made on its first request (it loads Jinja2)
        self._smtp_enabled, self._smtp_ports = smtp, (smtp_port, smtps_port)
        self._smtp: SMTPListeners | None = None
        self._smtp_lock = threading.Lock()

    def _install_api_dialect(self) -> None:
        self.dialects["/api"] = ApiDialect()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> LettrServer:
        """Start serving (returns immediately); the mock answers whatever no expectation matches."""
        if not self.httpserver.is_running():
            self._install_handler()
            self.httpserver.start()
        if self._smtp_enabled and any(self._smtp_ports):  # ports asked for: taken ones fail start()
            try:
                self._running_listeners()
            except BaseException:
                self.stop()
                raise
        self._point_links()
        if self._proxy_port is not None and self.proxy is None:
            self.proxy = self._start_proxy(self._proxy_port)
        if self.intercept and self._routing is None:
            self._routing = self.route_lettr_hosts()
        return self

    def _start_proxy(self, port: int) -> LettrProxy:
        from .proxy import LettrProxy
        from .tls import local_ca

        ca = local_ca()

        def upstream() -> tuple[str, int, ssl.SSLContext | None]:
            https = self.httpserver.ssl_context is not None
            return self.httpserver.host, self.httpserver.port, ca.client_ssl_context() if https else None

        return LettrProxy(upstream, ca.server_ssl_context(), port=port).start()

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the proxy (``HTTPS_PROXY``); with ``proxy=True`` once started."""
        if self.proxy is None:
            raise RuntimeError("this server has no proxy running: LettrServer(proxy=True).start()")
        return self.proxy.url

    def route_lettr_hosts(self) -> contextlib.ExitStack:
        """Send requests to Lettr's real hosts to this server until the returned stack is closed."""
        from .intercept import routed_to

        stack = contextlib.ExitStack()
        scheme = "https" if self.httpserver.ssl_context is not None else "http"
        stack.enter_context(routed_to(scheme, self.httpserver.host, self.httpserver.port))
        return stack

    def _point_links(self) -> None:
        """Links in emails (double opt-in, unsubscribe) point at this server once it listens."""
        if self.httpserver.is_running():
            self.account.link_base = self.url

    def _install_handler(self) -> None:
        """Forget expectations, log and assertions of the last test; the mock is the fallback.

        Every expectation a test adds on ``httpserver`` (permanent, one-shot or ordered) is matched
        before the mock, so a response can be overridden while everything else stays the mock::

            lettr_server.httpserver.expect_request("/v1/emails").respond_with_json({...}, status=503)
        """
        self.httpserver.clear()
        self.httpserver.fallback = self._dispatch

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self._routing is not None:
            self._routing.close()
            self._routing = None
        if self._smtp is not None:
            self._smtp.stop()
        self.faults.clear()  # also ends the delays of requests being served
        if self.httpserver.is_running():
            engine = self.account.delivery_engine
            engine.interrupt()  # no request thread stays blocked on a webhook receiver
            try:
                self.httpserver.clear()
                self.httpserver.stop()
            finally:
                engine.resume()

    def is_running(self) -> bool:
        return self.httpserver.is_running()

    def __enter__(self) -> LettrServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self.is_running() else "stopped"
        return f"<LettrServer {state} emails={len(self.account.outbox)}>"

    def _new_account(self, seed_material: str | None, admin_key: str | None = None, *, created: bool = False,
                     **overrides: Any) -> Account:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker(use_weighting=False)  # uniform picks: ~6x cheaper per account
        defaults = self._account_defaults
        options = AccountOptions(
            strict_domains=overrides.pop("strict_domains", defaults.strict_domains),
            domains=(*defaults.domains, *_domain_list(overrides.pop("domains", ()))),
            plan=overrides.pop("plan", defaults.plan),
            sensitive_data=overrides.pop("sensitive_data", defaults.sensitive_data),
            owner_email=overrides.pop("owner_email", None),
            enforce_limits=bool(overrides.pop("enforce_limits", defaults.enforce_limits)),
        )
        if overrides:
            raise TypeError(f"unknown account options: {', '.join(sorted(overrides))}")
        seed = f"{self.seed}:{seed_material or ''}"
        fixed = None if created else self._fixed_admin_key
        account = Account(seed=seed, options=options, admin_key=admin_key or fixed, faker=self._faker)
        account.inbound.url_of = lambda: self.url  # attachment URLs point at this server
        if not created:  # a key is one account's: created accounts never hold the pinned keys
            for name in self._pinned:
                self._install_pinned_key(account, name)
        return account

    def pin_key(self, name: str = "lettr_client", *, mode: str = "api") -> CreatedKey:
        """A full-access key that this account and every later one (after :meth:`reset`) holds,
        with the same id and secret, so one client built on it stays valid test after test.

        The id and secret come from the server's seed and ``name`` only; installing the key draws
        nothing from an account's seeded streams, so every other id of a test stays as it was.
        The key is an ordinary key of each account (listed by ``GET /v1/api-keys``, revocable
        for the rest of that test) and, like the admin key, made without an audit entry.
        Pinning the same name again returns the same key; :meth:`unpin` stops installing it.
        """
        if name not in self._pinned:
            self._pinned.append(name)
        if name not in self._pinned_keys:
            from .randomness import Entropy
            from .state.keys import KEY_FORMATS

            prefix, length = KEY_FORMATS[mode]
            source = Entropy(f"{self.seed}:pinned-key:{name}") if self.seed is not None else Entropy(None)
            self._pinned_keys[name] = (mode, source.new_id("key_"), prefix + source.token(length))
        mode, key_id, secret = self._pinned_keys[name]
        existing = next((k for k in self.account.keys if k.id == key_id), None)
        if existing is not None:
            return CreatedKey(existing, secret)
        return self._install_pinned_key(self.account, name)

    def unpin(self, name: str | None = None) -> None:
        """Stop installing the pinned key ``name`` (every pinned key if ``None``) into fresh
        accounts; the current account keeps it. Pinning it again gives the same id and secret."""
        self._pinned[:] = [] if name is None else [n for n in self._pinned if n != name]

    def _install_pinned_key(self, account: Account, name: str) -> CreatedKey:
        mode, key_id, secret = self._pinned_keys[name]
        return account.keys.create(name, ("*",), mode=mode, raw_key=secret, key_id=key_id,
                                   owner_email=account.owner.email)
    def _make_account(self, seed_material: str | None, admin_key: str | None, **options: Any) -> Account:
        """An account of the registry (a created one's ``admin_key`` is its own, never the fixed one)."""
        # seed_material None is the default account; a created account never gets the fixed admin key
        account = self._new_account(seed_material, admin_key, created=seed_material is not None, **options)
        if self.httpserver.is_running():
            account.link_base = self.url
        return account

    def _set_account(self, account: Account) -> None:
        previous, self.account = self.account, account
        self._point_links()
        if previous is not account:
            previous.close()

    def create_account(self, **account_options: Any) -> tuple[str, Account]:
        """A further isolated account on this server, as ``POST /_lettr/accounts`` makes: returns
        ``(id, account)``; requests with its keys act on it only. Gone at the next :meth:`reset`."""
        return self.accounts.create(**account_options)

    def reset(self, seed_material: str | None = None, **account_options: Any) -> Account:
        """A fresh account (no emails, empty audit log, one owner, plan ``pro``, a new admin key).

        ``seed_material`` (the fixture passes the test's node id) makes ids and keys depend only on
        the seed and the test, so a failing test reproduces on its own. Options:
        ``strict_domains``, ``domains`` (verified sending domains, added to the server's own),
        ``plan``, ``sensitive_data``, ``owner_email``, ``enforce_limits``.
        """
        previous, self.account = self.account, self._new_account(seed_material, **account_options)
        previous.close()  # nothing is delivered for the previous account any more
        self.accounts.clear()
        self.env_key = None
        self.faults.clear()
        self._install_handler()
        self._point_links()
        with self._errors_lock:
            self.handler_errors.clear()
        return self.account

    # -- addresses ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` when serving TLS)."""
        scheme = "https" if self.httpserver.ssl_context is not None else "http"
        host = self.httpserver.host
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{self.httpserver.port}"

    @property
    def v1_url(self) -> str:
        return self.url + "/v1"

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    # -- SMTP (see docs/smtp.md) ----------------------------------------------------------------
    @property
    def smtp(self) -> SMTPListeners | None:
        """The SMTP listeners (``None`` with ``smtp=False``), made on first use.

        They start with the server when it was given ``smtp_port`` or ``smtps_port``, otherwise
        when a test first asks for ``smtp_port``, ``smtps_port`` or ``smtp_host`` of the running
        server (the TLS certificate and the SMTP loop cost a test that never sends mail nothing);
        they stop with the server.
        """
        if not self._smtp_enabled:
            return None
        with self._smtp_lock:
            if self._smtp is None:
                self._smtp = self._smtp_listeners(*self._smtp_ports)
            return self._smtp

    def _smtp_listeners(self, port: int, tls_port: int) -> SMTPListeners:
        from .smtp import SMTPListeners, SubmissionHandler
        from .tls import local_ca

        host = self.httpserver.host
        host = host if host in ("localhost", "::1") or host.startswith("127.") else "127.0.0.1"
        handler = SubmissionHandler(account_of=lambda: self.account, on_bug=self._report_bug,
                                    account_for=self.accounts.account_for)
        return SMTPListeners(handler, host=host, tls=local_ca().server_ssl_context(), port=port, tls_port=tls_port)

    def _running_listeners(self) -> SMTPListeners:
        """The listeners, started if the server runs and they do not yet."""
        listeners = self._listeners()
        with self._smtp_lock:
            if self.httpserver.is_running() and not listeners.is_running():
                listeners.start()
        return listeners

    def _report_bug(self, trace: str) -> None:
        with self._errors_lock:
            self.handler_errors.append(trace)

    def _listeners(self) -> SMTPListeners:
        listeners = self.smtp
        if listeners is None:
            raise RuntimeError("this server was made with smtp=False")
        return listeners

    @property
    def smtp_host(self) -> str:
        """The loopback address the SMTP listeners are on."""
        return self._running_listeners().host

    @property
    def smtp_port(self) -> int:
        """The submission port: plain at first, ``STARTTLS`` offered (Lettr's 587 / 2587)."""
        return self._running_listeners().port

    @property
    def smtps_port(self) -> int:
        """The implicit-TLS port (Lettr's 465 / 2465)."""
        return self._running_listeners().tls_port

    @property
    def smtp_ca_bundle(self) -> str:
        """Path of the CA bundle that verifies the SMTP certificate (the same local CA as ``ca_bundle``
        of an HTTPS server): ``ssl.create_default_context(cafile=server.smtp_ca_bundle)``."""
        from .tls import local_ca

        return str(local_ca().ca_bundle)

    # -- inbound mail (see docs/inbound.md) --------------------------------------------------------
    @property
    def inbound(self) -> InboundStore:
        """Inbound domains, received messages (``.messages``, each with ``.events``) and ``.rejections``."""
        return self.account.inbound

    def add_inbound_domain(self, name: str, verified: bool = True) -> InboundDomain:
        """Add an inbound domain; ``verified=False`` is one whose MX records are not found (mail is refused)."""
        return self.account.inbound.add_domain(name, verified=verified)

    def receive(self, message: ReceivedMessage = None, *, to: str | Sequence[str] | None = None,
                mail_from: str | None = None, **fields: str) -> list[InboundMessage]:
        """Receive mail as Lettr's MX would and relay it to the webhooks; returns the messages taken.

        ``message``: an ``email.message.EmailMessage``, raw bytes, or ``None`` with simple fields
        (``sender``, ``subject``, ``text``, ``html``). ``to`` / ``mail_from`` set the envelope
        (default: the message's To and Cc, and its From)::

            lettr_server.receive(sender="ada@example.com", to="support@in.example.com", subject="Help", text="Hi")
        """
        self.account.tick()
        return self.account.inbound.receive(received_mails(message, to=to, mail_from=mail_from, **fields))

    @property
    def inbox_url(self) -> str:
        """The web inbox (the server's root): every email sent, rendered, with lifecycle buttons."""
        return self.url + "/"

    @property
    def admin_key(self) -> str:
        """The full-access ``le_`` key of the current account."""
        return self.account.admin_key.key

    @property
    def clock(self) -> Clock:
        return self.account.clock

    # -- dispatch -----------------------------------------------------------------------------
    def _dialect_for(self, path: str) -> Dialect | None:
        """The dialect serving ``path`` (``/v1/...``, ``/api/...``), if any."""
        for prefix, dialect in self.dialects.items():
            if path == prefix or path.startswith(prefix + "/"):
                return dialect
        return None

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path.startswith(ATTACHMENT_PATH):  # a capability URL: the account holding the token serves it
            token = path[len(ATTACHMENT_PATH):]
            holder = next((a for _, a in self.accounts if a.inbound.attachment(token) is not None), self.account)
            return serve_attachment(holder, token)
        dialect = self._dialect_for(path)
        if dialect is None:
            return self._serve_page(request)
        try:
            return dialect.handle(request, self._account_of(request), self.options)
        except Exception:  # a bug in the mock: answer 500 and make the test fail loudly
            self._note_handler_error()
            return dialect.render_error(None, errors.ServerError(
                "Internal error in the Lettr mock (see lettr_server.handler_errors)"))

    def _account_of(self, request: Request) -> Account:
        """The account of the request's key; the default one without a (well-formed, known) key."""
        try:
            token = bearer_token(request)
        except errors.LettrError:
            return self.account  # its access check refuses the header as before
        return self.accounts.account_for(token)

    def _serve_control(self, request: Request) -> Response:
        try:
            return self.control.handle(request)
        except Exception:
            self._note_handler_error()
            return error_response(errors.ServerError("Internal error in the Lettr mock's control API "
                                                     "(see lettr_server.handler_errors)"))

    def _serve_page(self, request: Request) -> Response:
        """What is not an API: the links put in emails, the web inbox, else v1's 404."""
        path = request.path
        if control_owns(path):
            return self._serve_control(request)
        if path.startswith(links.PREFIX):
            try:
                return links.handle(request, self.account)
            except Exception:
                self._note_handler_error()
                return Response("Internal error in the Lettr mock", status=500)
        if inbox_owns(path):
            return self._serve_inbox(request)
        return error_response(errors.NotFound(f"No such endpoint: {request.method} {path}"))

    def render_error(self, path: str, error: errors.LettrError) -> Response:
        """``error`` as the dialect serving ``path`` renders it (v1's envelope elsewhere)."""
        dialect = self._dialect_for(path)
        return error_response(error) if dialect is None else dialect.render_error(None, error)

    def rate_limit_headers(self, retry_after: int) -> dict[str, str]:
        """``X-RateLimit-*`` headers of a window that is used up for ``retry_after`` more seconds."""
        limiter = self.account.rate_limiter
        return rate_limit_headers(RateLimitStatus(limit=limiter.requests, remaining=0,
                                                  reset=self.account.clock.timestamp() + retry_after))

    def _note_handler_error(self) -> None:
        with self._errors_lock:
            self.handler_errors.append(traceback.format_exc())

    def _serve_inbox(self, request: Request) -> Response:
        with self._errors_lock:  # one inbox (one CSRF token) even when the first pages arrive together
            if self._inbox is None:
                from .inbox.app import Inbox

                self._inbox = Inbox()
        try:
            response: Response = self._inbox.handle(request, self.account)
        except Exception:  # a bug in the inbox: a plain 500, and the test fails loudly
            self._note_handler_error()
            return Response("Internal error in the Lettr mock's inbox (see lettr_server.handler_errors)",
                            status=500, mimetype="text/plain")
        return response

    def check_handler_errors(self) -> None:
        """Raise if any request hit a bug in the mock (the fixture calls this after each test)."""
        with self._errors_lock:
            found, self.handler_errors[:] = list(self.handler_errors), []
        if found:
            raise AssertionError("the Lettr mock failed while serving a request:\n" + found[0])

    # -- test helpers -------------------------------------------------------------------------
    def create_key(
        self,
        name: str = "Test key",
        permissions: Iterable[str] = ("*",),
        ip_restrictions: Iterable[str] = (),
        domain_restrictions: Iterable[str] = (),
        expires_at: datetime | None = None,
        *,
        mode: str = "live",
        rate_limit: dict[str, Any] | None = None,
    ) -> CreatedKey:
        """Mint a key straight into the account; ``.key`` is the secret, ``.id`` its id.

        ``mode``: ``live`` (``le_``), ``test`` (``le_test_``), ``api`` (``lttr_``) or ``sandbox``
        (``lttr_sandbox_``). Permissions and IP restrictions are validated as the API does.
        """
        from .permissions import parse_ip_restrictions, validate_permissions

        perms = validate_permissions(list(permissions))
        ips = parse_ip_restrictions(list(ip_restrictions))
        return self.account.keys.create(name, perms, mode=mode, ip_restrictions=ips,
                                        domain_restrictions=domain_restrictions, expires_at=expires_at,
                                        rate_limit=rate_limit, owner_email=self.account.owner.email)

    def assert_sent(self, count: int | None = None, **match: Any) -> Email:
        """Shortcut for :meth:`EmailOutbox.assert_sent`."""
        return self.emails.assert_sent(count, **match)

    def suppress(self, *addresses: str) -> None:
        """Put addresses on the suppression list: sending to them gets 400 ``suppressed``."""
        self.account.suppressions.update(address_of(a) for a in addresses)

    def add_unroutable_domain(self, *domains: str) -> None:
        """Declare recipient domains with no mail records: sending to them is refused as an
        invalid address (422 on ``/api``, 400 on ``/v1``), as Lettr refuses them. Domains under
        ``.invalid`` are unroutable without this."""
        self.account.unroutable_domains.update(d.lower().rstrip(".") for d in domains)

    @property
    def strict_domains(self) -> bool:
        """On (the default, as on Lettr) the sender's domain must be a verified domain of the account
        or one of the reserved example domains (else ``invalid_from`` / ``unconfigured_domain``);
        ``False`` lets any sender domain send."""
        return self.account.options.strict_domains

    @strict_domains.setter
    def strict_domains(self, value: bool) -> None:
        self.account.options.strict_domains = bool(value)

    def add_domain(self, name: str, verified: bool = True, region: str = "us") -> Domain:
        """Add a sending domain to the account (verified by default), with its DNS records."""
        return self.account.domains.create(name, region, verified=verified)

    def fail_dns(self, domain: str, record: str) -> None:
        """Make a DNS record (``spf``, ``dkim``, ``dmarc``) of a domain (name or id) fail verification::

            lettr_server.fail_dns("mail.example.com", "dkim")
            # POST /v1/domains/{id}/verify → status "pending", "missingRecords": ["dkim"]
        """
        self.account.domains.fail_dns(domain, record)

    def fix_dns(self, domain: str, record: str | None = None) -> None:
        """Publish a failed record again (every record if ``None``); the next verification finds it."""
        self.account.domains.fix_dns(domain, record)

    # -- team, lifecycle, history, stats ----------------------------------------------------------
    @property
    def team(self) -> Team:
        """Members, settings and the role matrix (``team.matrix``, ``team.can(role, capability)``)."""
        return self.account.team

    def simulate(self, email_id: str, event: str, **details: Any) -> Event:
        """Make an event happen to a sent email now: any event type of the current API's events
        list by its own name (``delivery``, ``bounce``, ``out_of_band``, ``initial_open``,
        ``amp_click``, ``link_unsubscribe``, ...) or a v1 name (``delivered``, ``opened``, ...);
        see :mod:`pytest_lettr.state.lifecycle`::

            lettr_server.simulate(email_id, "bounce", bounce_type="soft")
        """
        return simulate(self.account, email_id, event, **details)

    def seed_history(self, days: int = 30, per_day: int = 100) -> list[Email]:
        """Add ``per_day`` past emails (with their events) on each of the ``days`` days before today."""
        return seed_history(self.account, days=days, per_day=per_day)

    def stats(self, period: str = "today") -> PeriodStats:
        """The numbers ``GET /v1/stats?period=`` reports, as a dataclass."""
        return period_stats(self.account, period)

    @property
    def enforce_limits(self) -> bool:
        """On, every documented limit is enforced at once: 3 requests a second per team (current-API
        keys), the auth-failure lockout (5 failures in 5 minutes block the address for 15) and the
        sandbox keys' 10 a minute and 100 a day. Off (the default) their headers still report them."""
        return self.account.options.enforce_limits

    @enforce_limits.setter
    def enforce_limits(self, value: bool) -> None:
        self.account.options.enforce_limits = bool(value)

    def set_rate_limit(self, requests: int | None, per_seconds: float = 1) -> None:
        """Turn rate limiting on (``requests`` per ``per_seconds`` per key) or off (``None``)."""
        if requests is None:
            self.account.rate_limiter.disable()
        else:
            self.account.rate_limiter.enable(requests, per_seconds)

    @property
    def audit_log(self) -> list[AuditEntry]:
        """The account's audit entries, oldest first."""
        return list(self.account.audit)

    def permissions_used(self, key_id: str) -> set[str]:
        """The permissions a key's requests actually needed so far."""
        return set(self.account.permissions_used.get(key_id, set()))

    # -- webhooks -----------------------------------------------------------------------------
    @property
    def webhooks(self) -> WebhookStore:
        """The account's v1 webhooks (``.all()``, ``.get(id)``, ``.deliveries(id)``, ``.engine``)."""
        return self.account.webhooks

    def add_webhook(self, target: str | WSGIApp | ASGIApp, events: Iterable[str] = ("*",),
                    description: str | None = None, *, url: str | None = None,
                    remote_addr: str | None = None, secret: str | None = None) -> tuple[Webhook, str]:
        """Subscribe a URL, or an in-process WSGI or ASGI app, to events; returns ``(webhook, secret)``.

        An app gets each POST at ``url``'s path (default ``/lettr``) from ``remote_addr`` (default:
        one of Lettr's addresses). Give ``secret`` to use the one your app is configured with::

            webhook, secret = lettr_server.add_webhook(app, ["email.*"], url="https://app.test/hooks")
        """
        subscriptions = [events] if isinstance(events, str) else list(events)
        if isinstance(target, str):
            return self.webhooks.create(target, subscriptions, description, secret=secret)
        return self.webhooks.create(url, subscriptions, description, app=target, remote_addr=remote_addr,
                                    secret=secret)

    # -- the current API's stores -------------------------------------------------------------
    @property
    def templates(self) -> TemplateLibrary:
        """Projects, folders and templates (``.create(name, html=...)``, ``.projects``, ``.get(project, slug)``)."""
        return self.account.templates

    @property
    def projects(self) -> list[Project]:
        """The account's projects, oldest first (the first is the team's default project)."""
        return list(self.account.templates.projects.values())

    @property
    def api_webhooks(self) -> ApiWebhookStore:
        """Webhooks of the current API (``.all()``, ``.get(id)``, ``.deliveries(id)``)."""
        return self.account.api_webhooks

    @property
    def quota(self) -> Quota:
        """The free plan's sending quota (``.status()``, ``.policy.daily_limit = 3``)."""
        return self.account.quota

    @property
    def sandbox(self) -> Sandbox:
        """Sandbox keys' limits (``.policy.per_minute``) and sender domain (``.policy.domain``)."""
        return self.account.sandbox

    @property
    def domains(self) -> list[Domain]:
        """The account's sending domains, oldest first."""
        return self.account.domains.all()

    @property
    def audience(self) -> Audience:
        """Contacts, lists, topics, properties and segments (``.contact("ada@example.com").status``)."""
        return self.account.audience

    @property
    def campaigns(self) -> CampaignStore:
        """The account's campaigns (iterable; ``.get(id)``, ``.stats(c)``, ``.emails_of(c)``)."""
        return self.account.campaigns

    def create_campaign(self, *, name: str, subject: str | None, from_email: str | None, html: str | None,
                        from_name: str | None = None, reply_to: str | None = None,
                        list_ids: Iterable[str] = (), segment_ids: Iterable[str] = (),
                        all_contacts: bool = False) -> Campaign:
        """A draft campaign, as the dashboard authors them (the API cannot): send or schedule it
        with ``POST /api/campaigns/{id}/send`` or ``/schedule``."""
        return self.account.campaigns.create(name=name, subject=subject, from_email=from_email, html=html,
                                             from_name=from_name, reply_to=reply_to, list_ids=list_ids,
                                             segment_ids=segment_ids, all_contacts=all_contacts)

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every webhook delivery of the account (all dialects), oldest first, with its attempts."""
        return self.account.delivery_engine.deliveries



__all__ = ["EmailOutbox", "LettrServer", "ServerOptions"]


def _domain_list(domains: Any) -> tuple[str, ...]:
    """``domains=`` as a tuple of names; one string is one domain, not its letters."""
    if isinstance(domains, str):
        return (domains,)
    return tuple(domains)
