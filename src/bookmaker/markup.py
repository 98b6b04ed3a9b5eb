"""The editors' own text: their Markdown, and its typography.

Titles, headings, notes, prose, profiles and claims are the editors' writing,
typed with straight quotes and hyphens.  They are set with the quotation
marks of the book's language, apostrophes and dashes (markdown-it-py's
typographer, plus a rule of ours for dashes and number ranges: 1949-1953
becomes 1949–1953).  The sources' words never pass through here: excerpts,
claim sites and quoted evidence are printed exactly as published.
"""
from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .chars import FORBIDDEN

# Levels of nesting a note's Markdown may build, blocks and inline markup each:
# 600 nested '*' made 300 nested <strong>, and WeasyPrint died of RecursionError.
MARKDOWN_NESTING = 20

# Primary, secondary quotation marks (open, close, open, close) by language.
NBSP = "\u202f"  # French sets a narrow no-break space inside guillemets
QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "cs": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "uk": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "be": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "pl": ("\u201e", "\u201d", "\u00ab", "\u00bb"),
    "fr": ("\u00ab" + NBSP, NBSP + "\u00bb", "\u2039" + NBSP, NBSP + "\u203a"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pt": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "sv": ("\u201d", "\u201d", "\u2019", "\u2019"),
    "fi": ("\u201d", "\u201d", "\u2019", "\u2019"),
    "lv": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "lt": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "et": ("\u201e", "\u201c", "\u201a", "\u2018"),
}

# A range of numbers (1949-1953, pp. 12-15), but not a date (2019-04-04) nor a
# code (B-52, c1-2): the numbers stand alone on both sides.
NUMBER_RANGE = re.compile(r"(?<![\w\-\u2010-\u2015])(\d+)-(\d+)(?![\w\-\u2010-\u2015])")
# The same range as set (1949\u20131953), which a title keeps on one line.
SET_RANGE = re.compile(r"(?<![\w\-\u2010-\u2015])\d+\u2013\d+(?![\w\-\u2010-\u2015])")
DASHES = ((re.compile(r"(?<!-)---(?!-)"), "\u2014"), (re.compile(r"(?<!-)--(?!-)"), "\u2013"),
          (re.compile(r"(?<=\s)-(?=\s)"), "\u2013"), (re.compile(r"\.\.\.(?!\.)"), "\u2026"))


def quotes(language: str) -> tuple[str, str, str, str]:
    """The quotation marks of a language tag ('en-GB' -> English's)."""
    return QUOTES.get(language.split("-")[0].lower(), QUOTES["en"])


def dashes(text: str) -> str:
    """Dashes, number ranges and ellipses for straight-typed text."""
    for pattern, dash in DASHES:
        text = pattern.sub(dash, text)
    return NUMBER_RANGE.sub("\\1\u2013\\2", text)


def _dash_rule(state: StateCore) -> None:
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text":
                child.content = dashes(child.content)


@lru_cache(maxsize=None)
def _plain(language: str) -> MarkdownIt:
    md = MarkdownIt("zero", {"typographer": True, "quotes": list(quotes(language))})
    md.enable("smartquotes")
    md.core.ruler.after("smartquotes", "dashes", _dash_rule)
    return md


def typographic(text: str, language: str = "en") -> str:
    """Plain text (a title, a heading) with typographic quotes, apostrophes and dashes.

    Nothing else changes: no Markdown is read, and ``*`` or ``<`` stay as written.
    """
    if not text:
        return text
    tokens = _plain(language).parseInline(text)
    return "".join(child.content for token in tokens for child in token.children or ())


@lru_cache(maxsize=None)
def markdown(language: str = "en") -> MarkdownIt:
    """Markdown for editors' notes: inline formatting and links, nothing else,
    with the typography of ``language``.

    Raw HTML is escaped (``html`` off), images are disabled, and links may only
    point at the web or inside the book, so a note cannot pull in local files.
    Nesting is bounded, and characters no book can hold that a character
    reference such as ``&#12;`` writes become U+FFFD, as CommonMark makes of
    ``&#0;``.
    """
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": True, "typographer": True,
                                   "quotes": list(quotes(language)),
                                   "maxNesting": MARKDOWN_NESTING})
    md.disable(["image", "html_inline", "html_block"])
    # Our dashes, not markdown-it's replacements, which make "(c)" a copyright sign.
    md.enable("smartquotes")
    md.core.ruler.after("smartquotes", "dashes", _dash_rule)
    md.validateLink = lambda url: url.lower().startswith(("http://", "https://", "mailto:", "#"))

    def clean(token: Token) -> None:
        token.content = FORBIDDEN.sub("\ufffd", token.content)
        token.attrs = {k: FORBIDDEN.sub("\ufffd", v) if isinstance(v, str) else v
                       for k, v in token.attrs.items()}

    def bound(state: StateCore) -> None:
        # maxNesting bounds the block parser and the inline rules' recursion, but
        # emphasis is paired after parsing, at any depth: past the bound, the
        # delimiters stay the characters they were ('*', '**') and links plain text.
        for token in state.tokens:
            clean(token)
            depth, flat = 0, []  # for each open element, whether it became text
            for child in token.children or ():
                clean(child)
                if child.nesting == 1:
                    flatten = depth >= MARKDOWN_NESTING
                    flat.append(flatten)
                elif child.nesting == -1:
                    flatten = flat.pop() if flat else True
                else:
                    continue
                if not flatten:
                    depth += child.nesting
                    continue
                child.content = child.markup if child.type.startswith(("em_", "strong_")) else ""
                child.type, child.tag, child.nesting, child.attrs = "text", "", 0, {}

    md.core.ruler.push("bound_nesting", bound)
    return md


def local_links(text: str) -> list[tuple[str, str]]:
    """The in-book links of a note's Markdown: (target id, link text) for each ``[..](#id)``."""
    found: list[tuple[str, str]] = []
    # Every link has a '[', and an address that starts with '#' is written with one, or
    # with an entity such as '&#35;': a text with neither is not parsed to learn so.
    if not text or "[" not in text or ("#" not in text and "&" not in text):
        return found
    for token in markdown().parse(text):
        children = token.children or ()
        for i, child in enumerate(children):
            href = child.attrs.get("href") if child.type == "link_open" else None
            if isinstance(href, str) and href.startswith("#"):
                words = []
                for after in children[i + 1:]:
                    if after.type == "link_close":
                        break
                    words.append(after.content)
                found.append((href[1:], "".join(words)))
    return found
