"""bookmaker find: occurrences with their lines, and blocks that check when pasted."""
import pytest
import yaml
from importing import FIXTURES, run

from bookmaker import api
from bookmaker.errors import BookError, BuildFailed
from bookmaker.finder import find, indent
from bookmaker.importer import import_sources
from bookmaker.scaffold import new_project

CHAPTER_HEAD = "title: T\neditors: [E]\nlanguage: en\nchapters:\n  - title: C\n    content:\n"


@pytest.fixture
def project(tmp_path):
    new_project(tmp_path / "reader")
    import_sources(tmp_path / "reader", [str(FIXTURES / "news-article.html")], source_id="ferry")
    return tmp_path / "reader"


def paste(project, *blocks):
    """The outline a user gets by pasting the printed blocks under a chapter's content."""
    (project / "book" / "outline.yaml").write_text(CHAPTER_HEAD + "".join(blocks), encoding="utf-8")
    return api.check(project).chapters[0].excerpts()


def printed_block(stdout):
    """The indented block at the end of find's output."""
    lines = stdout.splitlines(keepends=True)
    start = max(i for i, line in enumerate(lines) if line.startswith("      - excerpt:"))
    return "".join(lines[start:])


def file_line(project, sid, number):
    return (project / "seeds" / f"{sid}.md").read_text(encoding="utf-8").split("\n")[number - 1]


def test_unique_words_give_line_context_and_a_quote_that_checks(project):
    done = run("find", "ferry", '"the only way home', "--project", project)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    location, context = first.split(": ", 1)
    assert location.endswith("seeds/ferry.md:19")
    assert "the only way home" in file_line(project, "ferry", 19)
    assert "said the service was «“the only way home» for the people" in context
    block = printed_block(done.stdout)
    assert block == '      - excerpt: ferry\n        quote: "“the only way home"\n'
    [excerpt] = paste(project, block)
    assert excerpt.paragraphs == ("“the only way home",)  # the source's own quotation mark


def test_words_found_several_times_each_get_a_widened_unique_quote(project):
    found = find(project, "ferry", "the council")
    assert len(found.occurrences) == 5
    excerpts = paste(project, *(indent(o.block) for o in found.occurrences))
    assert len(excerpts) == 5
    for occ, excerpt in zip(found.occurrences, excerpts):
        assert "the council" in excerpt.paragraphs[0]
        assert excerpt.paragraphs[0] in file_line(project, "ferry", occ.line)
    done = run("find", "ferry", "the council", "--project", project)
    assert done.returncode == 0 and done.stdout.count("- excerpt: ferry") == 5
    assert "5 occurrences" in done.stderr


def test_a_long_passage_gives_a_from_to_pair_that_checks(project):
    passage = ("Under the plan the council will pay the operator a subsidy of £38,000 for the seven "
               "months, and will ask the regional transport board whether it can share the cost from "
               "November. If the board says no, the council will vote again in September.")
    found = find(project, "ferry", passage)
    block = yaml.safe_load(found.occurrences[0].block)[0]
    assert set(block) == {"excerpt", "from", "to"}
    assert block["from"] == "Under the plan the council"
    assert block["to"] == "will vote again in September."
    [excerpt] = paste(project, indent(found.occurrences[0].block))
    assert excerpt.paragraphs == (passage,)


def test_a_from_to_pair_across_paragraphs(project):
    words = ("The operator, Island Links, said it welcomed the decision and would keep the current "
             "timetable. It has not said what it will do if the subsidy ends in October.\n\n"
             "The council will publish the minutes of the meeting, with the full voting record, next week.")
    found = find(project, "ferry", words.replace("\n\n", " "))
    [excerpt] = paste(project, indent(found.occurrences[0].block))
    assert excerpt.paragraphs == tuple(words.split("\n\n"))


def test_to_words_that_also_come_earlier_still_end_at_the_passage(project):
    """`to` is resolved as its first occurrence after `from`: the pair must end where asked."""
    passage = ("First the chair said: and so the board says no. " + "Filler words here. " * 12 +
               "Then at the end: and so the board says no.")
    (project / "seeds" / "t.md").write_text("---\ntitle: T\nauthor: null\noutlet: O\npublished: null\n"
                                            "url: null\nlanguage: en\n---\nBefore it. " + passage + "\n")
    found = find(project, "t", passage)
    block = yaml.safe_load(found.occurrences[0].block)[0]
    assert block["to"] == "end: and so the board says no."  # the last five words end too early
    [excerpt] = paste(project, indent(found.occurrences[0].block))
    assert excerpt.paragraphs == (passage,)


def test_words_not_in_the_source_get_the_closest_passage(project):
    done = run("find", "ferry", "the ferry ran every night since 1988", "--project", project)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is not in source 'ferry'" in done.stderr
    assert "closest passage:" in done.stderr and "ferry has run every night since" in done.stderr


def test_typography_and_white_space_do_not_matter(project):
    found = find(project, "ferry", "ten  o'clock.\nThe ferry has run")
    assert len(found.occurrences) == 1
    [excerpt] = paste(project, indent(found.occurrences[0].block))
    assert excerpt.paragraphs == ("ten o’clock.", "The ferry has run")


def test_unknown_source_and_empty_words(project):
    done = run("find", "feri", "words", "--project", project)
    assert done.returncode == 1 and "unknown source id 'feri'" in done.stderr
    assert "did you mean 'ferry'?" in done.stderr
    with pytest.raises(BookError, match="did you mean 'harbour-council-votes"):
        import_sources(project, [str(FIXTURES / "news-article.html")])
        find(project, "harbour", "x")
    with pytest.raises(BookError, match="give some words"):
        find(project, "ferry", "  \n")
    assert run("find", "ferry", "x", "--project", project.parent).returncode == 2  # not a project


def test_a_broken_source_is_reported_and_others_still_found(project):
    (project / "seeds" / "broken.md").write_text("no front matter\n")
    assert find(project, "ferry", "Gull Island").occurrences
    with pytest.raises(BuildFailed, match="must start with a front-matter block"):
        find(project, "broken", "front")


def test_find_into_a_closed_pipe_ends_quietly(tmp_path):
    """`bookmaker find ... | head -1` stops when head has read enough: no traceback."""
    import subprocess
    import sys

    from helpers import make_project

    text = "\n\n".join(f"Paragraph {i} has the word in it." for i in range(3000))
    make_project(tmp_path, "title: T\neditors: [E]\nlanguage: en\nchapters: []\n", {"many": text})
    proc = subprocess.Popen([sys.executable, "-m", "bookmaker", "find", "many", "the word",
                             "--project", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as head does once it has its line; far more than a pipe holds is left
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
