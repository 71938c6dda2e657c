"""Synthetic data sets: two spirals, two moons, two circles, and standard-normal inputs.

The 2-D sets return ``(X, y)``: X float32 ``(n_samples, 2)``, y int64 ``(n_samples,)`` with
``n_samples // 2`` points of class 0 and the rest of class 1. They are built noise-free on
fixed curves, optionally shuffled, then Gaussian noise with standard deviation ``noise`` is
added to every coordinate — the recipe (and for moons and circles the exact geometry) of
scikit-learn's ``make_moons`` / ``make_circles``, but with a ``numpy.random.Generator``
(``seed``: an int, a Generator or None, see :func:`minnet.rng.make_rng`).
"""

from __future__ import annotations

import numbers

import numpy as np

from minnet.rng import make_rng
from minnet.validation import check_int, check_real

SPIRAL_MIN_RADIUS = 0.1
"""Radius at which each spiral starts, so the two spirals never share a point."""


def _finish(
    X: np.ndarray, n_class0: int, shuffle: bool, noise: float, seed: int | np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray]:
    """Label the first ``n_class0`` rows 0 and the rest 1, shuffle, add noise, convert to float32/int64."""
    rng = make_rng(seed)
    y = np.zeros(len(X), dtype=np.int64)
    y[n_class0:] = 1
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    return X.astype(np.float32), y


def make_spirals(
    n_samples: int = 200,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
    *,
    turns: float = 1.5,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals (the "two-spirals" benchmark of Lang and Witbrock, 1988).

    Class 0 has ``m = n_samples // 2`` points at evenly spaced positions t = 0 .. 1 along an
    Archimedean spiral; class 1 (the other ``n_samples - m``) is the same spiral turned by 180°::

        theta = 2*pi*turns*t,   r = 0.1 + 0.9*t,   class 0: ( r cos theta,  r sin theta)
                                                   class 1: (-r cos theta, -r sin theta)

    so each arm winds ``turns`` times from radius 0.1 out to radius 1. Then (if ``shuffle``) the
    rows are permuted and N(0, noise²) is added to each coordinate.

    Returns X float32 ``(n_samples, 2)``, y int64 ``(n_samples,)``. Defaults: 200 samples,
    noise 0, 1.5 turns, shuffled. Reference: K.J. Lang, M.J. Witbrock, "Learning to tell two
    spirals apart", Proc. 1988 Connectionist Models Summer School.
    """
    n_samples = check_int(n_samples, "n_samples", "make_spirals", low=2)
    noise = check_real(noise, "noise (a standard deviation)", "make_spirals", low=0.0)
    if not isinstance(turns, numbers.Real) or not np.isfinite(turns) or turns <= 0:
        raise ValueError(f"make_spirals: turns must be a finite number > 0, got {turns!r}")
    n0 = n_samples // 2
    n1 = n_samples - n0

    def arm(m: int, sign: float) -> np.ndarray:
        t = np.linspace(0.0, 1.0, m)
        theta = 2.0 * np.pi * float(turns) * t
        r = SPIRAL_MIN_RADIUS + (1.0 - SPIRAL_MIN_RADIUS) * t
        return sign * np.column_stack([r * np.cos(theta), r * np.sin(theta)])

    X = np.concatenate([arm(n0, 1.0), arm(n1, -1.0)])
    return _finish(X, n0, shuffle, noise, seed)


def make_moons(
    n_samples: int = 200,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
    *,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    With ``m = n_samples // 2`` and ``k = n_samples - m``: class 0 is ``(cos s, sin s)`` for ``m``
    evenly spaced s in [0, pi]; class 1 is ``(1 - cos s, 0.5 - sin s)`` for ``k`` evenly spaced s in
    [0, pi]. Then shuffle (optional) and add N(0, noise²) to each coordinate.

    Returns X float32 ``(n_samples, 2)``, y int64 ``(n_samples,)``. Defaults: 200 samples, noise 0.
    """
    n_samples = check_int(n_samples, "n_samples", "make_moons", low=2)
    noise = check_real(noise, "noise (a standard deviation)", "make_moons", low=0.0)
    n0 = n_samples // 2
    s0 = np.linspace(0.0, np.pi, n0)
    s1 = np.linspace(0.0, np.pi, n_samples - n0)
    X = np.concatenate([
        np.column_stack([np.cos(s0), np.sin(s0)]),
        np.column_stack([1.0 - np.cos(s1), 1.0 - np.sin(s1) - 0.5]),
    ])
    return _finish(X, n0, shuffle, noise, seed)


def make_circles(
    n_samples: int = 200,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
    *,
    factor: float = 0.8,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """A circle inside a larger circle, as scikit-learn's ``make_circles``.

    With ``m = n_samples // 2`` and ``k = n_samples - m``: class 0 is the unit circle
    ``(cos s, sin s)`` at ``m`` evenly spaced s in [0, 2pi) (end point excluded), class 1 the
    circle of radius ``factor`` at ``k`` such angles. Then shuffle (optional) and add N(0, noise²).

    Returns X float32 ``(n_samples, 2)``, y int64 ``(n_samples,)``. Defaults: 200 samples,
    noise 0, factor 0.8 (scikit-learn's default), shuffled.
    """
    n_samples = check_int(n_samples, "n_samples", "make_circles", low=2)
    noise = check_real(noise, "noise (a standard deviation)", "make_circles", low=0.0)
    if not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1) (inner radius / outer radius), got {factor!r}")
    n0 = n_samples // 2
    s0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    s1 = np.linspace(0.0, 2.0 * np.pi, n_samples - n0, endpoint=False)
    X = np.concatenate([
        np.column_stack([np.cos(s0), np.sin(s0)]),
        float(factor) * np.column_stack([np.cos(s1), np.sin(s1)]),
    ])
    return _finish(X, n0, shuffle, noise, seed)


def make_standard_normal(
    n_samples: int,
    n_features: int,
    seed: int | np.random.Generator | None = None,
    dtype: type | np.dtype = np.float32,
) -> np.ndarray:
    """Inputs with i.i.d. N(0, 1) entries: X of shape ``(n_samples, n_features)`` (no labels).

    The input distribution of the SNN paper's self-normalisation analysis (Klambauer et al.,
    "Self-Normalizing Neural Networks", arXiv:1706.02515, 2017): zero mean, unit variance per
    feature, so activation statistics can be followed layer by layer. ``dtype`` is float32
    (default) or float64; the draws come from ``Generator.standard_normal(dtype=dtype)``.
    """
    n_samples = check_int(n_samples, "n_samples", "make_standard_normal", low=1)
    if not isinstance(n_features, numbers.Integral) or isinstance(n_features, bool) or n_features < 1:
        raise ValueError(f"make_standard_normal: n_features must be an integer >= 1, got {n_features!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"make_standard_normal: dtype must be float32 or float64, got {dtype}")
    return make_rng(seed).standard_normal((n_samples, int(n_features)), dtype=dtype)
