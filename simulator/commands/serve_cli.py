"""`intake-sim serve`: the app for browsers (textual-serve), and `workshop-tab`, one tab's process.

Parsing stays cheap: the web server and the TUI are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_COHORT = "workshop"
DEFAULT_MAX_SESSIONS = 40
MAX_SESSIONS_LIMIT = 500
# Read aloud and typed on laptops: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def register_serve(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from simulator.cli import _common

    p = sub.add_parser(
        "serve",
        help="serve the app to browsers for a workshop (needs the 'web' extra)",
        description="Serve the app to web browsers with textual-serve: each browser tab runs "
        "the app in its own process, on the shared store. It has no login of its own: it "
        "listens on loopback unless --host says otherwise; see docs/workshop.md for running "
        "it behind a reverse proxy with authentication and TLS.",
    )
    _common(p)
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}, this machine only)",
    )
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help="port (default 8000)")
    p.add_argument(
        "--cohort",
        default=DEFAULT_COHORT,
        metavar="ID",
        help=f"the workshop room every tab joins (default '{DEFAULT_COHORT}')",
    )
    p.add_argument(
        "--max-sessions",
        type=_max_sessions,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"most browser tabs at once; more get a 'workshop full' page (default {DEFAULT_MAX_SESSIONS})",
    )
    p.add_argument(
        "--code",
        metavar="CODE",
        help="the code trainees type to enter (default: the room's code, or a new random one)",
    )
    p.add_argument("--scenario", metavar="ID", help="the scenario the room plays (optional)")
    p.add_argument(
        "--facilitator-key",
        metavar="KEY",
        type=_facilitator_key,
        help="the key in the facilitator's link (URL/facilitate?key=KEY); default: a new random "
        "one each start. Give one to keep a bookmarked link working across restarts",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when it differs (behind a reverse proxy), e.g. "
        "https://workshop.example.org",
    )

    t = sub.add_parser(
        "workshop-tab",
        help="(internal) one browser tab of `serve`",
        description="Run by `intake-sim serve` for each browser tab, under textual-serve.",
    )
    _common(t)
    t.add_argument("--cohort", required=True, metavar="ID")
    return {"serve": cmd_serve, "workshop-tab": cmd_workshop_tab}


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 1 to 65535")
    return int(text)


def _max_sessions(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_SESSIONS_LIMIT:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of tabs from 1 to {MAX_SESSIONS_LIMIT}"
        )
    return int(text)


def _facilitator_key(text: str) -> str:
    if len(text) < 12 or not all(c.isalnum() or c in "-_" for c in text):
        raise argparse.ArgumentTypeError(
            "a facilitator key needs 12 or more letters, digits, '-' or '_' (it is all that "
            "guards the facilitator's view)"
        )
    return text


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def tab_command(
    data_dir: Path, cohort: str, scenarios: list[str], command: str = "workshop-tab"
) -> str:
    """The shell command textual-serve runs for each tab (it starts it through the shell).

    `command` is `workshop-tab` for trainees' tabs and `facilitate` for the facilitator's.
    """
    parts = [sys.executable, "-m", "simulator", command]
    parts += ["--cohort", cohort, "--data-dir", str(data_dir)]
    for extra in scenarios:
        parts += ["--scenarios", str(Path(extra).absolute())]
    return " ".join(shlex.quote(p) for p in parts)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - only naming it, for the printed URL
        return "<this machine's address>"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def cmd_serve(args: argparse.Namespace) -> int:
    from simulator.cli import CliError, _data_dir, _library
    from simulator.store import Store, StoreError, workshop

    try:
        from simulator.web.serve import WorkshopServer
    except ImportError:
        raise CliError(
            "serving to browsers needs the 'web' extra: pip install 'intake-sim[web]'"
        ) from None
    if args.public_url and not args.public_url.startswith(("http://", "https://")):
        raise CliError(f"--public-url {args.public_url!r}: give a full http:// or https:// URL")
    library = _library(args)
    if args.scenario and library.get(args.scenario) is None:
        known = ", ".join(sorted(s.id for s in library.scenarios)) or "none"
        raise CliError(f"unknown scenario '{args.scenario}'. Known: {known}")
    data_dir = _data_dir(args).expanduser().absolute()
    with Store.open(data_dir) as store:
        try:
            room = workshop.get_room(store, args.cohort)
            code = args.code or (room.code if room is not None else new_code())
            workshop.open_room(store, args.cohort, code, args.scenario)
            code = workshop.get_room(store, args.cohort).code  # type: ignore[union-attr]
        except StoreError as exc:
            raise CliError(str(exc)) from None
    cohort = args.cohort.strip()
    url = args.public_url or f"http://{_url_host(args.host)}:{args.port}/"
    if not url.endswith("/"):
        url += "/"
    key = args.facilitator_key or secrets.token_urlsafe(12)
    lines = [
        f"intake-sim workshop: room '{cohort}'",
        f"  Open {url} in a browser.",
        f"  Workshop code: {code}",
        f"  Facilitator view: {url}facilitate?key={key}",
        "    (keep that link to yourself: it shows the room's choices and can pause the room)",
        f"  Up to {args.max_sessions} tabs at once; answers are stored in {data_dir}.",
        "  This server has no login of its own: anyone who can reach the address and knows the "
        "code can play.",
        "  To put a login and TLS in front of it (a reverse proxy), see docs/workshop.md.",
    ]
    if not is_loopback(args.host):
        lines.append(
            f"  Warning: listening on {args.host}, beyond this machine. On any network you do "
            "not control, put it behind a reverse proxy with authentication and TLS "
            "(docs/workshop.md)."
        )
    lines.append("  Stop it with Ctrl+C; every answer is saved as it is given.")
    extra = list(getattr(args, "scenarios", []) or [])
    server = WorkshopServer(
        tab_command(data_dir, cohort, extra),
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        public_url=args.public_url,
        banner="\n".join(lines),
        facilitator_command=tab_command(data_dir, cohort, extra, "facilitate"),
        facilitator_key=key,
    )
    try:
        server.run()
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {_bind_reason(exc)}") from None
    print("intake-sim workshop: stopped.", flush=True)
    return 0


def _bind_reason(exc: OSError) -> str:
    import errno

    if exc.errno == errno.EADDRINUSE:
        return "the port is already in use (another server?); choose another with --port"
    if exc.errno == errno.EACCES:
        return "not allowed (ports below 1024 need extra rights); choose another with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "this machine has no such address; check --host"
    return exc.strerror or str(exc)


def cmd_workshop_tab(args: argparse.Namespace) -> int:
    import gc
    import os

    from simulator.cli import CliError, _data_dir, _library

    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError("workshop-tab is what `intake-sim serve` runs for each browser tab")
    gc.disable()  # see cli._run_tui: start-up objects live as long as the tab
    try:
        library = _library(args)
        extra = tuple(Path(p) for p in getattr(args, "scenarios", []) or [])
        from simulator.tui.workshop_app import run_tab  # Textual is imported only here

        return run_tab(_data_dir(args), args.cohort, library, extra)
    finally:
        gc.enable()
