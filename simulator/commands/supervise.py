"""`intake-sim assign new|show|validate|add|list|progress`: assignment packs on the command line.

A supervisor writes a pack (`new`), checks it (`show`, `validate`), hands the file to trainees
and keeps it in their own store (`add`) so that `intake-sim report --assignment ID` finds it.
A trainee opens it with `intake-sim --assignment PACK` or `intake-sim play ID --assignment PACK`
and follows it with `assign progress`.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.core.assignment import Pack
    from simulator.core.library import Library

DEFAULT_STARTER_SCENARIOS = 3


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from simulator.cli import _common

    p = sub.add_parser(
        "assign",
        help="assignment packs: write, show, validate, add to the store, follow progress",
        description="An assignment pack is a small YAML file naming a cohort, the scenarios to "
        "play, the mode, whether typed responses are on, pass marks per humility dimension, a "
        "due date and instructions. See docs/supervisor-guide.md.",
    )
    actions = p.add_subparsers(dest="assign_command", metavar="ACTION", required=True)

    n = actions.add_parser(
        "new",
        help="write a new pack file from options (anything left out gets a default to edit)",
    )
    _common(n)
    n.add_argument("--id", metavar="ID", help="the pack's id, e.g. spring-2027 (a slug)")
    n.add_argument("--cohort", metavar="C", help="the cohort's id (a slug; default: the pack id)")
    n.add_argument("--title", metavar="T", help="a title trainees see")
    n.add_argument(
        "--scenario",
        metavar="S",
        action="append",
        default=[],
        help="a scenario id from `intake-sim list` (repeatable, or comma-separated)",
    )
    n.add_argument("--mode", choices=("coach", "assessment"), default="coach")
    n.add_argument("--free-text", action="store_true", help="trainees type their own responses")
    n.add_argument(
        "--threshold",
        metavar="DIM=N",
        action="append",
        default=[],
        help="pass mark 0-100 for a humility dimension, e.g. asking=60 (repeatable)",
    )
    n.add_argument("--due", metavar="YYYY-MM-DD", help="the due date")
    n.add_argument("--instructions", metavar="TEXT", default="", help="what trainees read first")
    n.add_argument("--version", metavar="N", type=int, default=1, help="pack version (default 1)")
    n.add_argument(
        "-o", "--output", metavar="FILE", help="where to write (default ID.yaml; '-' for stdout)"
    )
    n.add_argument("--force", action="store_true", help="replace FILE if it exists")

    s = actions.add_parser("show", help="a readable summary of a pack file or a stored pack")
    _common(s)
    s.add_argument("pack", metavar="PACK_FILE_OR_ID")
    s.add_argument("--json", action="store_true", help="print the pack as JSON")

    v = actions.add_parser(
        "validate", help="check pack files: file:line:col: CODE message; exit 1 on errors"
    )
    _common(v)
    v.add_argument("packs", nargs="+", metavar="PACK", help="pack files or directories")
    v.add_argument("--json", action="store_true", help="print the findings as JSON")

    a = actions.add_parser(
        "add", help="keep a pack in this store (so `report --assignment ID` finds it)"
    )
    _common(a)
    a.add_argument("pack", metavar="PACK_FILE")

    ls = actions.add_parser("list", help="the packs kept in this store")
    _common(ls)
    ls.add_argument("--json", action="store_true")

    g = actions.add_parser("progress", help="where a trainee stands on a pack")
    _common(g)
    g.add_argument("pack", metavar="PACK_FILE_OR_ID")
    g.add_argument("--trainee", metavar="NAME", default=argparse.SUPPRESS, help="the pseudonym")
    g.add_argument("--json", action="store_true")
    return {"assign": cmd_assign}


def cmd_assign(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "new": _new,
        "show": _show,
        "validate": _validate,
        "add": _add,
        "list": _list,
        "progress": _progress,
    }
    return handlers[args.assign_command](args)


# ---------------------------------------------------------------- new


def _new(args: argparse.Namespace) -> int:
    from simulator.cli import CliError, _library
    from simulator.core.assignment import load_pack_text, pack_to_yaml
    from simulator.core.text import clean
    from simulator.store import atomic_write

    library = _library(args)
    pack, defaulted = build_pack(args, library)
    text = pack_to_yaml(pack)
    load_pack_text(text, "<new pack>", _known(library))  # what we write reads back, checked
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.output or f"{pack.id}.yaml")
    if out.is_dir():
        raise CliError(f"{out} is a directory; give a file name with -o")
    if out.exists() and not args.force:
        raise CliError(f"{out} already exists; add --force to replace it")
    atomic_write(out, text.encode("utf-8"))
    lines = [
        f"Wrote {out}: assignment {pack.id}, {len(pack.scenarios)} scenario(s), {pack.mode} mode."
    ]
    if defaulted:
        lines.append(f"Defaults used for {', '.join(defaulted)}: edit the file to change them.")
    lines.append(
        f"Check it: intake-sim assign show {out}. Keep it for reports: intake-sim assign add {out}"
    )
    for line in lines:
        print(clean(line))
    if pack.due is not None and pack.due < _dt.date.today():
        print(f"Note: the due date {pack.due.isoformat()} is in the past.", file=sys.stderr)
    return 0


def build_pack(args: argparse.Namespace, library: Library) -> tuple[Pack, list[str]]:
    """The pack the options describe, each bad option one CliError; and which fields defaulted."""
    from simulator.cli import CliError
    from simulator.core.assignment import (
        MAX_INSTRUCTIONS,
        SLUG_PATTERN,
        SLUG_RULE,
        Pack,
        parse_due,
    )

    defaulted: list[str] = []
    known = _known(library)
    title = args.title
    pack_id = args.id
    if pack_id is None:
        pack_id = _slug(title) if title else "assignment"
        defaulted.append("id")
    cohort = args.cohort
    if cohort is None:
        cohort = pack_id
        defaulted.append("cohort")
    for flag, value in (("--id", pack_id), ("--cohort", cohort)):
        if not re.fullmatch(SLUG_PATTERN, value):
            raise CliError(f"{flag} '{value}' must be a slug: {SLUG_RULE}")
    if title is None:
        title = "New assignment" if pack_id == "assignment" else f"Assignment {pack_id}"
        defaulted.append("title")
    if not title.strip() or len(title) > 200:
        raise CliError("--title must be 1 to 200 characters")
    scenarios = _scenario_ids(args.scenario, known)
    if not scenarios:
        scenarios = sorted(known)[:DEFAULT_STARTER_SCENARIOS]
        if not scenarios:
            raise CliError("the scenario library is empty; add scenarios with --scenarios DIR")
        defaulted.append("scenarios")
    due = None
    if args.due is not None:
        try:
            due = parse_due(args.due)
        except ValueError as exc:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.due):
                raise CliError(f"--due {args.due}: there is no such day in the calendar") from None
            raise CliError(f"--due: {exc}") from None
    if len(args.instructions) > MAX_INSTRUCTIONS:
        raise CliError(f"--instructions is longer than {MAX_INSTRUCTIONS} characters")
    if not 1 <= args.version <= 1_000_000:
        raise CliError(f"--version must be from 1 to 1000000, not {args.version}")
    pack = Pack(
        id=pack_id,
        cohort=cohort,
        title=title,
        scenarios=scenarios,
        mode=args.mode,
        free_text=args.free_text,
        thresholds=parse_thresholds(args.threshold),
        due=due,
        instructions=args.instructions,
        version=args.version,
    )
    return pack, defaulted


def _scenario_ids(values: Sequence[str], known: set[str]) -> list[str]:
    from simulator.cli import CliError

    out: list[str] = []
    for value in values:
        for sid in (v.strip() for v in value.split(",")):
            if not sid:
                continue
            if sid in out:
                raise CliError(f"--scenario '{sid}' is given twice; list each scenario once")
            if sid not in known:
                raise CliError(f"--scenario '{sid}': unknown scenario{_did_you_mean(sid, known)}")
            out.append(sid)
    return out


def parse_thresholds(items: Sequence[str]) -> dict[str, int]:
    import difflib

    from simulator.cli import CliError
    from simulator.core.models import DIMENSIONS

    out: dict[str, int] = {}
    for item in items:
        dim, sep, level = item.partition("=")
        dim, level = dim.strip(), level.strip()
        if not sep or not dim:
            raise CliError(f"--threshold '{item}': write DIM=N, e.g. asking=60")
        if dim not in DIMENSIONS:
            close = difflib.get_close_matches(dim, DIMENSIONS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise CliError(
                f"--threshold '{item}': unknown humility dimension '{dim}'{hint}; the "
                f"dimensions are {', '.join(DIMENSIONS)}"
            )
        if dim in out:
            raise CliError(f"--threshold: {dim} is given twice")
        if not re.fullmatch(r"\d{1,3}", level) or int(level) > 100:
            raise CliError(f"--threshold '{item}': the mark must be a whole number from 0 to 100")
        out[dim] = int(level)
    return {d: out[d] for d in DIMENSIONS if d in out}


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:64].strip("-")
    return slug or "assignment"


def _did_you_mean(word: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, sorted(known), n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return "; `intake-sim list` shows the library"


def _known(library: Library) -> set[str]:
    return {s.id for s in library.scenarios}


# ---------------------------------------------------------------- show, validate, add, list


def _show(args: argparse.Namespace) -> int:
    from simulator.cli import _library
    from simulator.core.text import clean

    library = _library(args)
    pack, source = _pack_for_reading(args, args.pack)
    if args.json:
        print(json.dumps(pack.to_json(), ensure_ascii=False, indent=2))
        return 0
    for line in describe(pack, library, source):
        print(clean(line))
    return 0


def describe(pack: Pack, library: Library, source: str) -> list[str]:
    """A pack in words, for `assign show`."""
    from simulator.core.models import DIMENSIONS

    free = "typed responses on" if pack.free_text else "typed responses off (choose from options)"
    lines = [
        f'Assignment {pack.id}, version {pack.version}: "{pack.title}"',
        f"From: {source}",
        f"Cohort: {pack.cohort}",
        f"Mode: {pack.mode}, {free}",
        f"Due: {pack.due.isoformat() if pack.due else 'no due date'}",
        f"Scenarios ({len(pack.scenarios)}):",
    ]
    width = max(len(s) for s in pack.scenarios)
    for i, sid in enumerate(pack.scenarios, 1):
        scenario = library.get(sid)
        about = (
            f"{scenario.model.title} ({scenario.model.client.name}, {scenario.model.difficulty})"
            if scenario is not None
            else "(not in your library)"
        )
        lines.append(f"  {i}. {sid:<{width}}  {about}")
    if pack.thresholds:
        marks = ", ".join(
            f"{d.replace('_', ' ')} {pack.thresholds[d]}"
            for d in DIMENSIONS
            if d in pack.thresholds
        )
        lines.append(f"Pass marks: {marks}")
        lines.append("  (a completed session passes when every listed dimension reaches its mark)")
    else:
        lines.append("Pass marks: none (every completed session passes)")
    if pack.instructions.strip():
        lines.append("Instructions:")
        lines += [f"  {line}" for line in pack.instructions.strip().splitlines()]
    lines.append(f"Content hash: {pack.content_hash()[:16]}")
    return lines


def _pack_for_reading(args: argparse.Namespace, ref: str) -> tuple[Pack, str]:
    """A pack from a file (its shape checked, scenarios not) or from the store, and its source."""
    from simulator.assignment_play import PackError, looks_like_file
    from simulator.cli import CliError, _data_dir, _open_store
    from simulator.core.assignment import load_pack
    from simulator.store.assignments import get_pack, list_packs

    path = Path(ref)
    if path.exists() or looks_like_file(ref):
        if not path.exists():
            raise CliError(f"{ref}: no such pack file")
        return load_pack(path), str(path)
    with _open_store(args) as store:
        pack = get_pack(store, ref)
        if pack is None:
            ids = [p.id for p in list_packs(store)]
            where = f"; packs in this store: {', '.join(ids)}" if ids else ""
            raise CliError(
                str(PackError(f"'{ref}' is neither a pack file nor the id of a stored pack{where}"))
            )
    return pack, f"the store at {_data_dir(args)}"


def _validate(args: argparse.Namespace) -> int:
    from simulator.cli import _library, _print_diagnostics
    from simulator.core.assignment import load_pack
    from simulator.core.diagnostics import Diagnostic, LoadError, sort_key
    from simulator.core.library import expand_paths

    known = _known(_library(args))
    files = expand_paths(Path(p) for p in args.packs)
    report: list[dict[str, Any]] = []
    every: list[Diagnostic] = []
    for path in files:
        diags: list[Diagnostic] = []
        pack_id = None
        try:
            pack_id = load_pack(path, known).id
        except LoadError as exc:
            diags = list(exc.diagnostics)
        every += diags
        report.append(
            {
                "file": str(path),
                "kind": "pack",
                "id": pack_id,
                "ok": not any(d.is_error for d in diags),
                "diagnostics": [d.to_json() for d in sorted(diags, key=sort_key)],
            }
        )
    errors = sum(1 for d in every if d.is_error)
    warnings = len(every) - errors
    if args.json:
        doc = {"files": report, "errors": errors, "warnings": warnings}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print_diagnostics(every)
        print(f"{len(files)} pack(s) checked: {errors} error(s), {warnings} warning(s).")
    return 1 if errors else 0


def _add(args: argparse.Namespace) -> int:
    from simulator.cli import CliError, _data_dir, _library, _open_store
    from simulator.core.assignment import load_pack
    from simulator.core.text import clean
    from simulator.store.assignments import get_pack, save_pack

    path = Path(args.pack)
    if not path.exists():
        raise CliError(f"{path}: no such pack file")
    pack = load_pack(path, _known(_library(args)))
    with _open_store(args) as store:
        before = get_pack(store, pack.id)
        if (
            before is not None
            and before.content_hash() != pack.content_hash()
            and pack.version <= before.version
        ):
            raise CliError(
                f"the store already has a different pack '{pack.id}' version {before.version} "
                f"(it differs in {', '.join(_differences(before, pack))}); raise 'version' in "
                f"{path} above {before.version} to replace it, or give the pack a new id"
            )
        changed = save_pack(store, pack)
    if before is None:
        done = (
            f"Added assignment {pack.id} (version {pack.version}, {len(pack.scenarios)} "
            f"scenario(s)) to the store at {_data_dir(args)}."
        )
    elif not changed:
        done = f"Assignment {pack.id} version {pack.version} is already in the store, unchanged."
    else:
        done = (
            f"Replaced assignment {pack.id} version {before.version} with version {pack.version}."
        )
    print(clean(done))
    print(f"Report: intake-sim report --assignment {pack.id}")
    return 0


def _differences(old: Pack, new: Pack) -> list[str]:
    a, b = old.to_json(), new.to_json()
    return [k for k in a if k != "version" and a[k] != b[k]] or ["version"]


def _list(args: argparse.Namespace) -> int:
    from simulator.cli import _open_store
    from simulator.core.text import clean
    from simulator.store.assignments import list_packs, sessions_for_assignment

    with _open_store(args) as store:
        packs = [(p, len(sessions_for_assignment(store, p.id))) for p in list_packs(store)]
    if args.json:
        rows = [{**p.to_json(), "sessions": n} for p, n in packs]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not packs:
        print("No assignment packs in this store. Add one with: intake-sim assign add PACK_FILE")
        return 0
    for p, n in packs:
        due = p.due.isoformat() if p.due else "-"
        print(
            clean(
                f"{p.id:<24} v{p.version:<3} {p.cohort:<16} due {due:<10} "
                f"{len(p.scenarios)} scenario(s), {n} session(s)  {p.title}"
            )
        )
    return 0


# ---------------------------------------------------------------- progress


def _progress(args: argparse.Namespace) -> int:
    from simulator.assignment_play import (
        PackError,
        progress_json,
        progress_lines,
        require_known,
        resolve_pack,
    )
    from simulator.cli import CliError, _library, _open_store, _trainee_name
    from simulator.core.text import clean
    from simulator.store.assignments import progress

    known = _known(_library(args))
    name = _trainee_name(args)
    with _open_store(args) as store:
        try:
            pack, _ = resolve_pack(args.pack, known, store)
            require_known(pack, known)
        except PackError as exc:
            raise CliError(str(exc)) from None
        trainee = store.get_trainee(name)
        if trainee is None:
            raise CliError(f"no trainee '{name}' in this store; give the pseudonym with --trainee")
        result = progress(store, pack, trainee.id)
    if args.json:
        print(json.dumps(progress_json(result, name), ensure_ascii=False, indent=2))
        return 0
    for line in progress_lines(result, name):
        print(clean(line))
    return 0
