"""`intake-sim xapi export|send`: the store's sessions as xAPI statements, to a file or an LRS."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PASSWORD_ENV = "INTAKE_SIM_LRS_PASSWORD"  # noqa: S105 - the variable's name, not a password


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from simulator.cli import _common

    p = sub.add_parser(
        "xapi",
        help="xAPI statements of the stored sessions: export as JSON Lines or send to an LRS",
        description="Every stored session as xAPI 1.0.3 statements (initialized, answered, "
        "completed, passed/failed, terminated, abandoned), with pseudonymous actors and "
        "stable ids, so sending again never duplicates anything.",
    )
    actions = p.add_subparsers(dest="xapi_command", metavar="ACTION", required=True)

    e = actions.add_parser("export", help="write the statements as JSON Lines")
    _selection(e)
    _common(e)
    e.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")

    s = actions.add_parser("send", help="send the statements to a learning record store")
    _selection(s)
    _common(s)
    s.add_argument(
        "--endpoint",
        metavar="URL",
        required=True,
        help="the LRS's xAPI endpoint, e.g. https://lrs.example.org/xAPI/",
    )
    s.add_argument("--user", metavar="U", required=True, help="HTTP Basic user name (LRS key)")
    s.add_argument(
        "--password",
        metavar="P",
        help=f"HTTP Basic password (LRS secret); better: set ${PASSWORD_ENV} so it stays "
        "out of your shell history",
    )
    s.add_argument("--batch-size", type=_positive_int, default=50, metavar="N")
    s.add_argument(
        "--retries",
        type=_non_negative_int,
        default=4,
        metavar="N",
        help="retries after a connection error, 429 or 5xx (default 4, backoff doubling)",
    )
    s.add_argument(
        "--backoff",
        type=_non_negative_float,
        default=0.5,
        metavar="S",
        help="seconds before the first retry (default 0.5)",
    )
    s.add_argument("--timeout", type=_positive_float, default=15.0, metavar="S")
    return {"xapi": cmd_xapi}


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--assignment", metavar="ID", help="only sessions of this assignment pack")
    p.add_argument(
        "--trainee",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="only this trainee's sessions (default: everyone in the store)",
    )
    p.add_argument(
        "--include-reflections",
        action="store_true",
        help="include typed free-text responses (left out by default for privacy)",
    )
    p.add_argument(
        "--home-page",
        metavar="URL",
        help="the account home page naming your trainees (default: "
        "https://intake-sim.example/trainees)",
    )


def _number(kind: Callable[[str], Any], test: Callable[[Any], bool], what: str) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


_positive_int = _number(int, lambda v: v > 0, "a whole number above 0")
_non_negative_int = _number(int, lambda v: v >= 0, "a whole number, 0 or more")
_positive_float = _number(float, lambda v: 0 < v < 1e6, "a number of seconds above 0")
_non_negative_float = _number(float, lambda v: 0 <= v < 1e6, "a number of seconds, 0 or more")


def cmd_xapi(args: argparse.Namespace) -> int:
    if args.xapi_command == "export":
        return _export(args)
    return _send(args)


def _statements(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The statements of the selected sessions, each checked against the xAPI rules."""
    from simulator.cli import CliError, _library, _open_store
    from simulator.core.text import clean
    from simulator.reports import xapi, xapi_rules, xapi_source

    options = xapi.Options(include_reflections=args.include_reflections)
    if args.home_page:
        problems = xapi_rules.problems(
            {
                "actor": {"account": {"homePage": args.home_page, "name": "x"}},
                "verb": {"id": xapi.VERBS["answered"], "display": {"en": "x"}},
                "object": {"id": xapi.BASE, "definition": {}},
            }
        )
        if problems:
            raise CliError(f"--home-page must be an http(s) URL, not {args.home_page!r}")
        options = xapi.Options(args.home_page, args.include_reflections)
    library = _library(args)
    with _open_store(args) as store:
        trainee = getattr(args, "trainee", None)
        if trainee is not None and store.get_trainee(trainee) is None:
            raise CliError(f"there is no trainee called {trainee!r} in {store.data_dir}")
        records = xapi_source.records(
            store,
            library.get,
            _packs(xapi_source, store),
            assignment=args.assignment,
            trainee=trainee,
        )
    for rec in records:
        for note in rec.notes:
            print(f"intake-sim: note: {clean(note)}", file=sys.stderr)
    statements = xapi.statements(records, options)
    for st in statements:
        problems = xapi_rules.problems(st)
        if problems:
            # A bug in statement building, not bad input: say exactly what and stop.
            raise CliError(f"statement {st.get('id')} breaks the xAPI rules: {problems[0]}")
    if not records:
        what = " of assignment " + repr(args.assignment) if args.assignment else ""
        print(f"intake-sim: note: no sessions{what} to turn into statements", file=sys.stderr)
    return statements


def _packs(xapi_source: Any, store: Any) -> Any:
    # TEMPORARY until simulator.store.assignments lands (helper A).
    try:
        return xapi_source.store_packs(store)
    except ImportError:
        return None


def _export(args: argparse.Namespace) -> int:
    from simulator.cli import CliError
    from simulator.store import atomic_write

    statements = _statements(args)
    text = "".join(
        json.dumps(st, ensure_ascii=False, separators=(",", ":")) + "\n" for st in statements
    )
    sessions = len({st["context"]["registration"] for st in statements})
    if args.output:
        path = Path(args.output)
        if path.is_dir():
            raise CliError(f"-o {path}: that is a directory; give a file name")
        atomic_write(path, text.encode("utf-8"))
        print(
            f"wrote {len(statements)} statements of {sessions} sessions to {path}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


def _password(args: argparse.Namespace) -> str:
    from simulator.cli import CliError

    if args.password is not None:
        return str(args.password)
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    if sys.stdin.isatty():
        return getpass.getpass(f"LRS password for {args.user}: ")
    raise CliError(f"no LRS password: set ${PASSWORD_ENV} (or give --password)")


def _send(args: argparse.Namespace) -> int:
    from simulator.cli import CliError
    from simulator.core.text import clean
    from simulator.reports.lrs import (
        LrsClient,
        LrsConfig,
        LrsError,
        is_plain_http_to_remote,
        statements_url,
    )

    try:
        url = statements_url(args.endpoint)
    except LrsError as exc:
        raise CliError(f"--endpoint: {exc}") from None
    config = LrsConfig(
        endpoint=args.endpoint,
        user=args.user,
        password=_password(args),
        batch_size=args.batch_size,
        retries=args.retries,
        backoff=args.backoff,
        timeout=args.timeout,
    )
    if is_plain_http_to_remote(args.endpoint):
        print(
            "intake-sim: warning: the endpoint uses plain http, so the password crosses the "
            "network unencrypted; use https",
            file=sys.stderr,
        )
    statements = _statements(args)

    def log(message: str) -> None:
        print(f"intake-sim: {clean(message)}", file=sys.stderr)

    with LrsClient(config, log=log) as client:
        report = client.send(statements)
    print(clean(f"xAPI to {url} as {args.user!r}:"))
    for line in report.lines():
        print(clean(line))
    if report.stopped:
        print(f"intake-sim: {clean(report.stopped)}", file=sys.stderr)
    return 0 if report.ok else 1
