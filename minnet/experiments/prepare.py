"""The data every run of a comparison sees: loaded once, split once, standardised on the training part.

:func:`prepare_data` turns a data set name and the data options of an
:class:`~minnet.experiments.config.ExperimentConfig` into a :class:`PreparedData`:

1. ``X, y = minnet.data.load_dataset(name)``;
2. with ``max_samples``, a stratified subset of that many samples (seeded by ``split_seed``);
3. a stratified train / validation / test split (:func:`minnet.data.train_val_test_split`,
   seeded by ``split_seed``, so every run and every rerun gets the same parts);
4. a :class:`minnet.data.Standardizer` fitted on the training part only, applied to all three;
5. the probe set: the first ``probe_size`` training samples (the training part is in random
   order, so this is a fixed random subset). Dead units and activation statistics are
   measured on it after every epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minnet.data import Standardizer, load_dataset, train_val_test_split


@dataclass(frozen=True)
class PreparedData:
    """Standardised float32 splits of one data set; X arrays (N, D), y arrays (N,) int64."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_probe: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes: the largest label in any part + 1 (labels are 0..C-1)."""
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1

    def __repr__(self) -> str:
        return (f"PreparedData({self.name!r}, train={len(self.y_train)}, val={len(self.y_val)}, "
                f"test={len(self.y_test)}, probe={len(self.X_probe)}, features={self.n_features}, "
                f"classes={self.n_classes})")


def prepare_data(name: str, *, val_size: float = 0.15, test_size: float = 0.2, split_seed: int = 0,
                 max_samples: int | None = None, probe_size: int = 1000) -> PreparedData:
    """Load, subset, split, standardise and probe one data set (see the module docstring).

    Raises whatever :func:`minnet.data.load_dataset` raises, e.g.
    :class:`minnet.data.DataNotFoundError` when the MNIST files are missing.
    """
    X, y = load_dataset(name)
    X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
    y = np.asarray(y, dtype=np.int64)
    if max_samples is not None and max_samples < len(y):
        (X, y), _, _ = train_val_test_split(X, y, val_size=0, test_size=len(y) - int(max_samples),
                                            seed=split_seed, stratify=True)
    (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = train_val_test_split(
        X, y, val_size=val_size, test_size=test_size, seed=split_seed, stratify=True)
    scaler = Standardizer().fit(X_tr)
    X_tr, X_val, X_te = (scaler.transform(part).astype(np.float32, copy=False) for part in (X_tr, X_val, X_te))
    return PreparedData(name, X_tr, y_tr, X_val, y_val, X_te, y_te, X_probe=X_tr[:probe_size])
