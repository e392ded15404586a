"""`intake-sim export|import` (result bundles) and `intake-sim trainee export|erase` (privacy)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from simulator.cli import _common

    p = sub.add_parser(
        "export",
        help="write your sessions as a result bundle for your supervisor",
        description="Write a self-describing JSON bundle of one trainee's sessions (all, or one "
        "assignment's) with a content hash, for `intake-sim import` in the supervisor's store. "
        "Typed responses and private reflections are left out unless --include-reflections.",
    )
    _common(p)
    p.add_argument("--trainee", metavar="NAME", default=argparse.SUPPRESS, help="your pseudonym")
    p.add_argument("--assignment", metavar="ID", help="only the sessions of this assignment pack")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="bundle file (default: <pseudonym>-<assignment>-<date>.intake-bundle.json here)",
    )
    p.add_argument(
        "--include-reflections",
        action="store_true",
        help="also include your typed responses and private reflections (left out by default)",
    )

    p = sub.add_parser(
        "import",
        help="load trainees' result bundles into this store (importing twice changes nothing)",
        description="Check each bundle (format, version, content hash, every field) and load "
        "it in one transaction; a refused bundle changes nothing. Exit 1 if any was refused.",
    )
    _common(p)
    p.add_argument("files", nargs="+", metavar="FILE", help="bundle files")
    p.add_argument("--dry-run", action="store_true", help="check and report, but store nothing")

    p = sub.add_parser(
        "trainee",
        help="a trainee's own data: export everything stored about them, or erase it",
    )
    _common(p)
    actions = p.add_subparsers(dest="trainee_command", metavar="ACTION", required=True)
    e = actions.add_parser(
        "export",
        help="everything stored about a trainee as JSON, typed text and reflections included",
    )
    e.add_argument("name", metavar="NAME", help="the trainee's pseudonym")
    e.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    _common(e)
    r = actions.add_parser(
        "erase",
        help="remove a trainee and everything stored about them (also from the backups)",
    )
    r.add_argument("name", metavar="NAME", help="the trainee's pseudonym")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _common(r)
    return {"export": cmd_export, "import": cmd_import, "trainee": cmd_trainee}


def cmd_export(args: argparse.Namespace) -> int:
    from simulator.cli import CliError, _open_store, _trainee_name
    from simulator.core.text import clean
    from simulator.store import atomic_write
    from simulator.store.bundles import (
        MAX_BUNDLE_BYTES,
        bundle_bytes,
        default_file_name,
        export_bundle,
        sessions,
    )

    name = _trainee_name(args)
    with _open_store(args) as store:
        bundle = export_bundle(
            store, name, args.assignment, include_reflections=args.include_reflections
        )
    rows = bundle["sessions"]
    if not rows:
        what = f" of assignment '{args.assignment}'" if args.assignment else ""
        raise CliError(f"{name} has no sessions{what} in this store; nothing to export")
    pseudonym = bundle["trainee"]["pseudonym"]
    target = Path(
        args.output or default_file_name(pseudonym, args.assignment, bundle["created_at"])
    )
    data = bundle_bytes(bundle)
    if len(data) > MAX_BUNDLE_BYTES:
        raise CliError(
            f"the bundle would be {len(data) / 2**20:.0f} MiB, over the "
            f"{MAX_BUNDLE_BYTES // 2**20} MiB that import accepts; export one assignment at a "
            "time with --assignment"
        )
    atomic_write(target, data)
    done = sum(1 for s in rows if s["status"] == "completed")
    text = " with typed responses and reflections" if args.include_reflections else ""
    print(
        clean(
            f"Wrote {target}: {sessions(len(rows))} of {pseudonym} ({done} completed){text}. "
            f"Content hash {bundle['content_hash'][:19]}..."
        )
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from simulator.cli import _open_store
    from simulator.core.text import clean
    from simulator.store.bundles import BundleError, import_bundle, read_bundle_file

    refused = 0
    with _open_store(args) as store:
        for name in args.files:
            try:
                result = import_bundle(store, read_bundle_file(Path(name)), dry_run=args.dry_run)
            except BundleError as exc:
                refused += 1
                print(clean(f"{name}: refused: {exc}"))
                continue
            print(clean(f"{name}: {result.message()}"))
    if refused:
        print(
            f"intake-sim: {refused} of {len(args.files)} bundles refused; nothing from them "
            "was stored",
            file=sys.stderr,
        )
    return 1 if refused else 0


def cmd_trainee(args: argparse.Namespace) -> int:
    if args.trainee_command == "export":
        return _trainee_export(args)
    return _trainee_erase(args)


def _trainee_export(args: argparse.Namespace) -> int:
    from simulator.cli import _open_store
    from simulator.core.text import clean
    from simulator.store import atomic_write
    from simulator.store.trainee_data import full_export

    with _open_store(args) as store:
        document = full_export(store, args.name)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        atomic_write(Path(args.output), text.encode("utf-8"))
        print(
            clean(
                f"Wrote {args.output}: everything stored about {document['trainee']['pseudonym']}"
                f" ({len(document['sessions'])} sessions)."
            )
        )
    else:
        sys.stdout.write(text)
    return 0


def _summary(counts: dict[str, Any]) -> str:
    shown = [f"{n} {what if n != 1 else what[:-1]}" for what, n in counts.items() if n]
    return ", ".join(shown) if shown else "no sessions or other data"


def _trainee_erase(args: argparse.Namespace) -> int:
    from simulator.cli import CliError, _open_store
    from simulator.core.text import clean
    from simulator.store.trainee_data import stored_counts

    with _open_store(args) as store:
        counts = stored_counts(store, args.name)
        trainee = store.get_trainee(args.name)
        pseudonym = trainee.pseudonym if trainee else args.name.strip()
        if not args.yes:
            if not sys.stdin.isatty():
                raise CliError(
                    "erasing cannot be undone; add --yes to erase without a terminal to confirm"
                )
            print(clean(f"This removes {pseudonym} and {_summary(counts)}, also from backups."))
            answer = input("It cannot be undone. Type yes to erase: ")
            if answer.strip().lower() != "yes":
                print("Nothing was erased.")
                return 1
        store.erase_trainee(pseudonym)
    print(clean(f"Erased {pseudonym}: {_summary(counts)}. The database file was rewritten."))
    return 0
