"""A PDF's text layer as paragraphs, by pdfminer.six's layout analysis.

pdfminer gives each line of text with its position and font size.  From them
this module leaves out the running headers, footers and page numbers (lines at
the top or foot of the page that repeat, digits aside, at the same height on
other pages, or that are only a page number), and rebuilds paragraphs: a new
one starts with each of pdfminer's blocks of lines (unless the block goes on
over a page or column break from a full line), after extra space, at an
indented first line, after a line that stops short of the margin in justified
text, or where the font size changes.  List markers are left out, as a
browser's copy of a list leaves them.
A PDF without a text layer is refused: bookmaker does no OCR.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from .errors import BookError
from .extract import Extracted, clean_paragraphs, located

PAGE_NUMBER = re.compile(r"^[\s\-–—|·•\[(]*((page|p\.|seite|стр\.?)\s*)?([0-9]{1,4}|[ivxlcdm]{1,7})"
                         r"(\s*(of|/|из|von|de)\s*[0-9]{1,4})?[\s\-–—|·•\])]*$", re.I)
HYPHENS = "-\u2010\u00ad"
PEEL = 4  # rows set apart above or below columns, at most
BULLET = re.compile(r"^[•◦▪▫●○■□‣⁃∙·*–-]$")
ENDS_SENTENCE = ".!?:\"”»)’"
FILE_NAME_TITLE = re.compile(r"(\.(docx?|odt|rtf|pdf|indd|tex|pages|xlsx?|pptx?)$)|^Microsoft Word - ", re.I)


@dataclass(frozen=True)
class Line:
    page: int
    box: int       # pdfminer's text box (a block of lines), numbered through the document
    x0: float
    x1: float
    top: float     # PDF coordinates: y grows upwards
    bottom: float
    size: float
    text: str


@dataclass(frozen=True)
class Box:
    left: float
    right: float
    lines: int
    justified: bool  # most lines but the last end at the right edge


def extract_pdf(data: bytes, where: Path | str) -> Extracted:
    """The paragraphs and metadata of the PDF in ``data``."""
    pages, info, lang = read_pdf(data, where)
    lines = [line for page in pages for line in page]
    if not any(line.text.strip() for line in lines):
        raise BookError("the PDF has no text layer (it looks like scanned pages or images)",
                        located(where), "bookmaker does no OCR: run the PDF through OCR first "
                        "(for example ocrmypdf), or import a text version")
    unmapped = sum(line.text.count("(cid:") for line in lines)
    if unmapped * 20 > sum(len(line.text) for line in lines):
        raise BookError("the PDF's text layer cannot be read: its fonts do not say which "
                        "characters their glyphs are", located(where),
                        "export the PDF again from its source, or import a text version")
    notes = []
    empty = [str(i + 1) for i, page in enumerate(pages) if not any(ln.text.strip() for ln in page)]
    if empty:
        notes.append(f"page{'s' if len(empty) > 1 else ''} {', '.join(empty[:10])} of the PDF "
                     "have no text layer; their text is missing")
    body = without_furniture(pages)
    paragraphs, kept = rebuild(body)
    if kept:
        notes.append(f"{len(kept)} word{'s' if len(kept) > 1 else ''} broken at a line end "
                     f"kept their hyphen ({', '.join(kept[:3])}{', ...' if len(kept) > 3 else ''}): "
                     "join those where the hyphen only broke the line")
    title = info.get("Title")
    if title and FILE_NAME_TITLE.search(title):
        notes.append(f"the PDF's title field holds a file name ('{title}'), not a title")
        title = None
    made = info.get("CreationDate", "")
    made = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", made)
    if made:
        notes.append(f"the PDF says the file was made on {made[1]}-{made[2]}-{made[3]}; "
                     "that need not be the date the text was published")
    meta = {"title": title, "author": [a.strip() for a in info.get("Author", "").split(";")
                                       if a.strip()] or None,
            "outlet": None, "published": None, "url": None, "language": lang}
    return Extracted("PDF", clean_paragraphs(paragraphs), data, ".pdf", meta, notes=notes)


def read_pdf(data: bytes, where: Path | str) -> tuple[list[list[Line]], dict[str, str], str | None]:
    """Lines of every page, the document information and the catalogue's /Lang."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    def text_of(value) -> str:
        value = resolve1(value)
        if isinstance(value, bytes):
            return " ".join(decode_text(value).split())
        return " ".join(str(value).split()) if isinstance(value, str) else ""

    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)))
        info = {k: text_of(v) for d in doc.info for k, v in d.items()}
        lang = text_of(doc.catalog.get("Lang")) or None
        manager = PDFResourceManager()
        device = PDFPageAggregator(manager, laparams=LAParams())
        interpreter = PDFPageInterpreter(manager, device)
        pages: list[list[Line]] = []
        boxes = 0
        for number, page in enumerate(PDFPage.create_pages(doc)):
            interpreter.process_page(page)
            lines = []
            for box in reading_order([b for b in device.get_result() if isinstance(b, LTTextContainer)]):
                boxes += 1
                for line in box:
                    text = " ".join(line.get_text().split()) if isinstance(line, LTTextLine) else ""
                    if text and not BULLET.match(text):  # a list's marker is not its text
                        sizes = [c.size for c in line if hasattr(c, "size")]
                        lines.append(Line(number, boxes, line.x0, line.x1, line.y1, line.y0,
                                          round(median(sizes), 1) if sizes else 0.0, text))
            pages.append(lines)
    except PDFPasswordIncorrect:
        raise BookError("the PDF is protected by a password", located(where),
                        "save an unprotected copy and import that") from None
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise BookError(f"the PDF is damaged and cannot be read ({type(exc).__name__}: "
                        f"{str(exc)[:80] or 'no detail'})", located(where),
                        "download or export it again") from exc
    if lang and not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", lang):
        lang = None
    return pages, info, lang


def reading_order(boxes: list) -> list:
    """Blocks in the order they are read: columns left to right, each top to bottom.

    pdfminer orders blocks by a blend of their height and left edge, which reads
    two columns with headings at the same height as heading, heading, text, text.
    This is a recursive X-Y cut that prefers columns: a region splits at a
    gutter no block crosses; else the fewest rows above and below (a running
    head, a title across both columns, a footer: PEEL at most on each side) are
    set apart so that the rest splits into columns; else it is read row by row.
    """
    if len(boxes) <= 1:
        return boxes
    columns = _cut(boxes, "x")
    if len(columns) > 1:
        return [b for column in columns for b in reading_order(column)]
    rows = _cut(boxes, "y")
    if len(rows) == 1:
        return sorted(boxes, key=lambda b: (-b.y1, b.x0))
    n, peel = len(rows), range(min(PEEL, len(rows)) + 1)
    spans = sorted(((i, n - k) for i in peel for k in peel if n - k - i >= 2), key=lambda ij: ij[0] - ij[1])
    for i, j in spans:  # the widest middle first
        middle = [b for row in rows[i:j] for b in row]
        if len(_cut(middle, "x")) > 1:
            parts = ([b for row in rows[:i] for b in row], middle, [b for row in rows[j:] for b in row])
            return [b for part in parts for b in reading_order(part)]
    return [b for row in rows for b in reading_order(row)]


def _cut(boxes: list, axis: str) -> list[list]:
    """The boxes in groups separated by gaps along ``axis`` (left to right, or top to bottom)."""
    if axis == "x":
        spans = sorted(((b.x0, b.x1, b) for b in boxes), key=lambda s: s[0])
        gap = 3.0  # narrower than a column gutter is space inside a line
    else:
        spans = sorted(((-b.y1, -b.y0, b) for b in boxes), key=lambda s: s[0])
        gap = 0.5
    groups, end = [[spans[0][2]]], spans[0][1]
    for lo, hi, box in spans[1:]:
        if lo - end >= gap:
            groups.append([])
        groups[-1].append(box)
        end = max(end, hi)
    return groups


def without_furniture(pages: list[list[Line]]) -> list[Line]:
    """Every line but running headers, footers and page numbers, in reading order."""
    size = body_size([line for page in pages for line in page])
    candidates: list[Line] = []
    for lines in pages:
        by_height = sorted(lines, key=lambda ln: -ln.top)
        candidates += by_height[:2] + by_height[2:][-2:]
    furniture = set()
    for line in candidates:
        if PAGE_NUMBER.match(line.text):
            furniture.add(line)
            continue
        key = _shape(line.text)
        pages_alike = {c.page for c in candidates
                       if _shape(c.text) == key and abs(c.top - line.top) <= 3}
        if len(pages_alike) >= 2 and line.size <= size + 0.5:
            furniture.add(line)
    return [line for lines in pages for line in lines if line not in furniture]


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def body_size(lines: list[Line]) -> float:
    """The font size most of the text is set in."""
    sizes = Counter()
    for line in lines:
        sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def rebuild(lines: list[Line]) -> tuple[list[str], list[str]]:
    """Paragraphs from lines, and the words whose line-end hyphen was kept as printed."""
    words = Counter(w.lower() for line in lines for w in re.findall(r"\w+(?:[-\u2010]\w+)*", line.text))
    boxes = {n: _box([ln for ln in lines if ln.box == n]) for n in {ln.box for ln in lines}}
    pitch = _pitch(lines)
    paragraphs: list[str] = []
    kept: list[str] = []
    text, prev = "", None
    for line in lines:
        if prev is not None and not _new_paragraph(prev, line, boxes, pitch):
            text = _join(text, line.text, words, kept)
        else:
            if text:
                paragraphs.append(text)
            text = line.text
        prev = line
    if text:
        paragraphs.append(text)
    return paragraphs, kept


def _box(lines: list[Line]) -> Box:
    left, right = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
    flush = sum(1 for ln in lines[:-1] if right - ln.x1 <= 2)
    return Box(left, right, len(lines), len(lines) >= 3 and flush >= 0.6 * (len(lines) - 1))


def _pitch(lines: list[Line]) -> float:
    """The usual distance from one line to the next within a paragraph, per point of font size."""
    steps = [(a.top - b.top) / a.size for a, b in zip(lines, lines[1:])
             if a.box == b.box and a.size == b.size and 0 < a.top - b.top < 3 * a.size]
    return median(steps) if steps else 0.0


def _new_paragraph(prev: Line, line: Line, boxes: dict[int, Box], pitch: float) -> bool:
    """Whether ``line`` starts a paragraph rather than going on with ``prev``'s."""
    if abs(prev.size - line.size) > 1:
        return True  # a heading, a caption, a footnote
    here, before = boxes[line.box], boxes[prev.box]
    if line.x0 - here.left > 0.6 * line.size:
        return True  # an indented first line (or a centred one)
    if line.box == prev.box:
        if before.justified and prev.x1 < before.right - 1.5 * prev.size:
            return True  # justified text: only a paragraph's last line stops short
        if not before.justified and prev.x1 < before.right - 0.35 * (before.right - before.left) \
                and prev.text[-1:] in ENDS_SENTENCE:
            return True
        return bool(pitch) and prev.top - line.top > 1.35 * pitch * line.size  # extra space
    # Another block: the same paragraph only if it goes on over a page or column break
    # (or a block split without space), from a line that reached the margin.
    moved_on = line.page != prev.page or line.top > prev.top or \
        (bool(pitch) and prev.top - line.top <= 1.2 * pitch * line.size)
    full = before.lines >= 2 and prev.x1 >= before.right - 1.5 * prev.size
    if not (moved_on and full):
        return True
    return not line.text[:1].islower() and prev.text[-1:] in ENDS_SENTENCE


def _join(text: str, line: str, words: Counter, kept: list[str]) -> str:
    """Join a paragraph's next line; a hyphen at the end of a line goes only on evidence."""
    match = re.search(rf"(\w+)[{HYPHENS}]$", text)
    if not match or not line[:1].islower():
        return f"{text} {line}"
    head, tail = match.group(1), re.match(r"\w*", line).group(0)
    if text.endswith("\u00ad") or (f"{head}{tail}".lower() in words and
                                   f"{head}-{tail}".lower() not in words):
        return text[:-1] + line  # a hyphen the line break made: the word is whole elsewhere
    if f"{head}-{tail}".lower() not in words and f"{head}\u2010{tail}".lower() not in words:
        kept.append(f"{head}{text[-1]}{tail}")
    return text + line
