import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import BOOKS, SHIPPED, copy_project  # noqa: E402

from bookmaker import build  # noqa: E402


@pytest.fixture(scope="session")
def small_book(tmp_path_factory):
    """The small test book, built once: (BuildResult, output folder)."""
    out = tmp_path_factory.mktemp("small-dist")
    return build(BOOKS / "small", out=out), out


@pytest.fixture(scope="session")
def shipped_book(tmp_path_factory):
    """The book this repository ships, built once from a copy of the project."""
    project = copy_project(tmp_path_factory.mktemp("shipped"), SHIPPED)
    return build(project), project / "dist"


@pytest.fixture(scope="session")
def hostile_book(tmp_path_factory):
    """The book of hostile sources and notes, built once."""
    out = tmp_path_factory.mktemp("hostile-dist")
    return build(BOOKS / "hostile", out=out), out


@pytest.fixture(scope="session")
def large_project(tmp_path_factory):
    """The generated large test book (tests/largebook.py): 14 chapters, four sources."""
    from largebook import make_large_book

    return make_large_book(tmp_path_factory.mktemp("large") / "project")
