"""``lettr-mock``: the fake Lettr as a standalone server, for non-Python clients and manual use.

::

    $ lettr-mock serve --port 8025 --seed 42
    Lettr mock listening
      v1 API:      http://127.0.0.1:8025/v1
      current API: http://127.0.0.1:8025/api
      inbox:       http://127.0.0.1:8025/
      SMTP:        127.0.0.1:2587 (STARTTLS), 127.0.0.1:2465 (implicit TLS), user lettr
      CA bundle:   /tmp/.../ca.pem
      admin key:   le_...
      control API: http://127.0.0.1:8025/_lettr  (OpenAPI: /_lettr/openapi.json)
    Press Ctrl+C to stop.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .requestlog import LOG_ENTRIES
from .server import LettrServer
from .state.keys import looks_like_key


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lettr-mock", description="A fake Lettr API server for tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake Lettr API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8025, help="port to listen on (default 8025; 0 = any free)")
    serve.add_argument("--seed", default="0", help="seed for ids, keys and faker data (default 0)")
    serve.add_argument("--admin-key", default=None,
                       help="use this full-access key (le_ + 36 alphanumerics) instead of a generated one")
    serve.add_argument("--domain", action="append", default=[], metavar="NAME", dest="domains",
                       help="a verified sending domain of the account (repeat for more); example.com, "
                            ".net and .org and their subdomains always send")
    serve.add_argument("--any-sender-domain", action="store_false", dest="strict_domains",
                       help="let any sender domain send (by default only verified ones may, as on Lettr)")
    serve.add_argument("--strict-domains", action="store_true", dest="strict_domains",
                       help=argparse.SUPPRESS)  # the default now; kept so old command lines work
    serve.set_defaults(strict_domains=True)
    serve.add_argument("--plan", choices=("free", "pro", "enterprise"), default="pro", help="account plan")
    serve.add_argument("--enforce-limits", action="store_true",
                       help="enforce Lettr's documented limits (3 requests a second per team, the auth-failure "
                            "lockout, sandbox windows); their headers are sent either way")
    serve.add_argument("--trust-forwarded-for", action="store_true",
                       help="take the caller IP from X-Forwarded-For (behind a proxy)")
    serve.add_argument("--smtp-port", type=int, default=2587,
                       help="SMTP submission port, STARTTLS offered (default 2587; 0 = any free)")
    serve.add_argument("--smtps-port", type=int, default=2465,
                       help="SMTP port with implicit TLS (default 2465; 0 = any free)")
    serve.add_argument("--request-log", type=int, default=LOG_ENTRIES, metavar="N",
                       help=f"keep the last N requests in the (masked) request log (default {LOG_ENTRIES})")
    serve.add_argument("--proxy-port", type=int, default=None, metavar="N",
                       help="also run an HTTPS-intercepting proxy on port N (0 = any free): CONNECT to "
                            "Lettr's hosts is answered by the fake (trust the printed CA bundle)")
    serve.add_argument("--control-token", default=os.environ.get("LETTR_MOCK_CONTROL_TOKEN"), metavar="TOKEN",
                       help="control calls (/_lettr) must send it as X-Lettr-Control-Token; required with a "
                            "--host other than loopback (default: $LETTR_MOCK_CONTROL_TOKEN)")
    return parser


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address to listen on) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _argument_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the command line, if anything."""
    if args.admin_key is not None and not looks_like_key(args.admin_key):
        return "--admin-key must be le_ (or le_test_) followed by 36 letters and digits"
    for flag in ("port", "smtp_port", "smtps_port"):
        if not 0 <= getattr(args, flag) <= 65535:
            return f"--{flag.replace('_', '-')} must be between 0 and 65535"
    if not is_loopback(args.host) and not args.control_token:
        return (f"--host {args.host} reaches beyond this machine: give --control-token (or set "
                "LETTR_MOCK_CONTROL_TOKEN) so only your test suite can drive the control API")
    return None


def serve(args: argparse.Namespace) -> int:
    problem = _argument_problem(args)
    if problem is not None:
        print(f"lettr-mock: {problem}", file=sys.stderr)
        return 2
    server = LettrServer(host=args.host, port=args.port, seed=args.seed, admin_key=args.admin_key,
                         strict_domains=args.strict_domains, domains=args.domains, plan=args.plan,
                         enforce_limits=args.enforce_limits,
                         trust_forwarded_for=args.trust_forwarded_for, smtp_port=args.smtp_port,
                         smtps_port=args.smtps_port, request_log=max(args.request_log, 0),
                         control_token=args.control_token or None, proxy=args.proxy_port is not None,
                         proxy_port=args.proxy_port or 0)
    try:
        server.start()
    except OSError as exc:
        print(f"lettr-mock: cannot listen on {args.host}:{args.port} (or SMTP {args.smtp_port}, {args.smtps_port}):"
              f" {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    print("Lettr mock listening", flush=True)
    print(f"  v1 API:      {server.v1_url}")
    print(f"  current API: {server.api_url}")
    print(f"  inbox:       {server.inbox_url}")
    print(f"  SMTP:        {server.smtp_host}:{server.smtp_port} (STARTTLS), "
          f"{server.smtp_host}:{server.smtps_port} (implicit TLS), user lettr")
    print(f"  CA bundle:   {server.smtp_ca_bundle}")
    print(f"  admin key:   {server.admin_key}")
    if server.proxy is not None:
        print(f"  proxy:       {server.proxy_url}  (HTTPS_PROXY; CA bundle: {server.ca_bundle})")
    print(f"  control API: {server.url}/_lettr  (OpenAPI: /_lettr/openapi.json"
          f"{'; send X-Lettr-Control-Token' if args.control_token else ''})")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("Lettr mock stopped.", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover - argparse enforces the command


if __name__ == "__main__":
    sys.exit(main())
