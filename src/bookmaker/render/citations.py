"""How a source is named and cited: captions, footnotes and the bibliography.

The first excerpt of a source in a document (the book, or a handout) gets the
full attribution in its footnote; later ones a short form, "Kartsev 2019",
linked to the source's full entry in the sources appendix (in the PDF with
its page).  The full entries stand in that appendix, the book's bibliography.

A source without a byline is never given a made-up name: it is named by its
title and called "unsigned".  Punctuation is joined so that it never
collides: a title ending in ``?``, ``!`` or ``.`` takes no comma after it,
and an entry ending in one takes no full stop.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from markupsafe import Markup, escape

from ..model import Source

# Ends of a piece of an entry after which no comma or full stop is added.
TERMINAL = re.compile(r"[.?!\u2026][\u201d\u2019\u00bb\"')\]]*$")
TAG = re.compile(r"<[^>]+>")
# Where a URL may break besides its slashes and hyphens (which the line breaker
# already takes): after these marks, never inside the scheme.
URL_BREAK_AFTER = re.compile(r"(?<=[.?&=#_~])(?=.)")
SHORT_TITLE_WORDS = 8  # a title this long is named whole; a longer one is cut


def join_names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def short_title(source: Source) -> str:
    """The title up to its colon, cut to a few words with an ellipsis when long."""
    title = source.title.split(": ")[0].strip()
    words = title.split()
    if len(words) > SHORT_TITLE_WORDS:
        title = " ".join(words[:SHORT_TITLE_WORDS - 2]).rstrip(",;:") + "\u2026"
    return title


def name(source: Source) -> str:
    """A source as a name stands in a caption, a table or a list: the authors'
    surnames, or for a source with no byline its short title in quotes."""
    if source.authors:
        return join_names([a.split()[-1] for a in source.authors])
    return f"\u201c{short_title(source)}\u201d"


UNSIGNED = "the unsigned text"


def list_name(source: Source, sources: Iterable[Source] = ()) -> str:
    """A source as it stands in a list or a table cell ("Told by Polonsky, the
    unsigned text and Kartsev"): the surnames; "the unsigned text" for the one
    source of the book without a byline; where there are several, the first
    words of its title."""
    if source.authors:
        return name(source)
    unsigned = [s for s in sources if not s.authors and s.id != source.id]
    if not unsigned:
        return UNSIGNED
    words = short_title(source).split()
    return "\u201c" + (" ".join(words[:4]) + "\u2026" if len(words) > 4 else " ".join(words)) + "\u201d"


def caption(source: Source) -> str:
    """An excerpt's caption: "Kartsev, 2019"; "“Title” (unsigned)"."""
    if not source.authors:
        return name(source) + " (unsigned)" + (f", {source.published[:4]}" if source.published else "")
    return name(source) + (f", {source.published[:4]}" if source.published else "")


def short_form(source: Source, sources: Iterable[Source] = ()) -> str:
    """The short citation of a later excerpt: author and year ("Kartsev 2019",
    "Polonsky n.d."), or the short title where there is no byline.  Where two
    sources of the book would share it, the short title tells them apart."""
    def plain(s: Source) -> str:
        year = s.published[:4] if s.published else "n.d."
        return f"{name(s)} {year}" if s.authors else joined(name(s), year)

    own = plain(source)
    if source.authors and any(s.id != source.id and plain(s) == own for s in sources):
        return f"{name(source)}, \u201c{short_title(source)}\u201d, {own.rsplit(' ', 1)[1]}"
    return own


def joined(first: str, then: str) -> str:
    """``first, then``, without the comma after a ``?``, ``!`` or ``.``."""
    return f"{first} {then}" if TERMINAL.search(first) else f"{first}, {then}"


def url(address: str) -> Markup:
    """A URL as text that breaks only after a slash or a punctuation mark.

    Slashes and hyphens are break opportunities already; ``<wbr/>`` adds those
    after ``.``, ``?``, ``&``, ``=``, ``#``, ``_`` and ``~`` in the path (not in
    the scheme or the host name).
    The style sets ``hyphens: none``, so no hyphen is ever inserted, and the
    PDF's text is the address exactly (a ``<wbr/>`` draws nothing).
    """
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "", address
    host, slash, path = rest.partition("/")  # the host name is kept whole
    pieces = URL_BREAK_AFTER.split(path)
    return Markup(escape(scheme + sep + host + slash)) + Markup("<wbr/>").join(escape(p) for p in pieces)


def entry(pieces: Iterable[Markup | str]) -> Markup:
    """Pieces of an attribution joined by commas, ended by a full stop, with no
    comma or full stop after a piece that ends in ``?``, ``!`` or ``.``."""
    out = Markup("")
    last = ""
    for piece in pieces:
        if not piece:
            continue
        piece = Markup(piece) if isinstance(piece, Markup) else escape(piece)
        if last:
            out += Markup(" ") if TERMINAL.search(last) else Markup(", ")
        out += piece
        last = TAG.sub("", str(piece))
    if last and not TERMINAL.search(last):
        out += Markup(".")
    return out


def attribution(source: Source, language_name=lambda tag: tag, date=lambda d: d or "undated") -> Markup:
    """The full attribution: authors, “title”, outlet, date, translation, URL."""
    s = source
    title = Markup("\u201c{}\u201d").format(s.title)
    pieces: list[Markup | str] = [join_names(s.authors), title] if s.authors else [title, "unsigned"]
    pieces += [Markup("<i>{}</i>").format(s.outlet), date(s.published)]
    if s.translators:
        pieces.append(f"translated by {join_names(s.translators)}")
    elif s.original_language:
        pieces.append(f"translated from {language_name(s.original_language)}, translator not named")
    if s.url:
        pieces.append(Markup('<a class="url" href="{}">{}</a>').format(s.url, url(s.url)))
    return entry(pieces)
