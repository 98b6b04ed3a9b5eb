"""The front-matter keys that tie a source to the bytes it was imported from."""
import hashlib
import logging

import helpers
import pytest
from helpers import make_project

from bookmaker.api import check
from bookmaker.errors import BuildFailed

OUTLINE = helpers.OUTLINE.format(blocks="      - excerpt: one\n        quote: first sentence\n")
ORIGINAL = b"<html><body><p>The first sentence.</p></body></html>"
DIGEST = hashlib.sha256(ORIGINAL).hexdigest()


def source(**keys):
    base = {"title": "T", "author": "null", "outlet": "O", "published": "2020", "url": "null",
            "language": "en", "accessed": "null", "original": "originals/one.html", "sha256": DIGEST}
    base.update(keys)
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in base.items() if v is not None) + \
        "---\nThe first sentence.\n"


@pytest.fixture
def project(tmp_path):
    make_project(tmp_path, OUTLINE, {"one": source()})
    (tmp_path / "seeds" / "originals").mkdir()
    (tmp_path / "seeds" / "originals" / "one.html").write_bytes(ORIGINAL)
    return tmp_path


def warnings_of(project, caplog):
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bookmaker"):
        check(project)
    return [r.getMessage() for r in caplog.records]


def test_original_and_its_hash_are_read_and_checked(project, caplog):
    assert warnings_of(project, caplog) == []
    got = check(project).sources[0]
    assert (got.original, got.sha256, got.accessed) == ("originals/one.html", DIGEST, None)


def test_the_originals_folder_holds_no_sources(project):
    (project / "seeds" / "originals" / "two.md").write_text("not a source: no front matter\n")
    assert [s.id for s in check(project).sources] == ["one"]


def test_a_changed_original_is_a_warning_and_fails_strict(project, caplog):
    (project / "seeds" / "originals" / "one.html").write_bytes(ORIGINAL + b"\n")
    assert any("has changed since it was imported" in w and "one.md:9:" in w
               for w in warnings_of(project, caplog))
    with pytest.raises(BuildFailed, match="changed since it was imported"):
        check(project, strict=True)


def test_a_missing_original_is_a_warning(project, caplog):
    (project / "seeds" / "originals" / "one.html").unlink()
    assert any("'originals/one.html' is missing" in w for w in warnings_of(project, caplog))


@pytest.mark.parametrize("original", ["/etc/passwd", "../book/outline.yaml", "originals/../../x",
                                      "~/x", "originals\\\\one.html", "''"])
def test_original_must_stay_inside_seeds(project, original):
    (project / "seeds" / "one.md").write_text(source(original=original))
    with pytest.raises(BuildFailed) as exc:
        check(project)
    assert "'original' must be a path inside seeds/" in str(exc.value) or \
        "'original' must not be empty" in str(exc.value)
    assert "one.md:9:" in str(exc.value)


def test_an_original_that_links_out_of_the_project_is_not_read(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.html"
    outside.write_bytes(ORIGINAL)
    link = project / "seeds" / "originals" / "one.html"
    link.unlink()
    link.symlink_to(outside)
    with pytest.raises(BuildFailed, match="'original' points outside seeds/"):
        check(project)


@pytest.mark.parametrize("keys, message", [
    ({"sha256": "ABC"}, "'sha256' must be 64 lowercase hexadecimal digits"),
    ({"original": None}, "'sha256' is the hash of the original: give 'original' too"),
    ({"accessed": "yesterday"}, "'accessed' must be YYYY-MM-DD"),
])
def test_bad_provenance_keys(project, keys, message):
    (project / "seeds" / "one.md").write_text(source(**keys))
    with pytest.raises(BuildFailed, match=message):
        check(project)
