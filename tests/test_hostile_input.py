"""Hostile input, round two (issue 9): alias bombs, quadratic positions, characters
no EPUB can hold, nesting no renderer survives, and excerpts that contradict
their own bounds.  Each error names the file, line and column."""
from __future__ import annotations

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
