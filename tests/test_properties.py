"""Property-based tests of the loader: whatever the project holds, ``check`` either
succeeds or reports errors that each name a file of the project and a line in it.

Random and mutated outlines, editorial files and sources go through
:func:`bookmaker.api.check`.  Anything escaping other than ``BuildFailed`` or
``BookError`` is a bug, and so is an error without a place a user can go to.
Excerpt matching is checked against an independent, simple model of the
tolerances: a substring of a source, re-typed with other quotes, dashes and
white space, must still be found, exactly when it occurs once.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import yaml
from helpers import BOOKS, OUTLINE
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bookmaker.api import check
from bookmaker.errors import BookError, BuildFailed, Location

SMALL = BOOKS / "small"
BOOK_FILES = ("book/outline.yaml", "book/claims.yaml", "book/timeline.yaml")
SOURCE_FILES = ("seeds/alpha.md", "seeds/beta.md")

# derandomize: the same examples on every run, so CI is repeatable; no example
# database either, so nothing is written into the working tree.
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


# ---- running check and judging what it reports ---------------------------------

def run_check(project: Path) -> list[BookError]:
    """The errors ``check`` reports ([] on success); any other exception propagates."""
    try:
        check(project)
    except BuildFailed as exc:
        assert exc.errors, "BuildFailed without errors"
        return exc.errors
    except BookError as exc:
        return [exc]
    return []


def assert_located(project: Path, errors: list[BookError]) -> None:
    """Every error names a file inside the project, a line of it and a sane column."""
    root = project.resolve()
    for error in errors:
        assert isinstance(error, BookError), error
        assert isinstance(error.message, str) and error.message.strip(), repr(error)
        assert error.hint is None or isinstance(error.hint, str), repr(error.hint)
        where = error.where
        assert isinstance(where, Location), f"no location: {error}"
        path = Path(where.file).resolve()
        assert path.is_relative_to(root), f"outside the project: {error}"
        assert path.is_file(), f"not a file of the project: {error}"
        # The requirement: always an error with a location, or a successful
        # build.  A file that could be read always has a line to point at.
        assert isinstance(where.line, int) and where.line >= 1, f"no line: {error}"
        raw = path.read_bytes()
        lines = raw.split(b"\n")  # lines as editors, grep -n and the loader count them
        assert where.line <= len(lines), f"line past the end of the file ({len(lines)}): {error}"
        if where.column is not None:
            assert isinstance(where.column, int) and where.column >= 1, f"bad column: {error}"
            try:
                text = raw.decode("utf-8-sig").split("\n")[where.line - 1]
            except UnicodeDecodeError:
                continue
            assert where.column <= len(text) + 1, f"column past the end of the line: {error}"


def check_project(project: Path) -> list[BookError]:
    errors = run_check(project)
    assert_located(project, errors)
    return errors


def small_copy(root: Path) -> Path:
    for sub in ("book", "seeds"):
        shutil.copytree(SMALL / sub, root / sub)
    return root


def test_the_base_book_checks():
    """The mutations below start from a book that is valid."""
    assert run_check(SMALL) == []


def test_unreadable_file_is_located_by_the_file_alone(tmp_path):
    """The one kind of error allowed no line: a file that cannot be read has none.

    Every file that can be read, even one that is not UTF-8, gets a line (see
    assert_located); a directory named like a source, or like claims.yaml, is
    reported at its own path.
    """
    project = small_copy(tmp_path)
    (project / "seeds" / "folder.md").mkdir()
    (project / "book" / "claims.yaml").unlink()
    (project / "book" / "claims.yaml").mkdir()
    errors = run_check(project)
    unreadable = {Path(e.where.file).name: e for e in errors if e.where.line is None}
    assert set(unreadable) == {"folder.md", "claims.yaml"}, [str(e) for e in errors]
    assert all("cannot read" in e.message for e in unreadable.values())


# ---- strategies -----------------------------------------------------------------

KNOWN_KEYS = ("title", "subtitle", "editors", "language", "date", "chapters", "id", "content",
              "excerpt", "quote", "from", "to", "note", "kind", "claims", "text", "heading",
              "compare", "claim", "verdict", "explanation", "reference", "made_by", "source",
              "slips", "correction", "events", "event", "sources", "author", "outlet",
              "published", "url", "translator", "original_language", "accessed", "profile",
              "original", "sha256",
              "stance_evidence", "errors", "<<", "=", "?", "-")
INTERESTING = ("", " ", "null", "~", "yes", "no", "on", "2019-04", "1954-03-31", "1901",
               "../alpha", "/etc/passwd", "a b", "alpha", "beta", "c1", "c2", "s1",
               "correction", "reliability", "wrong", "correct", "en", "ru", "*a", "&a x",
               "!!binary aGk=", "!!python/object:os.system", "!!set {a, b}", "!!omap [a: 1]",
               "!!float .inf", "0x1F", "1e400", "'", '"', "|", ">", "- x", "[", "{", "%",
               "@", "`", "\t", "a: b", "#", "The Harbour Treaty was signed in 1899",
               "signed in 1899", "Переговоры", "\u2028", "\x85", "\ufeff", "\x00", "\x1b")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(),
    st.text(max_size=30), st.text(min_size=100, max_size=600),
    st.sampled_from(INTERESTING), st.sampled_from(KNOWN_KEYS),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)
raw_words = st.sampled_from(INTERESTING) | st.text(max_size=20)
new_keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=12)


def dump(value) -> str:
    """A YAML value on one line, as it would be written after 'key: '."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9)
    return text.removesuffix("\n...\n").strip() or "''"


ODD_LINE_ENDS = ("\r", "\r\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\r\x85")
KEY_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)?)(?P<key>[^\s#:][^#:]*?):(?P<rest>(?:\s.*)?)$")
ITEM_LINE = re.compile(r"^(?P<head>\s*-\s+)(?P<rest>.*)$")


@st.composite
def mutated_lines(draw, text: str, first: int = 0, end: int | None = None) -> str:
    """``text`` with one to four line mutations among its lines ``first`` to ``end``."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        stop = len(lines) if end is None else min(end, len(lines))
        if stop <= first:
            break
        i = draw(st.integers(first, stop - 1))
        line = lines[i]
        op = draw(st.sampled_from(["delete", "duplicate", "tab", "indent", "value", "value",
                                   "raw", "key", "item", "insert", "eol"]))
        if op == "eol" and i + 1 < len(lines):
            # a line end only some tools count as one: YAML breaks lines at all of these
            lines[i:i + 2] = [line + draw(st.sampled_from(ODD_LINE_ENDS)) + lines[i + 1]]
            if end is not None:
                end -= 1
        elif op == "delete":
            del lines[i]
            if end is not None:
                end -= 1
        elif op == "duplicate":
            lines.insert(i, line)
            if end is not None:
                end += 1
        elif op == "insert":
            lines.insert(i, f"{draw(new_keys)}: {dump(draw(yaml_values))}")
            if end is not None:
                end += 1
        elif op == "tab":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + "\t" + line[at:]
        elif op == "indent":
            width = len(line) - len(line.lstrip(" "))
            lines[i] = " " * max(0, width + draw(st.integers(-4, 4))) + line.lstrip(" ")
        elif op in ("value", "raw"):
            m = KEY_LINE.match(line)
            if m:
                value = dump(draw(yaml_values)) if op == "value" else draw(raw_words)
                lines[i] = f"{m['head']}{m['key']}: {value}"
        elif op == "key":
            m = KEY_LINE.match(line)
            if m:
                lines[i] = f"{m['head']}{draw(new_keys)}:{m['rest']}"
        elif op == "item":
            m = ITEM_LINE.match(line)
            if m:
                lines[i] = f"{m['head']}{dump(draw(yaml_values))}"
    return "\n".join(lines)


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


yamlish_text = st.lists(st.sampled_from([
    ":", ": ", "- ", "\n", "  ", "    ", "title", "chapters", "content", "excerpt", "quote",
    "alpha", "beta", "editors", "language", "en", "[", "]", "{", "}", ",", "&a ", "*a",
    "!!str ", "!!map ", "!!set ", "!!binary ", "!!python/name:os.system ", "? ", "'", '"',
    "#", "|", ">", "---", "...", "\t", "%YAML 1.1\n", "<<: ", "=", "~", "null", "1", "x",
    "\u2028", "\x85", "\x00", "\r", "\r\n", "\ufeff", "é", "“", "—", "\\", "\\x",
])).map("".join)


deep_nesting = st.builds(
    lambda head, unit, n, tail: head + unit * n + tail,
    st.sampled_from(["", "title: ", "chapters:\n  - ", "- "]),
    st.sampled_from(["[", "{a: ", "- ", "[{x: ", "&a [", "? "]),
    st.integers(1, 1200), st.sampled_from(["", "x", "]", "}"]))
indented_nesting = st.integers(1, 400).map(
    lambda n: "\n".join(" " * i + "content:" for i in range(n)) + " x")


# ---- (1) arbitrary outlines -----------------------------------------------------

@PROPERTY
@given(outline=st.one_of(st.binary(max_size=300),
                         st.text(max_size=300).map(encode),
                         yamlish_text.map(encode),
                         deep_nesting.map(encode), indented_nesting.map(encode)))
def test_arbitrary_outline(outline):
    with tempfile.TemporaryDirectory() as tmp:
        project = small_copy(Path(tmp))
        (project / "book" / "outline.yaml").write_bytes(outline)
        errors = check_project(project)
        assert errors or outline.strip(), "an empty outline was accepted"


# ---- (2) mutations of a valid outline, claims and timeline ----------------------

@PROPERTY
@given(data=st.data(), name=st.sampled_from(BOOK_FILES + ("book/outline.yaml",) * 3))
def test_mutated_book_files(data, name):
    text = (SMALL / name).read_text(encoding="utf-8")
    mutated = data.draw(mutated_lines(text), label="mutated")
    with tempfile.TemporaryDirectory() as tmp:
        project = small_copy(Path(tmp))
        (project / name).write_bytes(encode(mutated))
        check_project(project)


@PROPERTY
@given(data=st.data())
def test_mutated_outline_with_broken_editorial_files(data):
    """Several files broken at once: each error still points into its own file."""
    with tempfile.TemporaryDirectory() as tmp:
        project = small_copy(Path(tmp))
        for name in BOOK_FILES:
            if data.draw(st.booleans(), label=f"mutate {name}"):
                text = (SMALL / name).read_text(encoding="utf-8")
                (project / name).write_bytes(encode(data.draw(mutated_lines(text), label=name)))
        check_project(project)


# ---- (3) mutated sources ------------------------------------------------------------

file_names = st.text(alphabet=st.characters(blacklist_characters="/\x00",
                                            blacklist_categories=("Cs",)),
                     min_size=1, max_size=10).filter(lambda n: n not in (".", ".."))
body_text = st.lists(st.sampled_from([
    "---\n", "---", "\n", "\n\n", " ", "word", "“", "”", "‘", "’", "—", "–", '"', "'",
    "\u2028", "\x0c", "\x85", "\r\n", "\r", "\t", "The Harbour Treaty was signed in 1899",
    "a triumph of patience", "signed in 1899", "<b>", "*x*", "é", "Ж",
]) | st.text(max_size=10)).map("".join)


@st.composite
def mutated_source(draw, raw: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["bytes", "insert_bytes", "no_close", "no_open", "front",
                                   "front", "add_key", "body", "crlf", "cr", "bom", "truncate"]))
        if op == "bytes":
            raw = draw(st.binary(max_size=200))
        elif op == "insert_bytes":
            at = draw(st.integers(0, len(raw)))
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
        elif op == "truncate":
            raw = raw[:draw(st.integers(0, len(raw)))]
        elif op == "crlf":
            raw = raw.replace(b"\n", b"\r\n")
        elif op == "cr":  # old Mac line ends
            raw = raw.replace(b"\n", b"\r")
        elif op == "bom":
            raw = b"\xef\xbb\xbf" + raw
        else:
            text = raw.decode("utf-8", "surrogateescape")
            lines = text.split("\n")
            fences = [i for i, line in enumerate(lines) if line.rstrip("\r") == "---"]
            close = fences[1] if len(fences) > 1 else len(lines)
            if op == "no_close" and len(fences) > 1:
                del lines[fences[1]]
            elif op == "no_open" and fences:
                del lines[fences[0]]
            elif op == "add_key":
                lines.insert(draw(st.integers(1, max(1, close))),
                             f"{draw(new_keys)}: {dump(draw(yaml_values))}")
            elif op == "body":
                at = draw(st.integers(min(close + 1, len(lines)), len(lines)))
                lines.insert(at, draw(body_text))
            elif op == "front":
                text = "\n".join(lines)
                text = draw(mutated_lines(text, first=1, end=close))
                lines = text.split("\n")
            raw = "\n".join(lines).encode("utf-8", "surrogateescape")
    return raw


@PROPERTY
@given(data=st.data(), name=st.sampled_from(SOURCE_FILES))
def test_mutated_source(data, name):
    raw = data.draw(mutated_source((SMALL / name).read_bytes()), label="source")
    with tempfile.TemporaryDirectory() as tmp:
        project = small_copy(Path(tmp))
        (project / name).write_bytes(raw)
        check_project(project)


@PROPERTY
@given(data=st.data(), name=file_names)
def test_extra_source_file(data, name):
    """A new file in seeds/: its name becomes the default id, whatever it is."""
    base = (SMALL / "seeds" / "beta.md").read_bytes().replace(b"id: beta\n", b"")
    raw = data.draw(st.one_of(st.just(base), mutated_source(base)), label="source")
    with tempfile.TemporaryDirectory() as tmp:
        project = small_copy(Path(tmp))
        try:
            (project / "seeds" / f"{name}.md").write_bytes(raw)
        except OSError:  # a name the file system refuses (too long in bytes)
            assume(False)
        check_project(project)


# ---- (4) quotes drawn from the source, re-typed ------------------------------------

# An independent model of what matching tolerates: white space runs are one space,
# typographic quotes and dashes are their plain forms; nothing else.
FOLD = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
RETYPE = {'"': "“”\"", "“": "”\"", "”": "“\"", "'": "‘’'", "‘": "’'", "’": "‘'",
          "-": "–—-", "–": "—-", "—": "–-"}
SPACES = [" ", "  ", "\n", " \n  ", "\t", "\u00a0", "\u2009", "\r\n"]


def model(text: str) -> str:
    return " ".join(text.translate(FOLD).split())


def count(haystack: str, needle: str) -> int:
    """Occurrences, overlapping ones included, as a reader searching the text sees them."""
    return sum(1 for i in range(len(haystack)) if haystack.startswith(needle, i))


def retype(words: str, rnd) -> str:
    """The same words as an editor might type them: other quotes, dashes and spacing."""
    out = []
    for ch in words:
        if ch in RETYPE and rnd.random() < 0.5:
            out.append(rnd.choice(RETYPE[ch]))
        elif ch.isspace() and rnd.random() < 0.5:
            out.append(rnd.choice(SPACES))
        else:
            out.append(ch)
    text = "".join(out)
    if rnd.random() < 0.2:
        text = rnd.choice(SPACES) + text + rnd.choice(SPACES)
    return text


generated_body = st.lists(
    st.sampled_from(list("abcdeABC xyz.,;:!?()01Жé") + list("“”‘’\"'-–—")
                    + [" ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2009", "\r\n"]),
    min_size=1, max_size=120).map("".join)


def body_of(name: str) -> str:
    text = (SMALL / name).read_text(encoding="utf-8")
    return text.split("\n---\n", 1)[1]


bodies = st.one_of(generated_body, st.sampled_from([body_of(n) for n in SOURCE_FILES]))

QUOTE_OUTLINE = OUTLINE.format(blocks="      - excerpt: src\n{keys}")
SOURCE_HEAD = "---\ntitle: S\nauthor: A\noutlet: O\npublished: 2020\nurl: null\nlanguage: en\n---\n"


def quoted(value: str) -> str:
    """A YAML double-quoted scalar holding exactly ``value``."""
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=10**9).strip()


def quote_project(root: Path, body: str, **keys: str) -> Path:
    (root / "book").mkdir()
    (root / "seeds").mkdir()
    lines = "".join(f"        {k}: {quoted(v)}\n" for k, v in keys.items())
    (root / "book" / "outline.yaml").write_bytes(encode(QUOTE_OUTLINE.format(keys=lines)))
    (root / "seeds" / "src.md").write_bytes(encode(SOURCE_HEAD + body))
    return root


def substring(data, body: str, label: str) -> tuple[int, int]:
    start = data.draw(st.integers(0, len(body) - 1), label=f"{label} start")
    end = data.draw(st.integers(start + 1, min(len(body), start + 80)), label=f"{label} end")
    return start, end


@PROPERTY
@given(data=st.data(), body=bodies, rnd=st.randoms(use_true_random=False))
def test_quote_from_the_source_is_found(data, body, rnd):
    start, end = substring(data, body, "quote")
    words = model(body[start:end])
    assume(words)
    quote = retype(body[start:end], rnd)
    occurrences = count(model(body), words)
    assert occurrences >= 1
    with tempfile.TemporaryDirectory() as tmp:
        project = quote_project(Path(tmp), body, quote=quote)
        errors = check_project(project)
        if occurrences == 1:
            assert errors == [], [str(e) for e in errors]
            [excerpt] = check(project).chapters[0].blocks
            assert model(" ".join(excerpt.paragraphs)) == words
        else:
            assert [(e.where.line, f"occurs {occurrences} times" in e.message) for e in errors] \
                == [(7, True)], [str(e) for e in errors]


@PROPERTY
@given(data=st.data(), body=bodies, rnd=st.randoms(use_true_random=False))
def test_from_to_drawn_from_the_source(data, body, rnd):
    a, b = substring(data, body, "from")
    c, d = substring(data, body, "to")
    first, last = model(body[a:b]), model(body[c:d])
    assume(first and last)
    norm = model(body)
    starts = [i for i in range(len(norm)) if norm.startswith(first, i)]
    ends = [i for i in range(len(norm)) if norm.startswith(last, i)]
    with tempfile.TemporaryDirectory() as tmp:
        project = quote_project(Path(tmp), body, **{"from": retype(body[a:b], rnd),
                                                    "to": retype(body[c:d], rnd)})
        errors = check_project(project)
        # 'to' is the first occurrence starting no earlier than 'from' and ending after it
        later = [i for i in ends if len(starts) == 1 and i >= starts[0]
                 and i + len(last) > starts[0] + len(first)]
        if len(starts) == 1 and later:
            assert errors == [], [str(e) for e in errors]
            [excerpt] = check(project).chapters[0].blocks
            assert model(" ".join(excerpt.paragraphs)) == norm[starts[0]:later[0] + len(last)]
        else:
            assert len(errors) == 1 and errors[0].where.line == 7, [str(e) for e in errors]
            expected = ("occurs" if len(starts) > 1 else "ends inside its 'from'"
                        if any(i >= starts[0] for i in ends) else "comes before its 'from'")
            assert expected in errors[0].message, str(errors[0])


# ---- (5) positions ----------------------------------------------------------------

@PROPERTY
@given(text=st.text(alphabet=st.sampled_from(list("ab \t\n\r\x85\u2028\u2029\x0b\x0c")), max_size=60),
       offset=st.integers(0, 3))
def test_line_index_counts_lines_as_editors_do(text, offset):
    """Every index gets the line and column of the simple definition (lines end at
    '\\n' only), however the line starts are found."""
    from bookmaker.yamlsrc import LineIndex

    lines = LineIndex(text, Path("f.yaml"), offset)
    for index in range(-1, len(text) + 2):
        at = max(0, min(index, len(text)))
        expected = (text.count("\n", 0, at) + 1 + offset, at - (text.rfind("\n", 0, at) + 1) + 1)
        where = lines.at(index)
        assert (where.line, where.column) == expected, (text, index)
