"""bookmaker's own templates, compiled once and kept like its Python bytecode.

Compiling the built-in templates (parsing them and generating and compiling
their Python code) took about 0.15 s of every build that renders, as long as
rendering a small book.  Jinja's :class:`~jinja2.FileSystemBytecodeCache`
keeps the compiled code, checked against the template's source on each load,
and this cache keeps it where the interpreter keeps bookmaker's own bytecode:
``templates/__pycache__/`` in the package, or under ``PYTHONPYCACHEPREFIX``;
like the interpreter, it reads what is there but writes nothing when
``PYTHONDONTWRITEBYTECODE`` is set.

Only the built-in templates are kept: a project's own templates are compiled
on each run, and nothing is written into a project.  A cache that cannot be
read or written is no cache, never an error.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

# What the generated code depends on besides the template's source: Jinja's own
# checksum covers the source and the Python version only.
SETTINGS = ("sandboxed", "autoescape", "trim_blocks", "lstrip_blocks", "keep_trailing_newline",
            "newline_sequence", "block_start_string", "block_end_string",
            "variable_start_string", "variable_end_string", "comment_start_string",
            "comment_end_string", "line_statement_prefix", "line_comment_prefix", "optimized",
            "is_async")


def cache_folder(templates: Path) -> str:
    """Where the interpreter would keep the bytecode of a module in ``templates``."""
    return os.path.dirname(importlib.util.cache_from_source(str(templates / "_.py")))


class BuiltinTemplateCache(jinja2.FileSystemBytecodeCache):
    """The compiled code of the templates in ``templates`` (bookmaker's own), for
    environments configured as ``env``."""

    def __init__(self, env: jinja2.Environment, templates: Path) -> None:
        settings = [type(env).__module__, type(env).__qualname__, jinja2.__version__,
                    env.finalize is not None, sorted(map(str, env.extensions)),
                    *(repr(getattr(env, name, None)) for name in SETTINGS)]
        key = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
        super().__init__(cache_folder(templates), f"bookmaker-{key}-%s.jinja")
        self.templates = templates

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> Bucket:
        if filename is None or Path(filename).parent != self.templates:
            return Bucket(environment, "", "")  # a project's template: compiled, never kept
        return super().get_bucket(environment, name, filename, source)

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - a damaged entry is compiled again
            bucket.reset()

    def set_bucket(self, bucket: Bucket) -> None:
        if bucket.key and not sys.dont_write_bytecode:
            try:
                os.makedirs(self.directory, exist_ok=True)
                self.dump_bytecode(bucket)
            except OSError:  # a read-only installation: compiled on every run, as before
                pass
