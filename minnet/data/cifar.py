"""CIFAR-10 and CIFAR-100 from their **binary** archives (never the pickled Python version, whose loading can run code).

- A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", technical report, University of
  Toronto, 2009. 32×32 colour images; CIFAR-10: 10 classes, CIFAR-100: 100 fine classes in 20 coarse
  superclasses; 50,000 training and 10,000 test images each.

Files are looked up as ``<data dir>/cifar-10/cifar-10-binary.tar.gz`` and
``<data dir>/cifar-100/cifar-100-binary.tar.gz`` (data directory as in :mod:`minnet.data.paths`). The archives
are read in place (members are read by name, nothing is extracted to disk).

**Record format** (the dataset page's description of the binary version): each record is the label byte —
for CIFAR-100 two bytes, the coarse label then the fine label — followed by 3072 pixel bytes: the 1024 red
values, then the 1024 green, then the 1024 blue, each a 32×32 image in row-major order. CIFAR-10's archive
holds ``cifar-10-batches-bin/data_batch_1.bin`` … ``data_batch_5.bin`` (training) and ``test_batch.bin``, 10,000
records each; CIFAR-100's holds ``cifar-100-binary/train.bin`` and ``test.bin``.

**Checks.** Every load checks the archive's byte count and MD5 — the digest the dataset page publishes; no
SHA-256 is published, so minnet does not invent one — then that each member is a whole number of records, the
number of records per split, and the label ranges. Any failure raises :class:`DataError`.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minnet.data.errors import DataError, DataNotFoundError
from minnet.data.fetch import fetch_file
from minnet.data.paths import DATA_DIR_ENV_VAR, resolve_data_dir

IMAGE_SHAPE = (3, 32, 32)
PIXELS = 3 * 32 * 32

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
"""CIFAR-10 class names, indexed by label 0..9 (the archive's ``batches.meta.txt``)."""


@dataclass(frozen=True)
class CifarArchive:
    """One binary CIFAR archive: where it lives, its published size and MD5, and what each split holds."""

    title: str
    folder: str
    loader: str
    filename: str
    size: int
    md5: str
    mirrors: tuple[str, ...]
    label_names: tuple[str, ...]            # the label bytes of a record, in order
    num_classes: tuple[int, ...]            # the range of each label byte
    members: Mapping[str, tuple[str, ...]]  # split -> archive members, in order
    records: Mapping[str, int]              # split -> number of records


CIFAR10 = CifarArchive(
    title="CIFAR-10", folder="cifar-10", loader="load_cifar10", filename="cifar-10-binary.tar.gz",
    size=170052171, md5="c32a1d4ab5d03f1284b67883e8d87530", mirrors=("https://www.cs.toronto.edu/~kriz/",),
    label_names=("label",), num_classes=(10,),
    members={"train": tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6)),
             "test": ("cifar-10-batches-bin/test_batch.bin",)},
    records={"train": 50000, "test": 10000},
)

CIFAR100 = CifarArchive(
    title="CIFAR-100", folder="cifar-100", loader="load_cifar100", filename="cifar-100-binary.tar.gz",
    size=168513733, md5="03b5dce01913d631647c71ecec9e9cb8", mirrors=("https://www.cs.toronto.edu/~kriz/",),
    label_names=("coarse", "fine"), num_classes=(20, 100),
    members={"train": ("cifar-100-binary/train.bin",), "test": ("cifar-100-binary/test.bin",)},
    records={"train": 50000, "test": 10000},
)

CIFAR_ARCHIVES: dict[str, CifarArchive] = {"cifar10": CIFAR10, "cifar100": CIFAR100}
"""The archives by key; the loaders look their spec up here at every call (tests put synthetic specs in)."""


def parse_records(data: bytes, label_bytes: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Split binary CIFAR records into images (N, 3, 32, 32) and labels (N, label_bytes), both uint8."""
    record = label_bytes + PIXELS
    if len(data) == 0 or len(data) % record:
        raise DataError(f"{where}: {len(data):,} bytes is not a whole number of {record}-byte records "
                        f"({label_bytes} label byte(s) + {PIXELS} pixel bytes); the file is damaged")
    table = np.frombuffer(data, dtype=np.uint8).reshape(-1, record)
    return table[:, label_bytes:].reshape(-1, *IMAGE_SHAPE), table[:, :label_bytes]


def _read_archive(path: Path, spec: CifarArchive) -> bytes:
    data = path.read_bytes()
    if len(data) != spec.size:
        raise DataError(f"{path}: the file has {len(data):,} bytes, the published file has {spec.size:,} "
                        f"(truncated or not the original file); delete it and download it again")
    got = hashlib.md5(data, usedforsecurity=False).hexdigest()   # a checksum, not security
    if got != spec.md5:
        raise DataError(f"{path}: MD5 mismatch: expected {spec.md5}, got {got} (damaged or not the original "
                        f"file); delete it and download it again")
    return data


def _read_split(archive: bytes, path: Path, spec: CifarArchive, split: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for name in spec.members[split]:
                member = tar.extractfile(name) if name in tar.getnames() else None
                if member is None:
                    raise DataError(f"{path}: the archive has no file {name}; it is not the {spec.title} binary "
                                    f"archive")
                x, y = parse_records(member.read(), len(spec.label_names), f"{path}:{name}")
                images.append(x)
                labels.append(y)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"{path}: cannot read the archive ({exc}); delete it and download it again") from exc
    x, y = np.concatenate(images), np.concatenate(labels)
    if len(x) != spec.records[split]:
        raise DataError(f"{path}: the {split!r} split has {len(x)} records, expected {spec.records[split]}")
    for column, (name, limit) in enumerate(zip(spec.label_names, spec.num_classes)):
        if y[:, column].max() >= limit:
            raise DataError(f"{path}: {name} label {int(y[:, column].max())} is out of range 0..{limit - 1}")
    return x, y


def _missing_message(spec: CifarArchive, folder: Path, how: str) -> str:
    return (
        f"{spec.title} archive {spec.filename} not found in {folder} (data directory from {how}).\n"
        f"  Fix it in one of these ways:\n"
        f"  - put the original binary archive {spec.filename} (not the Python version) in {folder};\n"
        f"  - point minnet at a data directory that has <data dir>/{spec.folder}/{spec.filename}, with the data_dir\n"
        f"    argument or the {DATA_DIR_ENV_VAR} environment variable;\n"
        f"  - download it: {spec.loader}(split=..., download=True) fetches it from {spec.mirrors[0]}{spec.filename}"
    )


def _load(key: str, split: str, data_dir: str | os.PathLike[str] | None, download: bool,
          image: bool) -> tuple[np.ndarray, np.ndarray]:
    spec = CIFAR_ARCHIVES[key]
    if split not in spec.members:
        raise ValueError(f"{spec.loader}: split must be one of {sorted(spec.members)}, got {split!r}")
    root, how = resolve_data_dir(data_dir)
    folder = root / spec.folder
    path = folder / spec.filename
    if not path.is_file():
        if not download:
            raise DataNotFoundError(_missing_message(spec, folder, how))
        fetch_file(spec.mirrors, spec.filename, folder, spec.md5, algorithm="md5")
    images, labels = _read_split(_read_archive(path, spec), path, spec, split)
    X = images.astype(np.float32)
    X /= np.float32(255.0)
    return (X if image else X.reshape(len(X), -1)), labels.astype(np.int64)


def load_cifar10(split: str = "train", data_dir: str | os.PathLike[str] | None = None, download: bool = False,
                 image: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load CIFAR-10 (Krizhevsky, 2009) from ``<data dir>/cifar-10/cifar-10-binary.tar.gz``.

    Args:
        split: ``"train"`` (50,000 images, data_batch_1..5) or ``"test"`` (10,000 images).
        data_dir: folder holding ``cifar-10/``; default ``$MINNET_DATA_DIR``, else ``~/.minnet/data``.
        download: fetch the archive (162 MB) if missing, checked by its published MD5, written atomically.
        image: ``False`` (default) gives X of shape ``(N, 3072)`` (channel, row, column order); ``True`` gives
            images ``(N, 3, 32, 32)`` for convolutional networks.

    Returns:
        ``(X, y)``: X float32 pixels in [0, 1] (``raw / 255``), y int64 labels 0..9 (:data:`CIFAR10_CLASSES`).

    Raises:
        DataNotFoundError: the archive is missing and ``download=False`` (the message says what to put where).
        DataError: wrong size or MD5, a damaged archive, or records that do not fit the format.
        DownloadError: ``download=True`` and the download failed.
    """
    X, labels = _load("cifar10", split, data_dir, download, image)
    return X, np.ascontiguousarray(labels[:, 0])


def load_cifar100(split: str = "train", data_dir: str | os.PathLike[str] | None = None, download: bool = False,
                  fine: bool = True, image: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load CIFAR-100 (Krizhevsky, 2009) from ``<data dir>/cifar-100/cifar-100-binary.tar.gz``.

    Same arguments, shapes and errors as :func:`load_cifar10`; ``fine=True`` (default) gives the 100 fine labels
    0..99, ``fine=False`` the 20 coarse (superclass) labels 0..19. The ELU paper's CIFAR-100 results use the
    100 fine classes.
    """
    X, labels = _load("cifar100", split, data_dir, download, image)
    return X, np.ascontiguousarray(labels[:, 1 if fine else 0])

