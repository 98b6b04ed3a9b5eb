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
from typing import Callable, TypeVar

import jinja2
from markupsafe import Markup, escape

from .. import __version__
from ..files import ProjectFiles
from ..markup import MARKDOWN_NESTING, SET_RANGE, markdown, typographic  # noqa: F401 (MARKDOWN_NESTING for the tests)
from ..model import Book, Compare, Excerpt, Heading, Note, Source, Text
from . import citations
from .citations import join_names
from .templates import BookLoader, BookSandbox, render
from ..references import answers, chapter_numbers, targets
from .xref import confine, fill

T = TypeVar("T")
PACKAGE_DIR = Path(__file__).resolve().parent.parent
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
NOTE_LABELS = {"context": "Context", "bias": "Bias", "reliability": "Reliability",
               "correction": "Correction"}
# A sign for each kind, so that the kinds are told apart at a glance, in print and on e-readers.
NOTE_ICONS = {"context": "i", "bias": "\u25c6", "reliability": "?", "correction": "!"}
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
    number: int | None = None  # a chapter's number in the full book

    @property
    def label(self) -> str:
        """The title as the contents and running heads give it: "3. The Soviet note"."""
        return f"{self.number}. {self.title}" if self.number else self.title


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
        self._numbers: dict[str, int] | None = None
        self._answers: dict = {}

    def parts(self, target: str) -> tuple[Part, ...]:
        if target not in self._parts:
            chapters = tuple(self._chapter(ch, target) for ch in self.book.chapters)
            if self._appendices is None:
                self._appendices = tuple(self._appendix(*a) for a in appendices(self.book))
            # Empty links get their words; a selection's links to parts it does not
            # hold name the full book instead.
            self._parts[target] = confine(fill(chapters + self._appendices, targets(self.book)),
                                          self.book)
        return self._parts[target]

    def _context(self, **extra) -> dict:
        book = self.book
        named = book.sources + (book.extract.other_sources if book.extract else ())
        if self._numbers is None:
            self._numbers, self._answers = chapter_numbers(book), answers(book)
        return {"book": book, "sources": {s.id: s for s in named},
                "claim_ids": {c.id for c in book.editorial.claims},
                "numbers": self._numbers, "answers": self._answers, **extra}

    def _chapter(self, chapter, target: str) -> Part:
        body = render(self.env, "chapter.html", **self._context(chapter=chapter, target=target))
        return Part(chapter.id, chapter.title, "chapter", body, self._numbers.get(chapter.id))

    def _appendix(self, part_id: str, title: str, template: str) -> Part:
        from .figures import timeline_figure

        context = self._context(part_id=part_id, title=title, target="any")
        if template == "timeline.html":  # the figure beside the list, laid out here
            context["figure"] = timeline_figure(self.book, context["sources"])
        body = render(self.env, template, **context)
        return Part(part_id, title, "appendix", body)


def unbroken(text: str) -> Markup:
    """``text`` escaped, each number range in it (1949\u20132010) kept on one line
    (``span.nobreak``), not broken at its dash in a title or heading."""
    return Markup(SET_RANGE.sub(lambda m: f'<span class="nobreak">{m.group()}</span>',
                                str(escape(text or ""))))


def environment(files: ProjectFiles) -> jinja2.Environment:
    """Templates are data: the project's ``templates/`` overrides ours file by file,
    in the sandbox of :mod:`.templates`."""
    env = BookSandbox(loader=BookLoader(files), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    # Editors' Markdown and plain text, set in the typography of the book's language.
    env.filters["md"] = jinja2.pass_context(
        lambda ctx, text: Markup(markdown(_language(ctx)).render(text or "").strip()))
    env.filters["mdinline"] = jinja2.pass_context(
        lambda ctx, text: Markup(markdown(_language(ctx)).renderInline(" ".join((text or "").split()))))
    env.filters["typo"] = jinja2.pass_context(lambda ctx, text: typographic(text or "", _language(ctx)))
    env.filters["unbroken"] = unbroken
    env.filters["date"] = human_date
    env.filters["stop"] = lambda text: citations.entry([text])  # a full stop, unless it ends in one
    env.filters["language"] = lambda tag: LANGUAGES.get(tag.split("-")[0].lower(), tag)
    env.filters["direction"] = direction
    language_name = env.filters["language"]
    env.globals.update(note_labels=NOTE_LABELS, note_icons=NOTE_ICONS, verdict_labels=VERDICT_LABELS,
                       verdict_symbols=VERDICT_SYMBOLS, claim_makers=claim_makers,
                       names=join_names, split_last=split_last, short_name=_list_name,
                       caption=citations.caption, short_form=_by_identity(citations.short_form),
                       cite_full=lambda s: citations.attribution(s, language_name, human_date),
                       version=__version__,
                       is_excerpt=lambda b: isinstance(b, Excerpt),
                       is_note=lambda b: isinstance(b, Note), is_text=lambda b: isinstance(b, Text),
                       is_heading=lambda b: isinstance(b, Heading),
                       is_compare=lambda b: isinstance(b, Compare), compare_layout=compare_layout)
    return env


def _by_identity(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` of model objects, remembered by the objects' identity: a short
    form compares its source with every other, once per excerpt of a book that
    quotes them all.  The model is frozen, and the arguments are kept with the
    answer, so an id is never another object's."""
    known: dict[tuple, tuple[tuple, dict, T]] = {}

    def remembered(*args, **kwargs):
        key = (*map(id, args), *((k, id(v)) for k, v in sorted(kwargs.items())))
        hit = known.get(key)
        if hit is None:
            hit = known[key] = (args, kwargs, function(*args, **kwargs))
        return hit[2]
    return remembered


@jinja2.pass_context
def _list_name(ctx, source: Source) -> str:
    book = ctx.get("book")
    named = (book.sources + (book.extract.other_sources if book.extract else ())) if book else ()
    return citations.list_name(source, named)


def _language(ctx) -> str:
    book = ctx.get("book")
    return getattr(book, "language", None) or "en"


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


# The longest excerpt two columns may hold: about a third of an A5 page at
# half the measure.  Longer ones would leave the rest of a page empty when the
# group, which cannot break across pages side by side, moves to the next.
COLUMN_CHARS = 600


def compare_layout(block: Compare) -> str:
    """'columns' for two short excerpts side by side, else 'stacked'."""
    if len(block.excerpts) == 2 and all(
            sum(len(p) for p in x.paragraphs) <= COLUMN_CHARS for x in block.excerpts):
        return "columns"
    return "stacked"


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


def short_name(source: Source) -> str:
    """A source as a name stands in a caption or a list (see :mod:`.citations`)."""
    return citations.name(source)


def claim_makers(claims, sources: dict) -> list[Source]:
    """The sources (of ``sources``, in their order) that make at least one of ``claims``."""
    making = {m.source for c in claims for m in c.made_by}
    return [s for sid, s in sources.items() if sid in making]
