"""``load_dataset(name, **kwargs)``: every labelled data set of :mod:`minnet.data` by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minnet.data.cifar import load_cifar10, load_cifar100
from minnet.data.mnist import load_fashion_mnist, load_mnist
from minnet.data.synthetic import make_circles, make_moons, make_spirals
from minnet.data.tabular import load_breast_cancer, load_digits, load_iris, load_wine

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "digits": load_digits,
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
    "cifar100": load_cifar100,
    "spirals": make_spirals,
    "moons": make_moons,
    "circles": make_circles,
}
"""Name -> loader. Each loader returns ``(X, y)``: X float32 ``(N, D)``, y int64 ``(N,)``."""

DATASET_NAMES: tuple[str, ...] = tuple(DATASETS)


def load_dataset(name: str, **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Load a data set by name and return ``(X, y)``: X float32 ``(N, D)``, y int64 ``(N,)``.

    Names: ``digits, iris, wine, breast_cancer`` (scikit-learn's bundled sets, no arguments),
    ``mnist, fashion_mnist`` (keyword arguments of :func:`load_mnist`: ``split``, ``data_dir``,
    ``download``; ``flatten`` defaults to True), ``cifar10, cifar100`` (keyword arguments of
    :func:`load_cifar10`: ``split``, ``data_dir``, ``download``, ``image``; ``fine`` for CIFAR-100) and
    ``spirals, moons, circles`` (keyword arguments of :func:`make_spirals` etc.: ``n_samples``, ``noise``,
    ``seed``, ...).
    Case and ``-`` versus ``_`` do not matter (``"Fashion-MNIST"`` works).
    ``kwargs`` go to the loader unchanged, so a wrong keyword raises the loader's ``TypeError``.

    Example: ``X, y = load_dataset("moons", n_samples=500, noise=0.1, seed=0)``.
    """
    if not isinstance(name, str):
        raise TypeError(f"load_dataset: name must be a str, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise ValueError(f"load_dataset: unknown data set {name!r}; expected one of: {', '.join(DATASET_NAMES)}")
    return DATASETS[key](**kwargs)
