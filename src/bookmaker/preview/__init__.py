"""The live preview: ``bookmaker preview`` serves the book as web pages and follows edits.

:mod:`.site` turns a project into pages (or its errors); :mod:`.server` serves
them, watches the project and tells open pages to update.
"""
from .server import serve

__all__ = ["serve"]
