"""``bookmaker find``: where words occur in a source, and the excerpt to paste.

The words are found as the outline's excerpts are (:func:`match.find_all`,
tolerant of white space and typographic quotes and dashes only), so a block
this module prints resolves, when pasted into the outline, to the passage it
was printed for.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import BookError, BuildFailed, Errors, Location, did_you_mean
from .files import ProjectFiles
from .match import PARAGRAPH_BREAK, closest_passage, find_all
from .model import Source
from .scaffold import project_folder
from .sources import load_sources

LONG_QUOTE = 40  # words: a longer passage is pasted as a from/to pair
ENDS = 5         # words in each of `from` and `to`, at least
CONTEXT = 70     # characters shown either side of an occurrence


@dataclass(frozen=True)
class Occurrence:
    start: int
    end: int
    line: int      # of the source file
    context: str   # the words with some text either side, on one line
    block: str     # the outline block that quotes this occurrence (and only it)


@dataclass(frozen=True)
class Found:
    source: Source
    words: str
    occurrences: tuple[Occurrence, ...]


def find(project: Path | str, source_id: str, words: str) -> Found:
    """Every occurrence of ``words`` in the source; a BookError with the closest passage if none."""
    if not " ".join(words.split()):
        raise BookError("give some words to find")
    source = load_one(project_folder(project) / "seeds", source_id)
    spans = find_all(source.text, words)
    if not spans:
        near = closest_passage(source.text, words)
        raise BookError(f"\"{' '.join(words.split())}\" is not in source '{source.id}'",
                        Location(source.path),
                        f"closest passage: \"{near}\"" if near else "check the words against the text")
    return Found(source, words, tuple(occurrence(source, s, e, len(spans) == 1) for s, e in spans))


def load_one(seeds: Path, source_id: str) -> Source:
    """One source of the project; the others' problems are left to ``check``."""
    errors = Errors()
    sources = load_sources(seeds, ProjectFiles(seeds.parent), errors, read_originals=False)
    if source_id in sources:
        return sources[source_id]
    own = [e for e in errors.items if e.where is not None and Path(e.where.file).stem == source_id]
    if own:
        raise BuildFailed(own)
    starting = [s for s in sorted(sources) if s.startswith(source_id)]
    raise BookError(f"unknown source id '{source_id}'", Location(seeds),
                    did_you_mean(source_id, sources) or
                    (f"did you mean '{starting[0]}'?" if len(starting) == 1 else None) or
                    f"sources in seeds/: {', '.join(sorted(sources)) or 'none'}")


def occurrence(source: Source, start: int, end: int, unique: bool) -> Occurrence:
    text = source.text
    line = source.body_line + text.count("\n", 0, start)
    # The context stays in the occurrence's paragraph(s): text across a blank line is another's.
    para_start = max((m.end() for m in PARAGRAPH_BREAK.finditer(text, 0, start)), default=0)
    after_end = PARAGRAPH_BREAK.search(text, end)
    para_end = after_end.start() if after_end else len(text)
    lo, hi = max(para_start, start - CONTEXT), min(para_end, end + CONTEXT)
    if lo > para_start:  # whole words either side
        lo = next((i + 1 for i in range(lo, start) if text[i].isspace()), start)
    if hi < para_end:
        hi = next((i for i in range(hi, end, -1) if text[i].isspace()), end)
    context = (("…" if lo > para_start else "") + text[lo:start] + "«" + text[start:end] + "»"
               + text[end:hi] + ("…" if hi < para_end else ""))
    return Occurrence(start, end, line, " ".join(context.split()),
                      block(source, start, end) if unique else block(source, *widen(text, start, end)))


def widen(text: str, start: int, end: int) -> tuple[int, int]:
    """The span grown a word at a time, after then before, until it occurs once in the text."""
    while len(find_all(text, text[start:end])) > 1:
        grown = _next_word_end(text, end), _prev_word_start(text, start)
        if grown == (end, start):
            break  # the whole text: cannot be made unique
        end, start = grown
    return start, end


def _next_word_end(text: str, end: int) -> int:
    i = end
    while i < len(text) and text[i].isspace():
        i += 1
    while i < len(text) and not text[i].isspace():
        i += 1
    return i


def _prev_word_start(text: str, start: int) -> int:
    i = start
    while i > 0 and text[i - 1].isspace():
        i -= 1
    while i > 0 and not text[i - 1].isspace():
        i -= 1
    return i


def block(source: Source, start: int, end: int) -> str:
    """The outline block for the passage: a quote, or from/to for a long one."""
    text = source.text
    words = text[start:end].split()
    head = f"- excerpt: {source.id}\n"
    if len(words) <= LONG_QUOTE:
        return head + f"  quote: {_yaml(' '.join(words))}\n"
    first = ENDS
    while first < len(words) and len(find_all(text, " ".join(words[:first]))) > 1:
        first += 1
    last = ENDS
    # `to` is the first occurrence of its words after `from` begins: grow it until that is ours.
    while last < len(words) and not _ends_here(text, " ".join(words[-last:]), start, end):
        last += 1
    return head + f"  from: {_yaml(' '.join(words[:first]))}\n  to: {_yaml(' '.join(words[-last:]))}\n"


def _ends_here(text: str, to: str, start: int, end: int) -> bool:
    later = [e for s, e in find_all(text, to) if s >= start and e > start]
    return bool(later) and later[0] == end


def _yaml(words: str) -> str:
    # A JSON string is a YAML double-quoted scalar: quotes, colons and '#' stay words.
    return json.dumps(words, ensure_ascii=False)


def indent(block_text: str, spaces: int = 6) -> str:
    """A block indented to sit under a chapter's ``content:``, as in the outlines bookmaker writes."""
    return "".join(" " * spaces + line if line.strip() else line
                   for line in block_text.splitlines(keepends=True))
