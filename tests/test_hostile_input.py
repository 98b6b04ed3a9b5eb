"""Hostile input, round two (issue 9): alias bombs, quadratic positions, characters
no EPUB can hold, nesting no renderer survives, and excerpts that contradict
their own bounds.  Each error names the file, line and column."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
import helpers
from helpers import assert_valid_epub, make_project, pdf_pages
from lxml import etree

from bookmaker.api import build, check
from bookmaker.errors import BookError, BuildFailed
from bookmaker.render.html import MARKDOWN_NESTING, markdown
from bookmaker.yamlsrc import load_yaml


def outline(blocks: str) -> str:
    """The smallest outline, its one chapter holding ``blocks`` (YAML at six spaces)."""
    return helpers.OUTLINE.format(blocks=blocks)


def errors_of(tmp_path, text: str, sources: dict[str, str] | None = None, files=None):
    make_project(tmp_path, text, sources, files)
    with pytest.raises(BuildFailed) as exc:
        check(tmp_path)
    return exc.value.errors


# ---- duplicate quotes name the lines they occur on ------------------------------------

def test_duplicate_quote_names_its_lines(tmp_path):
    # helpers.SOURCE has eight lines of front matter, so the body starts on line 9.
    body = "Same words here.\n\nOther words.\nSame words here.\n"
    [error] = errors_of(tmp_path, outline("      - excerpt: one\n        quote: Same words here\n"),
                        {"one": body})
    assert "occurs 2 times" in error.message
    assert "(lines 9, 12 of one.md)" in error.message, error.message
    lines = (tmp_path / "seeds" / "one.md").read_text().split("\n")
    assert lines[8] == lines[11] == "Same words here."


# ---- positions: the text is scanned once per file, not once per node ------------------

class Spied(str):
    """A text that counts the calls of the str methods that scan it."""

    scans = 0


def _spy(name: str):
    def scan(self, *args):
        Spied.scans += 1
        return getattr(str, name)(self, *args)
    return scan


for _name in ("count", "find", "rfind", "index", "rindex", "split", "rsplit", "splitlines",
              "partition", "rpartition", "startswith", "endswith"):
    setattr(Spied, _name, _spy(_name))


def chapters(n: int) -> str:
    return "title: T\neditors: [E]\nlanguage: en\nchapters:\n" + "".join(
        f"  - title: Chapter {i}\n    content:\n      - excerpt: one\n        quote: words\n"
        for i in range(n))


def scans_to_load(text: str) -> int:
    Spied.scans = 0
    data = load_yaml(Spied(text), Path("outline.yaml"))
    assert data["chapters"].where(len(data["chapters"]) - 1).line == len(text.split("\n")) - 4
    return Spied.scans


def test_positions_do_not_rescan_the_text_for_each_node():
    # Counting lines from the top for every node made a 10,000-chapter outline take
    # 11 s against 0.3 s for 1,000.  The number of scans must not grow with the nodes.
    small, large = scans_to_load(chapters(10)), scans_to_load(chapters(1000))
    assert large == small and small <= 2, (small, large)


# ---- alias bombs: the expanded file is counted while it is loaded ---------------------

# Each list repeats the one above ten times: 11 values, then 111, ... 11,111,111 on line 7.
BOMB = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "x"] * 10) + "]\n"
               for i in range(9))
QUOTING = outline("      - excerpt: one\n        quote: first sentence\n")


@pytest.mark.parametrize("name, files, line", [
    ("outline.yaml", {"book/outline.yaml": BOMB}, 7),
    ("claims.yaml", {"book/claims.yaml": BOMB}, 7),
    ("timeline.yaml", {"book/timeline.yaml": BOMB}, 7),
    ("one.md", {"seeds/one.md": "---\n" + BOMB + "---\nThe first sentence.\n"}, 8),
])
def test_alias_bomb_is_refused_at_the_alias_that_passes_the_limit(tmp_path, name, files, line):
    errors = errors_of(tmp_path, QUOTING, files=files)
    [error] = [e for e in errors if e.where.name == name]
    assert "more than 2,000,000 values once its aliases are expanded" in error.message
    assert error.where.line == line and error.hint, str(error)
    text = (tmp_path / ("book" if name.endswith(".yaml") else "seeds") / name).read_text()
    assert text.split("\n")[line - 1][error.where.column - 1:].startswith("*l5")


def test_bomb_of_aliased_chapters_compare_groups_and_excerpts_exits_1(tmp_path):
    # The case: 300 chapters of 300 compare groups of 300 excerpts, in 3.7 KB.
    def many(name: str) -> str:
        return ", ".join([f"*{name}"] * 299)

    make_project(tmp_path, "title: T\neditors: [E]\nlanguage: en\nchapters: [\n"
                 "  &c {title: C, content: [\n"
                 "    &g {compare: [\n"
                 "      &x {excerpt: one, quote: first sentence},\n"
                 f"      {many('x')}]}},\n"
                 f"    {many('g')}]}},\n"
                 f"  {many('c')}]\n")
    assert (tmp_path / "book" / "outline.yaml").stat().st_size < 4000
    run = subprocess.run([sys.executable, "-m", "bookmaker", "check", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "outline.yaml:10:" in run.stderr and "aliases are expanded" in run.stderr, run.stderr


def test_every_value_an_alias_repeats_is_counted(monkeypatch, tmp_path):
    # the mapping, its keys a and b, list a (1 + 99 values), list b (1 + 99 aliases of 100):
    # 1 + 2 + 100 + 1 + 9,900 = 10,004 values; one more alias is one too many.
    from bookmaker import yamlbounds, yamlsrc

    monkeypatch.setattr(yamlbounds, "MAX_VALUES", 10_004)
    text = "a: &a [" + ", ".join(["x"] * 99) + "]\nb: [" + ", ".join(["*a"] * 99) + "]\n"
    assert len(yamlsrc.load_yaml(text, tmp_path / "f.yaml")["b"]) == 99
    with pytest.raises(BookError, match="more than 10,004 values") as exc:
        yamlsrc.load_yaml(text.replace("*a]", "*a, *a]"), tmp_path / "f.yaml")
    assert (exc.value.where.line, exc.value.where.column) == (2, 5 + 4 * 99)  # the 100th alias


def test_long_text_repeated_by_aliases_is_counted(tmp_path):
    text = f"a: &a '{'x' * 100_000}'\nb: [" + ", ".join(["*a"] * 600) + "]\n"
    with pytest.raises(BookError, match="more than 50,000,000 characters") as exc:
        load_yaml(text, tmp_path / "f.yaml")
    assert exc.value.where.line == 2


def test_alias_inside_the_value_it_names(tmp_path):
    with pytest.raises(BookError, match=r"alias \*a is used inside the value it names") as exc:
        load_yaml("chapters: &a [{title: C, content: *a}]\n", tmp_path / "f.yaml")
    assert (exc.value.where.line, exc.value.where.column) == (1, 35)


def test_nesting_is_counted_through_aliases(tmp_path):
    deep = "[" * 40 + "x" + "]" * 40
    with pytest.raises(BookError, match="nested more than 64 levels deep once the alias") as exc:
        load_yaml(f"a: &a {deep}\nb: &b {deep.replace('x', '*a')}\n", tmp_path / "f.yaml")
    assert exc.value.where.line == 2
    shallow = load_yaml(f"a: &a {deep}\nb: [[*a]]\n", tmp_path / "f.yaml")
    assert shallow["b"][0][0] is shallow["a"]


def test_the_limit_leaves_room_for_a_10000_chapter_book():
    # The shipped book's outline, chapter for chapter, at 10,000 chapters.
    from bookmaker import yamlbounds, yamlsrc

    def size(node) -> tuple[int, int]:
        if isinstance(node, yaml.ScalarNode):
            return 1, len(node.value)
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) \
            else node.value
        sizes = [size(c) for c in children]
        return 1 + sum(v for v, _ in sizes), sum(t for _, t in sizes)

    root = yaml.compose((helpers.ROOT / "book" / "outline.yaml").read_text(encoding="utf-8"))
    chapters = next(v for k, v in root.value if k.value == "chapters").value
    values, text = size(root)
    assert values * 10_000 / len(chapters) < yamlbounds.MAX_VALUES / 1.5
    # Without aliases the text of an outline is at most the file size limit.
    from bookmaker.files import DEFAULT_MAX_BYTES
    assert min(text * 10_000 / len(chapters), DEFAULT_MAX_BYTES) < yamlbounds.MAX_TEXT / 1.5


# ---- text hazards: characters no book can hold are refused where they are written -----

NOTE = outline("      - excerpt: one\n        quote: first sentence\n"
               "      - note: {note}\n        kind: context\n")


@pytest.mark.parametrize("files, name, line, column, code", [
    # a lone surrogate, by a YAML escape, in a note and in a title (UnicodeEncodeError in build)
    ({"book/outline.yaml": NOTE.format(note='"A note \\ud800 here."')}, "outline.yaml", 9, 23, "D800"),
    ({"book/outline.yaml": NOTE.replace("title: C", 'title: "C \\uDC00"')}, "outline.yaml", 5, 15,
     "DC00"),
    # U+FFFE and a control character written as escapes, after an escaped backslash
    ({"book/outline.yaml": NOTE.format(note='"\\\\ufffe is fine, \\ufffe is not"')}, "outline.yaml",
     9, 33, "FFFE"),
    ({"book/outline.yaml": NOTE.format(note='"bell: \\a"')}, "outline.yaml", 9, 22, "0007"),
    # a noncharacter written as itself (PyYAML's reader lets U+FDD0 through)
    ({"book/outline.yaml": NOTE.format(note="plain \ufdd0 text")}, "outline.yaml", 9, 21, "FDD0"),
    ({"book/outline.yaml": NOTE.format(note="|\n          block\n          x\U0001fffe")},
     "outline.yaml", 11, 12, "1FFFE"),
    # every YAML file: claims, timeline, a source's front matter; keys as well as values
    ({"book/claims.yaml": 'claims:\n  - id: c1\n    claim: "\\uFFFF"\n'}, "claims.yaml", 3, 13, "FFFF"),
    ({"book/timeline.yaml": 'events:\n  - date: 1901\n    "ev\\x01ent": E\n'}, "timeline.yaml",
     3, 8, "0001"),
    ({"seeds/one.md": helpers.SOURCE.format(id="one", title='"T \\ud83d"', author="A",
                                            language="en", text="The first sentence.")},
     "one.md", 2, 11, "D83D"),
    # the body of a source: the quoted passage itself (a FATAL error in EPUBCheck)
    ({"seeds/one.md": helpers.SOURCE.format(id="one", title="T", author="A", language="en",
                                            text="The first sentence.\nA second \ufffe one.")},
     "one.md", 10, 10, "FFFE"),
    ({"seeds/one.md": helpers.SOURCE.format(id="one", title="T", author="A", language="en",
                                            text="The first sentence.\f")}, "one.md", 9, 20, "000C"),
])
def test_character_no_book_can_hold_is_refused_where_it_is_written(tmp_path, files, name, line,
                                                                   column, code):
    files = dict(files)
    text = files.pop("book/outline.yaml", NOTE.format(note="A note."))
    errors = errors_of(tmp_path, text, files=files)
    [error] = [e for e in errors if e.where.name == name]
    assert f"U+{code} " in error.message and "not allowed in text" in error.message, str(error)
    assert (error.where.line, error.where.column) == (line, column), str(error)
    assert error.hint


def test_surrogate_pair_in_escapes_gets_the_escape_of_the_whole_character(tmp_path):
    [error] = errors_of(tmp_path, NOTE.format(note='"smile \\ud83d\\ude00"'))
    assert "write \\U0001F600" in error.hint and "\U0001f600" in error.hint


def test_escape_past_the_last_character_is_a_syntax_error(tmp_path):
    # chr(0xFFFFFFFF) escaped from PyYAML as OverflowError, a traceback
    [error] = errors_of(tmp_path, NOTE.format(note='"big \\UFFFFFFFF"'))
    assert "the escape \\UFFFFFFFF names no character" in error.message
    assert (error.where.line, error.where.column) == (9, 20)


def test_escapes_of_allowed_characters_are_kept(tmp_path):
    make_project(tmp_path, NOTE.format(note='"tab\\there, \\\\ud800 as text, \\u00e9, \\U0001F600"'))
    [_, note] = check(tmp_path).chapters[0].blocks
    assert note.markdown == "tab\there, \\ud800 as text, \u00e9, \U0001f600"


def test_surrogate_in_a_note_fails_the_build_cleanly(tmp_path):
    make_project(tmp_path, NOTE.format(note='"A note \\ud800 here."'))
    run = subprocess.run([sys.executable, "-m", "bookmaker", "build", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "outline.yaml:9:23: character U+D800" in run.stderr
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


# ---- note Markdown: nesting is bounded, character references cleaned ----------------

def test_note_of_600_nested_stars_renders_in_both_outputs(tmp_path):
    # 600 '*' made 300 nested <strong>: WeasyPrint died of RecursionError.
    stars = "*" * 600
    make_project(tmp_path, outline(
        "      - excerpt: one\n        quote: first sentence\n"
        f"      - note: '{stars}deepword{stars}'\n        kind: context\n"
        "      - note: 'a form feed &#12; here, [and](https://example.org \"in &#12; a title\")'\n"
        "        kind: context\n"))
    result = build(tmp_path)
    assert "deepword" in " ".join(pdf_pages(result.outputs["pdf"]))
    assert_valid_epub(result.outputs["epub"])
    with zipfile.ZipFile(result.outputs["epub"]) as epub:
        chapter = etree.fromstring(epub.read("EPUB/c.xhtml"))  # the chapter titled C
    [word] = [el for el in chapter.iter("{*}strong") if el.text and "deepword" in el.text]
    assert len(list(word.iterancestors("{*}strong"))) + 1 == MARKDOWN_NESTING
    rest = "*" * (600 - 2 * MARKDOWN_NESTING)  # what the bound left as the characters typed
    assert word.text == rest + "deepword" + rest
    assert "a form feed \ufffd here" in "".join(chapter.itertext())
    assert chapter.find(".//{*}a[@title='in \ufffd a title']") is not None


def test_markdown_nesting_is_bounded_everywhere():
    md = markdown()
    for text in ("*" * 600 + "x" + "*" * 600, "_a " * 400 + "x" + " a_" * 400,
                 "> " * 600 + "x", "- " * 600 + "x", "*[**a**](#x)*" * 50):
        depth = deepest(etree.fromstring(f"<div>{md.render(text)}</div>"))
        assert depth <= MARKDOWN_NESTING + 2, (text[:20], depth)
    inline = etree.fromstring(f"<div>{md.renderInline('*' * 600 + 'x' + '*' * 600)}</div>")
    assert deepest(inline) == MARKDOWN_NESTING + 1


def deepest(element, depth: int = 1) -> int:
    return max([deepest(child, depth + 1) for child in element] + [depth])


# ---- excerpt rules --------------------------------------------------------------------

def from_to(start: str, end: str) -> str:
    return outline(f"      - excerpt: one\n        from: \"{start}\"\n        to: \"{end}\"\n")


def test_to_must_end_after_from_ends(tmp_path):
    # 'two' lies inside 'from': the excerpt was "one two", shorter than its own 'from'
    [error] = errors_of(tmp_path, from_to("one two three", "two"), {"one": "one two three four."})
    assert "'to' (\"two\") ends inside its 'from' (\"one two three\")" in error.message
    assert error.where.line == 7 and "quote" in error.hint


@pytest.mark.parametrize("end, body, passage", [
    ("four", "one two three four.", "one two three four"),          # after 'from'
    ("three four", "one two three four.", "one two three four"),    # overlapping its end
    ("two", "one two three two four.", "one two three two"),        # the first 'two' after it
])
def test_to_that_ends_after_from(tmp_path, end, body, passage):
    make_project(tmp_path, from_to("one two three", end), {"one": body})
    [excerpt] = check(tmp_path).chapters[0].blocks
    assert excerpt.paragraphs == (passage,)


def test_to_before_from_is_still_reported_as_such(tmp_path):
    [error] = errors_of(tmp_path, from_to("three", "one"), {"one": "one two three four."})
    assert "comes before its 'from'" in error.message


INVISIBLE = '"\\u200b\\u200b"'
HIDDEN_BODY = "The first sentence. Hidden \u200b\u200b here."


@pytest.mark.parametrize("files, name, line, key", [
    ({"book/outline.yaml": outline(f"      - excerpt: one\n        quote: {INVISIBLE}\n")},
     "outline.yaml", 8, "quote"),
    ({"book/outline.yaml": outline(f"      - excerpt: one\n        from: {INVISIBLE}\n"
                                   "        to: sentence\n")}, "outline.yaml", 8, "from"),
    ({"book/outline.yaml": outline("      - excerpt: one\n        from: first\n"
                                   "        to: \"\\u00ad\\u2060\\u0301\"\n")}, "outline.yaml", 9, "to"),
    ({"book/claims.yaml": "claims:\n  - id: c1\n    claim: C\n    verdict: wrong\n    explanation: E\n"
                          f"    made_by:\n      - source: one\n        text: {INVISIBLE}\n"},
     "claims.yaml", 8, "text"),
    ({"book/claims.yaml": "claims: []\nslips:\n  - source: one\n"
                          f"    text: {INVISIBLE}\n    correction: C\n"}, "claims.yaml", 4, "text"),
    ({"seeds/one.md": helpers.SOURCE.format(
        id="one", title="T", author="A", language="en", text=HIDDEN_BODY).replace(
        "language: en\n", f"language: en\nprofile:\n  stance: S\n  stance_evidence: {INVISIBLE}\n")},
     "one.md", 10, "stance_evidence"),
])
def test_quote_of_invisible_characters_is_refused(tmp_path, files, name, line, key):
    # The source holds the two zero-width spaces, so each of these was found, and accepted.
    files = {"seeds/one.md": helpers.SOURCE.format(id="one", title="T", author="A",
                                                    language="en", text=HIDDEN_BODY), **files}
    text = files.pop("book/outline.yaml", outline("      - excerpt: one\n        quote: first\n"))
    errors = errors_of(tmp_path, text, files=files)
    [error] = [e for e in errors if e.where.name == name]
    assert error.message.startswith(f"'{key}' must not be empty (it holds only characters no "
                                    "reader can see: U+"), str(error)
    assert error.where.line == line, str(error)


def test_a_name_of_invisible_characters_is_no_name(tmp_path):
    text = outline("      - excerpt: one\n        quote: first\n").replace("[E]", '["\\u200d"]')
    [error] = errors_of(tmp_path, text)
    assert "'editors' must be a name or a list of names" in error.message and error.where.line == 2
