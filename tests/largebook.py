"""A larger test book, generated: 14 chapters, four sources, compare groups,
sub-headings, links between chapters, claims, a slip, a timeline and two
named handouts.  Each chapter's words carry its number ("entry 7"), so a
test can tell which chapters a PDF holds."""
from __future__ import annotations

from pathlib import Path

from helpers import make_project

SOURCES = ("north", "south", "east", "west")
CHAPTERS = 14
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
            "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth")
HANDOUTS = {"first-week": "1-3", "late": ["ch12", "ch14"]}


def entry(source: str, i: int) -> str:
    """The paragraph of ``source`` about chapter ``i``'s meeting."""
    year = 1880 + 3 * i
    return (f"Entry {i} of the {source} chronicle. In {year} the harbour council met for the "
            f"{ORDINALS[i - 1]} time at the {source} quay, where the wardens argued over tolls, "
            f"moorings and the dredging of the channel for {i + 2} long days. The {source} clerk "
            f"wrote that the {ORDINALS[i - 1]} meeting ended with a vote of {i + 4} to {i % 5}.")


def source_text(source: str) -> str:
    body = "\n\n".join(entry(source, i) for i in range(1, CHAPTERS + 1))
    if source == "east":
        body += "\n\nThe east clerk also recorded that the Harbour Treaty was signed by Jon Smiht."
    return body


def chapter(i: int) -> str:
    a, b = SOURCES[i % 4], SOURCES[(i + 1) % 4]
    nxt = f"[the {ORDINALS[i]} meeting](#ch{i + 1:02d})" if i < CHAPTERS else "[the first](#ch01)"
    lines = [
        f"  - title: The {ORDINALS[i - 1]} meeting",
        f"    id: ch{i:02d}",
        "    content:",
        "      - text: |",
        f"          Editors' introduction to meeting {i}, which leads on to {nxt}; its details "
        f"are under [the vote](#ch{i:02d}-the-vote-of-meeting-{i}).",
        "      - excerpt: " + a,
        f"        quote: \"Entry {i} of the {a} chronicle. In {1880 + 3 * i} the harbour council met\"",
    ]
    if i % 3 == 0:  # a flagged claim, answered by the note after the excerpt
        lines += ["      - note: The council met one day less, see [the minutes](https://example.org/m).",
                  "        kind: correction",
                  f"        claims: [k{i}]"]
    lines += [
        f"      - heading: The vote of meeting {i}",
        "      - compare:",
        f"          - excerpt: {a}",
        f"            from: \"The {a} clerk wrote that the {ORDINALS[i - 1]} meeting\"",
        f"            to: \"a vote of {i + 4} to {i % 5}.\"",
        f"          - excerpt: {b}",
        f"            quote: \"Entry {i} of the {b} chronicle.\"",
        "      - note: |-",
        f"          The two clerks agree on meeting {i}. Compare [chapter 1](#ch01).",
        "        kind: context",
    ]
    if i == 7:
        lines += ["      - excerpt: east",
                  "        quote: \"the Harbour Treaty was signed by Jon Smiht.\"",
                  "      - note: The name is Jon Smith.",
                  "        kind: correction",
                  "        claims: [s1]"]
    return "\n".join(lines)


def outline() -> str:
    handouts = "\n".join(f"  {name}: {spec if isinstance(spec, list) else repr(spec)}"
                         for name, spec in HANDOUTS.items())
    chapters = "\n".join(chapter(i) for i in range(1, CHAPTERS + 1))
    return (f"title: The Harbour Council\nsubtitle: Fourteen meetings in four chronicles\n"
            f"editors: [Test Editor, Second Editor]\nlanguage: en\ndate: \"2025-05-01\"\n"
            f"handouts:\n{handouts}\nchapters:\n{chapters}\n")


def claims() -> str:
    items = []
    for i in range(3, CHAPTERS + 1, 3):
        a = SOURCES[i % 4]
        items.append(f"  - id: k{i}\n    claim: Meeting {i} lasted {i + 2} days.\n    verdict: wrong\n"
                     f"    explanation: It lasted {i + 1}.\n    made_by:\n      - source: {a}\n"
                     f"        text: \"Entry {i} of the {a} chronicle\"")
    return ("claims:\n" + "\n".join(items) + "\nslips:\n  - source: east\n    text: Jon Smiht\n"
            "    correction: The name is Jon Smith.\n")


def timeline() -> str:
    events = [f"  - date: \"{1880 + 3 * i}\"\n    event: Meeting {i} at the {SOURCES[i % 4]} quay.\n"
              f"    sources: [{SOURCES[i % 4]}]" + (f"\n    claims: [k{i}]" if i % 3 == 0 else "")
              for i in range(1, CHAPTERS + 1)]
    return "events:\n" + "\n".join(events) + "\n"


def make_large_book(root: Path) -> Path:
    """Write the large test book into ``root`` and return it."""
    make_project(root, outline(), {s: source_text(s) for s in SOURCES},
                 files={"book/claims.yaml": claims(), "book/timeline.yaml": timeline()})
    return root
