"""A book project's layout: make a new one (``bookmaker new``), recognise one.

The files of a new project are data, in ``skeleton/`` beside this module: an
example source of our own writing, an outline quoting it, empty claims and
timeline with commented examples, commented styles and a short README.  The
outline and README are Jinja2 templates (the title, editor and language).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .errors import BookError, Location, UsageError
from .sources import LANGUAGE

SKELETON = Path(__file__).resolve().parent / "skeleton"
OUTLINE = Path("book") / "outline.yaml"
# Names the skeleton cannot carry as they are: package data leaves out dotfiles.
RENAMED = {"gitignore": ".gitignore"}


@dataclass(frozen=True)
class NewProject:
    root: Path
    files: tuple[Path, ...]  # relative to root, in the order written


def skeleton_files() -> list[tuple[Path, Path]]:
    """(file in the skeleton, path in the new project) for every skeleton file."""
    pairs = []
    for path in sorted(SKELETON.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(SKELETON)
            pairs.append((path, rel.with_name(RENAMED.get(rel.name, rel.name))))
    return pairs


def new_project(folder: Path | str, title: str | None = None, editor: str = "Your Name",
                language: str = "en") -> NewProject:
    """Write a project that builds at once into ``folder`` (made if needed).

    Refuses, changing nothing, when the folder already holds a project or any
    of the files it would write.
    """
    root = Path(folder)
    title = " ".join((title or default_title(root)).split())
    if not title:
        raise UsageError("the title is empty; give one with --title")
    if not LANGUAGE.match(language):
        raise UsageError(f"'{language}' is not a language tag such as 'en' or 'de'")
    if root.exists() and not root.is_dir():
        raise BookError("not a folder", Location(root), "choose a new folder for the project")
    files = skeleton_files()
    if (root / OUTLINE).exists():
        raise BookError("the folder already holds a book project", Location(root / OUTLINE),
                        "choose a new folder, or edit this project")
    taken = [rel for _, rel in files if os.path.lexists(root / rel)]
    taken += sorted({parent for _, rel in files for parent in rel.parents
                     if parent != Path(".") and (root / parent).exists() and not (root / parent).is_dir()})
    if taken:
        raise BookError(f"the folder already has {', '.join(map(str, taken))}", Location(root),
                        "bookmaker new writes only into a folder without these files; "
                        "nothing was changed")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    # A JSON string is a YAML double-quoted scalar: any title is safe in the outline.
    env.filters["yaml"] = lambda value: json.dumps(value, ensure_ascii=False)
    context = {"title": title, "editor": editor, "language": language}
    texts = [(rel, env.from_string(src.read_text(encoding="utf-8")).render(context))
             for src, rel in files]
    _write_all(root, texts)
    return NewProject(root, tuple(rel for rel, _ in texts))


def _write_all(root: Path, texts: list[tuple[Path, str]]) -> None:
    """Write every file, or (on an error part way) remove what was made."""
    made: list[Path] = []
    try:
        for folder in [root, *sorted({root / rel.parent for rel, _ in texts})]:
            for part in reversed([folder, *folder.parents]):
                if not part.exists():
                    part.mkdir()
                    made.append(part)
        for rel, text in texts:
            with open(root / rel, "x", encoding="utf-8", newline="\n") as out:  # never overwrite
                made.append(root / rel)
                out.write(text)
    except OSError as exc:
        for path in reversed(made):
            (path.rmdir if path.is_dir() else path.unlink)()
        raise BookError(f"cannot write the project: {exc.strerror}",
                        Location(Path(exc.filename) if exc.filename else root)) from None


def default_title(root: Path) -> str:
    """'my-civics_reader' -> 'My civics reader': a start the outline's title replaces."""
    name = " ".join(root.resolve().name.replace("-", " ").replace("_", " ").split())
    return name[:1].upper() + name[1:]


def project_folder(project: Path | str) -> Path:
    """The resolved folder of an existing project, or a UsageError saying what is wrong."""
    path = Path(project)
    if not path.is_dir():
        raise UsageError(f"{project}: no such project folder")
    if not (path / OUTLINE).exists():
        raise UsageError(f"{project}: not a book project (there is no {OUTLINE}); "
                         "make one with 'bookmaker new FOLDER'")
    return path.resolve()
