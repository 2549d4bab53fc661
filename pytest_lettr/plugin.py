"""The pytest plugin: fixtures ``lettr_client``, ``lettr_server`` and ``lettr_env``, the ``lettr``
marker, options.

::

    def test_receipt(lettr_client, lettr_server):
        lettr_client.emails.send(from_email="shop@example.com", to=["ada@example.com"],
                                 subject="Receipt", html="<p>Thanks!</p>")
        lettr_server.assert_sent(to="ada@example.com", subject="Receipt")

    def test_signup_sends_welcome(lettr_server, lettr_env):
        signup("ada@example.com")            # the app reads LETTR_API_KEY / LETTR_BASE_URL
        lettr_server.assert_sent(to="ada@example.com", subject_contains="Welcome")

    @pytest.mark.lettr(strict_domains=True, plan="enterprise")
    def test_unverified_sender_is_refused(lettr_server): ...

Loading the plugin imports nothing heavy: the server (werkzeug, the dialects, Faker) is imported
when a fixture first needs it, so a run whose tests never use the fake starts as fast as without it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .modes import SENSITIVE_DATA_MODES

if TYPE_CHECKING:
    import lettr

    from .report import PermissionsReport
    from .server import LettrServer
    from .webhooks.fixture import WebhookTester

ACCOUNT_OPTIONS = ("strict_domains", "domains", "plan", "sensitive_data", "owner_email", "enforce_limits")
REPORT_KEY: pytest.StashKey[PermissionsReport] = pytest.StashKey()
LETTR_CLIENT_KEY_NAME = "lettr_client"
SERVER_OPTIONS = ("trust_forwarded_for",)
#: Marker options the plugin itself reads.
PLUGIN_OPTIONS = frozenset({"rate_limit", "https", "intercept", "env_permissions"})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lettr", "fake Lettr server (pytest-lettr)")
    group.addoption("--lettr-seed", dest="lettr_seed", default=None,
                    help="seed for ids, keys and faker data of the fake Lettr (default: ini lettr_seed or 0)")
    parser.addini("lettr_seed", "seed for ids, keys and faker data of the fake Lettr", default="0")
    group.addoption("--lettr-sensitive-data", dest="lettr_sensitive_data", default=None,
                    choices=SENSITIVE_DATA_MODES,
                    help="an email carrying a secret: warn (default), error (400 sensitive_data) or off")
    parser.addini("lettr_sensitive_data", "sensitive-data guard: warn, error or off", default="warn")
    parser.addini("lettr_allow_real_requests", "let requests to Lettr's real hosts leave the test run "
                  "(refused by default)", type="bool", default=False)
    parser.addini("lettr_domains", "verified sending domains every test's account starts with", type="linelist",
                  default=[])
    group.addoption("--lettr-permissions-report", dest="lettr_permissions_report", action="store_true",
                    help="list keys that hold more permissions than their requests needed, "
                         "and keys due for rotation")
    group.addoption("--lettr-snapshots", dest="lettr_snapshots", default=None, metavar="DIR",
                    help="for each failing test that used lettr_server, write an HTML page of its outbox "
                         "and webhook deliveries into DIR")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lettr(**options): configure the test's Lettr account, e.g. strict_domains=True, "
        "plan='enterprise', sensitive_data='error', trust_forwarded_for=True, enforce_limits=True, "
        "rate_limit=(requests, per_seconds), https=True, intercept=False, env_permissions=['emails:send']",
    )
    sensitive_data_mode(config)
    from .intercept import set_guard

    set_guard(not config.getini("lettr_allow_real_requests"))
    if config.getoption("lettr_permissions_report", False):
        from .report import PermissionsReport

        config.stash[REPORT_KEY] = PermissionsReport()


def sensitive_data_mode(config: pytest.Config) -> str:
    """The guard's mode: ``--lettr-sensitive-data``, else ini ``lettr_sensitive_data``, else ``warn``."""
    value = str(config.getoption("lettr_sensitive_data", None) or config.getini("lettr_sensitive_data") or "warn")
    if value not in SENSITIVE_DATA_MODES:
        raise pytest.UsageError(f"lettr_sensitive_data must be one of {', '.join(SENSITIVE_DATA_MODES)}, "
                                f"not {value!r}")
    return value


def lettr_seed(config: pytest.Config) -> str:
    """The seed in force: ``--lettr-seed``, else ini ``lettr_seed``, else ``0``."""
    value = config.getoption("lettr_seed") or config.getini("lettr_seed") or "0"
    return str(value)


def pytest_report_header(config: pytest.Config) -> str:
    return f"lettr: seed={lettr_seed(config)} (reproduce with --lettr-seed={lettr_seed(config)})"


def marker_options(node: pytest.Item) -> dict[str, Any]:
    """The merged keyword options of every ``@pytest.mark.lettr`` on a test (closest wins)."""
    options: dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers("lettr"))):
        if mark.args:
            raise pytest.UsageError("@pytest.mark.lettr takes keyword options only")
        options.update(mark.kwargs)
    return options


@pytest.fixture(scope="session")
def lettr_server_session(request: pytest.FixtureRequest) -> Iterator[LettrServer]:
    """One running :class:`LettrServer` for the whole session (one per xdist worker)."""
    from .server import LettrServer

    server = LettrServer(seed=lettr_seed(request.config), domains=request.config.getini("lettr_domains"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lettr_server_https_session(request: pytest.FixtureRequest) -> Iterator[LettrServer]:
    """One running HTTPS :class:`LettrServer` for the session, made only when a test asks for it."""
    from .server import LettrServer

    server = LettrServer(seed=lettr_seed(request.config), domains=request.config.getini("lettr_domains"),
                         https=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def trust_local_ca(server: LettrServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make clients that read the environment trust ``server``'s CA for this test.

    Sets ``SSL_CERT_FILE`` (httpx, hence the official SDK, and the ``ssl`` module's defaults)
    and ``REQUESTS_CA_BUNDLE`` (requests) to ``server.ca_bundle``.
    """
    if server.ca_bundle is not None:
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_bundle)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)


@pytest.fixture
def lettr_server_https(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[LettrServer]:
    """Like ``lettr_server``, over HTTPS with a certificate from a local CA.

    ``url`` is ``https://127.0.0.1:PORT``; ``ca_bundle`` is the CA's PEM path. ``SSL_CERT_FILE``
    and ``REQUESTS_CA_BUNDLE`` point at it during the test, so the official SDK and requests
    verify the server with no extra code::

        def test_sdk_over_tls(lettr_server_https):
            client = lettr.Lettr(lettr_server_https.admin_key, base_url=lettr_server_https.api_url)
            client.emails.send(...)
    """
    if marker_options(request.node).get("https"):  # lettr_server is this very server already
        yield request.getfixturevalue("lettr_server")
        return
    server: LettrServer = request.getfixturevalue("lettr_server_https_session")
    trust_local_ca(server, monkeypatch)
    _client_key_only_if_used(server, request)
    yield from _fresh_account(server, request)


@pytest.fixture
def lettr_server(lettr_server_session: LettrServer, request: pytest.FixtureRequest) -> Iterator[LettrServer]:
    """A running fake Lettr with a fresh account for this test.

    Attributes: ``url``, ``v1_url``, ``api_url``, ``admin_key``, ``clock``, ``emails``,
    ``create_key()``, ``assert_sent()``, ``suppress()``, ``add_domain()``, ``set_rate_limit()``,
    ``audit_log``, ``httpserver``. Configure it with ``@pytest.mark.lettr(...)``;
    ``@pytest.mark.lettr(https=True)`` makes it the HTTPS server (see ``lettr_server_https``).
    """
    server = lettr_server_session
    if marker_options(request.node).get("https"):
        server = request.getfixturevalue("lettr_server_https_session")
        trust_local_ca(server, request.getfixturevalue("monkeypatch"))
    _client_key_only_if_used(server, request)
    yield from _fresh_account(server, request)


def _client_key_only_if_used(server: LettrServer, request: pytest.FixtureRequest) -> None:
    """Only a test that uses ``lettr_client`` gets its pinned key in the fresh account."""
    if LETTR_CLIENT_KEY_NAME not in request.fixturenames:
        server.unpin(LETTR_CLIENT_KEY_NAME)


def _fresh_account(server: LettrServer, request: pytest.FixtureRequest) -> Iterator[LettrServer]:
    """Reset ``server`` for this test with the marker's options; check it for mock bugs after."""
    options = marker_options(request.node)
    server.reset(request.node.nodeid, **_account_options(options, request.config))
    saved = _apply_server_options(server, options)
    routing = server.route_lettr_hosts() if options.get("intercept", True) else None
    try:
        yield server
        server.check_handler_errors()
    finally:
        report = request.config.stash.get(REPORT_KEY, None)
        if report is not None:
            report.collect(server.account, request.node.nodeid)
        for name, value in saved.items():
            setattr(server.options, name, value)
        if routing is not None:
            routing.close()


def _account_options(options: dict[str, Any], config: pytest.Config) -> dict[str, Any]:
    """The marker's account options, with the session's sensitive-data mode unless it sets one.

    Raises :class:`pytest.UsageError` for an unknown option or sensitive-data mode.
    """
    unknown = set(options) - set(ACCOUNT_OPTIONS) - set(SERVER_OPTIONS) - PLUGIN_OPTIONS
    if unknown:
        raise pytest.UsageError(f"unknown @pytest.mark.lettr option(s): {', '.join(sorted(unknown))}")
    account_options = {k: v for k, v in options.items() if k in ACCOUNT_OPTIONS}
    account_options.setdefault("sensitive_data", sensitive_data_mode(config))
    if account_options["sensitive_data"] not in SENSITIVE_DATA_MODES:
        raise pytest.UsageError(f"@pytest.mark.lettr(sensitive_data=...) must be one of "
                                f"{', '.join(SENSITIVE_DATA_MODES)}")
    return account_options


def _apply_server_options(server: LettrServer, options: dict[str, Any]) -> dict[str, Any]:
    """Apply the marker's server options and rate limit; returns the options' values to restore."""
    saved = {name: getattr(server.options, name) for name in SERVER_OPTIONS}
    for name in SERVER_OPTIONS:
        if name in options:
            setattr(server.options, name, bool(options[name]))
    if "rate_limit" in options:
        requests, per_seconds = options["rate_limit"]
        server.set_rate_limit(requests, per_seconds)
    return saved


#: What the key ``lettr_env`` gives the app may do, unless ``@pytest.mark.lettr(env_permissions=[...])`` says.
ENV_PERMISSIONS = ("emails:send",)


@pytest.fixture
def lettr_env(lettr_server: LettrServer, monkeypatch: pytest.MonkeyPatch,
              request: pytest.FixtureRequest) -> LettrServer:
    """Point the app under test at the fake Lettr through its environment.

    Sets ``LETTR_API_KEY`` (a least-privilege key that may only send, as Lettr's security guide
    recommends; ``lettr_env.env_key`` is it; widen it with
    ``@pytest.mark.lettr(env_permissions=["emails:send", "emails:read"])``), ``LETTR_BASE_URL`` (the
    v1 base URL) and ``LETTR_API_BASE_URL`` (the current API's base URL, for the official SDK).
    Apps should read keys from the environment, never hard-code them.
    """
    permissions = marker_options(request.node).get("env_permissions", ENV_PERMISSIONS)
    lettr_server.env_key = lettr_server.create_key("App key (lettr_env)", permissions)
    monkeypatch.setenv("LETTR_API_KEY", lettr_server.env_key.key)
    monkeypatch.setenv("LETTR_BASE_URL", lettr_server.v1_url)
    monkeypatch.setenv("LETTR_API_BASE_URL", lettr_server.api_url)
    return lettr_server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """``--lettr-snapshots DIR``: a failing test's outbox and deliveries, as a page in DIR."""
    outcome = yield
    directory = item.config.getoption("lettr_snapshots", None)
    server = getattr(item, "funcargs", {}).get("lettr_server")
    if directory and server is not None and call.when == "call" and outcome.get_result().failed:
        from .inbox.snapshots import write_snapshot

        write_snapshot(server, item.nodeid, directory)


@pytest.fixture
def lettr_webhooks(lettr_server: LettrServer) -> WebhookTester:
    """Signed webhook requests for testing your handler; see :class:`~pytest_lettr.webhooks.fixture.WebhookTester`.

    Shares ``lettr_server``'s clock and seed. ``lettr_webhooks.secret`` is the signing secret.
    """
    from .webhooks.fixture import WebhookTester

    account = lettr_server.account
    return WebhookTester(account.clock, account.entropy)


@pytest.fixture(scope="session")
def lettr_sdk_clients() -> Iterator[dict[str, lettr.Lettr]]:
    """The session's official-SDK clients, one per fake server (by URL), closed at the end."""
    clients: dict[str, lettr.Lettr] = {}
    try:
        yield clients
    finally:
        for client in clients.values():
            client.close()


@pytest.fixture
def lettr_client(lettr_server: LettrServer, lettr_sdk_clients: dict[str, lettr.Lettr]) -> lettr.Lettr:
    """The official SDK's ``lettr.Lettr`` client, bound to ``lettr_server``'s current API.

    Built once per session (an SDK client costs tens of milliseconds to make) on a full-access
    ``lttr_`` key, ``lettr_server.pin_key("lettr_client")``, that every fresh account holds with
    the same id and secret; each test still gets a fresh account::

        def test_receipt(lettr_client, lettr_server):
            lettr_client.emails.send(from_email="shop@example.com", to=["ada@example.com"],
                                     subject="Receipt", html="<p>Thanks!</p>")
            lettr_server.assert_sent(to="ada@example.com", subject="Receipt")

    Needs the ``lettr`` package (``pip install lettr``); without it the test fails saying so.
    """
    try:
        import lettr
    except ImportError:
        pytest.fail("the lettr_client fixture needs the official Lettr SDK: pip install lettr", pytrace=False)
    key = lettr_server.pin_key(LETTR_CLIENT_KEY_NAME)
    client = lettr_sdk_clients.get(lettr_server.url)
    if client is None:
        client = lettr_sdk_clients[lettr_server.url] = lettr.Lettr(key.key, base_url=lettr_server.api_url)
    return client


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its least-privilege findings to the controller."""
    report = session.config.stash.get(REPORT_KEY, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if report is not None and workeroutput is not None:
        from .report import WORKER_OUTPUT_KEY

        workeroutput[WORKER_OUTPUT_KEY] = report.dumps()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The xdist controller merges what a worker found."""
    report = node.config.stash.get(REPORT_KEY, None)
    if report is None:
        return
    from .report import WORKER_OUTPUT_KEY

    payload = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if payload:
        report.merge(payload)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """``--lettr-permissions-report``: keys with more permissions than used, keys due for rotation."""
    report = config.stash.get(REPORT_KEY, None)
    if report is None or getattr(config, "workerinput", None) is not None:
        return
    terminalreporter.write_sep("=", "Lettr least-privilege report")
    for line in report.lines():
        terminalreporter.write_line(line)
