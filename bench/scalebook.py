#!/usr/bin/env python3
"""Make a book project of any size, for benchmarks: ``scalebook.py DIR CHAPTERS``.

The sources are generated on the fly (no download): deterministic pseudo-English
drawn from a fixed list of common words, with typographic quotes and dashes
so the matcher's folding is exercised.  About 2.9 pages and 30 KB of source
text per chapter: 20 chapters make about 60 pages, 160 about 460, 200 about
580 over 6 MB of sources, 320 about 920.
Every chapter has plain text, single excerpts (by ``quote`` and by
``from``/``to``), a compare group and editors' notes.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

WORDS = """the of and to in a is that for it as was with be by on not he this are or his
from at which but have an they you were her she there been one all we their has would
when if so no will more what up out about who some them into could time than other then
only its also two may like these first new over after any people very made most years
where through back much before must right way even good many those well long great
little world still own might place man being under never found because between life both
last same another while house each part number again around small land water every
state always city river bridge harbour treaty letter council market winter summer road
village island mountain forest garden station archive record report account evening
morning question answer reason history memory promise journey measure quarter border
""".split()
SOURCES_PER_CHAPTER = 0.2
SOURCE_BYTES_PER_CHAPTER = 30_000


def sentence(rnd: random.Random) -> str:
    words = [rnd.choice(WORDS) for _ in range(rnd.randint(8, 22))]
    if rnd.random() < 0.15:
        i = rnd.randrange(1, len(words) - 2)
        words[i] = "\u201c" + words[i]
        words[i + 1] += "\u201d"
    if rnd.random() < 0.15:
        words.insert(rnd.randrange(2, len(words) - 1), "\u2014")
    if rnd.random() < 0.3:
        words[rnd.randrange(1, len(words) - 1)] += ","
    return " ".join(words).capitalize() + "."


def paragraph(rnd: random.Random) -> str:
    return " ".join(sentence(rnd) for _ in range(rnd.randint(3, 6)))


def make(root: Path, chapters: int, seed: int = 13) -> Path:
    """Write a project of ``chapters`` chapters into ``root`` (made if needed)."""
    rnd = random.Random(seed)
    (root / "book").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(exist_ok=True)
    n_sources = max(2, round(chapters * SOURCES_PER_CHAPTER))
    per_source = SOURCE_BYTES_PER_CHAPTER * chapters // n_sources
    sources: list[list[str]] = []
    for s in range(n_sources):
        paras, size = [], 0
        while size < per_source:
            paras.append(paragraph(rnd))
            size += len(paras[-1]) + 2
        sources.append(paras)
        head = (f"---\ntitle: \"Generated source {s + 1}\"\nauthor: Ann Author-{s + 1}\n"
                f"outlet: The Generated Review\npublished: {1950 + s % 70}-0{1 + s % 9}\n"
                f"url: https://example.org/source-{s + 1}\nlanguage: en\n---\n")
        (root / "seeds" / f"s{s + 1}.md").write_text(head + "\n\n".join(paras) + "\n",
                                                    encoding="utf-8")
    used: set[tuple[int, int]] = set()

    def pick(span: int) -> tuple[int, int]:
        while True:
            s = rnd.randrange(n_sources)
            p = rnd.randrange(len(sources[s]) - span)
            if all((s, p + k) not in used for k in range(span + 1)):
                used.update((s, p + k) for k in range(span + 1))
                return s, p

    def yq(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def from_to(s: int, p: int, span: int, indent: str) -> str:
        first = sources[s][p].split()[:7]
        last = sources[s][p + span].split()[-6:]
        return (f"{indent}- excerpt: s{s + 1}\n{indent}  from: {yq(' '.join(first))}\n"
                f"{indent}  to: {yq(' '.join(last))}\n")

    out = ["title: A Generated Reader", f"subtitle: \"{chapters} chapters for benchmarks\"",
           "editors: [Bench Editor]", "language: en", 'date: "2026-01-01"', "chapters:"]
    for c in range(chapters):
        out.append(f"  - title: \"Chapter {c + 1}: {' '.join(rnd.sample(WORDS, 3))}\"")
        out.append("    content:")
        out.append(f"      - text: {yq(paragraph(rnd))}")
        s, p = pick(1)
        out.append(from_to(s, p, 1, "      ").rstrip("\n"))
        out.append(f"      - heading: \"{' '.join(rnd.sample(WORDS, 2)).capitalize()}\"")
        s, p = pick(0)
        quote = sources[s][p].split(". ")[0].rstrip(".") + "."
        out.append(f"      - excerpt: s{s + 1}\n        quote: {yq(quote)}")
        out.append(f"      - note: {yq(paragraph(rnd))}\n        kind: context")
        out.append("      - compare:")
        for _ in range(2):
            s, p = pick(0)
            out.append(from_to(s, p, 0, "          ").rstrip("\n"))
        s, p = pick(0)
        out.append(from_to(s, p, 0, "      ").rstrip("\n"))
    (root / "book" / "outline.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
    return root


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[0])
    print(make(Path(sys.argv[1]), int(sys.argv[2])))
