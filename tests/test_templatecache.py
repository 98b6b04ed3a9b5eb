"""The compiled built-in templates: kept like bytecode, checked against their source,
never a project's own, and never a reason for a build to fail."""
import sys

import jinja2
import pytest
from helpers import copy_project

from bookmaker.api import check
from bookmaker.files import ProjectFiles
from bookmaker.render import templatecache
from bookmaker.render.html import environment
from bookmaker.render.templatecache import BuiltinTemplateCache


@pytest.fixture
def kept(tmp_path, monkeypatch):
    """The cache folder, in tmp_path, and bytecode written as by a default interpreter."""
    folder = tmp_path / "pycache"
    monkeypatch.setattr(templatecache, "cache_folder", lambda templates: str(folder))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return folder


def never_compile(env):
    def refuse(*args, **kwargs):
        raise AssertionError("compiled again")
    env.compile = refuse


def test_a_built_in_template_is_compiled_once_and_renders_the_same(kept, tmp_path):
    project = copy_project(tmp_path / "book")
    files, book = ProjectFiles(project), check(project)
    first = environment(files).get_template("cover.html").render(book=book, image="c.png")
    assert "c.png" in first and len(list(kept.glob("bookmaker-*.jinja"))) == 1
    again = environment(files)
    never_compile(again)
    assert again.get_template("cover.html").render(book=book, image="c.png") == first


def test_a_changed_template_is_compiled_again(kept, tmp_path):
    ours = tmp_path / "templates"
    ours.mkdir()
    (ours / "a.html").write_text("one {{ x }}", encoding="utf-8")

    def env():
        made = jinja2.Environment(loader=jinja2.FileSystemLoader(ours))
        made.bytecode_cache = BuiltinTemplateCache(made, ours)
        return made

    assert env().get_template("a.html").render(x=1) == "one 1"
    (ours / "a.html").write_text("two {{ x }}", encoding="utf-8")
    assert env().get_template("a.html").render(x=1) == "two 1"


def test_other_settings_keep_their_own_code(kept, tmp_path):
    ours = tmp_path / "templates"
    ours.mkdir()
    (ours / "a.html").write_text("{% if x %}\n  {{ x }}\n{% endif %}", encoding="utf-8")
    texts = []
    for trim in (False, True):
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(ours), trim_blocks=trim)
        env.bytecode_cache = BuiltinTemplateCache(env, ours)
        texts.append(env.get_template("a.html").render(x="<b>"))
    assert texts == ["\n  <b>\n", "  <b>\n"]
    assert len(list(kept.glob("bookmaker-*.jinja"))) == 2


def test_a_projects_own_template_is_never_kept(kept, tmp_path):
    project = copy_project(tmp_path / "book")
    (project / "templates").mkdir()
    (project / "templates" / "cover.html").write_text("<p>own {{ image }}</p>", encoding="utf-8")
    env = environment(ProjectFiles(project))
    assert env.get_template("cover.html").render(image="x") == "<p>own x</p>"
    assert not kept.exists() or not list(kept.iterdir())
    assert sorted(p.name for p in (project / "templates").iterdir()) == ["cover.html"]


def test_nothing_is_written_without_bytecode(kept, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    environment(ProjectFiles(copy_project(tmp_path / "book"))).get_template("cover.html")
    assert not kept.exists()


def test_a_damaged_or_unwritable_cache_is_no_cache(kept, tmp_path):
    files = ProjectFiles(copy_project(tmp_path / "book"))
    first = environment(files).get_template("titlepage.html").render(book=check(files.root))
    [entry] = kept.glob("bookmaker-*.jinja")
    entry.write_bytes(b"j2 not what was written")
    assert environment(files).get_template("titlepage.html").render(book=check(files.root)) == first
    entry.write_bytes(entry.read_bytes()[:40])  # cut short after the header
    assert environment(files).get_template("titlepage.html").render(book=check(files.root)) == first
    for left in kept.iterdir():
        left.unlink()
    kept.rmdir()
    kept.write_text("a file where the folder would be", encoding="utf-8")
    assert environment(files).get_template("titlepage.html").render(book=check(files.root)) == first
