"""The HTML both outputs share, rendered once per run.

Each chapter and appendix becomes one :class:`Part` whose body is an HTML
fragment that is also well-formed XHTML.  Footnotes are written in the EPUB
way (a noteref call in the text, an ``aside`` right after the excerpt); the
print style floats that aside to the foot of the page, so the same fragment
serves WeasyPrint and the e-reader.  Links between parts are plain ``#id``
fragments; the EPUB renderer points them at the right file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .. import __version__
from ..chars import FORBIDDEN
from ..files import ProjectFiles
from ..model import Book, Compare, Excerpt, Heading, Note, Source, Text
from .templates import BookLoader, BookSandbox, render
from .xref import confine

PACKAGE_DIR = Path(__file__).resolve().parent.parent
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
NOTE_LABELS = {"context": "Context", "bias": "Bias", "reliability": "Reliability",
               "correction": "Correction"}
# Names for the language tags a reader is likely to meet; others are shown as tags.
LANGUAGES = {"en": "English", "ru": "Russian", "uk": "Ukrainian", "be": "Belarusian",
             "de": "German", "fr": "French", "pl": "Polish", "cs": "Czech", "es": "Spanish",
             "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "lv": "Latvian",
             "lt": "Lithuanian", "et": "Estonian", "fi": "Finnish", "sv": "Swedish",
             "zh": "Chinese", "ja": "Japanese", "ar": "Arabic", "tr": "Turkish", "ka": "Georgian"}
# Languages written right to left; their text gets dir="rtl" (the bidi algorithm
# alone would order a paragraph by its first strong character).
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "nqo", "ps", "sd",
                           "syr", "ug", "ur", "yi"})
VERDICT_LABELS = {"correct": "Correct", "wrong": "Wrong", "doubtful": "Doubtful",
                  "unverified": "Unverified", "unsupported": "Unsupported"}
# The claims matrix's marks, told apart without colour (DejaVu Sans draws them).
VERDICT_SYMBOLS = {"correct": "\u2713", "wrong": "\u2717", "doubtful": "?",
                   "unverified": "\u2026", "unsupported": "\u2205"}


@dataclass(frozen=True)
class Part:
    """One chapter-sized piece of the book: a file in the EPUB, a section in the PDF."""

    id: str
    title: str
    kind: str   # "chapter" or "appendix"
    body: str   # XHTML fragment, starting with its <h1>


class RenderedBook:
    """The book's HTML parts, rendered on first use and shared by the outputs.

    Appendices are rendered once.  Chapters are rendered once per target,
    because footnotes must differ: EPUB readers pop up an ``aside`` linked from
    a noteref, while WeasyPrint places a footnote reliably only when the note
    sits inline at its call.
    """

    def __init__(self, book: Book, files: ProjectFiles,
                 env: jinja2.Environment | None = None) -> None:
        self.book = book
        self.files = files
        # Several books of one run (the handouts) share one environment, so
        # the project's templates are read once.
        self.env = env or environment(files)
        self._appendices: tuple[Part, ...] | None = None
        self._parts: dict[str, tuple[Part, ...]] = {}

    def parts(self, target: str) -> tuple[Part, ...]:
        if target not in self._parts:
            chapters = tuple(self._chapter(ch, target) for ch in self.book.chapters)
            if self._appendices is None:
                self._appendices = tuple(self._appendix(*a) for a in appendices(self.book))
            # A selection's links to parts it does not hold name the full book instead.
            self._parts[target] = confine(chapters + self._appendices, self.book)
        return self._parts[target]

    def _context(self, **extra) -> dict:
        named = self.book.sources + (self.book.extract.other_sources if self.book.extract else ())
        return {"book": self.book, "sources": {s.id: s for s in named}, **extra}

    def _chapter(self, chapter, target: str) -> Part:
        body = render(self.env, "chapter.html", **self._context(chapter=chapter, target=target))
        return Part(chapter.id, chapter.title, "chapter", body)

    def _appendix(self, part_id: str, title: str, template: str) -> Part:
        from .figures import timeline_figure

        context = self._context(part_id=part_id, title=title, target="any",
                                claim_ids={c.id for c in self.book.editorial.claims})
        if template == "timeline.html":  # the figure beside the list, laid out here
            context["figure"] = timeline_figure(self.book, context["sources"])
        body = render(self.env, template, **context)
        return Part(part_id, title, "appendix", body)


# Levels of nesting a note's Markdown may build, blocks and inline markup each:
# 600 nested '*' made 300 nested <strong>, and WeasyPrint died of RecursionError.
MARKDOWN_NESTING = 20


def markdown() -> MarkdownIt:
    """Markdown for editors' notes: inline formatting and links, nothing else.

    Raw HTML is escaped (``html`` off), images are disabled, and links may only
    point at the web or inside the book, so a note cannot pull in local files.
    Nesting is bounded, and characters no book can hold that a character
    reference such as ``&#12;`` writes become U+FFFD, as CommonMark makes of
    ``&#0;``.
    """
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": True, "typographer": False,
                                   "maxNesting": MARKDOWN_NESTING})
    md.disable(["image", "html_inline", "html_block"])
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


def environment(files: ProjectFiles) -> jinja2.Environment:
    """Templates are data: the project's ``templates/`` overrides ours file by file,
    in the sandbox of :mod:`.templates`."""
    env = BookSandbox(loader=BookLoader(files), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    md = markdown()
    env.filters["md"] = lambda text: jinja2.utils.markupsafe.Markup(md.render(text or "").strip())
    env.filters["mdinline"] = lambda text: jinja2.utils.markupsafe.Markup(
        md.renderInline(" ".join((text or "").split())))
    env.filters["date"] = human_date
    env.filters["language"] = lambda tag: LANGUAGES.get(tag.split("-")[0].lower(), tag)
    env.filters["direction"] = direction
    env.globals.update(note_labels=NOTE_LABELS, verdict_labels=VERDICT_LABELS,
                       verdict_symbols=VERDICT_SYMBOLS, claim_makers=claim_makers,
                       names=join_names, split_last=split_last, short_name=short_name, version=__version__,
                       is_excerpt=lambda b: isinstance(b, Excerpt),
                       is_note=lambda b: isinstance(b, Note), is_text=lambda b: isinstance(b, Text),
                       is_heading=lambda b: isinstance(b, Heading),
                       is_compare=lambda b: isinstance(b, Compare))
    return env


def appendices(book: Book) -> list[tuple[str, str, str]]:
    """(id, title, template) of the generated back matter, in order."""
    found = []
    if book.editorial.claims or book.editorial.slips:
        found.append(("claims-checked", "Claims checked", "claims.html"))
    if book.editorial.events:
        found.append(("timeline", "Timeline", "timeline.html"))
    title = "Sources and their reliability" if any(s.profile for s in book.sources) else "Sources"
    if book.sources or book.extract is None:  # a selection that quotes nothing lists none
        found.append(("sources", title, "sources.html"))
    return found


def direction(tag: str) -> str:
    """'rtl' for a language written right to left, else 'ltr'."""
    return "rtl" if tag.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def human_date(value: str | None) -> str:
    """'2019-04-04' -> '4 April 2019'; None -> 'undated'."""
    if not value:
        return "undated"
    bits = value.split("-")
    if len(bits) == 3:
        return f"{int(bits[2])} {MONTHS[int(bits[1]) - 1]} {bits[0]}"
    if len(bits) == 2:
        return f"{MONTHS[int(bits[1]) - 1]} {bits[0]}"
    return bits[0]


def split_last(paragraph: str) -> tuple[str, str]:
    """Split off the last word, so the footnote call never starts a line alone."""
    head, _, tail = paragraph.rpartition(" ")
    return (head + " " if head else "", tail)


def join_names(names: tuple[str, ...] | list[str]) -> str:
    names = list(names)
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def short_name(source: Source) -> str:
    """A caption for an excerpt: the authors' surnames, or 'No byline'."""
    if source.authors:
        return join_names([a.split()[-1] for a in source.authors])
    return "No byline"


def claim_makers(claims, sources: dict) -> list[Source]:
    """The sources (of ``sources``, in their order) that make at least one of ``claims``."""
    making = {m.source for c in claims for m in c.made_by}
    return [s for sid, s in sources.items() if sid in making]
