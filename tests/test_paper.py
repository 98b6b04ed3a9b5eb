"""Paper sizes: the page read back, a readable line on every size, footnotes on their page."""
import statistics

import pytest
from helpers import SHIPPED, copy_project, misplaced_footnotes, pdf_lines
from pypdf import PdfReader

from bookmaker import build
from bookmaker.documents import plan
from bookmaker.paper import BOOKLETS, PAPERS, booklet

MM = 72 / 25.4  # points per millimetre
SIZES_MM = {"a5": (148, 210), "b5": (176, 250), "a4": (210, 297), "letter": (215.9, 279.4),
            "legal": (215.9, 355.6)}


def page_mm(path):
    pages = PdfReader(str(path)).pages
    sizes = {(round(float(p.mediabox.width) / MM, 1), round(float(p.mediabox.height) / MM, 1))
             for p in pages}
    assert len(sizes) == 1, sizes
    return sizes.pop()


@pytest.fixture(scope="module")
def shipped_project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("shipped-paper"), SHIPPED)


@pytest.fixture(scope="module")
def on_paper(shipped_project, tmp_path_factory):
    """Chapters 1-3 of the shipped book (the introduction is mostly the editors'
    running text) on each paper size."""
    built = {}

    def get(name):
        if name not in built:
            out = tmp_path_factory.mktemp(f"paper-{name}")
            built[name] = build(shipped_project, formats=("pdf",), out=out, chapters="1-3",
                                paper=name).outputs["pdf"]
        return built[name]

    return get


def full_lines(path, paper, crop=None):
    """Character counts of the justified lines of the running text (full measure,
    body type size) and of the excerpts (5 mm indent and rule, 96% of the size)."""
    measure = paper.measure * MM
    quote = measure - 5 * MM - 1.2
    lines = [(h, w, t) for _, h, w, t in pdf_lines(path, crop) if ". . ." not in t]
    body = [len(t) for h, w, t in lines if abs(w - measure) < 0.015 * measure and h > paper.type_pt]
    excerpts = [len(t) for h, w, t in lines
                if abs(w - quote) < 0.015 * quote and h > 0.95 * paper.type_pt]
    return body, excerpts


@pytest.mark.parametrize("name", list(PAPERS))
def test_the_page_has_the_size_asked_for(on_paper, name):
    width, height = page_mm(on_paper(name))
    assert width == pytest.approx(SIZES_MM[name][0], abs=0.3)
    assert height == pytest.approx(SIZES_MM[name][1], abs=0.3)


@pytest.mark.parametrize("name", list(PAPERS))
def test_a_line_keeps_a_readable_length_on_every_size(on_paper, name):
    body, excerpts = full_lines(on_paper(name), PAPERS[name])
    assert len(body) > 30 and len(excerpts) > 30, (len(body), len(excerpts))
    for lengths in (body, excerpts):
        assert 60 <= statistics.median(lengths) <= 75, (name, statistics.median(lengths))
        assert statistics.quantiles(lengths, n=10)[-1] <= 80  # nine lines in ten at most 80


@pytest.mark.parametrize("name", ["letter", "legal"])
def test_the_half_size_pages_of_a_us_booklet_keep_the_line_too(shipped_project, tmp_path, name):
    sheet = build(shipped_project, formats=("pdf",), out=tmp_path, chapters="1-3", paper=name,
                  booklet=True).outputs["pdf"]
    reader = PdfReader(str(sheet))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    page = booklet(name).page
    body, excerpts = [], []
    for half in (0, 1):
        b, e = full_lines(sheet, page, crop=(half * width / 2, 0, width / 2, height))
        body += b
        excerpts += e
    assert len(body) > 30 and len(excerpts) > 30, (len(body), len(excerpts))
    for lengths in (body, excerpts):
        assert 60 <= statistics.median(lengths) <= 75, (name, statistics.median(lengths))


@pytest.mark.parametrize("name", ["a4", "letter", "legal", "b5"])
def test_footnotes_stay_on_the_page_of_their_excerpt(on_paper, shipped_project, name):
    from bookmaker.loader import load_book

    selection = plan(load_book(shipped_project), "1-3")[0].book
    assert misplaced_footnotes(on_paper(name), selection) == []


def test_the_larger_sizes_use_a_larger_type_not_a_longer_line():
    assert PAPERS["a4"].type_pt > PAPERS["b5"].type_pt > PAPERS["a5"].type_pt
    css = PAPERS["letter"].css()
    assert "size: 215.9mm 279.4mm" in css and "html { font-size: 12pt; }" in css


def test_us_booklets_fold_a_sheet_of_their_name():
    assert booklet("letter").page.name == "half-letter"
    assert (booklet("letter").sheet_width, booklet("letter").sheet_height) == (279.4, 215.9)
    assert booklet("a5").page.name == "a5" and booklet("a4").sheet_label == "A3"
    for name, (page, width, height, _) in BOOKLETS.items():
        spread = booklet(name).page
        assert 2 * spread.width <= width + 0.01 and spread.height <= height + 0.01
        assert 2 * spread.width >= width - 2  # the pair of pages fills the sheet


@pytest.fixture
def small_project(tmp_path):
    return copy_project(tmp_path / "p")


def test_the_outline_sets_the_paper_and_the_command_line_overrides_it(small_project, tmp_path):
    outline = small_project / "book" / "outline.yaml"
    outline.write_text(outline.read_text(encoding="utf-8").replace("chapters:", "paper: letter\nchapters:", 1),
                       encoding="utf-8")
    plain = build(small_project, formats=("pdf",), out=tmp_path / "a").outputs["pdf"]
    assert page_mm(plain) == pytest.approx(SIZES_MM["letter"], abs=0.3)
    chosen = build(small_project, formats=("pdf",), out=tmp_path / "b", paper="a4").outputs["pdf"]
    assert page_mm(chosen) == pytest.approx(SIZES_MM["a4"], abs=0.3)


def test_a5_stays_the_default(small_book):
    result, _ = small_book
    assert page_mm(result.outputs["pdf"]) == pytest.approx(SIZES_MM["a5"], abs=0.3)


def test_a_projects_own_print_style_still_has_the_last_word(small_project, tmp_path):
    (small_project / "styles").mkdir()
    (small_project / "styles" / "print.css").write_text("@page { size: 100mm 150mm; }", encoding="utf-8")
    pdf = build(small_project, formats=("pdf",), out=tmp_path, paper="a4").outputs["pdf"]
    assert page_mm(pdf) == pytest.approx((100, 150), abs=0.3)
