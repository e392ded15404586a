"""The untrusted-YAML pipeline: each refusal carries a code, a 1-based place and a reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.core import yamlsafe
from simulator.core.diagnostics import Diagnostic, LoadError
from simulator.core.yamlsafe import YamlDoc, load_yaml, load_yaml_file

CALLS: list[tuple[Any, ...]] = []


def record_call(*args: Any) -> None:
    """Target of a python/object/apply tag: it must never run."""
    CALLS.append(args)


def refused(source: bytes | str, **caps: int) -> list[Diagnostic]:
    with pytest.raises(LoadError) as info:
        load_yaml(source, "case.yaml", **caps)
    diagnostics = info.value.diagnostics
    assert diagnostics, "LoadError without diagnostics"
    assert all(d.file == "case.yaml" for d in diagnostics)
    return diagnostics


def only(source: bytes | str, **caps: int) -> Diagnostic:
    diagnostics = refused(source, **caps)
    assert len(diagnostics) == 1, [d.format() for d in diagnostics]
    return diagnostics[0]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- 1. size cap ---------------------------------------------------------------------------------


def test_size_cap_comes_before_decoding() -> None:
    d = only(b"\xff" * (10 * 1_048_576))  # not UTF-8 either: the size must be reported first
    assert (d.code, d.line, d.col) == ("IS002", 1, 1)
    assert d.message == "file is 10.0 MB; the limit is 1.0 MB"


def test_size_just_over_the_cap_is_given_in_bytes() -> None:
    d = only(b"a" * 1_048_577)
    assert d.code == "IS002"
    assert "1,048,577 bytes" in d.message and "1,048,576 bytes" in d.message


def test_size_cap_counts_utf8_bytes_of_str_input() -> None:
    d = only("é" * 600, max_bytes=1024)  # 600 characters but 1,200 bytes
    assert d.code == "IS002"
    assert d.message == "file is 1.2 KB; the limit is 1.0 KB"


# --- 2. decoding ---------------------------------------------------------------------------------


def test_utf8_bom_is_stripped_from_bytes_and_str() -> None:
    assert load_yaml(b"\xef\xbb\xbfa: 1\n", "f").data == {"a": 1}
    doc = load_yaml("\ufeffa: 1\n", "f")
    assert doc.data == {"a": 1}
    assert doc.value_marks[("a",)] == (1, 4)


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_crlf_and_cr_line_endings(newline: bytes) -> None:
    raw = newline.join([b"a: 1", b"b:", b"  - x", b"  - |", b"    two", b"    lines", b""])
    doc = load_yaml(raw, "f")
    assert doc.data == {"a": 1, "b": ["x", "two\nlines\n"]}
    assert doc.value_marks[("b", 0)] == (3, 5)
    assert doc.key_marks[("b",)] == (2, 1)


def test_invalid_utf8_points_at_the_first_bad_byte() -> None:
    raw = "a: 1\r\nname: café ".encode() + b"\xe9t\xe9\n"  # Latin-1 é after a real é
    d = only(raw)
    assert (d.code, d.line, d.col) == ("IS003", 2, 12)
    assert "not valid UTF-8" in d.message and "0xE9" in d.message


def test_lone_surrogate_in_str_input_is_not_utf8() -> None:
    d = only("a: 1\nb: x\ud800y\n")
    assert (d.code, d.line, d.col) == ("IS003", 2, 5)
    assert "surrogate" in d.message


# --- 3. empty files and several documents --------------------------------------------------------


@pytest.mark.parametrize("source", ["", "\n\n  \n", "# just a comment\n# and another\n", "---\n"])
def test_empty_file(source: str) -> None:
    d = only(source)
    assert (d.code, d.line, d.col) == ("IS011", 1, 1)
    assert "empty" in d.message


def test_second_document_is_refused() -> None:
    d = only("id: one\n---\nid: two\n")
    assert (d.code, d.line, d.col) == ("IS010", 3, 1)
    assert "more than one YAML document" in d.message


def test_document_markers_around_one_document_are_fine() -> None:
    assert load_yaml("---\nid: one\n...\n", "f").data == {"id": "one"}
    assert load_yaml("id: one\n---\n", "f").data == {"id": "one"}


# --- 4. nesting depth ----------------------------------------------------------------------------


def test_deep_flow_nesting_is_refused_before_parsing() -> None:
    d = only("[" * 100_000)  # libyaml would crash composing this, and take a minute scanning it
    assert (d.code, d.line, d.col, d.path) == ("IS007", 1, 65, "")
    assert d.message == "too deeply nested (more than 64 levels)"


def test_deep_block_nesting_on_one_line_is_refused_before_parsing() -> None:
    d = only("- " * 1_000_000 + "x", max_bytes=4_000_000)
    assert (d.code, d.line, d.col, d.path) == ("IS007", 1, 513, "")
    assert "more than 64 levels" in d.message


def test_nesting_bombs_do_not_crash_the_process() -> None:
    script = textwrap.dedent(
        """
        from simulator.core.diagnostics import LoadError
        from simulator.core.yamlsafe import load_yaml
        for text in ("[" * 100_000, "{a: " * 100_000, "- " * 1_000_000 + "x",
                     "- x\\n  'y\\n- " + "[" * 50_000 + "]" * 50_000):
            try:
                load_yaml(text, "bomb.yaml", max_bytes=4_000_000)
            except LoadError as exc:
                print(exc.diagnostics[0].code)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["IS007"] * 4


def test_quote_that_is_really_plain_text_cannot_hide_deep_brackets() -> None:
    # "'y" continues the plain scalar "x 'y"; a naive quote-skipping scan would miss the brackets.
    d = only("- x\n  'y\n- " + "[" * 5000 + "]" * 5000 + "\n")
    assert (d.code, d.line, d.col) == ("IS007", 3, 66)
    assert d.path == ""  # refused before composing (the walk would name a path)


def test_brackets_in_quotes_and_comments_do_not_count() -> None:
    source = 'a: "' + "[" * 100 + "\"\nb: '" + "{" * 100 + "'\n# " + "[" * 100 + "\n"
    assert load_yaml(source, "f").data == {"a": "[" * 100, "b": "{" * 100}


def test_depth_is_enforced_exactly_on_the_composed_tree() -> None:
    assert load_yaml("[" * 64 + "]" * 64, "f").data is not None
    d = only("a: " + "[" * 64 + "]" * 64)  # the mapping is the 65th level
    assert (d.code, d.line, d.col) == ("IS007", 1, 67)
    assert d.path.startswith("a[0][0]")


def test_depth_through_indentation_is_located_at_the_deep_node() -> None:
    lines = [" " * i + f"k{i}:" for i in range(65)] + [" " * 65 + "leaf"]
    d = only("\n".join(lines) + "\n")
    assert (d.code, d.line, d.col) == ("IS007", 65, 65)
    assert d.path.endswith("k62.k63")


def test_depth_cap_is_configurable_within_safe_bounds() -> None:
    assert only("a: {b: {c: 1}}", max_depth=2).code == "IS007"
    assert load_yaml("a: {b: {c: 1}}", "f", max_depth=3).data == {"a": {"b": {"c": 1}}}
    with pytest.raises(ValueError, match="max_depth"):
        load_yaml("a: 1", "f", max_depth=100_000)


# --- 5. syntax errors ----------------------------------------------------------------------------


def test_tab_indentation() -> None:
    d = only("scenario:\n\tid: x\n")
    assert (d.code, d.line, d.col) == ("IS004", 2, 1)
    assert "cannot start any token" in d.message and "tab" in d.message


def test_unclosed_bracket() -> None:
    d = only("codes: [a, b\nnext: n2\n")
    assert (d.code, d.line, d.col) == ("IS004", 2, 5)
    assert d.message.startswith("while parsing a flow sequence (line 1, column 8)")
    assert "expected ',' or ']'" in d.message


def test_unterminated_quote() -> None:
    d = only('title: "Intake\nnext: n2\n')
    assert (d.code, d.line, d.col) == ("IS004", 3, 1)
    assert "while scanning a quoted scalar (line 1, column 8)" in d.message
    assert "end of stream" in d.message


def test_control_character() -> None:
    d = only("a: café\x07\n")
    assert (d.code, d.line, d.col) == ("IS004", 1, 8)
    assert "control characters" in d.message and "U+0007" in d.message


# --- 6. tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (f"!!python/object/apply:{__name__}.record_call ['boom']", "!!python/object/apply:"),
        ("!!python/object/apply:os.system ['echo pwned']", "!!python/object/apply:os.system"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {a, b}", "!!set"),
        ("!!omap [a: 1, b: 2]", "!!omap"),
        ("!custom text", "!custom"),
        ("!!map text", "!!map"),
    ],
)
def test_unsafe_or_unknown_tags_are_refused(value: str, shown: str) -> None:
    d = only(f"id: x\nvalue: {value}\n")
    assert (d.code, d.line, d.col) == ("IS005", 2, 8)
    assert shown in d.message
    assert d.path == "value"
    assert CALLS == []


def test_merge_keys_are_refused() -> None:
    d = only("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert (d.code, d.line, d.col) == ("IS005", 3, 3)
    assert "merge keys" in d.message


def test_plain_equals_sign_needs_quotes() -> None:
    d = only("op: =\n")
    assert (d.code, d.line, d.col) == ("IS005", 1, 5)
    assert "quotes" in d.message


def test_standard_tags_are_honoured() -> None:
    doc = load_yaml("a: !!str 12\nb: !!int '7'\nc: !!float 1\nd: !!seq [1]\ne: !!null ''\n", "f")
    assert doc.data == {"a": "12", "b": 7, "c": 1.0, "d": [1], "e": None}


def test_standard_tag_on_a_value_it_cannot_read() -> None:
    d = only("a: 1\nb: !!int abc\n")
    assert (d.code, d.line, d.col) == ("IS005", 2, 4)
    assert "'abc'" in d.message and "!!int" in d.message


# --- 6. scalars ----------------------------------------------------------------------------------


def test_scalars_keep_their_yaml_meaning() -> None:
    doc = load_yaml(
        dedent(
            """
            answer: No
            quoted: 'No'
            version: 1.10
            count: 0x1F
            when: 2024-01-01
            stamp: 2024-01-01T10:30:00Z
            nothing: ~
            empty:
            text: plain words
            bad_date: 2024-13-45
            """
        ),
        "f",
    )
    assert doc.data == {
        "answer": False,
        "quoted": "No",
        "version": 1.1,
        "count": 31,
        "when": dt.date(2024, 1, 1),
        "stamp": dt.datetime(2024, 1, 1, 10, 30, tzinfo=dt.UTC),
        "nothing": None,
        "empty": None,
        "text": "plain words",
        "bad_date": "2024-13-45",  # looks like a date but is none: it stays text
    }


def test_long_text_value() -> None:
    d = only("id: x\nnote: " + "y" * 20_001 + "\n")
    assert (d.code, d.line, d.col, d.path) == ("IS009", 2, 7, "note")
    assert "20,001 characters" in d.message and "20,000" in d.message


def test_long_key() -> None:
    d = only("k" * 50 + ": 1\n", max_scalar_chars=10)
    assert (d.code, d.line, d.col) == ("IS009", 1, 1)
    assert "key is 50 characters long; the limit is 10" in d.message


# --- 6. keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "col", "words"),
    [
        ("1: x", 1, "'1' is read as a number"),
        ("true: x", 1, "'true' is read as true/false"),
        ("~: x", 1, "'~' is read as empty (null)"),
        ("? [a]\n: x", 3, "is a list"),
        ("? {a: 1}\n: x", 3, "is a mapping"),
    ],
)
def test_mapping_keys_must_be_text(line: str, col: int, words: str) -> None:
    d = only(f"id: x\n{line}\n")
    assert (d.code, d.line, d.col) == ("IS012", 2, col)
    assert words in d.message


def test_duplicate_key_cites_both_lines() -> None:
    d = only("nodes:\n  - id: a\n    id: b\n")
    assert (d.code, d.line, d.col) == ("IS008", 3, 5)
    assert d.message == "duplicate key 'id' (first defined at line 2)"
    assert d.path == "nodes[0].id"


def test_every_structural_problem_is_reported_at_once() -> None:
    source = dedent(
        """
        id: x
        id: y
        1: one
        cmd: !!python/name:os.system
        list:
          - !!binary aGk=
          - ok
        note: LONGTEXT
        """
    ).replace("LONGTEXT", "z" * 30)
    found = [(d.code, d.line) for d in refused(source, max_scalar_chars=20)]
    assert found == [("IS008", 2), ("IS012", 3), ("IS005", 4), ("IS005", 6), ("IS009", 8)]


# --- 6. aliases ----------------------------------------------------------------------------------


def test_aliases_expand_into_independent_values_with_marks() -> None:
    doc = load_yaml("base: &b {x: 1}\nuse: [*b, *b]\n", "f")
    assert doc.data == {"base": {"x": 1}, "use": [{"x": 1}, {"x": 1}]}
    doc.data["use"][0]["x"] = 2
    assert doc.data["base"]["x"] == 1 and doc.data["use"][1]["x"] == 1
    assert doc.value_marks[("use", 1, "x")] == (1, 14)  # the anchored original's place


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_without_expanding() -> None:
    source = billion_laughs()
    assert len(source) < 1000
    tracemalloc.start()
    try:
        d = only(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert d.code == "IS006"
    assert "more than 200,000 values" in d.message and "alias" in d.message
    assert peak < 20 * 1024 * 1024


def test_alias_bomb_is_reported_with_the_other_problems() -> None:
    found = {(d.code, d.line) for d in refused("id: 1\nid: 2\n" + billion_laughs())}
    assert found == {("IS008", 2), ("IS006", 8)}


def test_small_expansion_over_a_small_cap() -> None:
    d = only("a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", max_nodes=10)
    assert (d.code, d.line) == ("IS006", 2)


def test_recursive_alias_is_refused() -> None:
    d = only("loop: &a [1, *a]\n")
    assert (d.code, d.line, d.col) == ("IS006", 1, 7)
    assert "expand forever" in d.message


def test_node_cap_without_aliases() -> None:
    d = only("".join(f"- {i}\n" for i in range(50)), max_nodes=20)
    assert d.code == "IS006"
    assert "more than 20 values" in d.message


# --- 6. marks ------------------------------------------------------------------------------------


def test_marks_for_every_value_and_key() -> None:
    source = dedent(
        """
        # leading comment
        title: Café ünïcode
        nodes:
          - id: n1
            codes: [A, B]
        """
    )
    doc = load_yaml(source, "f")
    assert doc.value_marks == {
        (): (2, 1),
        ("title",): (2, 8),
        ("nodes",): (4, 3),
        ("nodes", 0): (4, 5),
        ("nodes", 0, "id"): (4, 9),
        ("nodes", 0, "codes"): (5, 12),
        ("nodes", 0, "codes", 0): (5, 13),
        ("nodes", 0, "codes", 1): (5, 16),
    }
    assert doc.key_marks == {
        ("title",): (2, 1),
        ("nodes",): (3, 1),
        ("nodes", 0, "id"): (4, 5),
        ("nodes", 0, "codes"): (5, 5),
    }


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    doc = load_yaml("a:\n  b: [x]\n", "f")
    assert doc.locate(["a", "b", 0]) == (2, 7)
    assert doc.locate(["a", "missing", 3]) == (2, 3)
    assert doc.locate([]) == (1, 1)
    assert doc.locate_key(["a", "b"]) == (2, 3)
    assert doc.locate_key(["a", "b", 0]) == (2, 7)  # no key: the value's place
    empty = YamlDoc("f", None, {}, {}, "")
    assert empty.locate(["x"]) == (1, 1)


# --- 7. result -----------------------------------------------------------------------------------


def test_sha256_is_of_the_raw_bytes() -> None:
    raw = b"\xef\xbb\xbfa: 1\r\n"
    assert load_yaml(raw, "f").sha256 == hashlib.sha256(raw).hexdigest()
    assert load_yaml("a: é\n", "f").sha256 == hashlib.sha256("a: é\n".encode()).hexdigest()


def test_display_name_is_used_in_diagnostics() -> None:
    d = only("a: [\n")
    assert d.format().startswith("case.yaml:2:1: IS004 ")


# --- load_yaml_file ------------------------------------------------------------------------------


def test_load_yaml_file_reads_and_names(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"id: x\n")
    assert load_yaml_file(path).data == {"id": "x"}
    path.write_bytes(b"id: [\n")
    with pytest.raises(LoadError) as info:
        load_yaml_file(path, display="scenarios/s.yaml")
    assert info.value.diagnostics[0].file == "scenarios/s.yaml"


def test_load_yaml_file_passes_caps(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"a: {b: {c: 1}}\n")
    with pytest.raises(LoadError) as info:
        load_yaml_file(path, max_depth=2)
    assert info.value.diagnostics[0].code == "IS007"


def file_error(path: Path) -> Diagnostic:
    with pytest.raises(LoadError) as info:
        load_yaml_file(path, display="shown.yaml")
    (d,) = info.value.diagnostics
    assert d.file == "shown.yaml"
    return d


def test_missing_file(tmp_path: Path) -> None:
    d = file_error(tmp_path / "nope.yaml")
    assert d.code == "IS001"
    assert d.message == "cannot read file: No such file or directory"


def test_directory(tmp_path: Path) -> None:
    d = file_error(tmp_path)
    assert d.code == "IS001"
    assert d.message == "cannot read file: Is a directory"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"id: x\n")

    def deny(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", deny)  # tests may run as root, where chmod 000 is no bar
    d = file_error(path)
    assert d.code == "IS001"
    assert d.message == "cannot read file: Permission denied"


def test_huge_file_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * 1_048_576)  # sparse: costs no disk

    def no_read(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_read)
    d = file_error(path)
    assert d.code == "IS002"
    assert d.message == "file is 10.0 MB; the limit is 1.0 MB"


# --- the module itself ---------------------------------------------------------------------------


def test_only_safe_loaders_are_used() -> None:
    source = Path(yamlsafe.__file__).read_text(encoding="utf-8")
    for banned in ("yaml.load(", "unsafe_load", "FullLoader", "yaml.Loader", "UnsafeLoader"):
        assert banned not in source


def test_libyamls_own_nesting_cap_reads_as_too_deep_not_as_a_syntax_error() -> None:
    # PyYAML 6.0.4's libyaml refuses about 1,000 levels by itself; should such text reach the
    # composer past the prescan, the trainee still reads "too deeply nested", not a syntax error.
    deep = "[" * 2000 + "]" * 2000
    try:
        list(yaml.parse(deep, Loader=yaml.CSafeLoader))
    except yaml.YAMLError as exc:
        if "maximum nesting depth" not in str(exc):
            raise
    else:
        pytest.skip("this libyaml has no nesting cap of its own")
    with pytest.raises(LoadError) as caught:
        yamlsafe._compose_single(deep, "f")
    assert caught.value.diagnostics[0].code == "IS007"
    assert caught.value.diagnostics[0].line == 1
