"""The template sandbox: which templates load, what they may touch, and how
their mistakes are reported.

A project's ``templates/NAME.html`` replaces the built-in template of that
name.  Templates come from projects people pass around, so:

* they are loaded by plain name only, from the project's ``templates/``
  (through :class:`~bookmaker.files.ProjectFiles`, so a symlink out of the
  project is refused) or from bookmaker's own templates;
* the sandbox allows only attributes on an allow-list: the data fields of the
  book model, a few pure methods of strings, mappings and sequences, and
  Jinja's own loop and macro objects.  Nothing a template can reach opens a
  file, and the model holds no ``Path`` objects to begin with;
* every error while compiling or rendering becomes a :class:`BookError`
  naming the template file and line.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import traceback
import types
from pathlib import Path
from typing import Any, Callable

import jinja2
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import BookError, BuildFailed, Errors, Location
from ..files import ProjectFiles

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.html$")
MODEL_MODULES = ("bookmaker.model", "bookmaker.errors", "bookmaker.render.html",
                 "bookmaker.references", "bookmaker.render.figures")
# Methods of the model a template may call: they compute from data, read nothing.
MODEL_METHODS = {"Book": {"source", "chapters_quoting"}, "Chapter": {"excerpts"},
                 "Claim": {"flagged"}, "Location": {"name"},
                 "Part": {"label"}}
STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "find", "isalnum", "isalpha",
    "isdigit", "islower", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "replace", "rfind", "rjust", "rpartition",
    "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
    "upper", "zfill", "format", "striptags", "unescape"})
MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
SEQUENCE_METHODS = frozenset({"count", "index"})
JINJA_TYPES = (LoopContext, Macro, jinja2.environment.TemplateModule, jinja2.utils.Namespace,
               jinja2.utils.Cycler, jinja2.utils.Joiner)


class BookLoader(jinja2.BaseLoader):
    """The project's ``templates/NAME.html`` if there is one, else the built-in one."""

    def __init__(self, files: ProjectFiles) -> None:
        self.files = files
        self.folder = files.root / "templates"

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable]:
        if not TEMPLATE_NAME.match(template):
            raise jinja2.TemplateNotFound(template, "templates are named by a plain file name "
                                          "such as 'blocks.html', without folders")
        own = self.folder / template
        if self.files.is_file(own):
            return self.files.read_text(own), str(own), lambda: True
        builtin = BUILTIN_TEMPLATES / template
        if builtin.is_file():
            return builtin.read_text(encoding="utf-8"), str(builtin), lambda: True
        raise jinja2.TemplateNotFound(template)

    def project_templates(self) -> list[str]:
        """The names of the project's own templates."""
        if not self.files.is_file(self.folder):
            return []
        self.files.refuse_outside(self.folder)
        return sorted(p.name for p in self.folder.iterdir() if TEMPLATE_NAME.match(p.name))


class BookSandbox(ImmutableSandboxedEnvironment):
    """A sandbox that allows attributes from an allow-list only."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_") or isinstance(value, (os.PathLike, type, types.ModuleType)):
            return False
        if isinstance(obj, str):
            return attr in STR_METHODS
        if isinstance(obj, JINJA_TYPES):
            return super().is_safe_attribute(obj, attr, value)
        allowed = _model_attributes(type(obj))
        if allowed is not None:
            return attr in allowed
        if isinstance(obj, dict):
            return attr in MAPPING_METHODS
        if isinstance(obj, (tuple, list)):
            return attr in SEQUENCE_METHODS
        return False


@functools.cache
def _model_attributes(kind: type) -> frozenset[str] | None:
    """The attributes a template may read on an instance of ``kind``, if it is a
    dataclass of the model: its fields and its listed methods (found once per type,
    not at each of the tens of thousands of lookups a book makes)."""
    if not dataclasses.is_dataclass(kind) or kind.__module__ not in MODEL_MODULES:
        return None
    return frozenset(f.name for f in dataclasses.fields(kind)) | MODEL_METHODS.get(kind.__name__, set())


def template_location(exc: BaseException, env: jinja2.Environment, name: str) -> Location:
    """Where in a template an error happened: the innermost template frame."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return Location(exc.filename, exc.lineno)
    known = {t.filename for t in _loaded(env)}
    where = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename in known:
            where = Location(frame.f_code.co_filename, line)
    return where or Location(_filename(env, name))


def _loaded(env: jinja2.Environment) -> list[jinja2.Template]:
    return [t for t in (env.cache or {}).values() if t is not None and t.filename]


def _filename(env: jinja2.Environment, name: str) -> str:
    own = env.loader.folder / name if isinstance(env.loader, BookLoader) else None
    return str(own) if own is not None and own.exists() else str(BUILTIN_TEMPLATES / name)


def describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the templates include or call each other without end"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template not found: '{exc.name}'" + (f" ({exc.message})" if exc.message != exc.name else "")
    if isinstance(exc, jinja2.sandbox.SecurityError):
        return f"not allowed in a template: {exc}"
    if isinstance(exc, jinja2.TemplateError):
        return f"template error: {exc.message or exc}"
    return f"template error: {type(exc).__name__}: {exc}"


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render a template; any mistake in it becomes a located :class:`BookError`."""
    try:
        return env.get_template(name).render(**context)
    except (BookError, BuildFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - anything a template does wrong is the template's
        raise BookError(describe(exc), template_location(exc, env, name),
                        "fix the template, or delete it to use bookmaker's own") from None


def check_templates(env: jinja2.Environment, errors: Errors) -> None:
    """Compile every template of the project, so `check` finds syntax errors."""
    loader = env.loader
    if not isinstance(loader, BookLoader):
        return
    for name in loader.project_templates():
        try:
            env.get_template(name)
        except BookError as exc:
            errors.items.append(exc)
        except Exception as exc:  # noqa: BLE001
            errors.add(describe(exc), template_location(exc, env, name))
