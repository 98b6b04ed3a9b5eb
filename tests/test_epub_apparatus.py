"""The EPUB as a book: its makers, a cover, two-level contents, landmarks, and
the print edition's page numbers, read back from the OPF, the navigation and
the XHTML, and checked against the PDF of the same build."""
import io
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
from helpers import BOOKS, ROOT, assert_valid_epub, pdf_pages
from lxml import etree
from pypdf import PdfReader

sys.path.insert(0, str(ROOT / "scripts"))
from ace import run_ace  # noqa: E402

from bookmaker import build  # noqa: E402

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def read(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def opf(files):
    return etree.fromstring(files["EPUB/content.opf"])


def xhtml(files, name):
    return etree.fromstring(files[f"EPUB/{name}"])


def words(text):
    return re.findall(r"[^\W\d_]+", text.replace("\u00ad", "").lower())


def test_editors_are_creators_with_the_editor_role_and_nothing_is_certified(small_book):
    result, _ = small_book
    package = opf(read(result.outputs["epub"]))
    creators = package.findall(".//dc:creator", NS)
    assert [c.text for c in creators] == list(result.book.editors)
    for creator in creators:
        roles = package.xpath(f'//opf:meta[@refines="#{creator.get("id")}"][@property="role"]',
                              namespaces=NS)
        assert [(r.text, r.get("scheme")) for r in roles] == [("edt", "marc:relators")]
    assert not package.findall(".//dc:contributor", NS)
    assert not package.xpath('//opf:meta[@property="a11y:certifiedBy"]', namespaces=NS)


def test_a_drawn_cover_marked_as_cover_image_and_a_cover_page_first(small_book):
    from PIL import Image

    result, _ = small_book
    files = read(result.outputs["epub"])
    package = opf(files)
    image = package.xpath('//opf:item[@properties="cover-image"]', namespaces=NS)
    assert len(image) == 1 and image[0].get("media-type") == "image/png"
    picture = Image.open(io.BytesIO(files["EPUB/" + image[0].get("href")]))
    assert picture.size == (1200, 1800)
    first = package.find(".//opf:spine/opf:itemref", NS).get("idref")
    page = package.xpath(f'//opf:item[@id="{first}"]', namespaces=NS)[0].get("href")
    cover = xhtml(files, page)
    img = cover.find(".//x:img", NS)
    assert img.get("src") == image[0].get("href") and img.get("role") == "doc-cover"
    assert result.book.title in img.get("alt")


def test_the_projects_own_cover_is_used(tmp_path):
    from PIL import Image

    project = tmp_path / "p"
    shutil.copytree(BOOKS / "small", project)
    own = io.BytesIO()
    Image.new("RGB", (600, 900), (200, 30, 30)).save(own, format="JPEG")
    (project / "book" / "cover.jpg").write_bytes(own.getvalue())
    result = build(project, ["epub"], out=tmp_path / "out")
    files = read(result.outputs["epub"])
    item = opf(files).xpath('//opf:item[@properties="cover-image"]', namespaces=NS)[0]
    assert item.get("media-type") == "image/jpeg"
    assert files["EPUB/" + item.get("href")] == own.getvalue()
    assert_valid_epub(result.outputs["epub"])


def test_contents_in_two_levels_and_landmarks(shipped_book):
    result, _ = shipped_book
    files = read(result.outputs["epub"])
    nav = xhtml(files, "nav.xhtml")
    toc = nav.find('.//x:nav[@id="toc"]', NS)
    assert toc.get(EPUB_TYPE) == "toc"
    assert "".join(toc.find("x:h1", NS).itertext()) == "Contents"
    top = toc.findall("x:ol/x:li", NS)
    assert len(top) == len(result.book.chapters) + 3  # claims, timeline, sources
    second = top[2].findall("x:ol/x:li/x:a", NS)  # the note of 1954 and its headings
    assert "Drafting the note" in [a.text for a in second]
    for a in second:
        name, anchor = a.get("href").split("#")
        assert f'id="{anchor}"'.encode() in files[f"EPUB/{name}"]
    sources = top[-1].findall("x:ol/x:li/x:a", NS)
    assert [a.get("href").split("#")[1] for a in sources] == [f"src-{s.id}"
                                                              for s in result.book.sources]
    landmarks = {a.get(EPUB_TYPE): a.get("href")
                 for a in nav.findall('.//x:nav[@id="landmarks"]//x:a', NS)}
    assert landmarks == {"cover": "cover.xhtml", "titlepage": "titlepage.xhtml",
                         "toc": "nav.xhtml#toc", "bodymatter": "introduction.xhtml",
                         "backmatter": "claims-checked.xhtml"}
    spine = [i.get("idref") for i in opf(files).findall(".//opf:itemref", NS)]
    assert spine[2] == "nav"


def page_markers(files):
    """Page label -> (file, the text of the block its marker stands before or in)."""
    found = {}
    for name in files:
        if not name.endswith(".xhtml"):
            continue
        doc = xhtml(files, name[len("EPUB/"):])
        for span in doc.iter("{%s}span" % NS["x"]):
            if span.get(EPUB_TYPE) == "pagebreak":
                assert span.get("role") == "doc-pagebreak"
                assert span.get("aria-label") == span.get("id").removeprefix("page-")
                parent = span.getparent()
                first = span.getprevious() is None and not (parent.text or "").strip()
                block = parent if first or span.getnext() is None else span.getnext()
                found[span.get("aria-label")] = (name, "".join(block.itertext()))
    return found


def test_the_page_list_finds_each_page_of_the_pdf(shipped_book):
    result, _ = shipped_book
    files = read(result.outputs["epub"])
    package = opf(files)
    pages = pdf_pages(result.outputs["pdf"])
    nav = xhtml(files, "nav.xhtml")
    page_list = nav.find('.//x:nav[@id="page-list"]', NS)
    assert page_list.get(EPUB_TYPE) == "page-list"
    entries = [(a.text, a.get("href")) for a in page_list.findall(".//x:a", NS)]
    assert [label for label, _ in entries] == [str(n) for n in range(1, len(pages) + 1)]
    markers = page_markers(files)
    assert set(markers) == {label for label, _ in entries}
    for label, href in entries:
        name, anchor = href.split("#")
        assert markers[label][0] == f"EPUB/{name}" and anchor == f"page-{label}"
    # Each marker stands at the block the PDF's page begins in: the page shows
    # the first or the last words of that block.
    for label, (name, text) in markers.items():
        if name.endswith(("titlepage.xhtml", "nav.xhtml")):
            continue
        page = " ".join(words(pages[int(label) - 1]))
        block = words(text)
        assert block, (label, name)
        head, tail = " ".join(block[:4]), " ".join(block[-4:])
        assert head in page or tail in page, (label, name, head, tail)
    # The source of the page numbers is named, as EPUB Accessibility 1.1 asks.
    source = package.find(".//dc:source", NS).text
    assert package.xpath('//opf:meta[@property="pageBreakSource"]', namespaces=NS)[0].text == source
    features = [m.text for m in package.xpath('//opf:meta[@property="schema:accessibilityFeature"]',
                                              namespaces=NS)]
    assert {"pageBreakMarkers", "pageNavigation"} <= set(features)


def test_the_page_list_of_an_epub_built_alone(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(BOOKS / "small", project)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "bookmaker", "build", str(project), "--out", str(out)]
    alone = subprocess.run([*cmd, "--format", "epub"], capture_output=True, text=True)
    assert alone.returncode == 0 and "gets no page list" in alone.stderr
    epub = out / "the-harbour-treaty.epub"
    assert b"page-list" not in read(epub)["EPUB/nav.xhtml"]
    assert_valid_epub(epub)
    assert not run_ace(epub)
    # The PDF, then the EPUB alone: its page list comes from the PDF's layout.
    subprocess.run([*cmd, "--format", "pdf"], check=True, capture_output=True)
    again = subprocess.run([*cmd, "--format", "epub"], capture_output=True, text=True)
    assert "gets no page list" not in again.stderr and "wrote" in again.stdout
    pages = len(PdfReader(str(out / "the-harbour-treaty.pdf")).pages)
    assert len(page_markers(read(epub))) == pages
    assert_valid_epub(epub)
    assert not run_ace(epub)
    # Nothing changed: the EPUB is up to date, its page list still holds.
    same = subprocess.run([*cmd, "--format", "epub"], capture_output=True, text=True)
    assert "up to date" in same.stdout
    # A change the PDF sees and the EPUB does not: the kept pages no longer
    # describe the PDF a build would make now, so the EPUB loses its page list.
    (project / "styles").mkdir()
    (project / "styles" / "print.css").write_text("body { font-size: 14pt }\n")
    stale = subprocess.run([*cmd, "--format", "epub"], capture_output=True, text=True)
    assert "gets no page list" in stale.stderr and "wrote" in stale.stdout
    assert not page_markers(read(epub))
    # Building the PDF builds the EPUB with it, whose page list follows the new layout.
    both = subprocess.run(cmd, capture_output=True, text=True)
    assert both.stdout.count("wrote") == 2
    assert len(page_markers(read(epub))) == len(PdfReader(str(out / "the-harbour-treaty.pdf")).pages)
