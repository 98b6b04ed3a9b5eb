"""The scholarly apparatus, read back from the built files: short-form citations
after a source's first excerpt, URLs that survive a line break, punctuation,
unsigned sources, typography of the editors' text, note labels, claim ids
beside notes, numbered chapters and [](#id) references."""
import re
import subprocess
import sys
import zipfile

import pytest
from helpers import ROOT, assert_valid_epub, make_project, pdf_lines, pdf_pages
from lxml import etree
from pypdf import PdfReader

from bookmaker import build
from bookmaker.errors import BuildFailed

sys.path.insert(0, str(ROOT / "scripts"))
from ace import run_ace  # noqa: E402

XHTML = {"x": "http://www.w3.org/1999/xhtml"}
URL = ("https://example.org/news/2020/05/ships-were-moved-out-of-the-harbour-before-the-council-"
       "voted-on-the-closure-of-the-port.html?ref=front_page&x=1")
LONG = " ".join(f"Sentence {i} of the long account runs on for a while, so that the group "
                "is taller than what is left of its page." for i in range(14))

SOURCES = {
    "alpha": "---\ntitle: Did the Harbour Vote?\nauthor: Ann Author\noutlet: Harbour Gazette\n"
             "published: 2020-01-02\nurl: null\nlanguage: en\n---\n"
             "Ships waited outside. The council voted in 1950. The Harbor Councel met at noon. "
             "It was a 'close' vote, wasn't it? The mayor spoke for an hour - or so it seemed. "
             "The clerk read the minutes aloud.\n\n" + LONG.replace("account", "alpha account") + "\n",
    "anon": "---\ntitle: Why Was the Harbour Closed?\nauthor: null\noutlet: Harbour Notes\n"
            "published: null\nurl: null\nlanguage: en\n---\n"
            "Nobody signed this. The port closed twice. Boats were moved at night.\n\n"
            + LONG.replace("account", "anon account") + "\n",
    "beta": "---\ntitle: \"Ships: a history\"\nauthor: Ben Writer\noutlet: Port Review\n"
            f"published: 2020\nurl: {URL}\nlanguage: en\n---\n"
            "Boats left the port in May. The fleet came back in June.\n\n"
            + LONG.replace("account", "beta account") + "\n",
}

OUTLINE = """\
title: The Harbour's Door
subtitle: "Talks of 1949-1953, a reader"
editors: [Test Editor]
language: en
chapters:
  - title: Introduction
    id: intro
    content:
      - text: |
          The editors' "own" words -- see [](#c1), [](#s1), [](#vote) and [](#vote-who-voted). Years 1949-1953; the date 2019-04-04 stays.
      - excerpt: alpha
        quote: "Ships waited outside."
  - title: The vote (1950-1951)
    id: vote
    content:
      - heading: Who voted?
      - excerpt: alpha
        quote: "The council voted in 1950. The Harbor Councel met at noon."
      - note: The council voted in 1951, and "Harbor Councel" is a slip.
        kind: correction
        claims: [c1, s1]
      - excerpt: anon
        quote: "Nobody signed this."
      - note: The site names no author.
        kind: context
      - excerpt: alpha
        quote: "It was a 'close' vote, wasn't it?"
      - note: A close vote is not recorded.
        kind: reliability
      - excerpt: beta
        quote: "Boats left the port in May."
      - note: The review is the port's own.
        kind: bias
      - compare:
          - excerpt: alpha
            quote: "The mayor spoke for an hour - or so it seemed."
          - excerpt: anon
            quote: "The port closed twice."
      - note: Two short excerpts stand side by side.
        kind: context
      - compare:
          - excerpt: alpha
            from: "Sentence 0 of the long alpha account"
            to: "Sentence 13 of the long alpha account runs on for a while, so that the group is taller than what is left of its page."
          - excerpt: anon
            from: "Sentence 0 of the long anon account"
            to: "Sentence 13 of the long anon account runs on for a while, so that the group is taller than what is left of its page."
          - excerpt: beta
            from: "Sentence 0 of the long beta account"
            to: "Sentence 13 of the long beta account runs on for a while, so that the group is taller than what is left of its page."
"""

CLAIMS = """\
claims:
  - id: c1
    claim: The council voted in 1950.
    verdict: wrong
    explanation: It voted in 1951.
    made_by:
      - source: alpha
        text: voted in 1950
  - id: c2
    claim: The port closed.
    verdict: correct
    explanation: Both say so.
    made_by:
      - source: beta
        text: Boats left the port
      - source: anon
        text: The port closed twice
slips:
  - id: s1
    source: alpha
    text: Harbor Councel
    correction: Harbour Council.
"""

TIMELINE = """\
events:
  - date: "1950"
    event: The vote, 1950-1951.
    claims: [c1]
    sources: [beta, anon]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("apparatus") / "project"
    return make_project(root, OUTLINE, SOURCES, {"book/claims.yaml": CLAIMS,
                                                  "book/timeline.yaml": TIMELINE})


@pytest.fixture(scope="module")
def book(project):
    return build(project)


@pytest.fixture(scope="module")
def handout(project, tmp_path_factory):
    return build(project, out=tmp_path_factory.mktemp("apparatus-handout"), chapters="vote")


def raw_pages(path):
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def epub_files(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.endswith((".xhtml", ".opf"))}


def text_of(xhtml: str) -> str:
    return " ".join("".join(etree.fromstring(xhtml.encode()).itertext()).split())


def footnote(pages, number, skip=2):
    """The text of footnote ``number`` (squashed), as far as the next one, after
    the first ``skip`` pages (the title page and the contents)."""
    text = " ".join(pages[skip:])
    m = re.search(rf"(?<![\d.])(?<!p\. ){number}\. (.*?)(?= (?<!p\. ){number + 1}\. |$)", text)
    return m.group(1) if m else ""


def page_of(pages, words, start=0):
    """1-based number of the first page from ``start`` holding ``words``."""
    return next(i + 1 for i, p in enumerate(pages) if i >= start and words in p)


def sources_start(pages):
    return max(i for i, p in enumerate(pages) if p.startswith("Sources"))


# ---- 1. citations -------------------------------------------------------------------

def test_first_excerpt_of_a_source_gets_the_full_attribution_later_ones_a_short_form(book):
    pages = pdf_pages(book.outputs["pdf"])
    back = sources_start(pages)
    alpha_entry = page_of(pages, '"Did the Harbour Vote?"', back)
    assert footnote(pages, 1).startswith('Ann Author, "Did the Harbour Vote?" Harbour Gazette, '
                                         "2 January 2020. About this source")
    # Later excerpts of alpha: author and year, and the page of its entry in the sources.
    for n in (2, 4, 6, 8):
        assert footnote(pages, n).startswith(f"Author 2020, see p. {alpha_entry}."), (n, footnote(pages, n))
    # No byline: the title stands for the name, and the entry says "unsigned".
    assert footnote(pages, 3).startswith('"Why Was the Harbour Closed?" unsigned, Harbour Notes, undated.')
    anon_entry = page_of(pages, '"Why Was the Harbour Closed?" unsigned', back)
    assert footnote(pages, 7).startswith(f'"Why Was the Harbour Closed?" n.d., see p. {anon_entry}.')
    assert footnote(pages, 5).startswith('Ben Writer, "Ships: a history", Port Review, 2020, https://')
    assert footnote(pages, 10).startswith(f"Writer 2020, see p. {page_of(pages, 'Ships: a history', back)}.")
    # The sources appendix keeps every full entry: it is the bibliography.
    backmatter = " ".join(pages[back:])
    assert 'Ann Author, "Did the Harbour Vote?" Harbour Gazette, 2 January 2020.' in backmatter
    assert f'Ben Writer, "Ships: a history", Port Review, 2020, {URL[:19]}' in backmatter


def test_epub_short_forms_link_to_the_full_entry(book):
    files = epub_files(book.outputs["epub"])
    vote = files["EPUB/vote.xhtml"]
    tree = etree.fromstring(vote.encode())
    shorts = tree.findall(".//x:a[@class='cite-short']", XHTML)
    assert [a.text for a in shorts][:4] == ["Author 2020", "Author 2020", "Author 2020",
                                            "\u201cWhy Was the Harbour Closed?\u201d n.d."]
    assert {a.get("href") for a in shorts} <= {"sources.xhtml#src-alpha", "sources.xhtml#src-anon",
                                                "sources.xhtml#src-beta"}
    assert 'id="src-alpha"' in files["EPUB/sources.xhtml"]
    for a in shorts:  # one stop after the short form: "Author 2020." but "... n.d." not "n.d.."
        assert "".join(a.itertext()).rstrip(".") + "." == "".join(a.itertext()) + (a.tail or "")
    assert_valid_epub(book.outputs["epub"])
    assert run_ace(book.outputs["epub"]) == []


def test_a_handout_gives_the_full_attribution_at_its_own_first_excerpt(handout):
    pages = pdf_pages(handout.outputs["pdf"])
    # In the book, alpha was first quoted in the introduction; the handout of
    # chapter 2 starts afresh.
    assert footnote(pages, 1, skip=0).startswith('Ann Author, "Did the Harbour Vote?" Harbour Gazette')
    assert footnote(pages, 3, skip=0).startswith("Author 2020, see p.")
    files = epub_files(handout.outputs["epub"])
    assert "Ann Author, \u201cDid the Harbour Vote?\u201d" in text_of(files["EPUB/vote.xhtml"])
    assert_valid_epub(handout.outputs["epub"])
    assert run_ace(handout.outputs["epub"]) == []


# ---- 2. URLs ------------------------------------------------------------------------

def test_a_url_breaks_only_at_a_slash_or_a_mark_and_copies_whole(book):
    seen = 0
    for page in raw_pages(book.outputs["pdf"]):
        for start in [m.start() for m in re.finditer(r"h\s*t\s*t\s*p", page)]:
            assert page[start:start + 8] == "https://", page[start:start + 20]  # never inside the scheme
        for start in [m.start() for m in re.finditer("https://example.org/", page)]:
            run = page[start:start + len(URL) + 40]
            joined = re.sub(r"[ \t]*\n[ \t]*", "", run)
            assert joined.startswith(URL), (run, URL)  # no hyphen inserted, nothing lost
            breaks = [m.start() for m in re.finditer(r"\n", run[:len(URL) + run.count("\n")])]
            assert breaks  # it was long enough to break
            for at in breaks:
                before, after = run[:at].rstrip()[-1], run[at:].lstrip()[0]
                assert before in "/.-?&=_#~" or after in ".-?&=_#~", run  # at a slash or a mark
            seen += 1
    assert seen == 2  # the first footnote of beta and its entry in the sources


# ---- 3. and 4. punctuation and unsigned sources ------------------------------------------

def test_no_colliding_punctuation_and_no_byline_named_as_a_name(book):
    text = " ".join(pdf_pages(book.outputs["pdf"]))
    assert '?",' not in text and '?".' not in text and '.",' not in text
    assert "No byline" not in text
    assert '"Why Was the Harbour Closed?" (unsigned)' in text  # the caption
    assert "Told by Writer and the unsigned text." in text  # the timeline
    assert "Writer, the unsigned text CORRECT" in text  # the claims table
    epub = " ".join(text_of(body) for name, body in epub_files(book.outputs["epub"]).items()
                    if name.endswith(".xhtml"))
    assert "No byline" not in epub and "?\u201d," not in epub and ".\u201d," not in epub


# ---- 5. typography ----------------------------------------------------------------------

def test_editors_text_is_typographic_and_the_sources_words_stay_as_published(book):
    files = epub_files(book.outputs["epub"])
    intro = text_of(files["EPUB/intro.xhtml"])
    assert "The editors\u2019 \u201cown\u201d words \u2013 see" in intro
    assert "Years 1949\u20131953; the date 2019-04-04 stays." in intro
    vote = text_of(files["EPUB/vote.xhtml"])
    assert "2. The vote (1950\u20131951)" in files["EPUB/nav.xhtml"]
    assert "\u201cHarbor Councel\u201d is a slip" in vote
    # The excerpts are the sources' bytes: straight quotes, a hyphen for a dash.
    assert "It was a 'close' vote, wasn't it?" in vote
    assert "The mayor spoke for an hour - or so it seemed." in vote
    assert "<dc:title>The Harbour\u2019s Door</dc:title>" in files["EPUB/content.opf"]
    assert "The vote, 1950\u20131951." in text_of(files["EPUB/timeline.xhtml"])
    reader = PdfReader(str(book.outputs["pdf"]))
    assert reader.metadata.title == "The Harbour\u2019s Door"
    raw = "\n".join(raw_pages(book.outputs["pdf"]))
    assert "Talks of 1949\u20131953, a reader" in raw.replace("\n", " ")
    assert "It was a 'close' vote, wasn't it?" in raw.replace("\n", " ")


# ---- 6. note labels -----------------------------------------------------------------------

def test_note_labels_keep_their_sign_and_stay_searchable(book):
    pdftotext = subprocess.run(["pdftotext", str(book.outputs["pdf"]), "-"], capture_output=True,
                               text=True, check=True).stdout
    for text in (pdftotext, "\n".join(raw_pages(book.outputs["pdf"]))):
        labels = re.findall(r"^(\S)\s+(CONTEXT|BIAS|RELIABILITY|CORRECTION) EDITORS\u2019 NOTE", text, re.M)
        assert {kind: sign for sign, kind in labels} == {
            "CONTEXT": "i", "BIAS": "\u25c6", "RELIABILITY": "?", "CORRECTION": "!"}, labels
    tree = etree.fromstring(epub_files(book.outputs["epub"])["EPUB/vote.xhtml"].encode())
    signs = {}
    for note in tree.iterfind(".//x:div[@role='note']", XHTML):
        kind = note.get("class").split()[1]
        icon = note.find(".//x:span[@class='note-icon']", XHTML)
        signs[kind] = icon.text
        assert icon.get("aria-hidden") == "true"
        assert note.find(".//x:span[@class='note-kind']", XHTML).text.lower() == kind[5:]
    assert signs == {"note-correction": "!", "note-context": "i", "note-reliability": "?",
                     "note-bias": "\u25c6"}


# ---- 7. compare groups ----------------------------------------------------------------------

def test_compare_groups_two_columns_at_most_unhyphenated_and_breaking_across_pages(book):
    tree = etree.fromstring(epub_files(book.outputs["epub"])["EPUB/vote.xhtml"].encode())
    layouts = [d.get("class").split()[-1] for d in tree.iterfind(".//x:div[@role='group']", XHTML)]
    assert layouts == ["columns", "stacked"]
    lines = pdf_lines(book.outputs["pdf"])
    measure = max(width for _, _, width, _ in lines)
    column = [text for _, _, width, text in lines if width < 0.55 * measure
              and any(w in text for w in ("mayor", "spoke", "seemed", "closed", "twice"))]
    assert len(column) >= 2  # side by side: half a line each
    assert not any(t.endswith(("-", "\u2010")) and not t.endswith(" -") for t in column), column
    pages = pdf_pages(book.outputs["pdf"])
    note = page_of(pages, "Two short excerpts stand side by side.")
    # The long group starts right after the note, not on a fresh page, and runs on.
    assert page_of(pages, "Sentence 0 of the long alpha account") == note
    assert page_of(pages, "Sentence 13 of the long beta account") > note


# ---- 8. claims and notes ----------------------------------------------------------------------

def test_notes_show_the_ids_they_answer_and_the_claims_table_links_back(book):
    pages = pdf_pages(book.outputs["pdf"])
    note = page_of(pages, "CORRECTION EDITORS' NOTE \u00b7 c1 \u00b7 s1")
    claims = page_of(pages, "c1 The council voted in 1950.")
    table = pages[claims - 1]
    assert f"Answered in chapter 2, p. {note}." in table
    files = epub_files(book.outputs["epub"])
    vote = etree.fromstring(files["EPUB/vote.xhtml"].encode())
    links = [a.get("href") for a in vote.iterfind(".//x:a[@class='note-claim']", XHTML)]
    assert links == ["claims-checked.xhtml#claim-c1", "claims-checked.xhtml#slip-s1"]
    back = etree.fromstring(files["EPUB/claims-checked.xhtml"].encode())
    refs = {a.getparent().getparent().getparent().get("id"): a.get("href")
            for a in back.iterfind(".//x:a[@class='note-ref']", XHTML)}
    target = refs["claim-c1"]
    assert target.startswith("vote.xhtml#note") and refs["slip-s1"] == target
    assert f'id="{target.split("#")[1]}"' in files["EPUB/vote.xhtml"]


# ---- 9. numbered chapters and references by id ---------------------------------------------

def test_references_by_id_give_number_and_page(book):
    pages = pdf_pages(book.outputs["pdf"])
    vote = next(i + 1 for i, p in enumerate(pages) if p.startswith("Chapter 2 The vote (1950"))
    claims = page_of(pages, "c1 The council voted in 1950.")
    slips = page_of(pages, "Harbor Councel\" Harbour Council.")
    intro = pages[page_of(pages, "Chapter 1 Introduction") - 1]
    assert (f"see c1, p. {claims}, s1, p. {slips}, chapter 2, p. {vote} and \"Who voted?\" in "
            f"chapter 2, p. {vote} .") in intro.replace(f"p. {vote}.", f"p. {vote} .")
    contents = next(p for p in pages if p.startswith("Contents"))
    assert re.search(r"1\. Introduction \.+ *\d+ 2\. The vote \(1950–1951\) \.+ *\d+", contents)
    intro_xhtml = epub_files(book.outputs["epub"])["EPUB/intro.xhtml"]
    hrefs = re.findall(r'<a class="xref" href="([^"]+)">([^<]+)</a>', intro_xhtml)
    assert hrefs == [("claims-checked.xhtml#claim-c1", "c1"), ("claims-checked.xhtml#slip-s1", "s1"),
                     ("vote.xhtml#vote", "chapter 2"),
                     ("vote.xhtml#vote-who-voted", "\u201cWho voted?\u201d in chapter 2")]


def test_a_reference_out_of_a_handout_names_the_full_book(handout, project):
    pages = pdf_pages(handout.outputs["pdf"])
    assert pages[0].startswith("The Harbour's Door") and "Chapter 2 The vote" in pages[0]
    bookmarks = [i.title for i in PdfReader(str(handout.outputs["pdf"])).outline if not isinstance(i, list)]
    assert bookmarks[0] == "2. The vote (1950\u20131951)"  # the full book's number


def test_running_heads_carry_the_chapter_number(shipped_book):
    result, _ = shipped_book
    pages = pdf_pages(result.outputs["pdf"])
    title = result.book.chapters[1].title
    heads = [p for p in pages if re.search(rf"2\. {re.escape(title)} \d+$", p)]
    assert heads, "no running head names chapter 2 with its number"


def test_a_range_in_a_title_or_heading_stays_on_one_line(shipped_book):
    # The subtitle "..., 1949-2010: ..." and the heading "... (1955-1983)" broke at the dash.
    result, _ = shipped_book
    book = result.book
    titles = [book.subtitle, *(c.title for c in book.chapters),
              *(b.title for c in book.chapters for b in c.blocks if hasattr(b, "title"))]
    ranges = {m for t in titles for m in re.findall(r"\d+\u2013\d+", t or "")}
    assert {"1949\u20132010", "1955\u20131983"} <= ranges
    lines = [text for _, _, _, text in pdf_lines(result.outputs["pdf"])]
    split = [(a, b) for a, b in zip(lines, lines[1:])
             if re.search(r"\d\u2013$", a) and re.sub(r"^.*?(\d+\u2013)$", r"\1", a)
             + re.sub(r"^(\d+).*$", r"\1", b) in ranges]
    assert not split
    epub = zipfile.ZipFile(result.outputs["epub"])
    chapter = next(n for n in epub.namelist() if n.endswith("warsaw-pact.xhtml"))
    assert '<span class="nobreak">1955\u20131983</span>' in epub.read(chapter).decode()


def test_an_unknown_id_is_an_error_naming_the_outline_line(tmp_path):
    project = make_project(tmp_path, """\
title: T
editors: [E]
language: en
chapters:
  - title: C
    content:
      - excerpt: one
        quote: "The first sentence."
      - note: See [](#nowhere) and [](#c).
        kind: context
""")
    with pytest.raises(BuildFailed) as failed:
        build(project)
    messages = [str(e) for e in failed.value.errors]
    assert len(messages) == 1, messages
    assert re.search(r"book/outline\.yaml:9:\d+: unknown id 'nowhere' in \[\]\(#nowhere\)", messages[0])
    assert not (project / "dist").exists() or not any((project / "dist").glob("*.pdf"))


# ---- the helpers, on their own ----------------------------------------------------------

@pytest.mark.parametrize("typed, language, printed", [
    ("Knocking on NATO's Door", "en", "Knocking on NATO\u2019s Door"),
    ('He said "no" -- twice', "en", "He said \u201cno\u201d \u2013 twice"),
    ("1949-1953, pp. 12-15; 2019-04-04; B-52; c1-2", "en",
     "1949\u20131953, pp. 12\u201315; 2019-04-04; B-52; c1-2"),
    ('Он сказал "нет"', "ru", "Он сказал \u00abнет\u00bb"),
    ('Er sagte "nein"', "de-AT", "Er sagte \u201enein\u201c"),
    ("wait... and --- then *stars* <b>", "en", "wait\u2026 and \u2014 then *stars* <b>"),
])
def test_typographic_plain_text(typed, language, printed):
    from bookmaker.markup import typographic

    assert typographic(typed, language) == printed


@pytest.mark.parametrize("text, links", [
    ("See [the note](#note-1) and [](#claims-checked).", [("note-1", "the note"), ("claims-checked", "")]),
    ("An entity: [here](&#35;timeline), [there](&num;sources).", [("timeline", "here"), ("sources", "there")]),
    ("An escape: [here](\\#timeline).", [("timeline", "here")]),
    ("By reference: [the list][l].\n\n[l]: #sources", [("sources", "the list")]),
    ("No link to #timeline, and [one](https://x.org/#a) to the web.", []),
    ("", []),
])
def test_local_links_however_written(text, links):
    from bookmaker.markup import local_links

    assert local_links(text) == links


def test_markdown_notes_are_typographic_but_links_and_code_are_not():
    from bookmaker.markup import markdown

    html = markdown("en").render('See "[FRUS 1952-1954](https://x.org/a--b)" and `a--b`, (c) too.')
    assert "\u201c<a href=\"https://x.org/a--b\">FRUS 1952\u20131954</a>\u201d" in html
    assert "<code>a--b</code>" in html and "(c) too" in html
