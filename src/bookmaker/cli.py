"""The command line: a thin layer over :mod:`bookmaker.api`.

Exit status: 0 success, 1 a problem in the book project, 2 a usage error.
Errors are printed once each as ``FILE:LINE:COLUMN: message``; a traceback
only with ``--debug``.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time

from . import __version__
from .errors import BookError, BuildFailed, UsageError, display_path
from .paper import PAPERS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bookmaker", description="Build trustworthy readers of "
                                "quoted sources as a print PDF and an EPUB 3.")
    p.add_argument("--version", action="version", version=f"bookmaker {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="check the project, then build the PDF and the EPUB")
    b.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR")
    b.add_argument("--format", type=format_list, default="all", metavar="FORMAT[,FORMAT]",
                   help="pdf, epub, csl (the sources as CSL-JSON, STEM.json), bibtex (STEM.bib), "
                        "or all (pdf and epub; the default); several joined by commas: pdf,bibtex")
    b.add_argument("--out", metavar="DIR", help="output folder (default: PROJECT_DIR/dist)")
    b.add_argument("--force", action="store_true", help="render again even if nothing changed")
    b.add_argument("--quiet", action="store_true", help="no progress, only warnings and errors")
    b.add_argument("--chapters", metavar="SPEC",
                   help="only these chapters, as one handout: ids, 1-based positions and "
                        "ranges, comma-separated (3, note-1954, 2-4, introduction,5-6), or the "
                        "name of a handout in the outline's 'handouts:'; written as "
                        "STEM.SELECTION.pdf/.epub beside the book")
    b.add_argument("--paper", choices=tuple(PAPERS), type=str.lower,
                   help="page size of the PDF, with type size and margins to match (default: "
                        "the outline's 'paper:', else a5)")
    b.add_argument("--handouts", action="store_true",
                   help="one PDF (and EPUB) per chapter, of the --chapters selection if given, "
                        "into OUT/handouts/NN-CHAPTER-ID.pdf, instead of the book")
    b.add_argument("--booklet", action="store_true",
                   help="PDF only: impose for saddle-stitching (pages two-up in folding order "
                        "on sheets twice their size, for duplex printing flipped on the short "
                        "edge: a5 on A4, a4 on A3, b5 on B4, letter and legal as half-size "
                        "pages on a Letter or Legal sheet), written as STEM-booklet.pdf")
    b.add_argument("--jobs", type=int, metavar="N",
                   help="processes that render --handouts at once (default: one per core)")
    c = sub.add_parser("check", help="validate outline, sources and excerpts without rendering")
    c.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR")
    for s in (b, c):
        s.add_argument("--strict", action="store_true", help="treat warnings as errors")
        s.add_argument("--debug", action="store_true", help="show tracebacks and engine warnings")
    add_source_commands(sub)
    v = sub.add_parser("preview", help="serve the book as web pages that follow your edits")
    v.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR")
    v.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free)")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    v.add_argument("--open", action="store_true", help="open the page in the web browser")
    v.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def format_list(text: str) -> tuple[str, ...]:
    """``--format``: one format or several joined by commas; ``all`` is the PDF and the EPUB."""
    from .api import BOOK_FORMATS, FORMATS

    found: list[str] = []
    for name in filter(None, (bit.strip().lower() for bit in text.split(","))):
        if name not in (*FORMATS, "all"):
            raise argparse.ArgumentTypeError(f"unknown format '{name}' (choose from "
                                             f"{', '.join(FORMATS)}, all)")
        found += [f for f in (BOOK_FORMATS if name == "all" else (name,)) if f not in found]
    if not found:
        raise argparse.ArgumentTypeError("no format given")
    return tuple(found)


def add_source_commands(sub: argparse._SubParsersAction) -> None:
    """The commands that make a project and bring sources into it: new, import, find."""
    n = sub.add_parser("new", help="write a new book project that builds at once")
    n.add_argument("folder", metavar="DIR")
    n.add_argument("--title", help="the book's title (default: from the folder's name)")
    n.add_argument("--editor", default="Your Name", help="the editor's name, for the title page")
    n.add_argument("--language", default="en", help="the book's language tag (default: en)")
    i = sub.add_parser("import", help="add sources: saved web pages, http(s) addresses, PDFs, "
                       ".txt and .md files", description="Write seeds/ID.md for each SOURCE, with "
                       "the bytes it came from in seeds/originals/. The options below replace or "
                       "complete what a document says about itself.")
    i.add_argument("sources", nargs="+", metavar="SOURCE", help="a page saved from a browser (.html, "
                   ".htm, or its folder), an http(s) address, a PDF, a .txt or .md file")
    i.add_argument("--project", default=".", metavar="DIR", help="the book project (default: .)")
    i.add_argument("--id", help="the source's id (default: from its title)")
    i.add_argument("--force", action="store_true", help="replace a source of the same id")
    for key, what in (("title", "the title as published"), ("outlet", "where it was published"),
                      ("published", "its date: YYYY, YYYY-MM or YYYY-MM-DD"),
                      ("url", "its http(s) address"), ("language", "its language tag, e.g. en")):
        i.add_argument(f"--{key}", help=what)
    i.add_argument("--author", action="append", help="an author's name (repeat for several)")
    f = sub.add_parser("find", help="show where words occur in a source, and the excerpt to paste")
    f.add_argument("source", metavar="SOURCE_ID")
    f.add_argument("words", metavar="WORDS",
                   help="the words to find (white space, quotes and dashes as you like)")
    f.add_argument("--project", default=".", metavar="DIR", help="the book project (default: .)")
    for s in (n, i, f):
        s.add_argument("--debug", action="store_true", help="show tracebacks")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help(sys.stderr)
        return 2
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING)
    progress = logging.getLogger("bookmaker.progress")  # what a build is doing, not a warning
    progress.setLevel(logging.WARNING if getattr(args, "quiet", False) else logging.INFO)
    progress.propagate = False
    if not progress.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        progress.addHandler(handler)
    # SIGTERM (kill, a closed terminal, CI time-outs) stops a build as Ctrl-C does:
    # temporary files removed, the previous outputs untouched.
    signal.signal(signal.SIGTERM, _interrupt)
    logging.getLogger("weasyprint").setLevel(logging.WARNING if args.debug else logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        return COMMANDS[args.command](args)
    except BuildFailed as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"{len(exc.errors)} error{'s' if len(exc.errors) != 1 else ''}; nothing was written",
              file=sys.stderr)
        if args.debug:
            raise
        return 1
    except BookError as exc:
        print(exc, file=sys.stderr)
        if args.debug:
            raise
        return 1
    except UsageError as exc:
        print(f"bookmaker: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; previous outputs are untouched", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `bookmaker find ... | head`: the reader has gone; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # noqa: BLE001 - a bug of ours or of a library: one line, no traceback
        if args.debug:
            raise
        print(f"bookmaker: internal error: {type(exc).__name__}: {exc}\n"
              "    hint: nothing was written; run again with --debug for the traceback and report it",
              file=sys.stderr)
        return 3


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def build_command(args: argparse.Namespace) -> int:
    from .api import build

    started = time.perf_counter()
    formats = args.format
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    result = build(args.project, formats, args.out, strict=args.strict, chapters=args.chapters,
                   paper=args.paper, handouts=args.handouts, booklet=args.booklet, jobs=args.jobs,
                   force=args.force)
    for path in result.paths:
        fresh = result.format_of(path) in result.up_to_date
        print(f"{'up to date' if fresh else 'wrote'}: {display_path(path)}" if fresh
              else f"wrote {display_path(path)}")
    if not args.quiet:
        what = "nothing changed in" if set(formats) <= set(result.up_to_date) else "built"
        print(f"{what} '{result.book.title}' in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def check_command(args: argparse.Namespace) -> int:
    from .api import check

    book = check(args.project, strict=args.strict)
    count = sum(len(ch.excerpts()) for ch in book.chapters)
    print(f"ok: {len(book.chapters)} chapters, {count} excerpts from {len(book.sources)} sources")
    return 0


def new_command(args: argparse.Namespace) -> int:
    from .scaffold import new_project

    made = new_project(args.folder, args.title, args.editor, args.language)
    for rel in made.files:
        print(f"wrote {made.root / rel}")
    print(f"\nbuild it:  bookmaker build {args.folder}\nthen add sources: "
          f"bookmaker import FILE_OR_URL --project {args.folder}", file=sys.stderr)
    return 0


def import_command(args: argparse.Namespace) -> int:
    from .errors import display_path
    from .importer import import_sources

    given = {k: getattr(args, k) for k in ("title", "author", "outlet", "published", "url", "language")}
    for done in import_sources(args.project, args.sources, args.id, args.force, given):
        print(f"wrote {display_path(done.path)}  "
              f"({done.kind}, {done.paragraphs} paragraphs, {done.words} words)")
        for key in ("title", "author", "outlet", "published", "url", "language", "accessed"):
            value = done.meta[key]
            shown = "; ".join(value) if isinstance(value, list) else value
            print(f"  {key + ':':<11}{shown if shown is not None else 'null'}")
        print(f"  {'original:':<11}{display_path(done.original)}  (sha256 {done.meta['sha256'][:16]}…)")
    return 0


def find_command(args: argparse.Namespace) -> int:
    from .errors import display_path
    from .finder import find, indent

    found = find(args.project, args.source, args.words)
    where = display_path(found.source.path)
    unique = len(found.occurrences) == 1
    for occ in found.occurrences:
        print(f"{where}:{occ.line}: {occ.context}")
        if not unique:
            print(indent(occ.block), end="")
    if unique:
        print("\npaste this under a chapter's content in book/outline.yaml:\n")
        print(indent(found.occurrences[0].block), end="")
    else:
        print(f"\n{len(found.occurrences)} occurrences; each block above quotes its own, "
              "widened until it is found only once", file=sys.stderr)
    return 0


def preview_command(args: argparse.Namespace) -> int:
    from .preview import serve

    return serve(args.project, host=args.host, port=args.port, open_browser=args.open)


COMMANDS = {"build": build_command, "check": check_command, "new": new_command,
            "import": import_command, "find": find_command, "preview": preview_command}
