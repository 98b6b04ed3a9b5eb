"""EPUB 3 through EbookLib: one XHTML file per chapter, pop-up footnotes.

Nothing here imports WeasyPrint.  EbookLib cannot write a reproducible zip nor
``xml:lang`` on the package element, so the finished file is repacked: fixed
entry dates and permissions, ``mimetype`` first and stored, the OPF patched.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
import zipfile
from pathlib import Path

from ebooklib import epub

from ..files import Stylesheet
from .html import Part, RenderedBook, join_names
from .templates import render

XHTML_NS = 'xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ROLES = {"chapter": "doc-chapter", "appendix": "doc-appendix"}
ID_ATTR = re.compile(r'\sid="([^"]+)"')
LOCAL_HREF = re.compile(r'href="#([^"]+)"')
A11Y = [
    ("schema:accessMode", "textual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityHazard", "none"),
    ("schema:accessibilitySummary", "Text-only book. Chapters and sections are marked with "
     "headings; footnotes and editorial notes are marked up with ARIA roles; the language of "
     "every quotation is declared."),
    ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
]


def book_identifier(rendered: RenderedBook) -> str:
    """A UUID derived from the book itself, so it stays the same from build to build."""
    book = rendered.book
    key = "\n".join([book.title, book.subtitle or "", *book.editors, book.language])
    if book.extract is not None:  # a selection is another publication than the book
        key += "\nextract:" + ",".join(ch.id for ch in book.chapters)
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'bookmaker:' + key)}"


def write_epub(rendered: RenderedBook, target: Path, stylesheets: list[Stylesheet],
               workdir: Path) -> None:
    """Write the EPUB to ``target``; ``workdir`` is scratch space the caller removes."""
    book = rendered.book
    parts = rendered.parts("epub")
    out = epub.EpubBook()
    out.set_identifier(book_identifier(rendered))
    out.set_title(book.extract.title if book.extract else book.title)
    out.set_language(book.language)
    for i, editor in enumerate(book.editors, 1):
        out.add_metadata("DC", "contributor", editor, {"id": f"editor-{i}"})
        out.add_metadata(None, "meta", "edt", {"refines": f"#editor-{i}", "property": "role",
                                               "scheme": "marc:relators"})
    if book.subtitle:
        out.add_metadata("DC", "description", book.subtitle)
    out.add_metadata("DC", "date", book.date)
    for prop, value in A11Y:
        out.add_metadata(None, "meta", value, {"property": prop})
    out.add_metadata(None, "meta", join_names(book.editors), {"property": "a11y:certifiedBy"})

    css = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css",
                        content="\n".join(sheet.text for sheet in stylesheets))
    out.add_item(css)
    files = {p.id: f"{p.id}.xhtml" for p in parts}
    owner = {anchor: files[p.id] for p in parts
             for anchor in [p.id, *ID_ATTR.findall(p.body)]}

    title = epub.EpubHtml(title=book.title, file_name="titlepage.xhtml", lang=book.language)
    title.content = document(book.title, render(rendered.env, "titlepage.html", book=book))
    title.add_item(css)
    out.add_item(title)
    chapters = []
    for part in parts:
        item = epub.EpubHtml(title=part.label, file_name=files[part.id], lang=book.language)
        item.content = document(part.title, section(part, link(part.body, files[part.id], owner)))
        item.add_item(css)
        out.add_item(item)
        chapters.append(item)

    out.toc = chapters
    out.add_item(epub.EpubNcx())
    nav = epub.EpubNav()
    nav.add_item(css)
    out.add_item(nav)
    # A selection of one chapter has no contents page; the reader's own menu still has the nav.
    single = book.extract is not None and len(book.chapters) == 1
    out.spine = [title, *chapters] if single else [title, "nav", *chapters]
    mtime = dt.datetime.fromisoformat(book.date).replace(tzinfo=dt.timezone.utc)
    raw = workdir / "ebooklib.epub"  # EbookLib's own file, before the reproducible repack
    try:
        epub.write_epub(str(raw), out, {"epub3_pages": False, "mtime": mtime,
                                        "raise_exceptions": True})
        repack(raw, target, book.language)
    finally:
        raw.unlink(missing_ok=True)


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


def repack(raw: Path, target: Path, language: str) -> None:
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
