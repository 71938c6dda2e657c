"""Textbook mode: run every layer, loss and optimizer through its readable ``reference`` path.

Every layer, loss and optimizer in minnet has two implementations of the same formula:

- a short **reference** written like the paper (``np.where``, ``np.exp`` on ``np.minimum(x, 0)``, Adam's
  m, v, m̂, v̂ one line each) — the one a student reads;
- a **fast** kernel (buffers reused, in-place NumPy, cached derivatives) — the one training runs by default.

The tests prove the two equal. Inside ``with mn.textbook():`` (or after ``mn.set_textbook(True)``) every
component runs its reference path instead, so a whole training run can be replayed in textbook arithmetic::

    with mn.textbook():
        mn.fit(model, X, y, ...)         # every forward, backward and step through the reference code

The flag is process-wide (not per thread): set it around whole runs, not inside a parallel section.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

_TEXTBOOK = False


def is_textbook() -> bool:
    """True while textbook mode is on: components then run their ``reference`` path."""
    return _TEXTBOOK


def set_textbook(flag: bool) -> bool:
    """Turn textbook mode on (``True``) or off (``False``); returns the previous setting."""
    global _TEXTBOOK
    if not isinstance(flag, bool):
        raise TypeError(f"set_textbook expects True or False, got {flag!r}")
    previous, _TEXTBOOK = _TEXTBOOK, flag
    return previous


@contextmanager
def textbook(flag: bool = True) -> Iterator[None]:
    """Context manager: textbook mode on (or off, with ``flag=False``) inside the block, restored after it."""
    previous = set_textbook(flag)
    try:
        yield
    finally:
        set_textbook(previous)
