"""The free-text coder: codes and spans, the lexicon file, `intake-sim code`, free-text play,
replay of typed sessions, text safety, and the evaluation floors."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.core.coder import (
    CODER_CODES,
    Coder,
    check_lexicon,
    load_coder,
    response_primary,
)
from simulator.core.coder_eval import cohen_kappa, evaluate, load_gold
from simulator.core.coder_io import code_lines, json_line
from simulator.core.coder_play import (
    TypedOption,
    choose_typed,
    miti_summary,
    rank_options,
    replay_stored,
)
from simulator.core.compiled import CompiledRubric, CompiledScenario
from simulator.core.diagnostics import LoadError
from simulator.core.engine import start
from simulator.core.scoring import summarize
from simulator.plain import PlainIO, run_plain
from simulator.practice import Practice, load_attempt
from simulator.store import Store
from tests.conftest import DATA, ROOT

TUNE = DATA / "coded_responses.jsonl"
HELDOUT = DATA / "coded_responses_heldout.jsonl"
# The held-out split was written before any rule and frozen; it is never tuned on.
HELDOUT_SHA256 = "ab249f21356f28b7a4ea8b856342982e6a3007817d80b727e0b11f8d466891e1"
# Floors a little under the figures reached (docs/coder.md has the figures).
TUNE_MACRO_F1_FLOOR = 0.95  # reached 0.970
HELDOUT_MACRO_F1_FLOOR = 0.86  # reached 0.883
HELDOUT_TARGET_FLOORS = {  # reached 1.000, 0.986, 0.800, 0.911
    "question_f1": 0.97,
    "open_closed_macro_f1": 0.95,
    "reflection_f1": 0.77,
    "primary_macro_f1": 0.88,
}
HELDOUT_KAPPA_FLOOR = 0.86  # reached 0.896


@pytest.fixture(scope="module")
def coder(rubric: CompiledRubric) -> Coder:
    return load_coder(rubric)


# ---------------------------------------------------------------- codes and spans

# (code, response, client's last line, the words that must trigger it)
POSITIVE = [
    ("question_open", "What has this month been like for you?", None, "What"),
    ("question_open", "tell me about the last time it happened", None, "tell me"),
    ("question_closed", "Did you sleep last night?", None, "Did you"),
    ("question_closed", "are you still working at the bakery", None, "are you"),
    ("reflection_simple", "You haven't slept in days.", "I haven't slept in days.", "You"),
    (
        "reflection_complex",
        "It sounds like part of you wants to stay and part of you wants to run.",
        None,
        "It sounds like",
    ),
    ("reflection_complex", "You're carrying the whole family on your back?", None, "You're"),
    ("affirm", "It took real courage to say that out loud.", None, "took real courage"),
    (
        "seek_collaboration",
        "Would it be okay if we looked at this together?",
        None,
        "Would it be okay if",
    ),
    (
        "emphasize_autonomy",
        "Whatever you decide about the move is your call.",
        None,
        "Whatever you decide",
    ),
    (
        "give_information",
        "The waiting list is about four weeks at the moment.",
        None,
        "The waiting list",
    ),
    (
        "persuade_with_permission",
        "If you'd like, one thing you could try is a short walk before bed.",
        None,
        "one thing you could try is",
    ),
    ("persuade", "You should tell your manager tomorrow.", None, "You should"),
    ("confront", "Come on, that's just an excuse.", None, "Come on"),
    (
        "broach_relationship",
        "I'm an Ashkenazi man and you're a Mizrahi woman; how does that sit with you?",
        None,
        "I'm an Ashkenazi man",
    ),
    (
        "broach_context",
        "Some people I work with say racism at the clinic made it harder to come back.",
        None,
        "racism",
    ),
    (
        "acknowledge_power",
        "I know I'm the one who writes the report, and that gives me power here.",
        None,
        "I'm the one who",
    ),
    (
        "admit_limits",
        "I don't know much about Bedouin weddings, so correct me.",
        None,
        "I don't know much",
    ),
    (
        "assumption",
        "People from your community usually keep this kind of thing quiet.",
        None,
        "People from your",
    ),
    (
        "premature_advice",
        "I'll refer you to the psychiatrist for something to help you sleep.",
        None,
        "refer",
    ),
    ("minimize", "Don't worry, it's probably nothing.", None, "Don't worry"),
    ("blame_resistance", "You're being very defensive with me.", None, "defensive"),
    (
        "miss_opportunity",
        "How many hours do you work?",
        "At church they say my depression is a lack of faith.",
        "How many",
    ),
]

# (code that must not be found, response, client's last line)
NEGATIVE = [
    ("question_open", "How many times has it happened?", None),
    ("question_closed", "What was that like?", None),
    ("question_closed", "So you're worried about your son?", None),  # a reflection with '?'
    ("question_open", "Have you thought about seeing a psychiatrist?", None),  # advice as question
    ("reflection_simple", "Do you have a doctor you trust?", None),
    ("reflection_complex", "You should talk to your doctor.", None),
    ("affirm", "You speak Hebrew so well for an Ethiopian.", None),  # assumption in a compliment
    ("seek_collaboration", "I want you to fill in this form.", None),
    ("emphasize_autonomy", "You have to stop drinking.", None),
    ("give_information", "Is the clinic open on Fridays?", None),
    ("persuade_with_permission", "You need to take the pills.", None),
    ("persuade", "I'm not going to tell you what you should do.", None),  # negation
    ("persuade", "What do your parents think you should do?", None),
    ("confront", "I don't think you're being dramatic at all.", None),
    (
        "broach_relationship",
        "We're from the same background, so I know exactly what you mean.",
        None,
    ),
    ("broach_context", "How has your week been?", None),
    ("acknowledge_power", "What happened after that?", None),
    ("admit_limits", "I know exactly how that feels.", None),
    ("assumption", "What do people in your community say about therapy?", None),
    ("premature_advice", "I won't push you to take medication.", None),  # negation
    ("minimize", "That sounds really frightening.", None),
    ("blame_resistance", "Take all the time you need.", None),
    ("miss_opportunity", "How many hours do you work?", "I work too much."),
    (
        "miss_opportunity",
        "What does your pastor mean by that?",
        "At church they say my depression is a lack of faith.",
    ),
]

CFI = [
    ("problem_own_words", "How would you describe what's been happening, in your own words?"),
    ("problem_others_view", "How would your brothers describe the problem?"),
    ("problem_most_troubling", "What worries you the most about it?"),
    ("cause_own", "Why do you think this started now?"),
    ("cause_others", "What does your husband think is causing it?"),
    ("supports", "Who helps you when it gets hard?"),
    ("stressors", "What makes it worse?"),
    ("identity_important", "What parts of your background matter most to you?"),
    ("identity_problem", "Does your faith play a part in how you see this?"),
    ("identity_concerns", "Have you been treated differently because of your accent?"),
    ("self_coping", "What have you tried so far to cope?"),
    ("past_help", "Have you seen anyone about this before?"),
    ("barriers", "What has got in the way of getting help?"),
    ("help_preferences", "What kind of help would be most useful now?"),
    ("help_others_suggest", "What has your family suggested you do?"),
    ("relationship", "How is it for you, talking about this with someone like me?"),
]


def test_the_tables_cover_every_code_and_intent(rubric: CompiledRubric) -> None:
    assert {c for c, *_ in POSITIVE} == set(CODER_CODES)
    assert {c for c, *_ in NEGATIVE} == set(CODER_CODES)
    assert {i for i, _ in CFI} == set(rubric.model.cfi.intents)


@pytest.mark.parametrize(("code", "text", "context", "words"), POSITIVE)
def test_positive(coder: Coder, code: str, text: str, context: str | None, words: str) -> None:
    coded = coder.code(text, context)
    hits = [h for h in coded.hits if h.code == code]
    assert hits, f"{code} not found in {coded.codes}"
    hit = hits[0]
    assert hit.match == words
    assert text[hit.start : hit.end] == words  # offsets point into the text as given


@pytest.mark.parametrize(("code", "text", "context"), NEGATIVE)
def test_negative(coder: Coder, code: str, text: str, context: str | None) -> None:
    assert code not in coder.code(text, context).codes


@pytest.mark.parametrize(("intent", "text"), CFI)
def test_cfi_intent(coder: Coder, intent: str, text: str) -> None:
    codes = coder.code(text).codes
    assert f"cfi:{intent}" in codes
    assert "question_open" in codes or "question_closed" in codes
    # ... and no other intent's question is read as this one.
    for other, other_text in CFI:
        if other != intent:
            assert f"cfi:{intent}" not in coder.code(other_text).codes, other_text


def test_cfi_needs_a_question(coder: Coder) -> None:
    assert not [c for c in coder.code("Your son is what worries you most.").codes if "cfi" in c]


def test_hard_cases(coder: Coder) -> None:
    # A question without a question mark, and a reflection that ends in one.
    assert coder.code("how do you usually get through the week").primary == "question"
    assert coder.code("You're worried they'll find out?").codes == ("reflection_simple",)
    # Advice phrased as a question is advice, not a question.
    advice = coder.code("Why don't you just tell him?")
    assert advice.codes == ("persuade",) and advice.primary == "information"
    # An assumption inside a compliment is an assumption, not an affirmation.
    assert coder.code("You're so articulate.").codes == ("assumption",)
    # A hedged reflection, and a tell-me-more request.
    assert coder.code("I wonder if you're feeling let down.").primary == "reflection"
    assert coder.code("Say more about that.").codes == ("question_open",)


def test_multi_utterance_response(coder: Coder) -> None:
    text = "Thank you for telling me. It sounds like nobody listened. What would help now?"
    coded = coder.code(text, "Nobody at the clinic listened to me.")
    assert [u.text for u in coded.utterances] == [
        "Thank you for telling me.",
        "It sounds like nobody listened.",
        "What would help now?",
    ]
    assert [u.primary for u in coded.utterances] == ["other", "reflection", "question"]
    assert coded.codes[:2] == ("affirm", "reflection_simple")
    assert "cfi:help_preferences" in coded.codes
    assert coded.primary == "question"  # reflection and question tie; the later one wins
    for u in coded.utterances:
        assert text[u.start : u.end] == u.text


def test_a_question_clause_after_a_comma_is_its_own_utterance(coder: Coder) -> None:
    coded = coder.code("It sounds like a hard year, what kept you going?")
    assert [u.primary for u in coded.utterances] == ["reflection", "question"]
    tag = coder.code("You've been carrying this alone, is that right?")
    assert len(tag.utterances) == 1 and tag.primary == "reflection"


def test_spans_survive_curly_quotes_and_odd_spacing(coder: Coder) -> None:
    text = "  You\u2019re not sure you belong here\u2026  Tell me\u00a0more."
    coded = coder.code(text, "I\u2019m not sure I belong here.")
    for hit in coded.hits:
        assert text[hit.start : hit.end] == hit.match
    assert coded.utterances[0].start == 2
    assert "question_open" in coded.codes


def test_primary_rules() -> None:
    assert response_primary([]) == "other"
    assert response_primary(["other", "information"]) == "information"
    assert response_primary(["reflection", "question", "reflection"]) == "reflection"
    assert response_primary(["question", "reflection"]) == "reflection"


def test_deterministic_and_versioned(coder: Coder) -> None:
    text = "So you feel caught between them. What would help?"
    a = coder.code(text, "My parents and my wife fight all the time.").to_json()
    b = coder.code(text, "My parents and my wife fight all the time.").to_json()
    assert a == b and a["coder_version"] == coder.version == f"1/{coder.lexicon.coder.version}"


def test_long_and_empty_text(coder: Coder) -> None:
    assert coder.code("").utterances == () and coder.code("").primary == "other"
    assert coder.code("...!?").utterances == ()
    huge = coder.code("Tell me more. " * 2000)
    assert huge.truncated and len(huge.utterances) < 2000


# ---------------------------------------------------------------- the lexicon file


def _broken_copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = (ROOT / "rubrics" / "coder.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "coder.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_lexicon_entries_are_located_diagnostics(
    tmp_path: Path, rubric: CompiledRubric
) -> None:
    path = _broken_copy(
        tmp_path,
        ("      - 'impressive|i admire|respect how'", "      - 'impressive|(i admire'"),
        ("  problem_own_words:\n", "  problem_own_wordz:\n"),
        ("'{you}|{your}|{youre}", "'{you}|{yuor}|{youre}"),
        ("  affirm:\n    statements_only: true", "  praise:\n    statements_only: true"),
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    with pytest.raises(LoadError) as err:
        load_coder(rubric, path)
    diags = {d.code + " " + d.message.split(":")[0]: d for d in err.value.diagnostics}
    bad = next(d for d in err.value.diagnostics if "does not compile" in d.message)
    assert bad.code == "IS105" and "(i admire" in lines[bad.line - 1]
    unknown = next(d for d in err.value.diagnostics if "yuor" in d.message)
    assert "{yuor}" in lines[unknown.line - 1]
    assert any(d.code == "IS210" and "problem_own_wordz" in d.message for d in diags.values())
    assert any(d.code == "IS203" and "'praise'" in d.message for d in diags.values())
    assert any("problem_own_words" in d.message for d in err.value.diagnostics)  # no cues left
    # check_lexicon reports the same, without raising.
    assert len(check_lexicon(path, rubric)) == len(err.value.diagnostics)


def test_structural_codes_cannot_get_a_cue_list(tmp_path: Path, rubric: CompiledRubric) -> None:
    path = _broken_copy(
        tmp_path, ("  affirm:\n    statements_only: true", "  persuade:\n    statements_only: true")
    )
    diags = check_lexicon(path, rubric)
    assert any("decided by the coder's own rules" in d.message for d in diags)


def test_lexicon_yaml_goes_through_the_safe_loader(tmp_path: Path, rubric: CompiledRubric) -> None:
    path = tmp_path / "coder.yaml"
    path.write_text("coder: !!python/object/apply:os.system ['true']\nlexicons: {}\n")
    diags = check_lexicon(path, rubric)
    assert diags and diags[0].code == "IS005"


def test_validate_command_checks_the_lexicon(tmp_path: Path) -> None:
    ok = _cli("validate", "rubrics/coder.yaml")
    assert ok.returncode == 0 and "0 error(s)" in ok.stdout
    broken = _broken_copy(
        tmp_path, ("      - 'impressive|i admire|respect how'", "      - '(unclosed'")
    )
    bad = _cli("validate", str(broken))
    assert bad.returncode == 1 and f"{broken}:" in bad.stdout and "IS105" in bad.stdout


# ---------------------------------------------------------------- intake-sim code


def _cli(
    *args: str, stdin: str = "", data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    if data_dir is not None:
        env["INTAKE_SIM_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_code_one_response_as_text_and_json() -> None:
    text = "It sounds like you're exhausted. What keeps you up?"
    plain = _cli("code", text, "--context", "I'm so tired all the time.")
    assert plain.returncode == 0, plain.stderr
    assert "Read as: simple reflection + open question" in plain.stdout
    assert '"It sounds like"' in plain.stdout and "Primary behaviour: question" in plain.stdout
    js = _cli("code", text, "--context", "I'm so tired all the time.", "--json")
    doc = json.loads(js.stdout)
    assert doc["primary"] == "question" and doc["context"] == "I'm so tired all the time."
    for hit in doc["codes"]:
        assert text[hit["start"] : hit["end"]] == hit["match"]
    assert [u["primary"] for u in doc["utterances"]] == ["reflection", "question"]


def test_code_json_lines_with_a_bad_line() -> None:
    lines = [
        json.dumps({"text": "Tell me more.", "id": "a"}),
        "{not json",
        "",
        json.dumps({"text": 42}),
        json.dumps(["a list"]),
        json.dumps({"text": "You said nobody listens.", "context": "Nobody listens."}),
    ]
    r = _cli("code", stdin="\n".join(lines) + "\n")
    assert r.returncode == 1  # some lines could not be coded; the rest were
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 4, 5, 6]
    assert out[0]["id"] == "a" and out[0]["codes"][0]["code"] == "question_open"
    assert "not valid JSON" in out[1]["error"] and set(out[1]) == {"line", "error"}
    assert "must be a string" in out[2]["error"] and "JSON object" in out[3]["error"]
    assert out[4]["primary"] == "reflection"
    good = _cli("code", stdin=lines[0] + "\n")
    assert good.returncode == 0 and good.stderr == ""


def test_code_lines_function(coder: Coder) -> None:
    results = list(code_lines(['{"text": "Is that right?"}', "nope"], coder))
    assert results[0][0] is True and results[0][1]["codes"][0]["code"] == "question_closed"
    assert results[1] == (False, {"line": 2, "error": results[1][1]["error"]})


def test_code_eval_prints_the_figures() -> None:
    r = _cli("code", "--eval", str(TUNE))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "question_open" in out and "prec" in out and "recall" in out
    assert "macro F1 over" in out and "Cohen's kappa" in out
    assert "target: question detection F1" in out
    js = json.loads(_cli("code", "--eval", str(TUNE), "--json").stdout)
    assert js["responses"] >= 300 and 0 < js["macro_f1"] <= 1
    assert set(js["targets"]) == {
        "question_f1",
        "open_closed_macro_f1",
        "reflection_f1",
        "primary_macro_f1",
    }
    assert js["primary"]["kappa"] > 0.5


def test_code_eval_rejects_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(
            {"text": "Hi.", "utterances": [{"text": "Bye.", "codes": [], "primary": "other"}]}
        )
        + "\n"
    )
    r = _cli("code", "--eval", str(bad))
    assert r.returncode == 1 and f"{bad}:1:" in r.stderr and "Traceback" not in r.stderr
    assert _cli("code", "--eval", str(tmp_path / "none.jsonl")).returncode == 1


def test_json_output_is_inert_on_a_terminal() -> None:
    line = json_line({"t": "a\x1b[2Jb\u202ec\x9bd"})
    assert "\x1b" not in line and "\u202e" not in line and "\x9b" not in line
    assert json.loads(line) == {"t": "a\x1b[2Jb\u202ec\x9bd"}


def test_code_text_output_is_cleaned() -> None:
    r = _cli("code", "[bold red]Tell me[/] more \x1b]0;title\x07 please")
    assert r.returncode == 0 and "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "[bold red]Tell me[/] more" in r.stdout


# ---------------------------------------------------------------- evaluation data and floors


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_heldout_split_is_frozen_and_big_enough() -> None:
    assert hashlib.sha256(HELDOUT.read_bytes()).hexdigest() == HELDOUT_SHA256
    tune, held = _records(TUNE), _records(HELDOUT)
    assert len(tune) + len(held) >= 400
    assert len(held) / (len(tune) + len(held)) >= 0.25


def test_the_labelled_data_covers_every_code(rubric: CompiledRubric) -> None:
    wanted = set(CODER_CODES) | {f"cfi:{i}" for i in rubric.model.cfi.intents}
    for path in (TUNE, HELDOUT):
        found = {c for r in _records(path) for u in r["utterances"] for c in u["codes"]}  # type: ignore[attr-defined]
        assert found == wanted, path.name
    known = {c for c in rubric.model.codes if c != "cfi_question"}
    known |= {f"cfi:{i}" for i in rubric.model.cfi.intents}
    load_gold(TUNE, known)
    load_gold(HELDOUT, known)


def test_tuning_figures_stay_above_the_floor(coder: Coder) -> None:
    report = evaluate(coder, load_gold(TUNE), str(TUNE))
    assert report.macro_f1 >= TUNE_MACRO_F1_FLOOR
    for value in report.targets.values():
        assert value >= 0.90


def test_heldout_figures_stay_above_the_floor(coder: Coder) -> None:
    report = evaluate(coder, load_gold(HELDOUT), str(HELDOUT))
    assert report.macro_f1 >= HELDOUT_MACRO_F1_FLOOR
    for key, floor in HELDOUT_TARGET_FLOORS.items():
        assert report.targets[key] >= floor, key
    assert report.primary_kappa >= HELDOUT_KAPPA_FLOOR


def test_cohen_kappa() -> None:
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == 1.0
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == 0.0
    assert round(cohen_kappa(["a", "a", "a", "b"], ["a", "a", "b", "b"]), 3) == 0.5


# ---------------------------------------------------------------- free-text play


def test_typed_turn_scores_its_own_codes_and_branches_like_the_option(
    minimal: CompiledScenario, coder: Coder
) -> None:
    session = start(minimal)
    coded = coder.code("How many hours a night do you sleep?", session.client_line())
    mapping = rank_options(coder, coded, session.options(), minimal)
    assert mapping.best.option.id == "closed" and mapping.confident
    typed, _ = choose_typed(session, "first.closed", coded)
    turn = typed.turns[0]
    assert isinstance(turn.option, TypedOption) and turn.option.mapped.id == "closed"
    # The node is an opportunity; a closed question does not engage it, so the engine adds the
    # missed opportunity itself, as it would for the authored option.
    assert turn.option.labels == ("question_closed", "miss_opportunity")
    assert turn.opportunity == "missed" and typed.path == ("first", "second")
    # Typed codes that engage the opportunity change the outcome, with the same branching.
    engaged = coder.code("It's hard to know where to begin; what matters most to you about it?")
    typed2, _ = choose_typed(session, "first.closed", engaged)
    assert typed2.turns[0].opportunity == "engaged" and typed2.path == ("first", "second")


def test_low_confidence_asks_between_the_closest_two(
    minimal: CompiledScenario, coder: Coder
) -> None:
    session = start(minimal)
    coded = coder.code("Hello there.", session.client_line())
    mapping = rank_options(coder, coded, session.options(), minimal)
    assert not mapping.confident and len(mapping.closest_two) == 2


def _play(
    store: Store, scenario: CompiledScenario, coder: Coder, entries: list[str]
) -> tuple[Practice, str]:
    trainee = store.get_or_create_trainee("typist")
    practice = Practice.begin(store, trainee, scenario, coder=coder)
    feed = iter(entries)
    out = io.StringIO()
    run_plain(practice, PlainIO(lambda: next(feed, None), out), json_out=True, free_text=True)
    return practice, out.getvalue()


TYPED_PATH = [
    "Hello there.",  # too far from every option: the trainee picks between the closest two
    "1",
    "I notice we come from different places, and I might get things wrong. "
    "How is it for you to talk with me? tone=warm",
    "What would help you most right now? We can decide together.",
]


def test_plain_free_text_play_through(
    tmp_path: Path, minimal: CompiledScenario, coder: Coder
) -> None:
    with Store.open(tmp_path) as store:
        practice, out = _play(store, minimal, coder, TYPED_PATH)
        assert practice.session.done
        assert "That sits between two of the written responses:" in out
        assert "Counted as response 1 (your choice)" in out
        assert "Read as: broaching difference between us + admitting the limits" in out
        assert "Counted as response 1 (the closest match)" in out
        assert "Your stance: " in out and "Warm and soft" in out
        assert "Your typed responses, MITI-style (3 typed" in out
        assert "Reflection to question:" in out and "MI-adherent:" in out
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["miti"]["typed_responses"] == 3
        assert summary["miti"]["reflection_to_question"]["good"] == 2.0
        assert summary["miti"]["complex_reflections"]["fair"] == 0.4
        assert summary["miti"]["mi_adherent"]["seek_collaboration"] == 1
        rows = store.choices(practice.row.id)
        assert [r.free_text for r in rows] == [
            "Hello there.",
            TYPED_PATH[2].removesuffix(" tone=warm"),
            TYPED_PATH[3],
        ]
        assert rows[1].stance["tone"] == "warm"
        assert practice.row.rubric_version.endswith(f"+coder-{coder.version}")
        # The typed codes were scored: broaching credited, not the authored option's codes.
        assert summary["broaching_style"] != "avoidant"
        assert (
            "cfi:relationship" in [c for t in practice.session.turns for c in t.option.labels]
            or summary["cfi_domains"]["current_help"]
        )


def test_replay_of_a_typed_session_from_the_store_is_exact(
    tmp_path: Path, minimal: CompiledScenario, coder: Coder
) -> None:
    with Store.open(tmp_path) as store:
        practice, out = _play(store, minimal, coder, TYPED_PATH)
        stored = store.get_session(practice.row.id)
        assert stored is not None and stored.summary is not None
        session = load_attempt(store, stored, minimal)
        assert session is not None
        replayed = summarize(session).to_json()
        miti = miti_summary(session, coder)
        assert miti is not None
        replayed["miti"] = miti.to_json()
        assert replayed == stored.summary == practice.summary_json()
        assert json.loads(out.strip().splitlines()[-1]) == stored.summary
        # The same from the raw rows, through the pure replay function.
        rows = [
            (f"{r.node_id}.{r.option_id}", r.stance, r.free_text) for r in store.choices(stored.id)
        ]
        assert (
            summarize(replay_stored(minimal, rows, coder)).to_json() == summarize(session).to_json()
        )


def test_resume_and_rewind_keep_typed_turns(
    tmp_path: Path, minimal: CompiledScenario, coder: Coder
) -> None:
    with Store.open(tmp_path) as store:
        practice, _ = _play(store, minimal, coder, TYPED_PATH[:3])  # input ends at decision 3
        assert not practice.session.done and practice.session.step == 2
        before = summarize(practice.session).to_json()
        row = store.unfinished_sessions(practice.trainee.id, minimal.id)[0]
        resumed = Practice.resume(store, practice.trainee, row, minimal)
        assert resumed.coder is not None and resumed.notice is None
        assert summarize(resumed.session).to_json() == before
        assert all(isinstance(t.option, TypedOption) for t in resumed.session.turns)
        resumed.rewind(1)
        assert resumed.session.step == 1 and isinstance(
            resumed.session.turns[0].option, TypedOption
        )
        assert [r.free_text for r in store.choices(row.id)] == ["Hello there."]


def test_typed_payloads_are_stored_and_echoed_inert(
    tmp_path: Path, minimal: CompiledScenario, coder: Coder
) -> None:
    payload = (
        "[bold red]X[/] [TODO] plan [/b] [link=https://example.org]x[/link] "
        "[@click=app.quit]q[/] \x1b]0;title\x07 \x1b[2J \x1b]52;c;aGk=\x07 \x9b \u202eevil "
        "how many hours do you sleep?"
    )
    with Store.open(tmp_path) as store:
        practice, out = _play(store, minimal, coder, [payload, "2"])
        stored = store.choices(practice.row.id)[0].free_text
    assert stored is not None
    for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert bad not in stored and bad not in out
    for markup in (
        "[bold red]X[/]",
        "[TODO] plan",
        "[/b]",
        "[link=https://example.org]x[/link]",
        "[@click=app.quit]q[/]",
    ):
        assert markup in stored and markup in out
    assert f'You said: "{stored}"' in out


def test_free_text_play_from_the_command_line(tmp_path: Path) -> None:
    stdin = "\n".join(TYPED_PATH) + "\n"
    r = _cli(
        "play",
        "minimal",
        "--plain",
        "--free-text",
        "--json",
        "--scenarios",
        str(DATA),
        stdin=stdin,
        data_dir=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "Read as:" in r.stdout and "Counted as response" in r.stdout
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["miti"]["typed_responses"] == 3
    numbers = _cli(
        "play",
        "minimal",
        "--plain",
        "--free-text",
        "--json",
        "--scenarios",
        str(DATA),
        stdin="1\n2\n1\n",
        data_dir=tmp_path / "other",
    )
    assert numbers.returncode == 0 and "miti" not in json.loads(numbers.stdout.splitlines()[-1])
    tui = _cli("play", "minimal", "--free-text", "--scenarios", str(DATA), data_dir=tmp_path)
    assert tui.returncode == 1 and "--plain" in tui.stderr


def test_commands_still_work_in_free_text_mode(
    tmp_path: Path, minimal: CompiledScenario, coder: Coder
) -> None:
    with Store.open(tmp_path) as store:
        practice, out = _play(
            store, minimal, coder, ["help", "stance", "3 tone=warm", "rewind 1", "1", "quit"]
        )
    assert "Free-text mode" in out and "Stance options" in out
    assert "Back at decision 1" in out and practice.session.step == 1


def test_miti_bands(tmp_path: Path, minimal: CompiledScenario, coder: Coder) -> None:
    session = start(minimal)
    texts = [
        "You don't know where to start, and that's okay. It sounds like a lot is tangled up.",
        "So it's fine, and maybe part of you isn't sure this place is for you. What would you want "
        "me to understand?",
    ]
    keys = ["first.open", "second.power"]
    for text, key in zip(texts, keys, strict=True):
        session, _ = choose_typed(session, key, coder.code(text, session.client_line()))
    miti = miti_summary(session, coder)
    assert miti is not None
    assert miti.reflections == 3 and miti.questions == 1 and miti.rq_ratio == 3.0
    assert miti.rq_band == "good"
    assert miti.complex_share is not None and miti.complex_band in ("good", "fair", "below fair")
    assert miti_summary(start(minimal), coder) is None


# ---------------------------------------------------------------- benchmark


def test_coder_benchmark_reports() -> None:
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--only", "coder", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bench = json.loads(proc.stdout)["benchmarks"]["coder"]
    assert bench["ok"] is True, bench["problems"]
    fig = bench["figures"]
    assert fig["utterances"] >= 2_000 and fig["utterances_per_s"] > 0
    assert fig["lookups_per_utterance"] > 0
    assert [g["name"] for g in bench["goals"]] == ["coder.utterances_per_s"]
