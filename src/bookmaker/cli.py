"""The command line: a thin layer over :mod:`bookmaker.api`.

Exit status: 0 success, 1 a problem in the book project, 2 a usage error.
Errors are printed once each as ``FILE:LINE:COLUMN: message``; a traceback
only with ``--debug``.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

from . import __version__
from .paper import PAPERS
from .errors import BookError, BuildFailed, UsageError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bookmaker", description="Build trustworthy readers of "
                                "quoted sources as a print PDF and an EPUB 3.")
    p.add_argument("--version", action="version", version=f"bookmaker {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="check the project, then build the PDF and the EPUB")
    b.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR")
    b.add_argument("--format", choices=("pdf", "epub", "all"), default="all")
    b.add_argument("--out", metavar="DIR", help="output folder (default: PROJECT_DIR/dist)")
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help(sys.stderr)
        return 2
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING)
    progress = logging.getLogger("bookmaker.progress")  # what a build is doing, not a warning
    progress.setLevel(logging.INFO)
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
        return build_command(args) if args.command == "build" else check_command(args)
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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def build_command(args: argparse.Namespace) -> int:
    from .api import build

    started = time.perf_counter()
    formats = ("pdf", "epub") if args.format == "all" else (args.format,)
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    result = build(args.project, formats, args.out, strict=args.strict, chapters=args.chapters,
                   paper=args.paper, handouts=args.handouts, booklet=args.booklet, jobs=args.jobs)
    for path in result.paths:
        print(f"wrote {path}")
    print(f"built '{result.book.title}' in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def check_command(args: argparse.Namespace) -> int:
    from .api import check

    book = check(args.project, strict=args.strict)
    count = sum(len(ch.excerpts()) for ch in book.chapters)
    print(f"ok: {len(book.chapters)} chapters, {count} excerpts from {len(book.sources)} sources")
    return 0
