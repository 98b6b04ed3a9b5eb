"""The sources exported as CSL-JSON and BibTeX, read back with real parsers."""
import json
import shutil
import subprocess
import sys

import bibtexparser
import pytest
from helpers import OUTLINE, BOOKS, ROOT

from bookmaker import build
from bookmaker.cache import MANIFEST
from bookmaker.errors import UsageError


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The shipped book's sources in both formats: (result, json path, bib path)."""
    project = tmp_path_factory.mktemp("export")
    for name in ("book", "seeds"):
        shutil.copytree(ROOT / name, project / name)
    result = build(project, ["csl", "bibtex"], out=project / "out")
    return result, result.outputs["csl"], result.outputs["bibtex"]


def test_only_the_asked_files_are_written(exported):
    result, csl, bib = exported
    assert (csl.name, bib.name) == ("knocking-on-natos-door.json", "knocking-on-natos-door.bib")
    assert sorted(p.name for p in csl.parent.iterdir()) == sorted([MANIFEST, csl.name, bib.name])


def test_csl_json_renders_a_bibliography_with_citeproc(exported):
    from citeproc import (Citation, CitationItem, CitationStylesBibliography,
                          CitationStylesStyle, formatter)
    from citeproc.source.json import CiteProcJSON

    result, csl, _ = exported
    items = json.loads(csl.read_text(encoding="utf-8"))
    assert [i["id"] for i in items] == [s.id for s in result.book.sources]
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)  # bundled with citeproc-py
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    entries = {str(entry) for entry in bibliography.bibliography()}
    assert len(entries) == len(items)
    text = "\n".join(entries)
    assert "Kartsev, D. (2019)" in text
    assert "Meduza (English edition)" in text
    assert "https://meduza.io/en/feature/2019/04/04/" in text
    # Undated and unsigned: the style says "no date" and puts the outlet first.
    assert any(e.startswith("Oganesyan, A. (no date) “Did Stalin Want to Join NATO?”")
               for e in entries)
    unsigned = next(e for e in entries if "Why The USSR Was Not Accepted" in e)
    assert unsigned.startswith("An Unnamed Content Site") and "(no date)" in unsigned


def test_csl_json_fields(exported):
    _, csl, _ = exported
    items = {i["id"]: i for i in json.loads(csl.read_text(encoding="utf-8"))}
    kartsev = items["kartsev"]
    assert kartsev["author"] == [{"family": "Kartsev", "given": "Dmitry"}]
    assert kartsev["translator"] == [{"family": "Rothrock", "given": "Kevin"}]
    assert kartsev["issued"] == {"date-parts": [[2019, 4, 4]]}
    assert kartsev["container-title"] == "Meduza (English edition)"
    assert kartsev["language"] == "en"
    # Nothing invented: no date for the undated, no author for the unsigned.
    assert "issued" not in items["oganesyan"] and "issued" not in items["polonsky"]
    assert "author" not in items["why-ussr-anon"]
    assert "URL" not in items["polonsky"]


def test_bibtex_reads_back_with_bibtexparser(exported):
    result, _, bib = exported
    library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    assert list(entries) == [s.id for s in result.book.sources]
    k = entries["kartsev"]
    assert k.entry_type == "article"
    assert k["author"] == "Kartsev, Dmitry"
    assert k["title"] == result.book.source("kartsev").title
    assert k["journal"] == "Meduza (English edition)"
    assert (k["year"], k["month"], k["date"]) == ("2019", "apr", "2019-04-04")
    assert k["url"] == result.book.source("kartsev").url
    assert k["translator"] == "Rothrock, Kevin"
    assert (k["language"], k["origlanguage"]) == ("en", "ru")
    assert "year" not in entries["oganesyan"].fields_dict
    assert "author" not in entries["why-ussr-anon"].fields_dict
    # Names split by bibtexparser's own name middleware as a BibTeX processor would.
    from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts

    split = bibtexparser.parse_string(bib.read_text(encoding="utf-8"),
                                      append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    name = split.entries[0]["author"][0]
    assert (name.first, name.last) == (["Dmitry"], ["Kartsev"])


def test_special_characters_and_several_authors(tmp_path):
    from helpers import make_project

    source = """---
title: "Profits & losses: 100% of {it}"
author: [Ana Lúcia Pereira, Plato]
outlet: "The #1 Review_Weekly"
published: 2003-05
url: https://example.org/a_b?x=1&y=%20
language: pt
---
The first sentence. The second sentence.
"""
    project = make_project(tmp_path / "p", OUTLINE.format(blocks="""\
      - excerpt: one
        quote: The first sentence.
"""), {"one": source})
    result = build(project, ["bibtex", "csl"], out=tmp_path / "out")
    library = bibtexparser.parse_string(result.outputs["bibtex"].read_text(encoding="utf-8"))
    entry = library.entries[0]
    assert entry["title"] == r"Profits \& losses: 100\% of \{it\}"
    assert entry["journal"] == r"The \#1 Review\_Weekly"
    assert entry["author"] == "Pereira, Ana Lúcia and {Plato}"
    assert entry["url"] == "https://example.org/a_b?x=1&y=%20"
    assert (entry["year"], entry["month"]) == ("2003", "may")
    item = json.loads(result.outputs["csl"].read_text(encoding="utf-8"))[0]
    assert item["author"] == [{"family": "Pereira", "given": "Ana Lúcia"}, {"literal": "Plato"}]
    assert item["title"] == "Profits & losses: 100% of {it}"
    assert item["issued"] == {"date-parts": [[2003, 5]]}


def test_a_selection_exports_its_own_sources(tmp_path):
    result = build(BOOKS / "small", ["csl"], out=tmp_path, chapters="markup")
    assert result.outputs["csl"].name == "the-harbour-treaty.markup.json"
    items = json.loads(result.outputs["csl"].read_text(encoding="utf-8"))
    assert [i["id"] for i in items] == ["beta"]


def test_cli_format_lists_and_up_to_date(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(BOOKS / "small", project)
    cmd = [sys.executable, "-m", "bookmaker", "build", str(project), "--out", str(tmp_path / "o")]
    first = subprocess.run([*cmd, "--format", "bibtex,csl"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "wrote" in first.stdout and "the-harbour-treaty.bib" in first.stdout
    again = subprocess.run([*cmd, "--format", "csl,bibtex"], capture_output=True, text=True)
    assert again.stdout.count("up to date") == 2, again.stdout
    bad = subprocess.run([*cmd, "--format", "pdf,docx"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown format 'docx'" in bad.stderr
    with pytest.raises(UsageError):
        build(project, ["ris"], out=tmp_path / "o")
