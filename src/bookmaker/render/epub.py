"""EPUB 3 through EbookLib: one XHTML file per chapter, pop-up footnotes.

Nothing here imports WeasyPrint.  EbookLib cannot write a reproducible zip nor
``xml:lang`` on the package element, so the finished file is repacked: fixed
entry dates and permissions, ``mimetype`` first and stored, the OPF patched.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html import escape, unescape
from pathlib import Path
from typing import IO

from ebooklib import epub

from ..files import Stylesheet
from .cover import cover_of
from .html import Part, RenderedBook, join_names
from .pages import PageStart, insert_markers, marker
from .templates import render

XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ROLES = {"chapter": "doc-chapter", "appendix": "doc-appendix"}
ID_ATTR = re.compile(r'\sid="([^"]+)"')
LOCAL_HREF = re.compile(r'href="#([^"]+)"')
A11Y = [
    ("schema:accessMode", "textual"),
    ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityHazard", "none"),
    ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
]
SUMMARY = ("Chapters and sections are marked with headings; footnotes and editorial notes are "
           "marked up with ARIA roles; the language of every quotation is declared. The "
           "pictures (the cover and the figures of the back matter) say nothing the text does "
           "not: each figure names the table that is its text alternative.")
PAGED = " Page-break markers and a page list give the page numbers of the print edition."


def book_identifier(rendered: RenderedBook) -> str:
    """A UUID derived from the book itself, so it stays the same from build to build."""
    book = rendered.book
    key = "\n".join([book.title, book.subtitle or "", *book.editors, book.language])
    if book.extract is not None:  # a selection is another publication than the book
        key += "\nextract:" + ",".join(ch.id for ch in book.chapters)
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'bookmaker:' + key)}"


def write_epub(rendered: RenderedBook, target: Path, stylesheets: list[Stylesheet],
               workdir: Path, pages: list[PageStart] | None = None,
               paper: str | None = None) -> None:
    """Write the EPUB to ``target``.  ``workdir``, scratch space the caller removes,
    is not needed any more: EbookLib's own zip is made in memory.

    ``pages`` are where the pages of the print edition begin (on ``paper``),
    from the PDF's layout: each gets a page-break marker and an entry in the
    navigation's page list.  Without them the EPUB has no page list.
    """
    book = rendered.book
    with ThreadPoolExecutor(1) as background:
        # The drawn cover's PNG takes a tenth of a second to compress, and Pillow lets
        # go of the interpreter meanwhile: it is drawn while the chapters are rendered.
        drawing = background.submit(cover_of, book, rendered.files)
        parts = rendered.parts("epub")
        picture = drawing.result()
    by_part: dict[str, list[PageStart]] = {}
    for start in pages or ():
        by_part.setdefault(start.part, []).append(start)
    out = epub.EpubBook()
    out.set_identifier(book_identifier(rendered))
    out.set_title(book.extract.title if book.extract else book.title)
    out.set_language(book.language)
    metadata(out, rendered, bool(pages), paper)

    css = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css",
                        content="\n".join(sheet.text for sheet in stylesheets))
    out.add_item(css)
    files = {p.id: f"{p.id}.xhtml" for p in parts}
    owner = {anchor: files[p.id] for p in parts
             for anchor in [p.id, *ID_ATTR.findall(p.body)]}

    out.set_cover(picture.file_name, picture.data, create_page=False)
    cover = Verbatim(book, "Cover", "cover.xhtml", render(rendered.env, "cover.html", book=book,
                                                        image=picture.file_name))
    out.add_item(cover)
    title = epub.EpubHtml(title=book.title, file_name="titlepage.xhtml", lang=book.language)
    front = [PageStart(s.label, s.part, ()) for s in by_part.get("title-page", [])]
    title.content = document(book.title, insert_markers(
        render(rendered.env, "titlepage.html", book=book), front))
    title.add_item(css)
    out.add_item(title)
    chapters = []
    for part in parts:
        body = insert_markers(section(part, link(part.body, files[part.id], owner)),
                              by_part.get(part.id, []))
        if "<svg" in body:  # EbookLib would parse it as HTML, and lose the case of viewBox
            item = Verbatim(book, part.label, files[part.id], body, ["svg"])
        else:
            item = epub.EpubHtml(title=part.label, file_name=files[part.id], lang=book.language)
            item.content = document(part.title, body)
            item.add_item(css)
        out.add_item(item)
        chapters.append(item)

    out.toc = chapters  # for the NCX of EPUB 2 readers; the navigation document is ours
    # EPUB 2's guide, which some readers still use to find the cover and the start.
    out.guide = [{"type": "cover", "href": cover.file_name, "title": "Cover"},
                 {"type": "title-page", "href": title.file_name, "title": "Title page"},
                 *([{"type": "text", "href": chapters[0].file_name, "title": chapters[0].title}]
                   if chapters else [])]
    out.add_item(epub.EpubNcx())
    # A selection of one chapter has no contents page; the reader's own menu still has the nav.
    single = book.extract is not None and len(book.chapters) == 1
    marks = {"cover": cover.file_name, "titlepage": title.file_name}
    if not single:
        marks["toc"] = "nav.xhtml#toc"
    nav = Verbatim(book, "Contents", "nav.xhtml", navigation(
        rendered, parts, files, marks, pages or [], by_part.get("contents", [])), ["nav"], "nav")
    out.add_item(nav)
    out.spine = [cover, title, *chapters] if single else [cover, title, nav, *chapters]
    mtime = dt.datetime.fromisoformat(book.date).replace(tzinfo=dt.timezone.utc)
    # EbookLib's own zip, in memory and not compressed (level 0): only the repack's
    # compression reaches the file.
    raw = io.BytesIO()
    epub.write_epub(raw, out, {"epub3_pages": False, "mtime": mtime, "raise_exceptions": True,
                               "compresslevel": 0})
    repack(raw, target, book.language)


def metadata(out: epub.EpubBook, rendered: RenderedBook, paged: bool, paper: str | None) -> None:
    """The package metadata: editors, description, date, accessibility, print source."""
    book = rendered.book
    for i, editor in enumerate(book.editors, 1):
        # dc:creator, so reading systems name the editors as the book's makers.
        out.add_metadata("DC", "creator", editor, {"id": f"editor-{i}"})
        out.add_metadata(None, "meta", "edt", {"refines": f"#editor-{i}", "property": "role",
                                               "scheme": "marc:relators"})
    if book.subtitle:
        out.add_metadata("DC", "description", book.subtitle)
    out.add_metadata("DC", "date", book.date)
    features = ["pageBreakMarkers", "pageNavigation"] if paged else []
    for prop, value in [*A11Y, *(("schema:accessibilityFeature", f) for f in features),
                        ("schema:accessibilitySummary", SUMMARY + (PAGED if paged else ""))]:
        out.add_metadata(None, "meta", value, {"property": prop})
    if paged:  # EPUB Accessibility 1.1: name the edition the page numbers come from
        source = print_edition(rendered, paper)
        out.add_metadata("DC", "source", source, {"id": "print-source"})
        out.add_metadata(None, "meta", "pagination", {"refines": "#print-source",
                                                      "property": "source-of"})
        out.add_metadata(None, "meta", source, {"property": "pageBreakSource"})
    # a11y:certifiedBy names an independent evaluation; bookmaker claims none.


def print_edition(rendered: RenderedBook, paper: str | None) -> str:
    """An identifier of the print edition (the PDF of this build, on ``paper``) that
    the page list follows: the book's own, with the paper."""
    key = f"bookmaker-print:{book_identifier(rendered)}:{paper or ''}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


class Verbatim(epub.EpubHtml):
    """A content document written exactly as given: EbookLib re-parses its
    documents as HTML, which loses the case of SVG's attributes and drops the
    navigation's own structure."""

    def __init__(self, book, title: str, file_name: str, body: str,
                 properties: list[str] | None = None, uid: str | None = None) -> None:
        super().__init__(uid=uid, title=title, file_name=file_name, lang=book.language)
        self.properties = list(properties or [])
        self.text = full_document(title, body, book.language)

    def get_content(self, default=None) -> bytes:
        return self.text.encode("utf-8")


def full_document(title: str, body: str, language: str) -> str:
    return (f"<?xml version='1.0' encoding='utf-8'?>\n<!DOCTYPE html>\n<html {XHTML_NS} "
            f'lang="{language}" xml:lang="{language}">\n  <head>\n    <title>{escape(title)}</title>\n'
            '    <link href="style/book.css" rel="stylesheet" type="text/css"/>\n  </head>\n'
            f"  <body>\n{body}\n  </body>\n</html>\n")


def navigation(rendered: RenderedBook, parts, files: dict[str, str], marks: dict[str, str],
               pages: list[PageStart], front: list[PageStart]) -> str:
    """The navigation document: contents in two levels, landmarks and the page list."""
    chapters = [p for p in parts if p.kind == "chapter"]
    back = [p for p in parts if p.kind != "chapter"]
    where = {}
    for start in pages:
        where[start.label] = ("titlepage.xhtml" if start.part == "title-page" else
                              "nav.xhtml" if start.part == "contents" else files.get(start.part))
    return render(rendered.env, "nav.html", book=rendered.book, parts=parts, files=files,
                  headings={p.id: headings(p) for p in parts}, marks=marks,
                  first=chapters[0] if chapters else None, back=back[0] if back else None,
                  pages=[(s.label, where[s.label]) for s in pages if where[s.label]],
                  front="".join(marker(s.label) for s in front))


H2 = re.compile(r"<h2\b([^>]*)>(.*?)</h2>", re.S)
SECTION_ID = re.compile(r'<section [^>]*id="([^"]+)"[^>]*>\s*$')
TAG = re.compile(r"<[^>]+>")


def headings(part: Part) -> list[tuple[str, str]]:
    """The second level of the contents: each ``h2`` of a part with the id it (or its section) has."""
    found = []
    for m in H2.finditer(part.body):
        anchor = next(iter(ID_ATTR.findall(m.group(1))), None)
        if anchor is None:  # the heading of a section: a source in the appendix
            opened = SECTION_ID.search(part.body, 0, m.start())
            anchor = opened.group(1) if opened else None
        if anchor:
            found.append((anchor, unescape(TAG.sub("", m.group(2))).strip()))
    return found


def document(title: str, body: str) -> str:
    return f"<html {XHTML_NS}><head><title>{title}</title></head><body>{body}</body></html>"


def section(part: Part, body: str) -> str:
    role = ROLES.get(part.kind, "doc-chapter")
    return (f'<section epub:type="{part.kind}" role="{role}" class="{part.kind}" id="{part.id}">'
            f"{body}</section>")


def link(body: str, own_file: str, owner: dict[str, str]) -> str:
    """Point ``#id`` links at the file that holds the id, when it is another chapter."""
    def fix(m: re.Match) -> str:
        target = owner.get(m.group(1))
        return m.group(0) if target in (None, own_file) else f'href="{target}#{m.group(1)}"'
    return LOCAL_HREF.sub(fix, body)


def repack(raw: Path | IO[bytes], target: Path, language: str) -> None:
    """Rewrite the zip so that equal books give equal bytes, and patch the OPF."""
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(target, "w") as dst:
        names = sorted(src.namelist(), key=lambda n: (n != "mimetype", n))
        for name in names:
            data = src.read(name)
            if name.endswith(".opf"):
                data = re.sub(rb"<package ", f'<package xml:lang="{language}" '.encode(), data, count=1)
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(info, data, compresslevel=9 if name != "mimetype" else None)


__all__ = ["write_epub", "book_identifier", "join_names"]
