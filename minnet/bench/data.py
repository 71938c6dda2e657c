"""The data the benchmark trains on: MNIST (real when it can be loaded, else synthetic of the same shape) and digits."""

from __future__ import annotations

import sys

import numpy as np

import minnet as mn
from minnet.bench.common import DTYPE, MNIST_LAYERS, N_CLASSES


def synthetic_mnist(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped data: X (n, 784) float32 in [0, 1), y (n,) int64 from a random linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, MNIST_LAYERS[0]), dtype=DTYPE)
    w = rng.standard_normal((MNIST_LAYERS[0], N_CLASSES)).astype(DTYPE)
    # in slices: one product over all of X would make BLAS touch tens of MB of work buffers,
    # which the memory measurement would then charge to training
    y = np.concatenate([(X[i:i + 1024] @ w).argmax(axis=1) for i in range(0, n, 1024)]).astype(np.int64)
    return X, y


def mnist_data(n: int | None, data_dir: str | None, allow_real: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """(X, y, source): real MNIST training images when they can be loaded, else synthetic ones."""
    if allow_real:
        try:
            X, y = mn.data.load_mnist("train", data_dir=data_dir)
            if n is not None:
                X, y = X[:n], y[:n]
            return np.ascontiguousarray(X, dtype=DTYPE), y.astype(np.int64), "MNIST"
        except (mn.data.DataNotFoundError, mn.data.DataError) as exc:     # not there, or damaged
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"real MNIST not used ({reason}); synthetic data of the same shape instead", file=sys.stderr)
    X, y = synthetic_mnist(60_000 if n is None else n)
    return X, y, "synthetic"


def digits_data() -> tuple[np.ndarray, np.ndarray, str]:
    X, y = mn.data.load_digits()
    return (X / 16).astype(DTYPE), y.astype(np.int64), "digits"
