"""Small tabular data sets bundled with scikit-learn (no download).

Each loader returns ``(X, y)``: X float32 of shape ``(N, D)`` with the raw feature values
(not standardised — fit a :class:`minnet.data.Standardizer` on the training part), y int64
class labels 0..C-1 of shape ``(N,)``. scikit-learn is imported inside the functions, so
``import minnet`` stays fast.

==================  =====  ==  =======  =================================================
name                N      D   classes  source
==================  =====  ==  =======  =================================================
digits              1797   64  10       UCI Optical Recognition of Handwritten Digits (8x8, values 0..16)
iris                150    4   3        UCI Iris (Fisher 1936)
wine                178    13  3        UCI Wine (Aeberhard, Forina)
breast_cancer       569    30  2        UCI Breast Cancer Wisconsin (Diagnostic) (Wolberg, Street, Mangasarian)
==================  =====  ==  =======  =================================================

The UCI sets are among the 121 UCI data sets on which the SNN paper compares SELU networks
with other architectures (Klambauer et al., "Self-Normalizing Neural Networks",
arXiv:1706.02515, 2017).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _as_xy(bunch: Any) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Handwritten digits, 8x8 pixels: X ``(1797, 64)`` float32 with values 0..16, y ``(1797,)`` int64 in 0..9.

    Source: UCI "Optical Recognition of Handwritten Digits" (Alpaydin, Kaynak 1998), the test
    part, as bundled with scikit-learn (``sklearn.datasets.load_digits``).
    """
    from sklearn.datasets import load_digits as sk_load_digits

    return _as_xy(sk_load_digits())


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris flowers: X ``(150, 4)`` float32 (sepal/petal length/width in cm), y ``(150,)`` int64, 50 per class.

    Classes 0 setosa, 1 versicolor, 2 virginica. Source: UCI Iris (R.A. Fisher, 1936), via
    ``sklearn.datasets.load_iris``.
    """
    from sklearn.datasets import load_iris as sk_load_iris

    return _as_xy(sk_load_iris())


def load_wine() -> tuple[np.ndarray, np.ndarray]:
    """Wine recognition: X ``(178, 13)`` float32 (chemical analyses), y ``(178,)`` int64; 59/71/48 per class.

    Source: UCI Wine (S. Aeberhard, M. Forina), via ``sklearn.datasets.load_wine``.
    """
    from sklearn.datasets import load_wine as sk_load_wine

    return _as_xy(sk_load_wine())


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Breast Cancer Wisconsin (Diagnostic): X ``(569, 30)`` float32, y ``(569,)`` int64.

    Labels as in scikit-learn: 0 malignant (212), 1 benign (357). Source: UCI (W.H. Wolberg,
    W.N. Street, O.L. Mangasarian, 1995), via ``sklearn.datasets.load_breast_cancer``.
    """
    from sklearn.datasets import load_breast_cancer as sk_load_breast_cancer

    return _as_xy(sk_load_breast_cancer())
