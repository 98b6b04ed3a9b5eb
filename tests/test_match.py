"""Excerpt matching: each tolerance, and each error with its location and hint."""
import sys

import pytest
from helpers import OUTLINE, make_project
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bookmaker.api import check
from bookmaker.errors import BuildFailed
from bookmaker.match import (OTHER_SPACES, _FOLD, _normalise, closest_passage, find_all, first_after,
                             normalise, paragraphs)

TEXT = ('He said: "It\'s over" — and left.\n\nThe  next   day,\nnothing\u00a0changed.\n\n'
        "Last words here. Last words here.")


@pytest.mark.parametrize("quote", [
    'He said: “It’s over” - and left.',     # typographic quotes and apostrophe, other dash
    "He said: \"It's over\" – and left.",    # en dash for em dash
    "The next day, nothing changed.",        # white space runs, line break and no-break space
    "  The next\n day,\tnothing changed. ",  # white space around and inside
])
def test_tolerated_differences(quote):
    assert len(find_all(TEXT, quote)) == 1


@pytest.mark.parametrize("quote", [
    "he said",                          # case is not tolerated
    "The next day, nothing changed!",   # punctuation other than quotes and dashes
    "The next day nothing changed.",    # a missing comma
    "He said: It's over",               # missing quotation marks
])
def test_other_differences_do_not_match(quote):
    assert find_all(TEXT, quote) == []


def test_match_returns_the_source_words_not_the_outline_spelling():
    start, end = find_all(TEXT, 'said: "It\'s over" - and')[0]
    assert TEXT[start:end] == 'said: "It\'s over" — and'


def test_normalise_maps_back_to_original_offsets():
    norm = normalise("a \u201cb\u201d")
    assert norm.text == 'a "b"'
    assert norm.offsets == (0, 1, 2, 3, 4)


def test_other_spaces_are_all_white_space_but_the_space():
    assert set(OTHER_SPACES) == {chr(c) for c in range(sys.maxunicode + 1)
                                 if chr(c).isspace()} - {" "}


def simply_normalised(original: str) -> tuple[str, list[int]]:
    """The normalisation one character at a time: each white space run is one space
    at the run's start, each typographic character its plain form in its place."""
    text, offsets = [], []
    i, end = len(original) - len(original.lstrip()), len(original.rstrip())
    while i < end:
        offsets.append(i)
        if original[i].isspace():
            text.append(" ")
            while original[i].isspace():
                i += 1
        else:
            text.append(_FOLD.get(original[i], original[i]))
            i += 1
    return "".join(text), offsets


# Words, typographic marks and every kind of white space, in runs of any length.
PIECES = st.sampled_from(["a", "bc", "\u201cq\u201d", "x\u2014y", "\u2019", "`", " ", "  ",
                          *OTHER_SPACES, "\n\n", " \n ", "\t \t"])


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_normalise_is_the_simple_model(original):
    norm = _normalise(original)
    assert (norm.text, list(norm.offsets)) == simply_normalised(original)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", " ", "\n\n", "\u201c", '"', "-", "\u2014"]), max_size=30)
       .map("".join), st.text("ab \u201c\"-", min_size=1, max_size=4),
       st.text("ab \u201c\"-", min_size=1, max_size=4))
@example("aaba", "ab", "aaba")  # a 'to' that ends after 'from' but starts before it
@example("ab ab", "ab", "b")    # one inside 'from' ends with it: the next one
def test_first_after_is_the_first_of_all_occurrences_after(text, first, then):
    """The 'to' of a passage, searched on from its 'from': the same as picking from all."""
    for start in find_all(text, first):
        every = [e for e in find_all(text, then) if e[0] >= start[0] and e[1] > start[1]]
        assert first_after(text, then, *start) == (every[0] if every else None)


def test_paragraphs_are_kept():
    assert paragraphs("one\ntwo\n\nthree\n \nfour") == ("one two", "three", "four")




def errors_for(tmp_path, blocks, text=TEXT):
    make_project(tmp_path, OUTLINE.format(blocks=blocks), {"src": text})
    with pytest.raises(BuildFailed) as exc:
        check(tmp_path)
    return exc.value.errors


def test_from_to_keeps_paragraphs(tmp_path):
    make_project(tmp_path, OUTLINE.format(blocks="""\
      - excerpt: src
        from: "He said"
        to: "nothing changed."
"""), {"src": TEXT})
    book = check(tmp_path)
    excerpt = book.chapters[0].blocks[0]
    assert excerpt.paragraphs == ('He said: "It\'s over" — and left.', "The next day, nothing changed.")


def test_quote_not_found_names_line_and_shows_closest_passage(tmp_path):
    [error] = errors_for(tmp_path, """\
      - excerpt: src
        quote: "The next day, everything changed."
""")
    assert error.where.name == "outline.yaml" and error.where.line == 7
    assert "is not in source 'src'" in error.message
    assert "The next day" in error.hint and "closest passage" in error.hint


def test_quote_found_twice(tmp_path):
    [error] = errors_for(tmp_path, """\
      - excerpt: src
        quote: "Last words here."
""")
    assert "occurs 2 times" in error.message and error.where.line == 7
    assert "more words" in error.hint


def test_to_before_from(tmp_path):
    [error] = errors_for(tmp_path, """\
      - excerpt: src
        from: "The next day"
        to: "and left."
""")
    assert "comes before its 'from'" in error.message and error.where.line == 7


def test_from_not_found_and_to_not_found(tmp_path):
    errors = errors_for(tmp_path, """\
      - excerpt: src
        from: "Nobody said"
        to: "and left."
      - excerpt: src
        from: "He said"
        to: "nothing moved."
""")
    assert [e.where.line for e in errors] == [7, 10]
    assert "'from'" in errors[0].message and "'to'" in errors[1].message


@pytest.mark.parametrize("asked, shown", [
    ("The Harbour Treaty was signd in 1899", "The Harbour Treaty was signed in 1899"),
    ("It was in the words of the mayor", "It was, in the words of the mayor"),
])
def test_closest_passage_starts_and_ends_on_whole_words(asked, shown):
    source = ("Skip to content. The Harbour Treaty was signed in 1899 by the four port towns. "
              "It was, in the words of the mayor, a triumph of patience.")
    hint = closest_passage(source, asked)
    assert hint.startswith(shown)
    end = source.index(hint.rstrip("…")) + len(hint.rstrip("…"))
    assert end == len(source) or not source[end].isalnum()  # no word cut at the end either
