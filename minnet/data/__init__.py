"""Data sets for minnet: loaders, splits and standardisation (nothing is downloaded at import time).

Every loader returns ``(X, y)`` with X float32 of shape ``(N, D)`` and y int64 of shape ``(N,)``.

- scikit-learn's bundled sets: :func:`load_digits`, :func:`load_iris`, :func:`load_wine`,
  :func:`load_breast_cancer` (module :mod:`minnet.data.tabular`).
- Synthetic: :func:`make_spirals`, :func:`make_moons`, :func:`make_circles`, and
  :func:`make_standard_normal` (inputs only) (:mod:`minnet.data.synthetic`).
- :func:`load_mnist`, :func:`load_fashion_mnist` from the original gzip IDX files
  (:mod:`minnet.data.mnist`, parser in :mod:`minnet.data.idx`, downloads in :mod:`minnet.data.fetch`,
  directory lookup in :mod:`minnet.data.paths`: ``data_dir`` argument, then ``$MINNET_DATA_DIR``,
  then ``~/.minnet/data``).
- :func:`load_cifar10`, :func:`load_cifar100` from the binary archives (:mod:`minnet.data.cifar`).
- Image loaders (MNIST, Fashion-MNIST, CIFAR) give ``(N, C, H, W)`` images with ``image=True``.
- :func:`load_dataset` by name; :func:`train_val_test_split`; :class:`Standardizer`.
- Errors: :class:`DataError` (bad file content), :class:`DataNotFoundError` (files missing),
  :class:`DownloadError` (no mirror worked).
"""

from minnet.data.cifar import CIFAR10_CLASSES, load_cifar10, load_cifar100
from minnet.data.errors import DataError, DataNotFoundError, DownloadError
from minnet.data.fetch import download_file
from minnet.data.idx import parse_idx, read_idx
from minnet.data.mnist import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist
from minnet.data.paths import DATA_DIR_ENV_VAR, default_data_dir, get_data_dir
from minnet.data.registry import DATASET_NAMES, load_dataset
from minnet.data.scaling import Standardizer
from minnet.data.splits import DataSplit, train_val_test_split
from minnet.data.synthetic import make_circles, make_moons, make_spirals, make_standard_normal
from minnet.data.tabular import load_breast_cancer, load_digits, load_iris, load_wine

__all__ = [
    "CIFAR10_CLASSES", "DATASET_NAMES", "DATA_DIR_ENV_VAR", "DataError", "DataNotFoundError", "DataSplit",
    "DownloadError", "FASHION_MNIST_CLASSES", "Standardizer", "default_data_dir", "download_file", "get_data_dir",
    "load_breast_cancer", "load_cifar10", "load_cifar100", "load_dataset", "load_digits", "load_fashion_mnist",
    "load_iris", "load_mnist", "load_wine", "make_circles", "make_moons", "make_spirals", "make_standard_normal",
    "parse_idx", "read_idx", "train_val_test_split",
]
