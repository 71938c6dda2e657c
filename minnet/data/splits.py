"""A seeded, stratified train / validation / test split.

Stratification spreads every class evenly over the three parts: within each class the
samples are put in a random order and given evenly spaced positions
``q = (rank + 0.5) / n_class`` in (0, 1); all samples are then sorted by ``q`` (ties in random
order) and cut into test, validation and training parts, in that order. The part sizes are
exact; the test and training parts (a prefix and a suffix of that order) get each class's
exact share rounded to a neighbouring integer (the Sainte-Laguë rounding; off by at most one
sample in practice), the validation part (the middle) to within two samples.
"""


import math
import numbers
from typing import NamedTuple

import numpy as np

from minnet.rng import make_rng


class DataSplit(NamedTuple):
    """Three ``(X, y)`` pairs; unpacks as ``(X_tr, y_tr), (X_val, y_val), (X_te, y_te) = split``."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def _part_size(name: str, size: float, n: int) -> int:
    """A fraction in [0, 1) becomes ``ceil(size * n)`` (scikit-learn's rounding); an int is a count."""
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(f"train_val_test_split: {name} must be a fraction in [0, 1) or an int count, got {size!r}")
    if isinstance(size, numbers.Integral):
        if not 0 <= size <= n:
            raise ValueError(f"train_val_test_split: {name}={size} is not a count between 0 and {n} (the samples)")
        return int(size)
    if not 0.0 <= size < 1.0:
        raise ValueError(f"train_val_test_split: {name}={size} is not a fraction in [0, 1)")
    return math.ceil(size * n)


def _stratified_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sample indices sorted so that every prefix holds each class in proportion (to within one)."""
    _, class_index = np.unique(y, return_inverse=True)
    position = np.empty(len(y), dtype=np.float64)
    for c in range(class_index.max() + 1):
        members = np.flatnonzero(class_index == c)
        ranks = rng.permutation(len(members))
        position[members] = (ranks + 0.5) / len(members)
    tie_break = rng.random(len(y))
    return np.lexsort((tie_break, position))  # sort by position, ties in random order


def train_val_test_split(
    X: np.ndarray,
    y: np.ndarray,
    val_size: float = 0.1,
    test_size: float = 0.2,
    seed: int | np.random.Generator | None = None,
    stratify: bool = True,
) -> DataSplit:
    """Split ``(X, y)`` into disjoint training, validation and test parts that together hold every sample.

    Args:
        X: features, shape ``(N, ...)``; rows stay paired with ``y``.
        y: labels, shape ``(N,)``.
        val_size, test_size: fractions of N in [0, 1), rounded up (``ceil(size * N)``, as
            scikit-learn), or integer counts. Defaults 0.1 and 0.2. At least one sample must be
            left for training.
        seed: int, Generator or None (:func:`minnet.rng.make_rng`); the same seed gives the same split.
        stratify: keep each class's proportion in every part (see the module docstring for the
            rounding); ``False`` takes a plain random permutation.

    Returns:
        :class:`DataSplit` ``(train=(X, y), val=(X, y), test=(X, y))``, each part in random order.
        Usage: ``(X_tr, y_tr), (X_val, y_val), (X_te, y_te) = train_val_test_split(X, y, seed=0)``.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"train_val_test_split: expected X of shape (N, ...) and y of shape (N,), got {X.shape} and {y.shape}"
        )
    n = len(y)
    n_val = _part_size("val_size", val_size, n)
    n_test = _part_size("test_size", test_size, n)
    if n_val + n_test >= n:
        raise ValueError(
            f"train_val_test_split: val_size={val_size} and test_size={test_size} take {n_val} + {n_test} of the "
            f"{n} samples, leaving none for training"
        )
    rng = make_rng(seed)
    order = _stratified_order(y, rng) if stratify else rng.permutation(n)
    test_idx = order[:n_test]
    val_idx = order[n_test:n_test + n_val]
    train_idx = order[n_test + n_val:]
    # The stratified order is sorted by position; shuffle inside each part so no part is ordered.
    parts = [rng.permutation(idx) for idx in (train_idx, val_idx, test_idx)]
    return DataSplit(*((X[idx], y[idx]) for idx in parts))
