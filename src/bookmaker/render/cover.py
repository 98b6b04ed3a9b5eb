"""The EPUB's cover: the project's ``book/cover.png`` or ``.jpg``, or one drawn here.

A drawn cover shows the title, the subtitle and the editors (for a selection:
its own title and what it was taken from) in the bundled Linux Libertine and
Biolinum, on a plain ground.  Pillow writes the PNG; the same book gives the
same bytes (no dates or other metadata are written into it).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..files import ProjectFiles
from ..model import Book
from .html import PACKAGE_DIR, join_names

OWN_COVERS = (("cover.png", "image/png"), ("cover.jpg", "image/jpeg"), ("cover.jpeg", "image/jpeg"))
SIZE = (1200, 1800)  # 2:3, as e-book stores ask
GROUND, INK, ACCENT = (31, 51, 72), (246, 242, 232), (201, 162, 92)
FONTS = PACKAGE_DIR / "fonts"


@dataclass(frozen=True)
class Cover:
    file_name: str   # inside the EPUB
    media_type: str
    data: bytes
    own: bool        # the project's own picture, not a drawn one


def cover_of(book: Book, files: ProjectFiles) -> Cover:
    """The project's cover picture, for the whole book, or a drawn one."""
    if book.extract is None:
        for name, media_type in OWN_COVERS:
            path = Path(book.project) / "book" / name
            if files.is_file(path):
                return Cover(f"images/{name}", media_type, files.read_bytes(path), True)
    return Cover("images/cover.png", "image/png", draw(book), False)


def _wrap(text: str, font, width: int) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels, broken at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _fitted(text: str, face: str, size: int, width: int, max_lines: int):
    """The largest size (down from ``size``) at which ``text`` takes at most ``max_lines``."""
    from PIL import ImageFont

    while True:
        font = ImageFont.truetype(str(FONTS / face), size)
        lines = _wrap(text, font, width)
        if len(lines) <= max_lines or size <= 24:
            return font, lines
        size -= 6


def draw(book: Book) -> bytes:
    """A cover drawn from the book's title, subtitle and editors, as PNG bytes."""
    from PIL import Image, ImageDraw

    width, height = SIZE
    margin = 110
    image = Image.new("RGB", SIZE, GROUND)
    pen = ImageDraw.Draw(image)
    pen.rectangle((48, 48, width - 48, height - 48), outline=ACCENT, width=4)
    if book.extract is not None:
        title, subtitle = book.extract.title, f"From {book.title}"
    else:
        title, subtitle = book.title, book.subtitle
    y = 330
    font, lines = _fitted(title, "LinLibertine_RB.otf", 126, width - 2 * margin, 5)
    for line in lines:
        pen.text((width / 2, y), line, font=font, fill=INK, anchor="ma")
        y += round(font.size * 1.18)
    y += 50
    pen.line((width / 2 - 160, y, width / 2 + 160, y), fill=ACCENT, width=4)
    y += 80
    if subtitle:
        font, lines = _fitted(subtitle, "LinLibertine_RI.otf", 64, width - 2 * margin, 6)
        for line in lines:
            pen.text((width / 2, y), line, font=font, fill=INK, anchor="ma")
            y += round(font.size * 1.3)
    if book.editors:
        font, lines = _fitted(f"Edited by {join_names(book.editors)}", "LinBiolinum_R.otf", 52,
                              width - 2 * margin, 3)
        y = height - 200 - len(lines) * round(font.size * 1.3)
        for line in lines:
            pen.text((width / 2, y), line, font=font, fill=INK, anchor="ma")
            y += round(font.size * 1.3)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
