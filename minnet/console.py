"""Printing that never crashes on a console that cannot show a character.

minnet's output (tables, summaries, progress bars) uses a few characters beyond ASCII — ±, ², −, ∂, →.
A console whose encoding lacks them (a redirected Chinese Windows console, ``PYTHONIOENCODING=gbk``; a
plain ``ascii`` locale) would raise ``UnicodeEncodeError`` in the middle of a run. :func:`make_console_safe`
keeps the console's encoding and writes any character it cannot encode as a backslash escape
(``\\u2212``) instead of failing.
"""

from __future__ import annotations

import codecs
import sys
from typing import TextIO


def _encodes_everything(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        return codecs.lookup(encoding).name in {"utf-8", "utf-16", "utf-32"}
    except LookupError:
        return False


def make_console_safe() -> None:
    """Let standard output and standard error escape the characters their encoding cannot show."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or _encodes_everything(stream):
            continue
        if getattr(stream, "errors", "strict") == "strict":
            reconfigure(errors="backslashreplace")
