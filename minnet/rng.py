"""The one way minnet makes random numbers: a ``numpy.random.Generator``."""

from __future__ import annotations

import numbers

import numpy as np


def make_rng(rng: int | np.random.Generator | None = None) -> np.random.Generator:
    """Return a ``numpy.random.Generator``.

    ``None`` gives a fresh, unpredictably seeded generator; an int is a seed (the same
    seed gives bit-identical results); a Generator is returned as it is, so that
    several layers can share one stream.
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"a seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be None, a non-negative int seed or a numpy.random.Generator, got {type(rng).__name__}"
    )
