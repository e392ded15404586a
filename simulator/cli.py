"""Command-line entry point: `intake-sim` (also `python -m simulator`).

Commands that do not show the full-screen app never import Textual.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from simulator import paths
from simulator.commands import MODULES as COMMAND_MODULES
from simulator.core.diagnostics import Diagnostic, LoadError, sort_key
from simulator.core.text import clean

TRAINEE_ENV = "INTAKE_SIM_TRAINEE"
DEFAULT_TRAINEE = "guest"


class CliError(Exception):
    """One clear line for stderr; exit code 1."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=f"where sessions are stored (default: ${paths.DATA_DIR_ENV} or the user data directory)",
    )
    p.add_argument(
        "--scenarios",
        metavar="DIR",
        action="append",
        default=argparse.SUPPRESS,
        help="also load scenarios from this directory or file (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-sim",
        description="Practise mental-health intake interviews across cultural difference.",
        epilog="Run a command with --help for its options. Docs: docs/authoring.md, docs/diagnostics.md.",
    )
    _common(parser)
    parser.add_argument(
        "--trainee", metavar="NAME", default=argparse.SUPPRESS, help="your pseudonym"
    )
    parser.add_argument(
        "--assignment",
        metavar="PACK",
        default=argparse.SUPPRESS,
        help="open an assignment pack (its file, or its id once opened): its scenarios are marked",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no command: a numbered scenario menu in line-based mode (screen readers, pipes)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list the scenario library")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("validate", help="check scenario or rubric files; exit 1 if any has errors")
    p.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or directories")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--rubric", metavar="FILE", help="check scenarios against this rubric file")

    p = sub.add_parser("graph", help="show a scenario's decision graph")
    _common(p)
    p.add_argument("scenario_id", metavar="ID")
    p.add_argument("--format", choices=("text", "mermaid", "dot"), default="text")
    p.add_argument(
        "--cohort",
        metavar="ID",
        help="overlay the choice counts of a cohort, assignment or workshop room (a heatmap)",
    )

    p = sub.add_parser("play", help="play a scenario")
    _common(p)
    p.add_argument("scenario_id", metavar="ID")
    p.add_argument(
        "--plain", action="store_true", help="line-based mode for screen readers and pipes"
    )
    p.add_argument(
        "--json", action="store_true", help="end with one JSON line summarising the session"
    )
    p.add_argument("--mode", choices=("coach", "assessment"), default=None, help="default: coach")
    p.add_argument(
        "--assignment",
        metavar="PACK",
        default=argparse.SUPPRESS,
        help="play under an assignment pack (file or id): its mode and typed-response setting",
    )
    p.add_argument("--resume", action="store_true", help="continue your unfinished session of ID")
    p.add_argument("--trainee", metavar="NAME", default=argparse.SUPPRESS, help="your pseudonym")
    p.add_argument(
        "--stance",
        metavar="A=V,...",
        help="starting non-verbal stance, e.g. tone=warm,eye_contact=steady",
    )
    p.add_argument(
        "--free-text",
        action="store_true",
        help="type your own responses (with --plain): coded, scored and mapped to the nearest option",
    )

    p = sub.add_parser("code", help="code free-text responses with the rubric's response codes")
    p.add_argument(
        "text", nargs="?", help="one response; without it, JSON Lines are read from standard input"
    )
    p.add_argument(
        "--context", metavar="LINE", help="the client's last line, for a single response"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of plain text")
    p.add_argument("--eval", metavar="FILE", help="score the coder against a labelled JSONL file")
    p.add_argument("--errors", action="store_true", help="with --eval: list every disagreement")
    p.add_argument(
        "--lexicon", metavar="FILE", help="use this cue file instead of rubrics/coder.yaml"
    )

    p = sub.add_parser("db", help="check, back up or restore the session store")
    _common(p)
    db = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db.add_parser("check", help="verify the store and repair damage (idempotent)")
    b = db.add_parser("backup", help="write a consistent copy of the store")
    b.add_argument("--to", metavar="FILE", help="backup file (default: DATA_DIR/backups/...)")
    r = db.add_parser("restore", help="replace a damaged store with a backup")
    r.add_argument("backup", metavar="FILE")

    for module in COMMAND_MODULES:
        COMMANDS.update(importlib.import_module(module).register(sub))

    p = sub.add_parser("schema", help="print the JSON Schema of the scenario format (for editors)")
    p.add_argument("--rubric", action="store_true", help="the rubric's schema instead")
    return parser


# ---------------------------------------------------------------- helpers


def _data_dir(args: argparse.Namespace) -> Path:
    return paths.data_dir(getattr(args, "data_dir", None))


def _library(args: argparse.Namespace) -> Any:
    from simulator.core.library import load_library

    loaded = getattr(args, "_loaded_library", None)  # one command may ask more than once
    if loaded is not None:
        return loaded
    extra = [Path(p) for p in getattr(args, "scenarios", []) or []]
    for p in extra:
        if not p.exists():
            raise CliError(f"--scenarios {p}: no such file or directory")
    args._loaded_library = load_library(extra)
    return args._loaded_library


def _scenario(args: argparse.Namespace) -> Any:
    library = _library(args)
    scenario = library.get(args.scenario_id)
    if scenario is None:
        broken = [r for r in library.invalid if args.scenario_id in r.display]
        hint = f" ({broken[0].display} has errors; run intake-sim validate on it)" if broken else ""
        known = ", ".join(sorted(s.id for s in library.scenarios)) or "none"
        raise CliError(f"unknown scenario '{args.scenario_id}'{hint}. Known: {known}")
    return scenario


def _trainee_name(args: argparse.Namespace) -> str:
    return getattr(args, "trainee", None) or os.environ.get(TRAINEE_ENV) or DEFAULT_TRAINEE


def _parse_stance(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        aspect, sep, value = item.strip().partition("=")
        if not sep:
            raise CliError(f"--stance: '{item}' should be aspect=value, e.g. tone=warm")
        out[aspect] = value
    return out


def _print_diagnostics(diags: Sequence[Diagnostic]) -> None:
    for d in sorted(diags, key=sort_key):
        print(clean(d.format()))


# ---------------------------------------------------------------- commands


def cmd_list(args: argparse.Namespace) -> int:
    library = _library(args)
    rows = []
    for res in library.results:
        if res.scenario is None:
            rows.append(
                {
                    "file": res.display,
                    "valid": False,
                    "errors": [d.format() for d in res.errors],
                }
            )
            continue
        m = res.scenario.model
        rows.append(
            {
                "id": m.id,
                "title": m.title,
                "version": m.version,
                "difficulty": m.difficulty,
                "setting": m.setting,
                "client": m.client.name,
                "age": m.client.age,
                "identity": dict(m.client.identity),
                "therapist_identity": dict(m.therapist.identity),
                "presenting_problem": m.client.presenting_problem,
                "tags": list(m.tags),
                "file": res.display,
                "valid": True,
                "warnings": len(res.diagnostics),
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        if row["valid"]:
            print(
                clean(f"{row['id']:<24} {row['difficulty']:<13} {row['client']:<20} {row['title']}")
            )
        else:
            print(
                clean(
                    f"INVALID {row['file']}: {len(row['errors'])} error(s); run intake-sim validate"
                )
            )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from simulator.core.compiled import CompiledRubric
    from simulator.core.library import expand_paths, load_rubric, load_scenario
    from simulator.core.loading import parse_model, read_doc
    from simulator.core.models import Rubric
    from simulator.core.validate import check_rubric

    try:
        rubric = load_rubric(Path(args.rubric)) if args.rubric else load_rubric()
    except LoadError as exc:
        _print_diagnostics(exc.diagnostics)
        print("The rubric has errors; scenarios were not checked.", file=sys.stderr)
        return 1
    files = expand_paths(Path(p) for p in args.paths)
    report = []
    all_diags: list[Diagnostic] = []
    for path in files:
        diags: list[Diagnostic]
        if _looks_like_coder(path):
            from simulator.core.coder import check_lexicon

            diags = check_lexicon(path, rubric, str(path))
            kind = "coder"
        elif _looks_like_rubric(path):
            try:
                doc = read_doc(path)
                diags = check_rubric(parse_model(doc, Rubric), doc)
                if not any(d.is_error for d in diags):
                    CompiledRubric.build(parse_model(doc, Rubric))
            except LoadError as exc:
                diags = list(exc.diagnostics)
            kind = "rubric"
        else:
            diags = load_scenario(path, rubric).diagnostics
            kind = "scenario"
        all_diags.extend(diags)
        report.append(
            {
                "file": str(path),
                "kind": kind,
                "ok": not any(d.is_error for d in diags),
                "diagnostics": [d.to_json() for d in sorted(diags, key=sort_key)],
            }
        )
    errors = sum(1 for d in all_diags if d.is_error)
    warnings = len(all_diags) - errors
    if args.json:
        print(
            json.dumps(
                {"files": report, "errors": errors, "warnings": warnings},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_diagnostics(all_diags)
        print(f"{len(files)} file(s) checked: {errors} error(s), {warnings} warning(s).")
    return 1 if errors else 0


def _looks_like_coder(path: Path) -> bool:
    """The free-text coder's cue file (rubrics/coder.yaml): a top-level `coder:` mapping."""
    try:
        with path.open("rb") as fh:
            head = b"\n" + fh.read(65536)
    except OSError:
        return False
    return b"\ncoder:" in head and b"\nlexicons:" in head


def _looks_like_rubric(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    return b"\ncodes:" in head and b"\ndimensions:" in head


def cmd_graph(args: argparse.Namespace) -> int:
    from simulator.core.graph import render

    scenario = _scenario(args)
    heat = None
    if args.cohort is not None:
        from simulator.reports.heatmap import UnknownCohort, cohort_heat

        with _open_store(args) as store:
            try:
                heat = cohort_heat(store, args.cohort, scenario.id)
            except UnknownCohort as exc:
                raise CliError(str(exc)) from None
    print(render(scenario, args.format, heat))
    return 0


def _open_store(args: argparse.Namespace) -> Any:
    from simulator.store import Store

    return Store.open(_data_dir(args))


def _run_tui(args: argparse.Namespace, scenario_id: str | None = None) -> int:
    pack = None
    if getattr(args, "assignment", None):  # checked and kept before the screen takes over
        with _open_store(args) as store:
            pack = _open_assignment(args, store, _library(args), scenario_id)
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise CliError("the full-screen app needs a terminal; add --plain for line-based mode")
    # Start-up builds a few hundred thousand objects that live as long as the app (modules,
    # Textual, the models, the library); the cyclic GC would scan them over and over (about a
    # tenth of start-up). run_app freezes them out of its way and turns it back on.
    gc.disable()
    try:
        from simulator.tui.app import run_app  # Textual is imported only here

        extra = tuple(Path(p) for p in getattr(args, "scenarios", []) or [])
        trainee = getattr(args, "trainee", None) or os.environ.get(TRAINEE_ENV) or None
        return run_app(_data_dir(args), trainee, extra, scenario_id, pack)
    finally:
        gc.enable()


def _open_assignment(
    args: argparse.Namespace, store: Any, library: Any, scenario_id: str | None
) -> Any:
    """The pack of --assignment, checked (and `scenario_id` in it) and kept in the store."""
    from simulator.assignment_play import PackError, require_in_pack, require_known, resolve_pack
    from simulator.store.assignments import save_pack

    known = {s.id for s in library.scenarios}
    try:
        pack, _ = resolve_pack(args.assignment, known, store)
        require_known(pack, known)
        if scenario_id is not None:
            require_in_pack(pack, scenario_id)
    except PackError as exc:
        raise CliError(str(exc)) from None
    if args.command == "play":
        if args.mode is not None and args.mode != pack.mode:
            raise CliError(f"assignment '{pack.id}' is played in {pack.mode} mode; drop --mode")
        if args.free_text and not pack.free_text:
            raise CliError(f"assignment '{pack.id}' has typed responses off; drop --free-text")
        args.mode, args.free_text = pack.mode, pack.free_text
    save_pack(store, pack)
    return pack


def cmd_play(args: argparse.Namespace) -> int:
    if args.free_text and not args.plain:
        raise CliError(
            "--free-text goes with --plain; in the full-screen app press / to type a response, "
            "or turn on typed responses in Settings (Ctrl+S)"
        )
    if not args.plain:
        _scenario(args)  # an unknown id is one clear line, before the screen takes over
        return _run_tui(args, args.scenario_id)
    from simulator.plain import PlainIO, run_plain, stdin_reader
    from simulator.practice import Practice, ResumeError

    scenario = _scenario(args)
    stance = _parse_stance(args.stance)
    from simulator.core.engine import EngineError, normalise_stance

    try:
        normalise_stance(scenario, stance)
    except EngineError as exc:
        raise CliError(f"--stance: {exc}") from None
    with _open_store(args) as store:
        pack = None
        if getattr(args, "assignment", None):
            pack = _open_assignment(args, store, _library(args), scenario.id)
        coder = None
        if args.free_text:
            from simulator.core.coder import default_coder

            coder = default_coder(scenario.rubric)
        trainee = store.get_or_create_trainee(_trainee_name(args))
        unfinished = store.unfinished_sessions(trainee.id, scenario.id)
        if pack is not None:  # under a pack, only its own sessions are continued
            unfinished = [r for r in unfinished if r.assignment_id == pack.id]
        if args.resume:
            if not unfinished:
                raise CliError(
                    f"{trainee.pseudonym} has no unfinished session of '{scenario.id}'; "
                    "start one without --resume"
                )
            try:
                practice = Practice.resume(store, trainee, unfinished[0], scenario, coder)
            except ResumeError as exc:
                raise CliError(str(exc)) from None
        else:
            if unfinished:
                print(
                    f"Note: you have an unfinished session of '{scenario.id}'; "
                    "add --resume to continue it. Starting a new one.",
                    file=sys.stderr,
                )
            practice = Practice.begin(
                store, trainee, scenario, args.mode or "coach", pack and pack.id, coder
            )
        io = PlainIO(stdin_reader(sys.stdin), sys.stdout)
        if pack is not None:
            from simulator.assignment_play import opening_line
            from simulator.store.assignments import progress

            print(clean(opening_line(progress(store, pack, trainee.id))))
        code = run_plain(practice, io, json_out=args.json, stance=stance, free_text=args.free_text)
        if pack is not None:
            from simulator.assignment_play import progress_line
            from simulator.store.assignments import progress

            # With --json, standard output ends with the JSON line; the progress goes aside.
            line = clean(progress_line(progress(store, pack, trainee.id)))
            print(line, file=sys.stderr if args.json else sys.stdout)
        return code


def cmd_code(args: argparse.Namespace) -> int:
    """Code one response, JSON Lines from stdin, or evaluate against a labelled file."""
    from simulator.core.coder import load_coder
    from simulator.core.coder_io import code_lines, describe, json_line
    from simulator.core.library import load_rubric

    rubric = load_rubric()
    coder = load_coder(rubric, Path(args.lexicon)) if args.lexicon else load_coder(rubric)
    if args.eval:
        from simulator.core.coder_eval import GoldError, evaluate, load_gold

        path = Path(args.eval)
        if not path.is_file():
            raise CliError(f"--eval {path}: no such file")
        try:
            report = evaluate(coder, load_gold(path, _known_labels(rubric)), str(path))
        except GoldError as exc:
            raise CliError(str(exc)) from None
        if args.json:
            doc = report.to_json()
            if args.errors:
                doc["mistakes"] = report.mistakes
            print(json_line(doc))
        else:
            for line in report.lines():
                print(clean(line))
            if args.errors:
                print()
                for m in report.mistakes:
                    print(
                        clean(
                            f'{m["id"]} (line {m["line"]}): "{m["text"]}" missing '
                            f"{m['missing'] or '-'}, extra {m['extra'] or '-'}, primary "
                            f"{m['primary'][0]} read as {m['primary'][1]}"
                        )
                    )
        return 0
    if args.text is not None:
        coded = coder.code(args.text, args.context)
        if args.json:
            print(json_line(coded.to_json()))
        else:
            print("\n".join(describe(coded, coder)))
        return 0
    if args.context is not None:
        raise CliError("--context goes with a single response; in JSON Lines put it in each line")
    if sys.stdin.isatty():
        print("Reading JSON Lines from standard input (Ctrl-D to end)...", file=sys.stderr)
    failed = 0
    for ok, obj in code_lines(sys.stdin, coder):
        failed += not ok
        print(json_line(obj), flush=not ok)
    return 1 if failed else 0


def _known_labels(rubric: Any) -> set[str]:
    labels = {c for c in rubric.model.codes if c != "cfi_question"}
    return labels | {f"cfi:{i}" for i in rubric.model.cfi.intents}


def cmd_db(args: argparse.Namespace) -> int:
    from simulator.store import Store
    from simulator.store.sqlite_safety import journal_choice

    data_dir = _data_dir(args)
    if args.db_command == "restore":
        backup = Path(args.backup)
        if not backup.is_file():
            raise CliError(f"no backup file at {backup}")
        with Store.restore_from(data_dir, backup) as store:
            print(f"Restored {store.db_file} from {backup}.")
        return 0
    with Store.open(data_dir) as store:
        if args.db_command == "backup":
            dest = store.backup(Path(args.to) if args.to else None)
            print(f"Backup written to {dest}")
            return 0
        report = store.check()
        print(f"Integrity: {report.quick_check}")
        print(f"Storage: {journal_choice().describe()}.")
        for repair in report.repairs:
            print(f"Repaired: {repair}")
        if not report.repairs:
            print("Nothing needed repairing.")
        return 0 if report.integrity_ok else 1


def cmd_schema(args: argparse.Namespace) -> int:
    from simulator.core.schema import rubric_schema, scenario_schema

    print(json.dumps(rubric_schema() if args.rubric else scenario_schema(), indent=2))
    return 0


def cmd_home(args: argparse.Namespace) -> int:
    """No command: the full-screen app on the library (`--plain` for a numbered menu)."""
    if not getattr(args, "plain", False):
        return _run_tui(args)
    from simulator.plain import PlainIO, run_plain, stdin_reader
    from simulator.practice import Practice

    library = _library(args)
    scenarios = library.scenarios
    print("Scenario library")
    for i, s in enumerate(scenarios, 1):
        print(clean(f"  {i}. {s.model.title} ({s.model.client.name}, {s.model.difficulty})"))
    for res in library.invalid:
        print(clean(f"  (not playable: {res.display}, run intake-sim validate on it)"))
    print(f"Choose a scenario 1-{len(scenarios)} (or q to quit):")
    read = stdin_reader(sys.stdin)
    while True:
        entry = read()
        if entry is None or entry.strip().lower() in ("q", "quit"):
            return 0
        if entry.strip().isdigit() and 1 <= int(entry) <= len(scenarios):
            break
        print(f"Type a number from 1 to {len(scenarios)}, or q.")
    with _open_store(args) as store:
        trainee = store.get_or_create_trainee(_trainee_name(args))
        practice = Practice.begin(store, trainee, scenarios[int(entry) - 1])
        return run_plain(practice, PlainIO(read, sys.stdout))


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    "list": cmd_list,
    "validate": cmd_validate,
    "graph": cmd_graph,
    "play": cmd_play,
    "code": cmd_code,
    "db": cmd_db,
    "schema": cmd_schema,
    None: cmd_home,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from simulator.store import StoreError

    try:
        return COMMANDS[args.command](args)
    except CliError as exc:
        print(f"intake-sim: {clean(str(exc))}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"intake-sim: {clean(str(exc))}", file=sys.stderr)
        return 1
    except LoadError as exc:
        for d in exc.diagnostics:
            print(clean(d.format()), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nintake-sim: stopped; every answer given so far is saved.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
