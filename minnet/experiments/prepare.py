"""The data every run of a comparison sees: loaded once, split once, standardised on the training part.

:func:`prepare_data` turns a data set (a name, or your own ``(X, y)``) and the data options
of an :class:`~minnet.experiments.config.ExperimentConfig` into a :class:`PreparedData`:

1. ``X, y = minnet.data.load_dataset(name)`` (or your arrays; labels of any kind are
   encoded as 0..C-1 in sorted order, ``np.unique``);
2. with ``max_samples``, a stratified subset of that many samples (seeded by ``split_seed``);
3. a stratified train / validation / test split (:func:`minnet.data.train_val_test_split`,
   seeded by ``split_seed``, so every run and every rerun gets the same parts). MNIST and
   Fashion-MNIST keep their **official test set** (the 10 000 ``t10k`` images): only the
   training file is subset and split into training and validation parts, and ``test_size``
   is not used;
4. a :class:`minnet.data.Standardizer` fitted on the training part only, applied to all three;
5. the probe set: the first ``probe_size`` training samples (the training part is in random
   order, so this is a fixed random subset). Dead units and activation statistics are
   measured on it after every epoch.

X is kept flat, (N, D); ``image_shape`` ((C, H, W) for image data sets, else None) lets the
CNN see (N, C, H, W) views of the same arrays.
"""

from __future__ import annotations

import csv
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minnet.data import Standardizer, load_dataset, train_val_test_split
from minnet.validation import check_features_array, check_same_length

#: Data sets with an official test file, used as the test set.
OFFICIAL_TEST_SETS = ("mnist", "fashion_mnist")

#: (C, H, W) of the image data sets, for the CNN.
IMAGE_SHAPES: dict[str, tuple[int, int, int]] = {"mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28),
                                                 "cifar10": (3, 32, 32)}


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
    image_shape: tuple[int, ...] | None = None

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


def check_user_data(name: str, data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Your own data set ``(X, y)`` as float32 X (N, ...) and int64 labels 0..C-1 (sorted unique values)."""
    where = f"compare: data {name!r}"
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{where} must be a pair (X, y), got {type(data).__name__}")
    X = check_features_array(data[0], where)
    y = check_same_length(X, data[1], where)
    if y.ndim != 1:
        raise ValueError(f"{where}: y must have shape (n_samples,), got {y.shape}")
    _, codes = np.unique(y, return_inverse=True)
    if len(np.unique(codes)) < 2:
        raise ValueError(f"{where}: y must hold at least two classes")
    return np.asarray(X, dtype=np.float32), codes.astype(np.int64).reshape(-1)


def fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    """A 16-hex-digit SHA-256 of the arrays' shapes and bytes: your data's part of every run id."""
    h = hashlib.sha256(repr((X.shape, str(X.dtype), y.shape)).encode())
    h.update(np.ascontiguousarray(X).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()[:16]


def _load(name: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """(training data, official test data or None) of a named data set."""
    if name == "cifar10":                                         # pragma: no cover - needs the CIFAR files
        from minnet.data import load_cifar10
        return load_cifar10(split="train"), load_cifar10(split="test")
    if name in OFFICIAL_TEST_SETS:
        return load_dataset(name, split="train"), load_dataset(name, split="test")
    return load_dataset(name), None


def prepare_data(name: str, *, val_size: float = 0.15, test_size: float = 0.2, split_seed: int = 0,
                 max_samples: int | None = None, probe_size: int = 1000,
                 data: tuple[Any, Any] | None = None, **_ignored: Any) -> PreparedData:
    """Load (or take ``data``), subset, split, standardise and probe one data set (see the module docstring).

    Raises whatever :func:`minnet.data.load_dataset` raises, e.g.
    :class:`minnet.data.DataNotFoundError` when the MNIST files are missing.
    """
    test: tuple[np.ndarray, np.ndarray] | None = None
    if data is not None:
        X, y = check_user_data(name, data)
    else:
        (X, y), test = _load(name)
    shape = tuple(X.shape[1:]) if X.ndim == 4 else IMAGE_SHAPES.get(name)
    X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
    y = np.asarray(y, dtype=np.int64)
    if max_samples is not None and max_samples < len(y):
        (X, y), _, _ = train_val_test_split(X, y, val_size=0, test_size=len(y) - int(max_samples),
                                            seed=split_seed, stratify=True)
    if test is None:
        (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = train_val_test_split(
            X, y, val_size=val_size, test_size=test_size, seed=split_seed, stratify=True)
    else:
        (X_tr, y_tr), (X_val, y_val), _ = train_val_test_split(X, y, val_size=val_size, test_size=0,
                                                               seed=split_seed, stratify=True)
        X_te = np.asarray(test[0], dtype=np.float32).reshape(len(test[0]), -1)
        y_te = np.asarray(test[1], dtype=np.int64)
    scaler = Standardizer().fit(X_tr)
    X_tr, X_val, X_te = (scaler.transform(part).astype(np.float32, copy=False) for part in (X_tr, X_val, X_te))
    return PreparedData(name, X_tr, y_tr, X_val, y_val, X_te, y_te, X_probe=X_tr[:probe_size], image_shape=shape)


LABEL_COLUMNS = ("label", "labels", "target", "y", "class")


def read_data_file(path: str | os.PathLike[str], label_column: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from an ``.npz`` file (arrays ``X`` and ``y``) or a CSV file with a header row.

    In a CSV file the labels are the column ``label_column``, else the first column named one of
    :data:`LABEL_COLUMNS`, else the last column; every other column must be numeric. A bad
    file raises ValueError naming it and what was expected.
    """
    path = Path(path)
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as f:
                if "X" not in f or "y" not in f:
                    raise ValueError(f"{path}: an .npz data file must hold arrays 'X' and 'y', found {list(f)}")
                return np.asarray(f["X"]), np.asarray(f["y"])
        except (OSError, zipfile.BadZipFile) as err:
            raise ValueError(f"{path}: not a readable .npz file ({err})") from None
    if path.suffix != ".csv":
        raise ValueError(f"{path}: a data file must be .npz (arrays X and y) or .csv (a header row and a label column)")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if len(rows) < 3:
        raise ValueError(f"{path}: a CSV data file needs a header row and at least two samples")
    header = [h.strip() for h in rows[0]]
    ragged = next((i for i, r in enumerate(rows[1:], start=2) if len(r) != len(header)), None)
    if ragged is not None:
        raise ValueError(f"{path}: line {ragged} has {len(rows[ragged - 1])} cells, the header {len(header)}")
    names = [label_column] if label_column else [h for h in header if h.lower() in LABEL_COLUMNS] or [header[-1]]
    if names[0] not in header:
        raise ValueError(f"{path}: no column {names[0]!r}; the columns are {header}")
    j = header.index(names[0])
    try:
        X = np.array([[float(v) for i, v in enumerate(r) if i != j] for r in rows[1:]], dtype=np.float32)
    except ValueError as err:
        raise ValueError(f"{path}: every column but the label {names[0]!r} must be numeric ({err})") from None
    return X, np.array([r[j] for r in rows[1:]])
