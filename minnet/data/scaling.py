"""Feature standardisation fitted on the training part only.

Fit on the training rows, then apply the *same* mean and scale to validation and test rows —
computing them on all rows would leak test-set statistics into training::

    scaler = Standardizer().fit(X_train)        # or: X_train = scaler.fit_transform(X_train)
    X_train, X_val, X_test = (scaler.transform(X) for X in (X_train, X_val, X_test))
"""

from __future__ import annotations

import numpy as np

from minnet.validation import all_finite


class Standardizer:
    """Per-feature standardisation ``z = (x - mean_) / scale_``, like scikit-learn's ``StandardScaler``.

    ``fit(X)`` computes, per feature j over the N rows of X (in float64)::

        mean_[j]  = (1/N) * sum_i X[i, j]
        scale_[j] = sqrt((1/N) * sum_i (X[i, j] - mean_[j])**2)   (population std, ddof=0)

    and sets ``scale_[j] = 1`` for a constant feature (max == min, zero variance), so it maps
    to 0 instead of dividing by zero. ``transform`` returns an array of X's dtype if it is a
    floating dtype (a float32 input stays float32), else float32; ``inverse_transform`` undoes it:
    ``x = z * scale_ + mean_``. NaN and infinite values are refused (they would pass through or poison
    the statistics), and so is a result that overflows the output dtype. Features as large as ±1e200
    are handled: the statistics are computed on X / max|X| and scaled back.
    Shapes: X ``(N, D)``, ``mean_`` and ``scale_`` ``(D,)`` float64.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mean_ is None else f"n_features={len(self.mean_)}"
        return f"Standardizer({fitted})"

    @staticmethod
    def _check_2d(method: str, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or not (np.issubdtype(X.dtype, np.number) and not np.iscomplexobj(X)):
            raise ValueError(f"Standardizer.{method}: expected a real 2-D array (N, D), got shape {X.shape} "
                             f"of {X.dtype}")
        if np.issubdtype(X.dtype, np.floating) and not all_finite(X):
            bad = int(X.size - np.count_nonzero(np.isfinite(X)))
            raise ValueError(f"Standardizer.{method}: X contains {bad} NaN or infinite value(s); expected finite "
                             "numbers (remove or impute them first)")
        return X

    @staticmethod
    def _finite_result(method: str, Z: np.ndarray) -> np.ndarray:
        if not all_finite(Z):
            raise ValueError(f"Standardizer.{method}: the result is too large for {Z.dtype} (it overflows to "
                             "infinity); the values are far outside the range the Standardizer was fitted on")
        return Z

    def _check_fitted(self, method: str, X: np.ndarray) -> np.ndarray:
        X = self._check_2d(method, X)
        if self.mean_ is None or self.scale_ is None:
            raise ValueError(f"Standardizer.{method}: not fitted yet; call fit(X_train) first")
        if X.shape[1] != len(self.mean_):
            raise ValueError(f"Standardizer.{method}: X has {X.shape[1]} features, the Standardizer was fitted "
                             f"on {len(self.mean_)}")
        return X

    @staticmethod
    def _out_dtype(X: np.ndarray) -> np.dtype:
        return X.dtype if np.issubdtype(X.dtype, np.floating) else np.dtype(np.float32)

    def fit(self, X: np.ndarray) -> Standardizer:
        """Compute ``mean_`` and ``scale_`` from the training rows X ``(N, D)``, N >= 1; return self."""
        X = self._check_2d("fit", X)
        if len(X) == 0:
            raise ValueError("Standardizer.fit: X has no rows; need at least one training sample")
        X64 = X.astype(np.float64)
        # Work on X / m, m = max |x| per feature, so that sums and squares cannot overflow (a feature of
        # ±1e200 squares to inf); mean and std scale linearly: mean(X) = m·mean(X/m), std(X) = m·std(X/m).
        m = np.max(np.abs(X64), axis=0)
        m[m == 0] = 1.0
        unit = X64 / m
        self.mean_ = unit.mean(axis=0) * m
        scale = unit.std(axis=0) * m
        scale[X64.max(axis=0) == X64.min(axis=0)] = 1.0  # constant feature: leave it unscaled
        self.scale_ = scale
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X - mean_) / scale_`` as a new array (dtype as described in the class docstring)."""
        X = self._check_fitted("transform", X)
        with np.errstate(over="ignore", invalid="ignore"):
            Z = ((X - self.mean_) / self.scale_).astype(self._out_dtype(X), copy=False)
        return self._finite_result("transform", Z)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``; use it on the training part only."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`: ``Z * scale_ + mean_``."""
        Z = self._check_fitted("inverse_transform", Z)
        with np.errstate(over="ignore", invalid="ignore"):
            X = (Z * self.scale_ + self.mean_).astype(self._out_dtype(Z), copy=False)
        return self._finite_result("inverse_transform", X)
