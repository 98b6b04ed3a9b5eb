"""Chapter selections: the SPEC, the selected book, and the handout it prints as."""
import re
import subprocess
import sys
import zipfile

import pytest
from helpers import BOOKS, ROOT, assert_valid_epub, copy_project, pdf_outline_titles, pdf_pages
from pypdf import PdfReader

from bookmaker import build
from bookmaker.documents import plan
from bookmaker.errors import BuildFailed, UsageError
from bookmaker.loader import load_book
from bookmaker.render.html import appendices
from bookmaker.selection import select
from bookmaker.spec import SpecError, label, resolve, scope

sys.path.insert(0, str(ROOT / "scripts"))
from ace import run_ace  # noqa: E402

IDS = ["intro", "alpha", "beta", "gamma", "delta"]
BOOKMAKER = [sys.executable, "-m", "bookmaker"]


# ---- the SPEC ----------------------------------------------------------------

@pytest.mark.parametrize("spec, chosen", [
    ("3", (2,)), ("beta", (2,)), ("2-4", (1, 2, 3)), ("intro,4-5", (0, 3, 4)),
    ("5,2", (1, 4)), ("2,2-3, 3", (1, 2)), (" alpha , beta ", (1, 2)), ("1,", (0,)), ("3 - 4", (2, 3)),
])
def test_a_spec_names_chapters_by_id_position_and_range_in_book_order(spec, chosen):
    assert resolve(spec, IDS) == chosen


@pytest.mark.parametrize("spec, message, hint", [
    ("", "the selection is empty", "by id, position or range"),
    (" , ", "the selection is empty", None),
    ("6", "chapter 6 (in '6') is out of range", "the book has 5 chapters, 1-5"),
    ("0", "out of range", "1-5"),
    ("2-9", "chapter 9 (in '2-9') is out of range", None),
    ("4-2", "the range 4-2 runs backwards", "write 2-4"),
    ("gamme", "unknown chapter 'gamme'", "did you mean 'gamma'?"),
    ("zzz", "unknown chapter 'zzz'", "the chapters are 1 intro, 2 alpha"),
])
def test_a_bad_spec_says_what_is_wrong(spec, message, hint):
    with pytest.raises(SpecError) as caught:
        resolve(spec, IDS)
    assert message in caught.value.message
    if hint:
        assert hint in caught.value.hint


def test_handout_names_count_on_the_command_line_only():
    handouts = {"week-1": ("alpha", "gamma")}
    assert resolve("week-1", IDS, handouts) == (1, 3)
    assert resolve("week-1,intro", IDS, handouts) == (0, 1, 3)
    with pytest.raises(SpecError, match="unknown chapter 'week-1'"):
        resolve("week-1", IDS)
    with pytest.raises(SpecError) as caught:
        resolve("week-2", IDS, handouts)
    assert "chapter or handout" in caught.value.message and "week-1" in caught.value.hint


def test_a_selection_has_one_name_however_it_is_written():
    assert label((2,), IDS) == "beta"
    assert label(resolve("2,3,4", IDS), IDS) == label(resolve("2-4", IDS), IDS) == "chapters-2-4"
    assert label((0, 3, 4), IDS) == "chapters-1+4-5"
    assert scope((2,)) == "Chapter 3"
    assert scope((0, 3, 4)) == "Chapters 1 and 4\u20135"
    assert scope((0, 2, 4)) == "Chapters 1, 3 and 5"


# ---- the selected book -----------------------------------------------------------

@pytest.fixture(scope="module")
def large(large_project):
    return load_book(large_project)


def test_footnotes_restart_and_each_source_is_introduced_again(large):
    full_numbers = [x.number for x in large.chapters[4].excerpts()]
    assert full_numbers[0] > 1
    part = select(large, [4, 6], "chapters-5+7")
    excerpts = [x for ch in part.chapters for x in ch.excerpts()]
    assert [x.number for x in excerpts] == list(range(1, len(excerpts) + 1))
    firsts = [x.source for x in excerpts if x.first_of_source]
    assert firsts == list(dict.fromkeys(x.source for x in excerpts))  # once each, at the first
    assert [s.id for s in part.sources] == firsts
    assert [ch.id for ch in part.chapters] == ["ch05", "ch07"]


def test_back_matter_keeps_only_what_the_selection_uses(large):
    third = select(large, [2], "ch03")  # quotes west and north; its note answers k3
    assert {s.id for s in third.sources} == {"west", "north"}
    assert [c.id for c in third.editorial.claims] == ["k3"]
    assert third.editorial.slips == ()
    assert all({"west", "north"} & set(e.sources) for e in third.editorial.events)
    assert len(third.editorial.events) < len(large.editorial.events)
    seventh = select(large, [6], "ch07")
    assert [s.id for s in seventh.editorial.slips] == ["s1"]
    first = select(large, [0], "ch01")
    assert first.editorial.claims == () and first.editorial.slips == ()
    assert [a[0] for a in appendices(first)] == ["timeline", "sources"]


def test_a_selection_that_quotes_nothing_has_no_back_matter(tmp_path):
    from helpers import make_project

    project = make_project(tmp_path, """\
        title: T
        editors: [E]
        language: en
        chapters:
          - title: Words only
            content:
              - text: No quotation here.
          - title: Quoted
            content:
              - excerpt: one
                quote: The first sentence.
        """)
    book = load_book(project)
    assert appendices(select(book, [0], "words-only")) == []
    assert [a[0] for a in appendices(select(book, [1], "quoted"))] == ["sources"]


def test_the_selection_knows_the_full_book(large):
    part = select(large, [2, 3], "chapters-3-4")
    extract = part.extract
    assert extract.scope == "Chapters 3\u20134"
    assert extract.title == "The Harbour Council: Chapters 3\u20134"
    assert [r.number for r in extract.chapters if r.included] == [3, 4]
    assert len(extract.chapters) == 14
    assert extract.chapters[0].anchors == ("ch01-the-vote-of-meeting-1",)
    with pytest.raises(ValueError):
        select(part, [0], "again")


# ---- the handout as built ---------------------------------------------------------

@pytest.fixture(scope="module")
def third(large_project, tmp_path_factory):
    """Chapter 3 of the large book, PDF and EPUB."""
    out = tmp_path_factory.mktemp("third")
    result = build(large_project, out=out, chapters="3")
    return result, out


def test_a_selection_is_named_after_it_and_leaves_the_book_alone(third):
    result, out = third
    assert sorted(p.name for p in out.iterdir()) == [".bookmaker-cache.json", "the-harbour-council.ch03.epub",
                                                     "the-harbour-council.ch03.pdf"]
    assert result.outputs["pdf"] == out / "the-harbour-council.ch03.pdf"


def test_a_selection_holds_exactly_its_chapters(third):
    result, _ = third
    text = " ".join(pdf_pages(result.outputs["pdf"]))
    assert "Entry 3 of the west chronicle" in text and "Entry 3 of the north chronicle" in text
    for other in (1, 2, 4, 5, 14):
        assert f"Entry {other} of" not in text
    assert pdf_outline_titles(result.outputs["pdf"]) == [
        "The third meeting", "The vote of meeting 3", "Claims checked", "Timeline", "Sources",
        "Title west", "Title north"]
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        chapters = [n for n in z.namelist() if re.match(r"EPUB/ch\d+\.xhtml", n)]
    assert chapters == ["EPUB/ch03.xhtml"]


def test_a_selection_has_its_own_title_block_and_numbers_its_footnotes_from_one(third):
    result, _ = third
    pages = pdf_pages(result.outputs["pdf"])
    first = pages[0]
    assert first.startswith("The Harbour Council Chapter 3: The third meeting An extract from "
                            "The Harbour Council: Fourteen meetings in four chronicles")
    assert "edition of 1 May 2025" in first
    assert "Contents" not in " ".join(pages)  # one chapter: no contents page
    assert "1. Ann Author, \"Title west\"" in first and "About this source (p." in first
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        chapter = z.read("EPUB/ch03.xhtml").decode()
        title = z.read("EPUB/titlepage.xhtml").decode()
        opf = z.read("EPUB/content.opf").decode()
    assert re.findall(r'id="fn(\d+)"', chapter) == ["1", "2", "3"]
    assert "Chapter 3: The third meeting" in title and "An extract from" in title
    assert "<dc:title>The Harbour Council: The third meeting</dc:title>" in opf
    assert 'idref="nav"' not in opf.split("<spine")[1]  # no contents page in the reading order


def test_the_back_matter_names_only_the_selections_sources(third):
    result, _ = third
    pages = pdf_pages(result.outputs["pdf"])
    back = " ".join(pages[next(i for i, p in enumerate(pages) if p.startswith("Sources")):])
    assert "Title west" in back and "Title north" in back
    text = " ".join(pages)
    assert "Title south" not in text and "Title east" not in text
    assert "Also quoted in the full book".upper() in back.upper()
    assert "k3 Meeting 3 lasted 5 days" in text and "Meeting 6 lasted" not in text


def test_links_out_of_a_selection_become_text_naming_the_book(third):
    result, _ = third
    text = " ".join(pdf_pages(result.outputs["pdf"]))
    assert ("leads on to the fourth meeting (\"The fourth meeting\", chapter 4 of The Harbour "
            "Council)") in text
    assert "Compare chapter 1 (\"The first meeting\", chapter 1 of The Harbour Council)" in text
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        docs = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")}
    ids = {(n, i) for n, body in docs.items() for i in re.findall(r'\sid="([^"]+)"', body)}
    for name, body in docs.items():
        for href in re.findall(r'href="([^"]+)"', body):
            if href.startswith(("http", "mailto:", "style/")):
                continue
            file, _, frag = href.partition("#")
            target = f"EPUB/{file}" if file else name
            assert target in docs and (not frag or (target, frag) in ids), (name, href)
    reader = PdfReader(str(result.outputs["pdf"]))
    names = reader.named_destinations
    internal = [annot.get_object()["/Dest"] for page in reader.pages
                for annot in page.get("/Annots") or [] if "/Dest" in annot.get_object()]
    assert internal and all(dest in names for dest in internal)  # "About this source" and the like


def test_a_selection_epub_passes_epubcheck_and_ace(third):
    result, _ = third
    assert_valid_epub(result.outputs["epub"])
    assert run_ace(result.outputs["epub"]) == []


def test_a_named_handout_has_a_contents_page(large_project, tmp_path):
    result = build(large_project, formats=("pdf",), out=tmp_path, chapters="first-week")
    assert result.outputs["pdf"].name == "the-harbour-council.first-week.pdf"
    pages = pdf_pages(result.outputs["pdf"])
    assert "Chapters 1\u20133" in pages[0] and "first-week" in pages[0].lower().replace(" ", "")
    assert "Contents The first meeting" in pages[0]
    for i, title in ((2, "The first meeting"), (3, "The second meeting"), (4, "The third meeting")):
        assert re.search(re.escape(title) + r"[ .]*" + str(i), pages[0]), title
        assert pages[i - 1].startswith(title)
    assert "Entry 4 of" not in " ".join(pages)


def test_a_handout_given_as_a_list_and_a_spec_of_ids(large_project, tmp_path):
    late = plan(load_book(large_project), "late")[0]
    assert late.stem == "the-harbour-council.late"
    assert [c.id for c in late.book.chapters] == ["ch12", "ch14"]
    assert late.book.extract.scope == "Chapters 12 and 14" and late.book.extract.handout
    mixed = plan(load_book(large_project), "ch02,5-6")[0]
    assert mixed.stem == "the-harbour-council.chapters-2+5-6" and not mixed.book.extract.handout


# ---- bad input ----------------------------------------------------------------------

def run(*args, cwd=None):
    return subprocess.run([*BOOKMAKER, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("args, message", [
    (["--chapters", "ch-03"], "unknown chapter or handout 'ch-03' (did you mean 'ch03'?)"),
    (["--chapters", "first-weak"], "did you mean 'first-week'?"),
    (["--chapters", "15"], "chapter 15 (in '15') is out of range (the book has 14 chapters, 1-14)"),
    (["--chapters", ""], "the selection is empty"),
    (["--chapters", "5-3"], "the range 5-3 runs backwards"),
    (["--booklet", "--format", "epub"], "--booklet imposes the PDF"),
    (["--paper", "a3"], "invalid choice: 'a3'"),
    (["--paper", "tabloid", "--chapters", "1"], "invalid choice"),
])
def test_usage_errors_exit_2_and_write_nothing(large_project, tmp_path, args, message):
    out = tmp_path / "out"
    done = run("build", large_project, "--out", out, *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_the_library_refuses_an_unknown_paper_before_reading_the_project(tmp_path):
    with pytest.raises(UsageError, match="unknown paper size 'a3'"):
        build(tmp_path / "nowhere", paper="a3")
    with pytest.raises(UsageError, match="did you mean 'letter'"):
        build(BOOKS / "small", paper="leter")


def test_bad_handouts_and_paper_in_the_outline_are_project_errors_with_the_line(tmp_path):
    project = copy_project(tmp_path / "p")
    outline = project / "book" / "outline.yaml"
    text = outline.read_text(encoding="utf-8").replace("chapters:\n", (
        "paper: A3\n"
        "handouts:\n"
        "  week-1: \"1\"\n"
        "  week-2: [markup, sining]\n"
        "  week-3: \"3\"\n"
        "  markup: \"1\"\n"
        "  7up: \"1\"\n"
        "  week-4: {a: 1}\n"
        "chapters:\n"), 1)
    outline.write_text(text, encoding="utf-8")
    done = run("build", project, "--out", tmp_path / "out")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    err = done.stderr
    assert re.search(r"outline\.yaml:5:\d+: unknown paper size 'A3'", err)
    assert re.search(r"outline\.yaml:8:\d+: handout 'week-2': unknown chapter 'sining'", err)
    assert "did you mean 'the-signing'?" in err
    assert re.search(r"outline\.yaml:9:\d+: handout 'week-3': chapter 3 \(in '3'\) is out of range", err)
    assert re.search(r"outline\.yaml:10:\d+: handout name 'markup' is also a chapter id", err)
    assert re.search(r"outline\.yaml:11:\d+: handout name '7up' must start with a letter", err)
    assert re.search(r"outline\.yaml:12:\d+: handout 'week-4' must be a SPEC", err)
    assert "week-1" not in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(BuildFailed):
        load_book(project)
