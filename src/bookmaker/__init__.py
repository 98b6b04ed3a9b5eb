"""bookmaker: trustworthy readers built from verified quotations.

The public API is :func:`build` and :func:`check`; the command line in
:mod:`bookmaker.cli` is a thin layer over them.
"""
__version__ = "0.1.0"

from .api import BuildResult, build, check  # noqa: E402

__all__ = ["build", "check", "BuildResult", "__version__"]
