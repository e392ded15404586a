"""The cohort report as plain text for the terminal (what `intake-sim report` prints by default).

Every line passes through `clean` where it is printed; this module only lays text out.
"""

from __future__ import annotations

from simulator.reports.cohort import CohortReport, TraineeResult

BAR = 20


def _bar(share: float) -> str:
    filled = round(BAR * share)
    return "#" * filled + "." * (BAR - filled)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def report_lines(report: CohortReport) -> list[str]:
    """The whole report: what `intake-sim report` prints."""
    lines = head_lines(report)
    if report.empty:
        return lines
    for section in (
        completion_lines,
        dimension_lines,
        dyad_lines,
        misstep_lines,
        decision_lines,
        trainee_lines,
    ):
        lines += ["", *section(report)]
    return lines


def head_lines(report: CohortReport) -> list[str]:
    a = report.assignment
    titles = report.scenario_titles
    dims = report.dimension_titles
    due = f", due {a['due']}" if a.get("due") else ""
    lines = [
        f"Cohort report: {a['title']}",
        f"Assignment {a['id']}, cohort {a['cohort']}, {a['mode']} mode{due}; generated {report.generated_at}",
        "Scenarios: " + ("; ".join(f"{titles.get(s, s)} ({s})" for s in a["scenarios"]) or "none"),
        "Pass thresholds: "
        + ("; ".join(f"{dims.get(d, d)} >= {t}" for d, t in a["thresholds"].items()) or "none"),
    ]
    v = report.verdict_counts()
    sc = report.status_counts
    lines.append(
        f"Trainees: {len(report.trainees)} ({v['passed']} passed, {v['failed']} failed, "
        f"{v['incomplete']} incomplete). Sessions: {report.sessions} ({sc['completed']} completed, "
        f"{sc['active']} in progress, {sc['abandoned']} abandoned)."
    )
    if report.empty:
        lines += [
            "",
            "No sessions have been recorded for this assignment yet. Trainees open the pack with",
            "`intake-sim --assignment PACK`; import their bundles with `intake-sim import`.",
        ]
        return lines
    return [
        *lines,
        "The latest completed session of each trainee and scenario is the one that counts; the",
        "choice counts include every answer in sessions not abandoned.",
    ]


def completion_lines(report: CohortReport) -> list[str]:
    a = report.assignment
    dims = report.dimension_titles
    lines = ["COMPLETION AND VERDICTS"]
    width = max(len(t.pseudonym) for t in report.trainees)
    for t in report.trainees:
        done = f"{t.completed}/{len(a['scenarios'])} completed"
        failing = "; ".join(
            f"{sid}: below on {', '.join(dims.get(d, d) for d in ds)}"
            for sid, ds in t.failing.items()
        )
        todo = [sid for sid, state in t.progress.items() if state != "completed"]
        extra = f"; not completed: {', '.join(todo)}" if todo else ""
        lines.append(
            f"  {t.pseudonym:<{width}}  {t.verdict:<10}  {done}{extra}{'; ' + failing if failing else ''}"
        )
    return lines


def dimension_lines(report: CohortReport) -> list[str]:
    lines = ["HUMILITY DIMENSIONS (counted sessions)"]
    for d in report.dimensions:
        if not d.n:
            lines.append(f"  {d.title:<24} no completed sessions")
            continue
        q = d.quartiles or (0, 0)
        thr = (
            f"threshold {d.threshold}: {d.below} below"
            if d.threshold is not None
            else "no threshold"
        )
        lines.append(
            f"  {d.title:<24} n={d.n:<5} mean {_num(d.mean):>5}  median {_num(d.median):>5}  "
            f"middle half {_num(q[0])}-{_num(q[1])}  range {d.low}-{d.high}  {thr}"
        )
        lines.append("  " + " " * 24 + " bands 0-9..90-100: " + " ".join(str(n) for n in d.bins))
    return lines


def dyad_lines(report: CohortReport) -> list[str]:
    dims = report.dimension_titles
    lines = ["CONCORDANT AND DISCORDANT DYADS (mean per dimension)"]
    for g in report.dyads:
        means = ", ".join(f"{dims[d]} {_num(g.means[d])}" for d in dims)
        lines.append(
            f"  {g.dyad:<15} {_n(g.sessions, 'session')} ({g.passed} passed), "
            f"{_n(g.trainees, 'trainee')}" + (f": {means}" if g.sessions else "")
        )
    return lines


def misstep_lines(report: CohortReport) -> list[str]:
    lines = ["MOST COMMON MISSTEPS"]
    if not report.missteps:
        lines.append("  none chosen")
    for i, m in enumerate(report.missteps, 1):
        lines.append(
            f"  {i}. {m.scenario_id} / {m.node_id}: {m.option_id} ({', '.join(m.kinds)}) chosen "
            f'{m.count} of {m.answers} ({100 * m.share:.0f}%): "{m.say}"'
        )
        if m.feedback:
            lines.append(f"     why: {m.feedback}")
    return lines


def decision_lines(report: CohortReport) -> list[str]:
    lines = ["CHOICES AT EACH DECISION"]
    for s in report.scenarios:
        lines.append(
            f"  {s.title} ({s.id}): {_n(s.sessions, 'session')}, {s.completed} completed"
            + ("" if s.in_library else " (not in the library: ids only)")
        )
        for dec in s.decisions:
            lines.append(f"    {dec.node_id} ({_n(dec.answers, 'answer')})")
            for o in dec.options:
                flags = []
                if o.best:
                    flags.append("most humble")
                if o.negative:
                    flags.append("negative")
                if o.assumption:
                    flags.append("assumption")
                tag = f" [{', '.join(flags)}]" if flags else ""
                lines.append(
                    f"      {o.id:<14} {_bar(o.share)} {o.count:>6} {100 * o.share:>4.0f}%{tag}"
                )
        if not s.decisions:
            lines.append("    no answers yet")
    return lines


def trainee_lines(report: CohortReport) -> list[str]:
    lines = ["TRAINEES ONE BY ONE"]
    for t in report.trainees:
        lines += sessions_of(report, t)
    return lines


def sessions_of(report: CohortReport, t: TraineeResult) -> list[str]:
    """One trainee's drill-down: every session, its scores, verdict and path."""
    dims = report.dimension_titles
    lines = [f"  {t.pseudonym}: {t.verdict}"]
    for sess in t.sessions:
        hum = (
            " ".join(f"{d[:3]}={sess.humility.get(d, '-')}" for d in dims) if sess.humility else ""
        )
        verdict = (
            ""
            if sess.passed is None
            else (
                "pass"
                if sess.passed
                else f"below on {', '.join(dims.get(d, d) for d in sess.failing)}"
            )
        )
        mark = " (counted)" if sess.counted else ""
        path = " > ".join(sess.path) if sess.path else f"{sess.decisions} answered"
        lines.append(
            f"    {sess.scenario_id}{mark}: {sess.status}, {sess.dyad}, started "
            f"{sess.started_at[:16].replace('T', ' ')}"
            + (f"; {hum}; overall {sess.overall}; {verdict}" if sess.humility else "")
        )
        ended = sess.ending_id and (not sess.path or sess.path[-1] != sess.ending_id)
        lines.append(f"      path: {path}" + (f" => {sess.ending_id}" if ended else ""))
        for step, node, text in sess.typed or []:
            lines.append(f"      typed at {step + 1} ({node}): {text}")
    return lines
