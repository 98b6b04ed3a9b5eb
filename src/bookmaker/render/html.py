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
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt

from ..model import Book, Compare, Excerpt, Heading, Note, Source, Text
from .. import __version__

PACKAGE_DIR = Path(__file__).resolve().parent.parent
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
NOTE_LABELS = {"context": "Context", "bias": "Bias", "reliability": "Reliability",
               "correction": "Correction"}
VERDICT_LABELS = {"correct": "Correct", "wrong": "Wrong", "doubtful": "Doubtful",
                  "unverified": "Unverified", "unsupported": "Unsupported"}


@dataclass(frozen=True)
class Part:
    """One chapter-sized piece of the book: a file in the EPUB, a section in the PDF."""

    id: str
    title: str
    kind: str   # "chapter" or "appendix"
    body: str   # XHTML fragment, starting with its <h1>


@dataclass(frozen=True)
class RenderedBook:
    book: Book
    parts: tuple[Part, ...]
    env: jinja2.Environment


def markdown() -> MarkdownIt:
    """Markdown for editors' notes: inline formatting and links, nothing else.

    Raw HTML is escaped (``html`` off), images are disabled, and links may only
    point at the web or inside the book, so a note cannot pull in local files.
    """
    md = MarkdownIt("commonmark", {"html": False, "xhtmlOut": True, "typographer": False})
    md.disable(["image", "html_inline", "html_block"])
    md.validateLink = lambda url: url.lower().startswith(("http://", "https://", "mailto:", "#"))
    return md


def environment(project: Path) -> jinja2.Environment:
    """Templates are data: the project's ``templates/`` overrides ours file by file."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(project / "templates")),
                                  jinja2.PackageLoader("bookmaker", "templates")])
    env = SandboxedEnvironment(loader=loader, autoescape=True, trim_blocks=True,
                               lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    md = markdown()
    env.filters["md"] = lambda text: jinja2.utils.markupsafe.Markup(md.render(text or "").strip())
    env.filters["mdinline"] = lambda text: jinja2.utils.markupsafe.Markup(
        md.renderInline(" ".join((text or "").split())))
    env.filters["date"] = human_date
    env.globals.update(note_labels=NOTE_LABELS, verdict_labels=VERDICT_LABELS,
                       names=join_names, split_last=split_last, short_name=short_name, version=__version__,
                       is_excerpt=lambda b: isinstance(b, Excerpt),
                       is_note=lambda b: isinstance(b, Note), is_text=lambda b: isinstance(b, Text),
                       is_heading=lambda b: isinstance(b, Heading),
                       is_compare=lambda b: isinstance(b, Compare))
    return env


def render_parts(book: Book) -> RenderedBook:
    env = environment(book.project)
    sources = {s.id: s for s in book.sources}
    parts = [Part(ch.id, ch.title, "chapter",
                  env.get_template("chapter.html").render(chapter=ch, sources=sources, book=book))
             for ch in book.chapters]
    ed = book.editorial
    appendices = []
    if ed.claims or ed.slips:
        appendices.append(("claims-checked", "Claims checked", "claims.html"))
    if ed.events:
        appendices.append(("timeline", "Timeline", "timeline.html"))
    title = "Sources and their reliability" if any(s.profile for s in book.sources) else "Sources"
    appendices.append(("sources", title, "sources.html"))
    for part_id, part_title, template in appendices:
        body = env.get_template(template).render(book=book, sources=sources, part_id=part_id,
                                                 title=part_title,
                                                 claim_ids={c.id for c in ed.claims})
        parts.append(Part(part_id, part_title, "appendix", body))
    return RenderedBook(book, tuple(parts), env)


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
    """A caption for an excerpt: the authors' surnames, or the outlet when unsigned."""
    if source.authors:
        return join_names([a.split()[-1] for a in source.authors])
    return source.outlet
