"""The command line: a thin layer over :mod:`bookmaker.api`.

Exit status: 0 success, 1 a problem in the book project, 2 a usage error.
Errors are printed once each as ``FILE:LINE:COLUMN: message``; a traceback
only with ``--debug``.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time

from . import __version__
from .errors import BookError, BuildFailed, UsageError, display_path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bookmaker", description="Build trustworthy readers of "
                                "quoted sources as a print PDF and an EPUB 3.")
    p.add_argument("--version", action="version", version=f"bookmaker {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="check the project, then build the PDF and the EPUB")
    b.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR")
    b.add_argument("--format", choices=("pdf", "epub", "all"), default="all")
    b.add_argument("--out", metavar="DIR", help="output folder (default: PROJECT_DIR/dist)")
    b.add_argument("--force", action="store_true", help="render again even if nothing changed")
    c = sub.add_parser("check", help="validate outline, sources and excerpts without rendering")
    c.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR")
    for s in (b, c):
        s.add_argument("--strict", action="store_true", help="treat warnings as errors")
        s.add_argument("--debug", action="store_true", help="show tracebacks and engine warnings")
    v = sub.add_parser("preview", help="serve the book as web pages that follow your edits")
    v.add_argument("project", nargs="?", default=".", metavar="PROJECT_DIR")
    v.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0: any free)")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    v.add_argument("--open", action="store_true", help="open the page in the web browser")
    v.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help(sys.stderr)
        return 2
    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.WARNING if args.debug else logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        commands = {"build": build_command, "check": check_command, "preview": preview_command}
        return commands[args.command](args)
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


def build_command(args: argparse.Namespace) -> int:
    from .api import build

    started = time.perf_counter()
    formats = ("pdf", "epub") if args.format == "all" else (args.format,)
    result = build(args.project, formats, args.out, strict=args.strict, force=args.force)
    for fmt, path in result.outputs.items():
        print(f"up to date: {display_path(path)}" if fmt in result.up_to_date
              else f"wrote {display_path(path)}")
    what = "nothing changed in" if len(result.up_to_date) == len(result.outputs) else "built"
    print(f"{what} '{result.book.title}' in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def check_command(args: argparse.Namespace) -> int:
    from .api import check

    book = check(args.project, strict=args.strict)
    count = sum(len(ch.excerpts()) for ch in book.chapters)
    print(f"ok: {len(book.chapters)} chapters, {count} excerpts from {len(book.sources)} sources")
    return 0


def preview_command(args: argparse.Namespace) -> int:
    from .preview import serve

    return serve(args.project, host=args.host, port=args.port, open_browser=args.open)
