"""Full builds: the small test book and the shipped book, read back."""
import re
import zipfile

import pytest
from helpers import (assert_valid_epub, misplaced_footnotes, pdf_fonts, pdf_outline_titles,
                     pdf_pages, squash)
from lxml import etree

from bookmaker.cache import MANIFEST

XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def epub_documents(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.endswith(".xhtml")}


@pytest.fixture(scope="module", params=["small", "shipped"])
def built(request):
    result, out = request.getfixturevalue(f"{request.param}_book")
    return result


def test_epub_passes_epubcheck(built):
    assert_valid_epub(built.outputs["epub"])


def test_pdf_fonts_are_all_embedded_and_bundled(built):
    fonts = pdf_fonts(built.outputs["pdf"])
    assert fonts and all(fonts.values()), fonts
    families = {re.sub(r"^[A-Z]{6}\+", "", name.lstrip("/")).split("-")[0] for name in fonts}
    # DejaVu Sans, also bundled, draws the claims matrix's verdict symbols.
    assert families <= {"Libertine", "Biolinum", "DejaVu"}, families


def test_pdf_bookmarks_and_contents_name_every_chapter(built):
    titles = pdf_outline_titles(built.outputs["pdf"])
    pages = pdf_pages(built.outputs["pdf"])
    contents = next(p for p in pages if p.startswith("Contents"))
    for number, chapter in enumerate(built.book.chapters, 1):
        assert f"{number}. {chapter.title}" in titles  # numbered, as in the contents
        assert f"{number}. {squash(chapter.title)}" in contents
    assert "Sources" in " ".join(titles)


def test_pdf_contents_give_the_right_page_numbers(built):
    pages = pdf_pages(built.outputs["pdf"])
    contents = next(p for p in pages if p.startswith("Contents"))
    for chapter in built.book.chapters:
        number = int(re.search(re.escape(squash(chapter.title)) + r"[ .]*(\d+)", contents).group(1))
        assert pages[number - 1].find(squash(chapter.title)) != -1, chapter.title


def test_every_excerpt_has_its_attribution_on_the_same_page(built):
    """The footnote stands on a page that shows the excerpt (it may run over two)."""
    assert misplaced_footnotes(built.outputs["pdf"], built.book) == []


def test_chapters_start_on_a_new_page(built):
    pages = pdf_pages(built.outputs["pdf"])
    starts = [i for i, p in enumerate(pages) for n, c in enumerate(built.book.chapters, 1)
              if p.startswith(f"Chapter {n} {squash(c.title)}")]
    assert len(starts) == len(built.book.chapters)  # no running head above a chapter's title


def test_epub_footnotes_are_popups(built):
    docs = epub_documents(built.outputs["epub"])
    calls = notes = 0
    for name, data in docs.items():
        tree = etree.fromstring(data)
        for a in tree.iterfind(".//x:a[@epub:type='noteref']", XHTML):
            calls += 1
            assert a.get("role") == "doc-noteref" and len(a) == 0  # no <sup> inside
            target = a.get("href").lstrip("#")
            aside = tree.find(f".//x:aside[@id='{target}']", XHTML)
            assert aside is not None and aside.get("{%s}type" % XHTML["epub"]) == "footnote"
            assert aside.get("role") == "doc-footnote"
            assert aside[0][0].get("href") == f"#{a.get('id')}"  # backlink comes first
            notes += 1
    assert calls == notes == sum(len(c.excerpts()) for c in built.book.chapters)


def test_epub_has_one_file_per_chapter_title_page_nav_and_ncx(built):
    with zipfile.ZipFile(built.outputs["epub"]) as z:
        names = z.namelist()
        opf = z.read("EPUB/content.opf").decode()
    assert names[0] == "mimetype"
    for chapter in built.book.chapters:
        assert f"EPUB/{chapter.id}.xhtml" in names
    assert {"EPUB/titlepage.xhtml", "EPUB/nav.xhtml", "EPUB/toc.ncx", "EPUB/sources.xhtml"} <= set(names)
    assert '<package xml:lang="en"' in opf
    for editor in built.book.editors:
        assert f">{editor}</dc:creator>" in opf
    assert "<dc:identifier" in opf and "urn:uuid:" in opf
    assert f'<meta property="dcterms:modified">{built.book.date}T00:00:00Z</meta>' in opf


def test_sources_chapter_lists_every_source_with_the_chapters_quoting_it(built):
    pages = pdf_pages(built.outputs["pdf"])
    start = max(i for i, p in enumerate(pages) if p.startswith("Sources"))
    back = " ".join(pages[start:])
    for source in built.book.sources:
        assert squash(source.title) in back
        for chapter in built.book.chapters_quoting(source.id):
            assert squash(chapter.title) in back


def test_pdf_metadata(built):
    from pypdf import PdfReader

    reader = PdfReader(str(built.outputs["pdf"]))
    assert reader.metadata.title == built.book.title
    assert reader.trailer["/Root"].get("/Lang") == built.book.language
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged


def test_outputs_are_named_from_the_title(small_book):
    result, out = small_book
    assert sorted(p.name for p in out.iterdir() if p.name != MANIFEST) == [
        "the-harbour-treaty.epub", "the-harbour-treaty.pdf"]


def test_small_book_cyrillic_text_in_pdf(small_book):
    result, _ = small_book
    assert "Переговоры длились одиннадцать лет." in " ".join(pdf_pages(result.outputs["pdf"]))


def test_shipped_book_uses_all_five_sources(shipped_book):
    result, _ = shipped_book
    quoted = {e.source for c in result.book.chapters for e in c.excerpts()}
    assert quoted == {s.id for s in result.book.sources} and len(quoted) == 5


def test_shipped_book_is_a_handout_of_30_to_50_pages_with_no_stub_chapters(shipped_book):
    """Issue 14: the reader a teacher hands out keeps between 30 and 50 A5 pages,
    and every chapter that quotes the sources runs to more than a page."""
    from pypdf import PdfReader

    result, _ = shipped_book
    reader = PdfReader(str(result.outputs["pdf"]))
    assert 30 <= len(reader.pages) <= 50, len(reader.pages)
    top = [item for item in reader.outline if not isinstance(item, list)]
    starts = {item.title: reader.get_destination_page_number(item) for item in top}
    order = sorted(starts.values()) + [len(reader.pages)]
    length = {title: order[order.index(page) + 1] - page for title, page in starts.items()}
    quoting = [c.title for c in result.book.chapters if c.excerpts()]
    assert len(quoting) >= 7
    for title in quoting:
        # The outline entry may carry the chapter's number ("2. The alliance ...").
        [entry] = [t for t in length if t == title or t.endswith(" " + title)]
        assert length[entry] >= 2, (title, length[entry])
