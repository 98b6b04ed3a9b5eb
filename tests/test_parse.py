"""Front matter and outline parsing: what is accepted, and every error's location."""
import pytest
import helpers
from helpers import make_project

from bookmaker.api import check
from bookmaker.errors import BuildFailed

OUTLINE = helpers.OUTLINE.format(blocks="      - excerpt: one\n        quote: first sentence\n")


def errors(tmp_path, outline=OUTLINE, sources=None):
    make_project(tmp_path, outline, sources)
    with pytest.raises(BuildFailed) as exc:
        check(tmp_path)
    return exc.value.errors


def front(**keys):
    base = {"title": "A title", "author": "Ann Author", "outlet": "O", "published": "2020",
            "url": "null", "language": "en"}
    base.update(keys)
    lines = [f"{k}: {v}" for k, v in base.items() if v is not None]
    return "---\n" + "\n".join(lines) + "\n---\nThe first sentence.\n"


def test_front_matter_values(tmp_path):
    make_project(tmp_path, OUTLINE, {"one": front(author="[A One, B Two]", translator="T Three",
                                                  published="2019-04", id="one")})
    source = check(tmp_path).sources[0]
    assert source.authors == ("A One", "B Two") and source.translators == ("T Three",)
    assert source.published == "2019-04" and source.url is None


def test_no_byline(tmp_path):
    make_project(tmp_path, OUTLINE, {"one": front(author="null")})
    assert check(tmp_path).sources[0].authors == ()


def test_id_defaults_to_file_name(tmp_path):
    make_project(tmp_path, OUTLINE, {"one": front()})
    assert check(tmp_path).sources[0].id == "one"


@pytest.mark.parametrize("keys, message, line", [
    ({"autor": "X"}, "unknown key 'autor' in front matter", 8),
    ({"published": "April 2019"}, "'published' must be YYYY", 5),
    ({"language": None}, "missing required key 'language'", 2),
    ({"url": "file:///etc/passwd"}, "'url' must be an http(s) address", 6),
    ({"id": "../escape"}, "may hold only letters", 8),
])
def test_front_matter_errors(tmp_path, keys, message, line):
    errs = errors(tmp_path, sources={"one": front(**keys)})
    assert any(message in e.message and e.where.line == line and e.where.name == "one.md"
               for e in errs), [str(e) for e in errs]


def test_misspelt_key_gets_a_hint(tmp_path):
    errs = errors(tmp_path, sources={"one": front(autor="X")})
    assert errs[0].hint == "did you mean 'author'?"


def test_unclosed_front_matter(tmp_path):
    errs = errors(tmp_path, sources={"one": "---\ntitle: x\nThe text.\n"})
    assert "never closed" in errs[0].message and errs[0].where.line == 1


def test_source_not_utf8(tmp_path):
    make_project(tmp_path, OUTLINE)
    (tmp_path / "seeds" / "one.md").write_bytes(b"---\ntitle: x\n---\n\xff\xfe bad")
    with pytest.raises(BuildFailed) as exc:
        check(tmp_path)
    assert "not UTF-8" in exc.value.errors[0].message
    assert exc.value.errors[0].where.line == 4


def test_duplicate_source_ids(tmp_path):
    errs = errors(tmp_path, sources={"one": front(), "two": front(id="one")})
    assert any("duplicate source id 'one'" in e.message for e in errs)


@pytest.mark.parametrize("outline, message, line", [
    (OUTLINE.replace("  - title: C", "  - titel: C"), "unknown key 'titel'", 5),
    (OUTLINE.replace("      - excerpt: one", "      - exerpt: one"), "no block type", 7),
    ("title: T\neditors: [E]\nlanguage: en\nchapters: 7\n", "'chapters' must be a list", 4),
    ("title: T\nlanguage: en\nchapters: []\n", "missing required key 'editors'", 1),
    (OUTLINE + "      - note: hi\n        kind: opinion\n", "unknown note kind 'opinion'", 10),
    (OUTLINE.replace("quote: first sentence", "quote: first sentence\n        from: x"),
     "either 'quote' or 'from'", 7),
    (OUTLINE.replace("excerpt: one", "excerpt: ../one"), "is not a source id", 7),
    (OUTLINE.replace("excerpt: one", "excerpt: /etc/passwd"), "is not a source id", 7),
    (OUTLINE.replace("excerpt: one", "excerpt: seeds/one.md"), "is not a source id", 7),
    (OUTLINE.replace("excerpt: one", "excerpt: onne"), "unknown source id 'onne'", 7),
    (OUTLINE + "\ttitle: x\n", "YAML syntax error", 9),
    (OUTLINE.replace("    content:", "   content:"), "YAML syntax error", 6),
    (OUTLINE + "title: again\n", "duplicate key 'title'", 9),
])
def test_outline_errors(tmp_path, outline, message, line):
    errs = errors(tmp_path, outline, {"one": front()})
    assert any(message in e.message and e.where.line == line and e.where.name == "outline.yaml"
               for e in errs), [str(e) for e in errs]


def test_tab_error_hint(tmp_path):
    errs = errors(tmp_path, OUTLINE + "\ttitle: x\n", {"one": front()})
    assert "spaces" in errs[0].hint


def test_empty_outline(tmp_path):
    errs = errors(tmp_path, "", {"one": front()})
    assert "the outline is empty" in errs[0].message


def test_misspelt_block_type_hint(tmp_path):
    errs = errors(tmp_path, OUTLINE.replace("      - excerpt: one", "      - exerpt: one"), {"one": front()})
    assert errs[0].hint == "did you mean 'excerpt'?"


def test_all_errors_reported_together(tmp_path):
    outline = OUTLINE.replace("excerpt: one", "excerpt: nope") + "      - note: x\n        kind: bad\n"
    errs = errors(tmp_path, outline, {"one": front(autor="x")})
    assert len(errs) >= 3


@pytest.mark.parametrize("chapter_id", ["sources", "timeline", "fn3", "src-one"])
def test_reserved_chapter_ids(tmp_path, chapter_id):
    outline = OUTLINE.replace("  - title: C\n", f"  - title: C\n    id: {chapter_id}\n")
    errs = errors(tmp_path, outline, {"one": front()})
    assert any("is reserved" in e.message and e.where.line == 6 for e in errs), [str(e) for e in errs]


# ---- regressions found by the property tests (test_properties.py) ----------------

def outline_errors(tmp_path, raw: bytes):
    make_project(tmp_path, OUTLINE, {"one": front()})
    (tmp_path / "book" / "outline.yaml").write_bytes(raw)
    return errors_of(tmp_path)


def errors_of(project):
    with pytest.raises(BuildFailed) as exc:
        check(project)
    return exc.value.errors


@pytest.mark.parametrize("raw, message, line", [
    # a control character: had no line, and PyYAML's '"<unicode string>", position N'
    (OUTLINE.encode() + b"\x00\n", "U+0000 is not allowed", 9),
    # not UTF-8: had no line
    (b"title: T\n\xff\n", "not UTF-8", 2),
    # PyYAML counts U+2028 and a lone CR as line ends: line 4, and line 2 of a 1-line file
    ("title: T\u2028\u2028\nbogus: 1\n".encode(), "unknown key 'bogus'", 2),
    (b"title: T\rbogus: 1\r", "unknown key 'bogus'", 1),
    # an explicit tag on the wrong kind of node: ValueError, AttributeError
    (b"title: T\neditors: !!map E\n", "the tag !!map needs a mapping, not a scalar", 2),
    (b"title: T\neditors: !!seq {a: 1}\n", "the tag !!seq needs a sequence, not a mapping", 2),
    # deep nesting: RecursionError
    (b"title: T\nchapters: " + b"[" * 500 + b"\n", "nested more than 64 levels", 2),
    (b"title: T\nchapters:\n" + b"- " * 500 + b"x\n", "nested more than 64 levels", 3),
    # a mapping as a key: str() of it doubled per level; 40 levels ran out of memory
    (b"title: T\n" + b"? " * 40 + b"x\n", "a key must be a plain word, not a mapping", 2),
], ids=["nul", "not-utf8", "u2028", "lone-cr", "map-tag", "seq-tag", "deep-flow", "deep-block",
        "nested-keys"])
def test_outline_yaml_regressions(tmp_path, raw, message, line):
    errs = outline_errors(tmp_path, raw)
    assert any(message in e.message and e.where.line == line for e in errs), [str(e) for e in errs]


def test_timeline_reference_that_is_not_an_id(tmp_path):
    """A list inside 'sources:' raised TypeError (unhashable) in the timeline check."""
    timeline = "events:\n  - date: 1901\n    event: E\n    sources: [[one], {a: 1}]\n"
    make_project(tmp_path, OUTLINE, {"one": front()}, files={"book/timeline.yaml": timeline})
    errs = errors_of(tmp_path)
    assert [(e.message, e.where.line) for e in errs] == [
        ("each of 'sources' must be an id, not a list", 4),
        ("each of 'sources' must be an id, not a mapping", 4)]


def test_profile_that_is_a_list(tmp_path):
    """`profile: []` raised TypeError while locating its stance_evidence."""
    errs = errors(tmp_path, sources={"one": front(profile="[]")})
    assert any("profile must be a mapping" in e.message and e.where.line == 8 for e in errs), \
        [str(e) for e in errs]


def test_source_with_old_mac_line_ends(tmp_path):
    """Lines end at '\\n': a CR-only file had front-matter errors on lines past its end."""
    make_project(tmp_path, OUTLINE)
    (tmp_path / "seeds" / "one.md").write_bytes(front(autor="x").replace("\n", "\r").encode())
    [error] = errors_of(tmp_path)[:1]
    assert "must start with a front-matter block" in error.message and error.where.line == 1
    assert "line ends" in error.hint


def test_source_file_name_cannot_make_an_escaping_id(tmp_path):
    make_project(tmp_path, OUTLINE, {"one": front()})
    (tmp_path / "seeds" / "..evil.md").write_text(front(), encoding="utf-8")
    errs = errors(tmp_path)
    assert any("may hold only letters" in e.message and e.where.name == "..evil.md" for e in errs)
