"""DAISY Ace on every book the tests build; the PDF is tagged with title and language."""
import sys

import pytest
from helpers import ROOT
from pypdf import PdfReader

sys.path.insert(0, str(ROOT / "scripts"))
from ace import run_ace  # noqa: E402  (installed by scripts/setup.sh --test)


@pytest.mark.parametrize("book", ["small_book", "shipped_book", "hostile_book"])
def test_ace_reports_no_violation(request, book):
    result, _ = request.getfixturevalue(book)
    violations = run_ace(result.outputs["epub"])
    assert violations == [], "\n".join(f"{v['file']}: [{v['impact']}] {v['rule']}: {v['description']}"
                                       for v in violations)


def test_foreign_language_excerpts_declare_their_language(small_book):
    import zipfile

    result, _ = small_book
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        chapter = z.read("EPUB/the-signing.xhtml").decode()
    # The quotation carries the source's language; its caption is in the book's.
    assert '<figure class="excerpt" id="x3">\n<blockquote lang="ru" xml:lang="ru" dir="ltr"' in chapter


@pytest.mark.parametrize("book", ["small_book", "shipped_book"])
def test_pdf_is_tagged_with_title_and_language(request, book):
    result, _ = request.getfixturevalue(book)
    reader = PdfReader(str(result.outputs["pdf"]))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == result.book.language
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata.title == result.book.title
