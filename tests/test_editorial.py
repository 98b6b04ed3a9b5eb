"""Editorial data: claims, slips and timeline are validated like the outline, and
every flagged claim or slip the book quotes is answered by a note."""
import re

import pytest
from helpers import ROOT, copy_project

from bookmaker.api import check
from bookmaker.errors import BuildFailed
from bookmaker.match import find_all
from bookmaker.model import ANSWERING_KINDS, Note, excerpts_of


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "p")


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def errors_of(project):
    with pytest.raises(BuildFailed) as exc:
        check(project)
    return exc.value.errors


@pytest.mark.parametrize("old, new, message, line, hint", [
    ("verdict: wrong", "verdict: wrongish", "unknown verdict 'wrongish'", 4, "did you mean 'wrong'?"),
    ("- source: alpha\n        text: signed in 1899", "- source: alpah\n        text: signed in 1899",
     "unknown source id 'alpah'", 8, "did you mean 'alpha'?"),
    ("text: signed in 1899", "text: signed in 1889", "'signed in 1889' is not in source 'alpha'", 9,
     "closest passage"),
    ("    explanation: It was signed in 1901.\n", "", "missing required key 'explanation'", 2, None),
    ("    reference: Harbour archive, box 4\n", "    refrence: Harbour archive, box 4\n",
     "unknown key 'refrence'", 6, "did you mean 'reference'?"),
])
def test_claims_errors(project, old, new, message, line, hint):
    edit(project / "book" / "claims.yaml", old, new)
    errs = [e for e in errors_of(project) if message in e.message]
    assert errs, [str(e) for e in errors_of(project)]
    assert errs[0].where.name == "claims.yaml" and errs[0].where.line == line
    assert hint is None or hint in errs[0].hint


@pytest.mark.parametrize("old, new, message, line", [
    ("date: 1901-06-01", "date: June 1901", "'date' must be YYYY", 4),
    ("claims: [c1]", "claims: [c9]", "unknown claim id 'c9'", 6),
    ("sources: [alpha, beta]", "sources: [alpha, gamma]", "unknown source id 'gamma'", 7),
    ('date: "1890"', 'date: "1950"', "not in date order", 1),
])
def test_timeline_errors(project, old, new, message, line):
    edit(project / "book" / "timeline.yaml", old, new)
    errs = [e for e in errors_of(project) if message in e.message]
    assert errs and errs[0].where.name == "timeline.yaml" and errs[0].where.line == line


def test_flagged_claim_without_note_is_an_error_at_the_excerpt(project):
    edit(project / "book" / "outline.yaml", "        kind: correction\n", "        kind: context\n")
    [error] = errors_of(project)
    assert "quotes claim c1 (wrong)" in error.message
    assert error.where.name == "outline.yaml" and error.where.line == 9
    assert "claims: [c1]" in error.hint


def test_note_must_name_the_claim(project):
    edit(project / "book" / "outline.yaml", "claims: [c1]", "claims: [c2]")
    assert "quotes claim c1" in errors_of(project)[0].message


def test_slips_need_a_note_too(project):
    with open(project / "book" / "claims.yaml", "a") as f:
        f.write("slips:\n  - source: alpha\n    text: four port towns\n    correction: There were five.\n")
    [error] = errors_of(project)
    assert "quotes slip s1" in error.message and error.where.line == 9


def test_correct_claims_need_no_note(project):
    edit(project / "book" / "claims.yaml", "verdict: wrong", "verdict: correct")
    edit(project / "book" / "outline.yaml", "        kind: correction\n", "        kind: context\n")
    assert check(project).editorial.claims[0].verdict == "correct"


def test_shipped_book_answers_every_flagged_claim_it_quotes():
    """Recomputed here from claims.yaml, independently of the loader's own rule."""
    book = check(ROOT)
    flags = {c.id: c.made_by for c in book.editorial.claims if c.verdict != "correct"}
    flags.update({s.id: (s.site,) for s in book.editorial.slips})
    quoted = set()
    for chapter in book.chapters:
        for i, block in enumerate(chapter.blocks):
            excerpts = excerpts_of(block)
            answers = set()
            for after in chapter.blocks[i + 1:]:
                if not isinstance(after, Note):
                    break
                if after.kind in ANSWERING_KINDS:
                    answers.update(after.claims)
            for ex in excerpts:
                text = "\n\n".join(ex.paragraphs)
                for flag, sites in flags.items():
                    if any(s.source == ex.source and find_all(text, s.text) for s in sites):
                        quoted.add(flag)
                        assert flag in answers, (chapter.id, ex.number, flag)
    assert len(quoted) >= 10  # the book does quote its sources' flagged claims


def test_shipped_book_every_chapter_has_a_note_and_every_source_a_profile():
    book = check(ROOT)
    quoting = [c for c in book.chapters if c.excerpts()]
    assert len(quoting) >= 7
    for chapter in quoting:
        assert any(isinstance(b, Note) for b in chapter.blocks), chapter.id
    for source in book.sources:
        p = source.profile
        assert p and p.outlet_kind and p.stance and p.stance_evidence and p.text_state and p.errors, source.id


def test_stance_evidence_is_checked_against_the_text(project):
    edit(project / "seeds" / "alpha.md", "stance_evidence: a triumph of patience",
         "stance_evidence: a triumph of persistence")
    [error] = errors_of(project)
    assert "stance_evidence is not in the text" in error.message
    assert error.where.name == "alpha.md" and error.where.line == 11
    assert "triumph of patience" in error.hint


def answering_ids(blocks, i):
    """The claim and slip ids listed by the correction or reliability notes right after block i."""
    answers = set()
    for after in blocks[i + 1:]:
        if not isinstance(after, Note):
            break
        if after.kind in ANSWERING_KINDS:
            answers.update(after.claims)
    return answers


def test_shipped_book_quotes_every_claim_and_slip_it_lists():
    """The apparatus points only at passages the reader can see in the book."""
    book = check(ROOT)
    shown = [(ex.source, "\n\n".join(ex.paragraphs)) for ch in book.chapters
             for block in ch.blocks for ex in excerpts_of(block)]
    sites = [(c.id, m) for c in book.editorial.claims for m in c.made_by]
    sites += [(s.id, s.site) for s in book.editorial.slips]
    unquoted = [(flag, site.text) for flag, site in sites
                if not any(src == site.source and find_all(text, site.text) for src, text in shown)]
    assert unquoted == []


def test_shipped_book_answers_stilwells_recurring_slips_wherever_quoted():
    """A slip sits at one place in claims.yaml, but Stilwell repeats his: "Russia" for the
    Soviet Union, "letters of intent" and "application" for a note.  Every excerpt that
    repeats one is answered too, not only the one the build-time rule sees."""
    book = check(ROOT)
    slip_of = {s.site.text: s.id for s in book.editorial.slips if s.site.source == "stilwell"}
    words = {"Russia": slip_of["Russia made an attempt to join NATO"],
             "letters of intent": slip_of["sent the letters of intent"],
             "application": slip_of["rejected Russia's application for membership"]}
    seen = set()
    for chapter in book.chapters:
        for i, block in enumerate(chapter.blocks):
            answers = answering_ids(chapter.blocks, i)
            for ex in excerpts_of(block):
                if ex.source != "stilwell":
                    continue
                # "Russian (née Soviet)" is Stilwell's own gloss, not the slip.
                text = " ".join(ex.paragraphs).replace("Russian (née Soviet)", "")
                for word, slip in words.items():
                    if word in text:
                        seen.add(word)
                        assert slip in answers, (chapter.id, ex.number, word)
    assert seen == set(words)


def test_shipped_book_lists_the_editors_references():
    """Every reference a claim or slip cites is named in the book's list of references,
    and the list names the works the source brief relies on."""
    book = check(ROOT)
    [back] = [c for c in book.chapters if c.id == "whos-who"]
    listed = " ".join(b.markdown for b in back.blocks if hasattr(b, "markdown")).replace("*", "")
    works = {"FRUS": "Foreign Relations of the United States", "CWIHP": "e-Dossier No. 27",
             "National Security Archive": "Briefing Book 621", "NATO archives": "NATO archives",
             "BTA": "Bulgarian News Agency (BTA)", "American Foreign Policy": "American Foreign Policy 1950-1955",
             "kremlin.ru": "kremlin.ru transcript", "Time, 12 April 1954": "Time, 12 April 1954",
             "Los Angeles Times": "Los Angeles Times and Baltimore Sun, 21 December 1991",
             "Der Spiegel": "Der Spiegel, 8 March 2010", "Foreign Affairs": "Foreign Affairs"}
    for work in works.values():
        assert work in listed, work
    references = [c.reference for c in book.editorial.claims] + [s.reference for s in book.editorial.slips]
    for ref in filter(None, references):
        for part in ref.split(";"):
            part = part.strip()
            if part.startswith("none"):
                continue
            assert any(marker in part for marker in works) or part.startswith("vol."), part
            for vol, doc in re.findall(r"vol\. ([IVX]+), doc\. (\d+)", part):
                assert re.search(rf"vol\. {vol}, doc\. {doc}\b", listed) or \
                       re.search(rf"vol\. {vol},[^;]*doc\. {doc}\b", listed), (vol, doc)
