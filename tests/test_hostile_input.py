"""Hostile input, round two (issue 9): alias bombs, quadratic positions, characters
no EPUB can hold, nesting no renderer survives, and excerpts that contradict
their own bounds.  Each error names the file, line and column."""
from __future__ import annotations

from pathlib import Path

import pytest
import helpers
from helpers import make_project

from bookmaker.api import check
from bookmaker.errors import BuildFailed


def outline(blocks: str) -> str:
    """The smallest outline, its one chapter holding ``blocks`` (YAML at six spaces)."""
    return helpers.OUTLINE.format(blocks=blocks)


def errors_of(tmp_path, text: str, sources: dict[str, str] | None = None, files=None):
    make_project(tmp_path, text, sources, files)
    with pytest.raises(BuildFailed) as exc:
        check(tmp_path)
    return exc.value.errors


# ---- duplicate quotes name the lines they occur on ------------------------------------

def test_duplicate_quote_names_its_lines(tmp_path):
    # helpers.SOURCE has eight lines of front matter, so the body starts on line 9.
    body = "Same words here.\n\nOther words.\nSame words here.\n"
    [error] = errors_of(tmp_path, outline("      - excerpt: one\n        quote: Same words here\n"),
                        {"one": body})
    assert "occurs 2 times" in error.message
    assert "(lines 9, 12 of one.md)" in error.message, error.message
    lines = (tmp_path / "seeds" / "one.md").read_text().split("\n")
    assert lines[8] == lines[11] == "Same words here."


# ---- positions: the text is scanned once per file, not once per node ------------------

class Spied(str):
    """A text that counts the calls of the str methods that scan it."""

    scans = 0


def _spy(name: str):
    def scan(self, *args):
        Spied.scans += 1
        return getattr(str, name)(self, *args)
    return scan


for _name in ("count", "find", "rfind", "index", "rindex", "split", "rsplit", "splitlines",
              "partition", "rpartition", "startswith", "endswith"):
    setattr(Spied, _name, _spy(_name))


def chapters(n: int) -> str:
    return "title: T\neditors: [E]\nlanguage: en\nchapters:\n" + "".join(
        f"  - title: Chapter {i}\n    content:\n      - excerpt: one\n        quote: words\n"
        for i in range(n))


def scans_to_load(text: str) -> int:
    from bookmaker.yamlsrc import load_yaml

    Spied.scans = 0
    data = load_yaml(Spied(text), Path("outline.yaml"))
    assert data["chapters"].where(len(data["chapters"]) - 1).line == len(text.split("\n")) - 4
    return Spied.scans


def test_positions_do_not_rescan_the_text_for_each_node():
    # Counting lines from the top for every node made a 10,000-chapter outline take
    # 11 s against 0.3 s for 1,000.  The number of scans must not grow with the nodes.
    small, large = scans_to_load(chapters(10)), scans_to_load(chapters(1000))
    assert large == small and small <= 2, (small, large)
