"""MNIST and Fashion-MNIST from their original gzip IDX files.

- MNIST: Y. LeCun, C. Cortes, C.J.C. Burges, "The MNIST database of handwritten digits".
  28x28 grey-scale digits, 10 classes, 60,000 training and 10,000 test images.
- Fashion-MNIST: H. Xiao, K. Rasul, R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
  Benchmarking Machine Learning Algorithms", arXiv:1708.07747 (2017). Same sizes and format;
  the ten class names are in :data:`FASHION_MNIST_CLASSES`.

Files are looked up as ``<data dir>/mnist/<original name>`` and
``<data dir>/fashion-mnist/<original name>``; the data directory is chosen as described in
:mod:`minnet.data.paths` (argument, then ``MINNET_DATA_DIR``, then ``~/.minnet/data``).

Every load checks each file's byte count and SHA-256 against the published values below
(hashing the 26 MB Fashion-MNIST training images takes about 0.1 s), then parses the IDX
header and checks that the images are ``(N, 28, 28)`` unsigned bytes, the labels ``(N,)``
unsigned bytes in 0..9, with the same N. Any failure raises :class:`DataError`; wrong arrays
are never returned. To use re-packed files, put your own checksums in :data:`IDX_DATASETS`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minnet.data.errors import DataError, DataNotFoundError
from minnet.data.fetch import fetch_file, sha256_hex
from minnet.data.idx import gunzip, parse_idx
from minnet.data.paths import DATA_DIR_ENV_VAR, resolve_data_dir

SPLITS = ("train", "test")
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
"""Fashion-MNIST class names, indexed by label 0..9."""


@dataclass(frozen=True)
class IdxFile:
    """One published file: its original name, its size in bytes and its SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class IdxDataset:
    """A data set shipped as IDX files: where it lives, where to download it, what each split's files are."""

    title: str
    folder: str
    loader: str
    mirrors: tuple[str, ...]
    splits: Mapping[str, tuple[IdxFile, IdxFile]]  # split -> (images, labels)


MNIST = IdxDataset(
    title="MNIST",
    folder="mnist",
    loader="load_mnist",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    splits={
        "train": (
            IdxFile("train-images-idx3-ubyte.gz", 9912422,
                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            IdxFile("train-labels-idx1-ubyte.gz", 28881,
                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        ),
        "test": (
            IdxFile("t10k-images-idx3-ubyte.gz", 1648877,
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            IdxFile("t10k-labels-idx1-ubyte.gz", 4542,
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        ),
    },
)

FASHION_MNIST = IdxDataset(
    title="Fashion-MNIST",
    folder="fashion-mnist",
    loader="load_fashion_mnist",
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
    splits={
        "train": (
            IdxFile("train-images-idx3-ubyte.gz", 26421880,
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            IdxFile("train-labels-idx1-ubyte.gz", 29515,
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        ),
        "test": (
            IdxFile("t10k-images-idx3-ubyte.gz", 4422102,
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            IdxFile("t10k-labels-idx1-ubyte.gz", 5148,
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        ),
    },
)

IDX_DATASETS: dict[str, IdxDataset] = {"mnist": MNIST, "fashion_mnist": FASHION_MNIST}
"""The IDX data sets by key; the loaders look their spec up here at every call."""


def _read_verified(path: Path, spec: IdxFile) -> np.ndarray:
    """Read one file, check its size and SHA-256, decompress and parse it."""
    data = path.read_bytes()
    if len(data) != spec.size:
        raise DataError(
            f"{path}: the file has {len(data):,} bytes, the published file has {spec.size:,} "
            f"(truncated or not the original file); delete it and download it again"
        )
    got = sha256_hex(data)
    if got != spec.sha256:
        raise DataError(
            f"{path}: SHA-256 mismatch: expected {spec.sha256}, got {got} (damaged or not the original file); "
            f"delete it and download it again"
        )
    return parse_idx(gunzip(data, str(path)), str(path))


def _missing_message(dataset: IdxDataset, split: str, folder: Path, how: str, missing: list[str]) -> str:
    return (
        f"{dataset.title} {split!r} files not found in {folder} (data directory from {how}).\n"
        f"  Missing: {', '.join(missing)}\n"
        f"  Fix it in one of these ways:\n"
        f"  - put the original files (names as above) in {folder}\n"
        f"    (the data directory holds one subfolder per data set: <data dir>/{dataset.folder}/<file>);\n"
        f"  - point minnet at a data directory that already has them, with the data_dir argument or the\n"
        f"    {DATA_DIR_ENV_VAR} environment variable (e.g. {DATA_DIR_ENV_VAR}=/path/to/data);\n"
        f"  - download them: {dataset.loader}(split={split!r}, download=True) fetches them from "
        f"{dataset.mirrors[0]}"
    )


def _load_idx_dataset(
    key: str, split: str, data_dir: str | os.PathLike[str] | None, flatten: bool, download: bool
) -> tuple[np.ndarray, np.ndarray]:
    dataset = IDX_DATASETS[key]
    if split not in dataset.splits:
        raise ValueError(f"{dataset.loader}: split must be one of {sorted(dataset.splits)}, got {split!r}")
    root, how = resolve_data_dir(data_dir)
    folder = root / dataset.folder
    image_file, label_file = dataset.splits[split]
    missing = [f for f in (image_file, label_file) if not (folder / f.name).is_file()]
    if missing and not download:
        raise DataNotFoundError(_missing_message(dataset, split, folder, how, [f.name for f in missing]))
    for f in missing:
        fetch_file(dataset.mirrors, f.name, folder, f.sha256)

    images = _read_verified(folder / image_file.name, image_file)
    labels = _read_verified(folder / label_file.name, label_file)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DataError(
            f"{folder / image_file.name}: expected an image file of shape (N, 28, 28) unsigned bytes "
            f"(magic 0x00000803 = 2051), got shape {images.shape} of {images.dtype}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(
            f"{folder / label_file.name}: expected a label file of shape (N,) unsigned bytes "
            f"(magic 0x00000801 = 2049), got shape {labels.shape} of {labels.dtype}"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{folder}: {image_file.name} holds {len(images)} images but {label_file.name} holds {len(labels)} labels"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError(f"{folder / label_file.name}: label {int(labels.max())} is out of range 0..{NUM_CLASSES - 1}")

    X = images.astype(np.float32)
    X /= np.float32(255.0)
    X = X.reshape(len(X), -1) if flatten else X.reshape(len(X), 1, *IMAGE_SHAPE)
    return X, labels.astype(np.int64)


def load_mnist(
    split: str = "train",
    data_dir: str | os.PathLike[str] | None = None,
    flatten: bool = True,
    download: bool = False,
    image: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST (LeCun, Cortes, Burges) from ``<data dir>/mnist/*.gz``.

    Args:
        split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images, the ``t10k`` files).
        data_dir: folder holding ``mnist/``; default ``$MINNET_DATA_DIR``, else ``~/.minnet/data``.
        flatten: ``True`` (default) gives X of shape ``(N, 784)``; ``False`` keeps images ``(N, 1, 28, 28)``.
        download: fetch missing files from the official mirror (verified by SHA-256, written atomically).
        image: ``True`` gives images ``(N, 1, 28, 28)`` for convolutional networks (the same as ``flatten=False``;
            the option every image loader of :mod:`minnet.data` shares).

    Returns:
        ``(X, y)``: X float32 pixels scaled to [0, 1] (``X = raw / 255``), y int64 labels 0..9 of shape ``(N,)``.

    Raises:
        DataNotFoundError: files missing and ``download=False`` (the message says what to put where).
        DataError: a file is truncated, not gzip, has a wrong IDX header or a wrong SHA-256.
        DownloadError: ``download=True`` and no mirror delivered the file.
    """
    return _load_idx_dataset("mnist", split, data_dir, flatten and not image, download)


def load_fashion_mnist(
    split: str = "train",
    data_dir: str | os.PathLike[str] | None = None,
    flatten: bool = True,
    download: bool = False,
    image: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Load Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, arXiv:1708.07747) from ``<data dir>/fashion-mnist/*.gz``.

    Same arguments, shapes, scaling and errors as :func:`load_mnist`; labels 0..9 name the
    classes in :data:`FASHION_MNIST_CLASSES` (0 T-shirt/top ... 9 Ankle boot).
    """
    return _load_idx_dataset("fashion_mnist", split, data_dir, flatten and not image, download)
