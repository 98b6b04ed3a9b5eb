"""Saddle-stitch imposition: a booklet to print on both sides, fold and staple.

The PDF's pages go two-up onto landscape sheets twice their size, in folding
order: of a booklet of 8 pages, the first sheet's front shows pages 8 and 1,
its back 2 and 7, the second sheet's front 6 and 3, its back 4 and 5.  The
page count is padded with blank pages to a multiple of four (the blanks fall
at the end, before the back cover).  Printed duplex and flipped on the short
edge, the stack folds into the book.

pypdf places each page as a form of the sheet, so the text stays text (it
can still be searched and copied).  Links are dropped: a booklet is for print,
and they would point at pages that no longer exist.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import ByteStringObject, ArrayObject, NameObject

POINTS_PER_MM = 72 / 25.4


def sheet_order(pages: int) -> list[tuple[int, int]]:
    """(left, right) page numbers of each sheet side, 1-based; beyond ``pages`` is blank.

    For 8 pages: [(8, 1), (2, 7), (6, 3), (4, 5)].
    """
    total = -(-pages // 4) * 4 or 4
    sides = []
    for sheet in range(total // 4):
        sides.append((total - 2 * sheet, 1 + 2 * sheet))        # front
        sides.append((2 + 2 * sheet, total - 1 - 2 * sheet))    # back
    return sides


def impose(source: Path, target: Path, sheet_mm: tuple[float, float], title: str,
           date: str) -> int:
    """Write the booklet of ``source`` to ``target`` on sheets of ``sheet_mm`` (width, height).

    The pair of pages is centred on the sheet (two A5 pages are 1 mm narrower
    than A4).  ``title`` and ``date`` (ISO) go into the metadata; the file
    identifier is derived from the content, so equal books give equal bytes.
    Returns the number of sheet sides.
    """
    reader = PdfReader(str(source))
    pages = reader.pages
    box = pages[0].mediabox
    width, height = float(box.width), float(box.height)
    sheet_w, sheet_h = (v * POINTS_PER_MM for v in sheet_mm)
    left = (sheet_w - 2 * width) / 2
    bottom = (sheet_h - height) / 2
    writer = PdfWriter()
    for pair in sheet_order(len(pages)):
        side = writer.add_blank_page(sheet_w, sheet_h)
        for slot, number in enumerate(pair):
            if number <= len(pages):
                move = Transformation().translate(left + slot * width, bottom)
                side.merge_transformed_page(pages[number - 1], move)
        if "/Annots" in side:
            del side[NameObject("/Annots")]
        side.compress_content_streams()
    stamp = dt.datetime.fromisoformat(date).strftime("D:%Y%m%d000000Z")
    writer.add_metadata({"/Title": title, "/Producer": "bookmaker (pypdf)",
                         "/CreationDate": stamp, "/ModDate": stamp})
    language = reader.trailer["/Root"].get("/Lang")
    if language is not None:
        writer.root_object[NameObject("/Lang")] = language
    # pypdf draws a random identifier; one from the source's bytes keeps builds reproducible.
    ident = ByteStringObject(hashlib.sha256(source.read_bytes()).digest()[:16])
    writer._ID = ArrayObject([ident, ident])
    with open(target, "wb") as out:
        writer.write(out)
    return len(writer.pages)
