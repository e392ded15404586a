"""Reading untrusted YAML: bytes in, plain Python data and source positions out.

Scenario and rubric files travel between institutions, so nothing in them is trusted. The pipeline
is: size cap, UTF-8 decoding, a linear nesting pre-scan (libyaml's C composer recurses once per
nesting level and crashes the process somewhere past ~10,000 levels; its scanner is quadratic in
flow depth), composition with libyaml's safe loader, then our own iterative walk from nodes to
data. The walk allows only the standard scalar/seq/map tags, never constructs anything else,
measures (without performing) alias expansion before expanding any alias, and collects every
structural problem so that one `LoadError` reports them all.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any, Final

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from simulator.core.diagnostics import Diagnostic, LoadError

__all__ = ["Mark", "PathKey", "YamlDoc", "load_yaml", "load_yaml_file"]

PathKey = tuple[str | int, ...]
Mark = tuple[int, int]

# The C loader when PyYAML was built with libyaml; the pure-Python safe loader otherwise.
_LOADER: Final[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Above this, libyaml's recursive composer could get near the depth that overflows the C stack
# (block nesting allowed by the one-line prefix check grows with 8 * max_depth).
MAX_SUPPORTED_DEPTH: Final = 256
# With at most this many '[' and '{' in the text, flow nesting cannot be deep enough to crash
# libyaml or make it slow, even if the approximate pre-scan was fooled by quotes.
_SAFE_FLOW_OPENERS: Final = 1000

_T = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP = _T + "str", _T + "seq", _T + "map"
_NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP = (
    _T + "null",
    _T + "bool",
    _T + "int",
    _T + "float",
    _T + "timestamp",
)
_MERGE, _VALUE = _T + "merge", _T + "value"

_CONSTRUCTOR = SafeConstructor()
# Resolver.resolve is untyped in the stubs.
_resolve_implicit: Callable[[type[Node], str, tuple[bool, bool]], str] = Resolver().resolve
# Scalar tags we accept, and how each one's text becomes a value (strings are used as they are).
_SCALAR_CTORS: Final[dict[str, Callable[[ScalarNode], Any]]] = {
    _NULL: _CONSTRUCTOR.construct_yaml_null,
    _BOOL: _CONSTRUCTOR.construct_yaml_bool,
    _INT: _CONSTRUCTOR.construct_yaml_int,
    _FLOAT: _CONSTRUCTOR.construct_yaml_float,
    _TIMESTAMP: _CONSTRUCTOR.construct_yaml_timestamp,
}
_KIND_NAMES: Final = {
    _NULL: "empty (null)",
    _BOOL: "true/false",
    _INT: "a number",
    _FLOAT: "a number",
    _TIMESTAMP: "a date",
}

_BOM: Final = b"\xef\xbb\xbf"
_SCAN_FLOW = re.compile(r"""[\[\]{}'"#]""")
# Byte tables for the pre-scan: bytes.translate runs at memory speed, a regex or a Python loop
# over every character would cost as much as parsing a small file.
_NOT_BRACKETS: Final = bytes(c for c in range(256) if c not in b"[]{}")
_CURLY_TO_SQUARE: Final = bytes.maketrans(b"{}", b"[]")
_PREFIX_CHARS: Final = bytes(
    0x20 if c in b" \t-?:" else 0x0A if c in b"\r\n" else 0x78 for c in range(256)
)


@dataclass(frozen=True)
class YamlDoc:
    """A parsed file: plain data plus where each value (and each mapping key) starts."""

    file: str
    data: Any
    value_marks: dict[PathKey, Mark]
    key_marks: dict[PathKey, Mark]
    sha256: str

    def locate(self, path: Sequence[str | int]) -> Mark:
        """(line, col) of the value at `path`, or of its nearest ancestor that has a mark."""
        key = tuple(path)
        marks = self.value_marks
        for end in range(len(key), -1, -1):
            mark = marks.get(key[:end])
            if mark is not None:
                return mark
        return (1, 1)

    def locate_key(self, path: Sequence[str | int]) -> Mark:
        """(line, col) of the mapping key for `path`, else of its value (see `locate`)."""
        return self.key_marks.get(tuple(path)) or self.locate(path)


def load_yaml(
    source: bytes | str,
    file: str,
    *,
    max_bytes: int = 1_048_576,
    max_depth: int = 64,
    max_nodes: int = 200_000,
    max_scalar_chars: int = 20_000,
) -> YamlDoc:
    """Parse one untrusted YAML document. Raises LoadError(list_of_diagnostics) when unusable."""
    if not 1 <= max_depth <= MAX_SUPPORTED_DEPTH:
        raise ValueError(f"max_depth must be between 1 and {MAX_SUPPORTED_DEPTH}")
    raw = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise _error(file, 1, 1, "IS002", _size_message(len(raw), max_bytes))
    text = _decode(raw, file)
    _prescan_depth(text, raw[len(_BOM) :] if raw.startswith(_BOM) else raw, file, max_depth)
    root = _compose_single(text, file)
    walker = _Walker(file, max_depth, max_nodes, max_scalar_chars)
    data = walker.run(root)
    if walker.diagnostics:
        raise LoadError(sorted(walker.diagnostics, key=lambda d: (d.line, d.col, d.code)))
    digest = hashlib.sha256(raw).hexdigest()
    return YamlDoc(file, data, walker.value_marks, walker.key_marks, digest)


def load_yaml_file(path: Path, display: str | None = None, **caps: int) -> YamlDoc:
    """Read `path` (IS001 with the OS's reason when it cannot be read), then `load_yaml` it."""
    name = display if display is not None else str(path)
    raw = _read_capped(path, name, caps.get("max_bytes", 1_048_576))
    return load_yaml(raw, name, **caps)


def _read_capped(path: Path, name: str, max_bytes: int) -> bytes:
    """The file's bytes, never reading more than max_bytes + 1 of them."""
    try:
        st = path.stat()
        if S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not S_ISREG(st.st_mode):  # a FIFO or a device could block or never end
            raise _error(name, 0, 0, "IS001", "cannot read file: not a regular file")
        if st.st_size > max_bytes:
            raise _error(name, 1, 1, "IS002", _size_message(st.st_size, max_bytes))
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise _error(name, 0, 0, "IS001", f"cannot read file: {reason}") from None
    if len(raw) > max_bytes:
        message = f"file is more than {_human(max_bytes)}; the limit is {_human(max_bytes)}"
        raise _error(name, 1, 1, "IS002", message)
    return raw


# --- reading and decoding ------------------------------------------------------------------------


def _error(file: str, line: int, col: int, code: str, message: str, path: str = "") -> LoadError:
    return LoadError([Diagnostic(file, line, col, code, message, path)])


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _size_message(size: int, limit: int) -> str:
    shown, allowed = _human(size), _human(limit)
    if shown == allowed:  # "1.0 MB; the limit is 1.0 MB" would puzzle anyone
        shown, allowed = f"{size:,} bytes", f"{limit:,} bytes"
    return f"file is {shown}; the limit is {allowed}"


def _decode(raw: bytes, file: str) -> str:
    """UTF-8 text without BOM and with every line ending turned into '\\n'."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = _normalise_newlines(raw[: exc.start].decode("utf-8"))
        line, col = _line_col(before, len(before))
        if 0xD800 <= _surrogate(raw, exc.start) <= 0xDFFF:
            what = "a lone surrogate"
        else:
            what = f"byte 0x{raw[exc.start]:02X}"
        message = f"file is not valid UTF-8 ({what} cannot be decoded); save it as UTF-8"
        raise _error(file, line, col, "IS003", message) from None
    return _normalise_newlines(text)


def _surrogate(raw: bytes, at: int) -> int:
    """The code point of a surrogate encoded at `at` (str input), or -1."""
    try:
        return ord(raw[at : at + 3].decode("utf-8", "surrogatepass"))
    except (UnicodeDecodeError, TypeError):
        return -1


def _normalise_newlines(text: str) -> str:
    # YAML folds CRLF and CR to LF inside scalars anyway; doing it up front keeps our line numbers
    # (pre-scan, decoding errors) equal to libyaml's.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _line_col(text: str, index: int) -> Mark:
    """1-based (line, col) of character `index` of `text` (index may equal len(text))."""
    index = min(index, len(text))
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


# --- nesting pre-scan ----------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _long_prefix(limit: int) -> re.Pattern[str]:
    # A line whose leading run of blanks and "- " / "? " / ": " indicators is longer than `limit`:
    # the only way to nest block collections deeply without an enormous file.
    return re.compile(rf"^(?:[ \t]|[-?:](?=[ \t])){{{limit + 1}}}", re.MULTILINE)


def _prescan_depth(text: str, body: bytes, file: str, max_depth: int) -> None:
    """Refuse text nested too deeply for libyaml before it ever sees it (linear time).

    `body` is the file's bytes without BOM; the cheap byte-level tests run on it and the slower
    character-level scans only run when those tests cannot rule deep nesting out.
    """
    too_deep = f"too deeply nested (more than {max_depth} levels)"
    brackets = body.translate(_CURLY_TO_SQUARE, _NOT_BRACKETS)
    at = _long_prefix_at(text, body, 8 * max_depth)
    if at is None and _flow_depth_exceeds(brackets, max_depth):
        at = _deep_flow_at(text, max_depth)
    if at is not None:
        line, col = _line_col(text, at)
        raise _error(file, line, col, "IS007", too_deep)
    if len(brackets) - brackets.count(b"]") > _SAFE_FLOW_OPENERS:
        # The scans above can be misled by quotes in plain text or block scalars. With this many
        # brackets, ask libyaml's iterative parser for the exact depth, stopping early.
        exact = _deep_event_mark(text, max_depth)
        if exact is not None:
            raise _error(file, exact[0], exact[1], "IS007", too_deep)


def _long_prefix_at(text: str, body: bytes, limit: int) -> int | None:
    """Index in `text` where some line's leading blanks and indicators exceed `limit` chars."""
    flat = body.translate(_PREFIX_CHARS)  # blanks and "-?:" -> " ", line ends -> "\n"
    run = b" " * (limit + 1)
    if not flat.startswith(run) and flat.find(b"\n" + run) < 0:
        return None
    match = _long_prefix(limit).search(text)  # the exact rule, now that a candidate exists
    return match.end() - 1 if match is not None else None


def _flow_depth_exceeds(brackets: bytes, limit: int) -> bool:
    """Whether `brackets` (only '[' and ']') might nest deeper than `limit`, counting naively.

    Each replace() pass removes the innermost matched pairs, so after all passes the depth is at
    most (passes + unmatched '[' left). Passes stop at `limit`, keeping this O(limit * n).
    """
    if brackets.count(b"[") <= limit:
        return False
    for passes in range(limit + 1):
        if b"[]" not in brackets:
            return passes + brackets.count(b"[") > limit
        brackets = brackets.replace(b"[]", b"")
    return True


def _deep_flow_at(text: str, max_depth: int) -> int | None:
    """Index of the '[' or '{' that opens flow level max_depth + 1, skipping quotes and comments.

    Approximate: a quote counts as opening a quoted scalar only after a blank, a line start or a
    flow/block indicator, which is how real quoted scalars begin. A quote in plain text can fool
    it into skipping real brackets; `_prescan_depth` backs it with an exact check where it matters.
    """
    depth = 0
    pos = 0
    search = _SCAN_FLOW.search
    while (match := search(text, pos)) is not None:
        at = match.start()
        char = text[at]
        pos = at + 1
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return at
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif at and text[at - 1] not in " \t\n[{,:-?":
            continue
        elif char == "#":
            pos = text.find("\n", at)
            if pos < 0:
                break
        else:
            pos = _quote_end(text, at, char)
    return None


def _quote_end(text: str, start: int, quote: str) -> int:
    """Index just after the quoted scalar opened at `start` (len(text) when unterminated)."""
    pos = start + 1
    while True:
        end = text.find(quote, pos)
        if end < 0:
            return len(text)
        if quote == "'":
            if text.startswith("''", end):  # '' is an escaped quote
                pos = end + 2
                continue
            return end + 1
        escapes = end
        while text[escapes - 1] == "\\":  # stops at the opening quote at the latest
            escapes -= 1
        if (end - escapes) % 2 == 0:
            return end + 1
        pos = end + 1


def _deep_event_mark(text: str, max_depth: int) -> Mark | None:
    """Where the event stream first opens collection level max_depth + 1, if it does."""
    try:
        return _first_too_deep(yaml.parse(text, Loader=_LOADER), max_depth)
    except yaml.YAMLError as exc:
        if _LOADER is yaml.SafeLoader or not _is_nesting_cap(exc):
            return (
                None  # composing reports the same syntax error, and the depth is known to be fine
            )
    # libyaml's own cap (about 1,000 levels, in PyYAML 6.0.4's wheels) fires while its scanner
    # reads ahead, before the event at our level is emitted; the pure-Python parser emits its
    # events lazily, so it finds our level and stops there.
    try:
        return _first_too_deep(yaml.parse(text, Loader=yaml.SafeLoader), max_depth)
    except yaml.YAMLError:
        return None


def _first_too_deep(events: Iterable[yaml.Event], max_depth: int) -> Mark | None:
    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                mark = event.start_mark
                return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _is_nesting_cap(exc: yaml.YAMLError) -> bool:
    return "maximum nesting depth" in str(getattr(exc, "problem", "") or "")


# --- composing -----------------------------------------------------------------------------------


def _compose_single(text: str, file: str) -> Node:
    """The one non-empty document in `text`, as libyaml's node graph."""
    found: Node | None = None
    try:
        for node in yaml.compose_all(text, Loader=_LOADER):
            if _is_empty(node):
                continue
            if found is not None:
                mark = node.start_mark
                raise _error(
                    file,
                    mark.line + 1,
                    mark.column + 1,
                    "IS010",
                    "file holds more than one YAML document (a second one starts here); "
                    "keep one document per file",
                )
            found = node
    except yaml.MarkedYAMLError as exc:
        if _is_nesting_cap(exc):  # libyaml's own cap, should the prescan ever let one through
            mark = exc.problem_mark
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            raise _error(file, line, col, "IS007", "too deeply nested") from None
        raise LoadError([_syntax_diagnostic(exc, text, file)]) from None
    except RecursionError:  # only the pure-Python composer recurses in Python
        raise _error(file, 1, 1, "IS007", "too deeply nested") from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, _reader_error_index(text, exc.position))
        raise _error(
            file, line, col, "IS004", f"{exc.reason} (found U+{int(exc.character):04X})"
        ) from None
    if found is None:
        raise _error(
            file,
            1,
            1,
            "IS011",
            "file is empty (it holds no YAML content, only blank lines or comments)",
        )
    return found


def _is_empty(node: Node) -> bool:
    return (
        isinstance(node, ScalarNode) and node.tag == _NULL and node.value == "" and not node.style
    )


def _reader_error_index(text: str, position: int) -> int:
    if _LOADER is yaml.SafeLoader:
        return position
    # libyaml reports reader errors as offsets into the UTF-8 encoding of the text.
    return len(text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "ignore"))


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    problem = exc.problem or "invalid YAML"
    if exc.context:
        context = exc.context
        if exc.context_mark is not None and exc.context_mark is not mark:
            cm = exc.context_mark
            context += f" (line {cm.line + 1}, column {cm.column + 1})"
        problem = f"{context}: {problem}"
    if line and _char_at(text, line, col) == "\t":
        problem += " (a tab; indent with spaces only)"
    return Diagnostic(file, line, col, "IS004", problem)


def _char_at(text: str, line: int, col: int) -> str:
    lines = text.split("\n", line)
    if line > len(lines):
        return ""
    row = lines[line - 1]
    return row[col - 1] if 0 < col <= len(row) else ""


# --- alias expansion -----------------------------------------------------------------------------


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


def _expansion_problem(root: Node, file: str, max_nodes: int) -> Diagnostic | None:
    """IS006 if aliases expand the graph past max_nodes (or forever); found without expanding.

    An alias is the very node object it names, so sizes memoised per node id make this linear in
    the composed graph. A node met again while it is still open is its own ancestor: a cycle.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        nid = id(node)
        if closing:
            open_ids.discard(nid)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > max_nodes:
                return _alias_diagnostic(
                    file,
                    node,
                    f"this value expands to more than {max_nodes:,} "
                    "values through aliases (possible alias bomb)",
                )
            sizes[nid] = total
        elif nid in sizes:
            continue
        elif nid in open_ids:
            return _alias_diagnostic(
                file,
                node,
                "an alias refers to a value that contains it, so it would expand forever",
            )
        elif isinstance(node, ScalarNode):
            sizes[nid] = 1
        else:
            open_ids.add(nid)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
    return None


def _alias_diagnostic(file: str, node: Node, message: str) -> Diagnostic:
    start = node.start_mark
    return Diagnostic(file, start.line + 1, start.column + 1, "IS006", message)


# --- nodes to data -------------------------------------------------------------------------------


def _path_text(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _Walker:
    """Turns a node graph into plain data, recording marks and collecting diagnostics."""

    def __init__(self, file: str, max_depth: int, max_nodes: int, max_chars: int) -> None:
        self.file = file
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_chars = max_chars
        self.value_marks: dict[PathKey, Mark] = {}
        self.key_marks: dict[PathKey, Mark] = {}
        self.diagnostics: list[Diagnostic] = []
        self._collections_seen: set[int] = set()
        self._expansion_checked = False

    def run(self, root: Node) -> Any:
        holder: list[Any] = [None]
        # (node, path, number of enclosing collections, container to fill, slot in it)
        stack: list[tuple[Node, PathKey, int, Any, Any]] = [(root, (), 0, holder, 0)]
        marks = self.value_marks
        max_depth, max_chars = self.max_depth, self.max_chars
        ctors = _SCALAR_CTORS
        while stack:
            node, path, level, parent, slot = stack.pop()
            start = node.start_mark
            marks[path] = (start.line + 1, start.column + 1)
            if len(marks) > self.max_nodes:  # one mark per value reached
                self._report(
                    node,
                    path,
                    "IS006",
                    f"file holds more than {self.max_nodes:,} values; split it up",
                )
                break
            tag = node.tag
            if isinstance(node, ScalarNode):
                value = node.value
                if len(value) > max_chars:
                    self._too_long(node, path, "text value", len(value))
                elif tag == _STR:
                    parent[slot] = value
                elif tag in ctors:
                    parent[slot] = self._scalar(node, path)
                else:
                    self._bad_tag(node, path)
            elif level >= max_depth:
                self._report(
                    node, path, "IS007", f"too deeply nested (more than {max_depth} levels)"
                )
            elif not self._alias_guard(node, root):
                break
            elif isinstance(node, MappingNode) and tag == _MAP:
                out: dict[str, Any] = {}
                parent[slot] = out
                self._mapping(node, path, level + 1, out, stack)
            elif isinstance(node, SequenceNode) and tag == _SEQ:
                items = node.value
                seq: list[Any] = [None] * len(items)
                parent[slot] = seq
                level += 1
                stack += [(item, (*path, i), level, seq, i) for i, item in enumerate(items)]
            else:
                self._bad_tag(node, path)
        return holder[0]

    def _alias_guard(self, collection: Node, root: Node) -> bool:
        """False (IS006 reported) when reaching `collection` reveals a runaway alias expansion.

        Only an alias leads to a collection already met; the first time that happens, and before
        anything is expanded, the whole graph's expanded size is measured once.
        """
        if self._expansion_checked:
            return True
        key = id(collection)
        if key not in self._collections_seen:
            self._collections_seen.add(key)
            return True
        self._expansion_checked = True
        problem = _expansion_problem(root, self.file, self.max_nodes)
        if problem is not None:
            self.diagnostics.append(problem)
        return problem is None

    def _mapping(
        self,
        node: MappingNode,
        path: PathKey,
        level: int,
        out: dict[str, Any],
        stack: list[tuple[Node, PathKey, int, Any, Any]],
    ) -> None:
        key_marks = self.key_marks
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag != _STR:
                self._bad_key(key_node, path)
                continue
            key: str = key_node.value
            key_path = (*path, key)
            if len(key) > self.max_chars:
                self._too_long(key_node, key_path, "key", len(key))
                continue
            start = key_node.start_mark
            if key in out:
                first = key_marks[key_path][0]
                self._report(
                    key_node,
                    key_path,
                    "IS008",
                    f"duplicate key {_shown(key)} (first defined at line {first})",
                )
                continue
            key_marks[key_path] = (start.line + 1, start.column + 1)
            out[key] = None
            stack.append((value_node, key_path, level, out, key))

    def _scalar(self, node: ScalarNode, path: PathKey) -> Any:
        tag = node.tag
        try:
            return _SCALAR_CTORS[tag](node)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
            pass
        if not node.style and _resolve_implicit(ScalarNode, node.value, (True, False)) == tag:
            # Plain text that merely looks like a number or date (e.g. 2024-13-45) stays text.
            return node.value
        self._report(
            node,
            path,
            "IS005",
            f"{_shown(node.value)} is not a valid !!{tag[len(_T) :]} value; "
            "remove the tag or fix the value",
        )
        return None

    def _bad_key(self, key_node: Node, path: PathKey) -> None:
        tag = key_node.tag
        if tag == _MERGE:
            self._report(
                key_node,
                path,
                "IS005",
                "merge keys ('<<') are not supported; write the keys out in full",
            )
        elif not _allowed_tag(tag):
            self._bad_tag(key_node, path)
        elif isinstance(key_node, ScalarNode) and key_node.value == "":
            self._report(key_node, path, "IS012", "mapping key is empty; keys must be text")
        elif isinstance(key_node, ScalarNode):
            kind = _KIND_NAMES.get(tag, tag)
            self._report(
                key_node,
                path,
                "IS012",
                f"mapping key {_shown(key_node.value)} is read as {kind}, not text; "
                "put it in quotes",
            )
        else:
            kind = "a list" if isinstance(key_node, SequenceNode) else "a mapping"
            self._report(key_node, path, "IS012", f"mapping key is {kind}; keys must be text")

    def _bad_tag(self, node: Node, path: PathKey) -> None:
        tag = node.tag
        if not _allowed_tag(tag):
            shown = "!!" + tag[len(_T) :] if tag.startswith(_T) else tag
            if tag in (_MERGE, _VALUE) and isinstance(node, ScalarNode) and not node.style:
                message = (
                    f"{_shown(node.value)} has a special meaning in YAML ({shown}); "
                    "put it in quotes to use it as text"
                )
            else:
                message = (
                    f"tag '{shown}' is not allowed; only plain text, numbers, true/false, "
                    "dates, lists and mappings are"
                )
        else:
            kinds = {ScalarNode: "a single value", SequenceNode: "a list", MappingNode: "a mapping"}
            shown = "!!" + tag[len(_T) :]
            message = f"tag '{shown}' cannot be used on {kinds[type(node)]}"
        self._report(node, path, "IS005", message)

    def _too_long(self, node: Node, path: PathKey, what: str, length: int) -> None:
        self._report(
            node,
            path,
            "IS009",
            f"{what} is {length:,} characters long; the limit is {self.max_chars:,}",
        )

    def _report(self, node: Node, path: PathKey, code: str, message: str) -> None:
        start = node.start_mark
        self.diagnostics.append(
            Diagnostic(self.file, start.line + 1, start.column + 1, code, message, _path_text(path))
        )


def _shown(text: str, limit: int = 40) -> str:
    """Text quoted for a message, cut short: it may be thousands of characters long."""
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 3]}...'"


def _allowed_tag(tag: str) -> bool:
    return tag in _SCALAR_CTORS or tag in (_STR, _SEQ, _MAP)
