"""The one way minnet makes random numbers: a ``numpy.random.Generator``.

**Naming convention.** Every function or layer that draws random numbers takes them from one argument
called ``rng``: ``None`` (a fresh, unpredictable generator), an int (a seed: the same seed gives bit-identical
results) or a ``numpy.random.Generator`` (used as it is, so that several consumers can share one stream).
``mn.Dense(..., rng=0)``, ``mn.Dropout(..., rng=0)``, ``mn.mlp(..., rng=0)``, ``mn.fit(..., rng=0)`` and
``mn.gradcheck(..., rng=0)`` all read it that way. ``mn.mlp``, ``mn.fit`` and ``mn.gradcheck`` also accept
the older spelling ``seed=`` as an alias of ``rng=`` (:func:`rng_or_seed`); passing both is an error. The
data functions (:mod:`minnet.data`: splits and synthetic data sets) still call the same argument ``seed=``
(an int, Generator or None, read by :func:`make_rng`). Names that are *not* a generator keep their own
meaning: ``seeds=`` in :mod:`minnet.experiments` is a list of run seeds, ``random_state`` in
:mod:`minnet.sklearn` follows scikit-learn.
"""

from __future__ import annotations

import numbers
from typing import Union

import numpy as np

#: What an ``rng=`` argument accepts.
RNGLike = Union[int, np.random.Generator, None]


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


def rng_or_seed(rng: RNGLike, seed: RNGLike, where: str) -> RNGLike:
    """The value of ``rng=``, or of its alias ``seed=``; a TypeError naming ``where`` when both are given."""
    if seed is None:
        return rng
    if rng is not None:
        raise TypeError(f"{where}: got both rng={rng!r} and seed={seed!r}; seed is another name for rng, "
                        "pass only one of them")
    return seed


def check_rng(rng: RNGLike, where: str, name: str = "rng") -> RNGLike:
    """``rng`` unchanged if it is None, a non-negative int or a Generator; else an error naming ``where`` and
    the argument ``name``."""
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{where}: {name}: a seed must be a non-negative integer, got {rng!r}")
        return rng
    raise TypeError(f"{where}: {name} must be None, a non-negative int seed or a numpy.random.Generator, "
                    f"got {rng!r}")
