"""Saddle-stitch booklets: sheet order, sheet size, padding, text kept, names."""
import hashlib

import pytest
from helpers import copy_project, pdf_pages, pdf_region_text
from pypdf import PdfReader

from bookmaker import build
from bookmaker.impose import impose, sheet_order

MM = 72 / 25.4


def numbered_pdf(path, pages, size="148mm 210mm"):
    """A PDF whose page N shows only 'Page N'."""
    import weasyprint

    html = "".join(f'<p style="break-after: page">Page {n}</p>' for n in range(1, pages + 1))
    weasyprint.HTML(string=f"<style>@page {{ size: {size} }}</style>{html}").write_pdf(path)
    return path


def halves(path):
    """The text of the left and right half of each sheet side."""
    reader = PdfReader(str(path))
    found = []
    for i, page in enumerate(reader.pages):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        found.append(tuple(pdf_region_text(path, i, (x, 0, w / 2, h)) for x in (0, w / 2)))
    return found


def test_sheet_order_is_folding_order():
    assert sheet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert sheet_order(4) == [(4, 1), (2, 3)]
    assert sheet_order(1) == [(4, 1), (2, 3)]
    assert sheet_order(10) == sheet_order(12)
    sides = sheet_order(12)
    assert len(sides) == 6 and sorted(n for side in sides for n in side) == list(range(1, 13))
    assert all(a + b == 13 for a, b in sides)  # the two pages of a side always face across the fold


def test_eight_pages_impose_onto_four_sides_in_folding_order(tmp_path):
    source = numbered_pdf(tmp_path / "pages.pdf", 8)
    sides = impose(source, tmp_path / "booklet.pdf", (297, 210), "Eight", "2025-05-01")
    assert sides == 4
    assert halves(tmp_path / "booklet.pdf") == [("Page 8", "Page 1"), ("Page 2", "Page 7"),
                                                ("Page 6", "Page 3"), ("Page 4", "Page 5")]
    reader = PdfReader(str(tmp_path / "booklet.pdf"))
    for page in reader.pages:  # A4 landscape
        assert (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM)) == (297, 210)
    assert reader.metadata.title == "Eight"


def test_a_short_booklet_is_padded_with_blank_pages_at_the_end(tmp_path):
    source = numbered_pdf(tmp_path / "pages.pdf", 6)
    impose(source, tmp_path / "booklet.pdf", (297, 210), "Six", "2025-05-01")
    assert halves(tmp_path / "booklet.pdf") == [("", "Page 1"), ("Page 2", ""),
                                                ("Page 6", "Page 3"), ("Page 4", "Page 5")]


def test_imposing_is_reproducible(tmp_path):
    source = numbered_pdf(tmp_path / "pages.pdf", 5)
    impose(source, tmp_path / "a.pdf", (297, 210), "T", "2025-05-01")
    impose(source, tmp_path / "b.pdf", (297, 210), "T", "2025-05-01")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("booklet") / "p")


@pytest.fixture(scope="module")
def plain(project, tmp_path_factory):
    return build(project, formats=("pdf",), out=tmp_path_factory.mktemp("plain")).outputs["pdf"]


def test_a_booklet_replaces_the_pdf_and_holds_its_pages_in_folding_order(project, plain, tmp_path):
    result = build(project, formats=("pdf",), out=tmp_path, booklet=True)
    booklet = result.outputs["pdf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".bookmaker-cache.json",
                                                        "the-harbour-treaty-booklet.pdf"]
    reader = PdfReader(str(plain))
    pages = [pdf_region_text(plain, i, (0, 0, float(p.mediabox.width), float(p.mediabox.height)))
             for i, p in enumerate(reader.pages)]
    assert len(pages) > 4 and all(pages)
    total = -(-len(pages) // 4) * 4
    sides = halves(booklet)
    assert len(sides) == total // 2
    for (left, right), (l_no, r_no) in zip(sides, sheet_order(len(pages))):
        for text, number in ((left, l_no), (right, r_no)):
            assert text == (pages[number - 1] if number <= len(pages) else ""), number
    reader = PdfReader(str(booklet))
    sheet = reader.pages[0].mediabox
    assert (round(float(sheet.width) / MM), round(float(sheet.height) / MM)) == (297, 210)
    assert "Переговоры длились одиннадцать лет." in " ".join(pdf_pages(booklet))  # text kept
    assert reader.trailer["/Root"]["/Lang"] == "en"


@pytest.mark.parametrize("paper, sheet_mm", [
    ("a4", (420, 297)), ("letter", (279.4, 215.9)), ("legal", (355.6, 215.9)), ("b5", (353, 250)),
])
def test_booklet_sheets_per_paper(project, tmp_path, paper, sheet_mm):
    result = build(project, out=tmp_path, paper=paper, booklet=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".bookmaker-cache.json", "the-harbour-treaty-booklet.pdf",
                                                          "the-harbour-treaty.epub"]
    sheet = PdfReader(str(result.outputs["pdf"])).pages[0].mediabox
    assert float(sheet.width) / MM == pytest.approx(sheet_mm[0], abs=0.2)
    assert float(sheet.height) / MM == pytest.approx(sheet_mm[1], abs=0.2)
    # the first side shows the last page (blank or back cover) left, the title page right
    left, right = halves(result.outputs["pdf"])[0]
    assert right.startswith("The Harbour Treaty")


def test_a_booklet_of_a_selection_and_reproducible_bytes(project, tmp_path):
    first = build(project, formats=("pdf",), out=tmp_path / "a", chapters="markup", booklet=True)
    again = build(project, formats=("pdf",), out=tmp_path / "b", chapters="2", booklet=True)
    path = first.outputs["pdf"]
    assert path.name == "the-harbour-treaty.markup-booklet.pdf"
    digest = [hashlib.sha256(r.outputs["pdf"].read_bytes()).hexdigest() for r in (first, again)]
    assert digest[0] == digest[1]
    text = " ".join(pdf_pages(path))
    assert "Chapter 2: Markup stays text" in text and "The sources disagree" not in text
