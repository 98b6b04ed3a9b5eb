"""The timeline figure and the claims matrix, read back from the PDF and the EPUB."""
import re
import subprocess
import zipfile

import pytest
from helpers import squash
from lxml import etree

from bookmaker.render.figures import LINE, timeline_figure

NS = {"x": "http://www.w3.org/1999/xhtml", "svg": "http://www.w3.org/2000/svg",
      "opf": "http://www.idpf.org/2007/opf"}


def page_with(pdf, text):
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = [i for i, page in enumerate(out.split("\f")) if text in page]
    assert pages, text
    return pages[0]


def line_boxes(pdf, page):
    """(xMin, yMin, xMax, yMax, text) of every text line poppler finds on a page (0-based)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page + 1), "-l", str(page + 1),
                          str(pdf), "-"], capture_output=True, check=True).stdout
    tree = etree.fromstring(re.sub(rb"<!DOCTYPE[^>]*>", b"", xml))
    found = []
    for line in tree.iterfind(".//{http://www.w3.org/1999/xhtml}line"):
        words = [w.text or "" for w in line.iterfind("{http://www.w3.org/1999/xhtml}word")]
        found.append((*(float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")), " ".join(words)))
    return found


def test_the_layout_places_every_event_and_no_label_over_another(shipped_book):
    result, _ = shipped_book
    book = result.book
    figure = timeline_figure(book, {s.id: s for s in book.sources})
    assert len(figure.marks) == len(book.editorial.events)
    assert (figure.first_year, figure.last_year) == (1949, 2014)
    labels = sorted((m.label_y, m.label_y + len(m.lines) * LINE) for m in figure.marks)
    for (_, bottom), (top, _) in zip(labels, labels[1:]):
        assert top >= bottom - 1e-6
    # Years without events are left out where they run for decades.
    assert [b.years for b in figure.breaks] == ["1957–1982", "1985–1990", "1995–1999", "2003–2009"]
    marks = [m.y for m in figure.marks]
    assert marks == sorted(marks)
    for m in figure.marks:  # each mark on a piece of the axis, its label beside it
        assert any(top <= m.y <= bottom for top, bottom in figure.axis)
        assert abs(m.label_y - m.y) < 12
    flagged = {m.date for m in figure.marks if m.flagged}
    assert "1952-08" in flagged and "1949-04-04" not in flagged
    assert figure.height <= 160  # a page of A5 with its caption


def test_the_figure_in_the_pdf_labels_every_event_without_overlap(shipped_book):
    result, _ = shipped_book
    pdf = result.outputs["pdf"]
    page = page_with(pdf, "Event (claims)")
    lines = line_boxes(pdf, page)
    text = squash(" ".join(t for *_, t in lines))
    figure = timeline_figure(result.book, {s.id: s for s in result.book.sources})
    for mark in figure.marks:
        assert squash(mark.lines[0]) in text, mark.lines[0]
    for year in ("1949", "1954", "1991", "2014", "1957–1982"):
        assert year in text
    # Labels, year numbers and column heads: no two lines of text overlap.
    for i, (x0, y0, x1, y1, t) in enumerate(lines):
        for (a0, b0, a1, b1, u) in lines[i + 1:]:
            overlap = min(x1, a1) - max(x0, a0) > 0.5 and min(y1, b1) - max(y0, b0) > 0.5
            assert not overlap, (t, u)
    # The figure is drawn with the book's own fonts.
    fonts = subprocess.run(["pdffonts", "-f", str(page + 1), "-l", str(page + 1), str(pdf)],
                           capture_output=True, text=True, check=True).stdout
    assert "Biolinum" in fonts


def test_the_figure_in_the_epub_is_an_image_whose_text_alternative_is_the_list(shipped_book):
    result, _ = shipped_book
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        doc = etree.fromstring(z.read("EPUB/timeline.xhtml"))
        package = etree.fromstring(z.read("EPUB/content.opf"))
    svg = doc.find(".//svg:svg", NS)
    assert svg.get("role") == "img" and svg.get("viewBox").startswith("0 0 104")
    title = svg.find("svg:title", NS)
    assert title.get("id") == svg.get("aria-labelledby") and "1949–2014" in title.text
    described = svg.get("aria-describedby").split()
    assert svg.find("svg:desc", NS).get("id") in described
    listing = doc.find(f'.//x:ol[@id="{described[-1]}"]', NS)
    assert len(listing.findall("x:li", NS)) == len(result.book.editorial.events)
    labels = ["".join(t.itertext()) for t in svg.iterfind(".//svg:text", NS)]
    assert any(label.startswith("Stalin receives Louis Joxe") for label in labels)
    item = package.xpath('//opf:item[@href="timeline.xhtml"]', namespaces=NS)[0]
    assert "svg" in item.get("properties").split()


def test_the_claims_matrix(shipped_book):
    result, _ = shipped_book
    book = result.book
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        doc = etree.fromstring(z.read("EPUB/claims-checked.xhtml"))
    table = doc.find('.//x:table[@id="claims-matrix"]', NS)
    heads = [th.xpath("string()") for th in table.findall("x:thead/x:tr/x:th", NS)]
    assert heads == ["Source", *(c.id for c in book.editorial.claims), "Slips"]
    from bookmaker.render.citations import list_name
    from bookmaker.render.html import claim_makers

    rows = [(row.find("x:th", NS).xpath("string()"), row.findall("x:td", NS))
            for row in table.findall("x:tbody/x:tr", NS)]
    claims = list(book.editorial.claims)
    makers = claim_makers(claims, {s.id: s for s in book.sources})
    # named as in every list and table: the surnames, "the unsigned text"
    assert [name for name, _ in rows] == [list_name(s, book.sources) for s in makers]
    assert "the unsigned text" in [name for name, _ in rows]
    assert len(rows) == 5
    for source, (name, cells) in zip(makers, rows):
        for claim, cell in zip(claims, cells):
            made = source.id in [m.source for m in claim.made_by]
            words = cell.xpath("string()")
            if made:  # the symbol, hidden from screen readers, and the verdict in words
                assert cell.find('x:span[@aria-hidden="true"]', NS) is not None
                assert words.endswith(claim.verdict.capitalize()), (name, claim.id, words)
            else:
                assert words == ""
        slips = sum(1 for s in book.editorial.slips if s.site.source == source.id)
        assert cells[-1].xpath("string()") == str(slips)
    # In the PDF: on one A5 page, with the claims across, above the table.
    pdf = result.outputs["pdf"]
    page = page_with(pdf, "At a glance")
    lines = line_boxes(pdf, page)
    text = squash(subprocess.run(["pdftotext", "-f", str(page + 1), "-l", str(page + 1), str(pdf),
                                  "-"], capture_output=True, text=True, check=True).stdout)
    assert "Source " + " ".join(c.id for c in claims) + " Slips" in text
    assert text.index("At a glance") < text.index("CLAIM MADE BY VERDICT")
    rights = [x1 for x0, y0, x1, y1, t in lines]
    from pypdf import PdfReader
    page_width = float(PdfReader(str(pdf)).pages[page].mediabox.width)
    assert max(rights) < page_width
    legend = " ".join(t for *_, t in lines)
    assert "✓ correct" in legend and "✗ wrong" in legend


@pytest.mark.parametrize("book", ["small_book"])
def test_a_short_timeline_gets_a_figure_too(request, book):
    result, _ = request.getfixturevalue(book)
    figure = timeline_figure(result.book, {s.id: s for s in result.book.sources})
    assert len(figure.marks) == 2 and [b.years for b in figure.breaks] == ["1892–1900"]
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        assert b'role="img"' in z.read("EPUB/timeline.xhtml")


def test_column_heads_are_letters_not_quote_marks():
    from bookmaker.render.figures import abbreviations

    assert abbreviations(["Kartsev", "\u201cWhy The USSR Was Not Accepted\u201d", "Polonsky"]) == ["K", "W", "P"]
    assert abbreviations(["Polonsky", "Putin"]) == ["Po", "Pu"]
