"""Tests of minnet.data: IDX parser, data directory lookup, MNIST loaders, downloads, helpers.

Expected values come from the data catalogue (class counts, first labels), from scikit-learn
(reference geometry, bundled data) or from small reference computations written here. The real
MNIST / Fashion-MNIST tests run only when the shared data folder exists (found through
MINNET_DATA_DIR or ``<repo>/../shared/data``) and skip otherwise. Nothing touches the network:
an autouse fixture replaces the URL opener with one that fails.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import struct
import urllib.error
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import minnet.data as data
from minnet.data import (
    DataError,
    DataNotFoundError,
    DownloadError,
    Standardizer,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    train_val_test_split,
)
from minnet.data import fetch as fetch_module
from minnet.data import mnist as mnist_module

ENV = "MINNET_DATA_DIR"


def _shared_data_dir() -> Path:
    from_env = os.environ.get(ENV)
    if from_env:
        return Path(from_env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


SHARED = _shared_data_dir()
IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
HAVE_MNIST = all((SHARED / "mnist" / name).is_file() for name in IDX_NAMES)
HAVE_FASHION = all((SHARED / "fashion-mnist" / name).is_file() for name in IDX_NAMES)
needs_mnist = pytest.mark.skipif(not HAVE_MNIST, reason=f"MNIST files not found in {SHARED / 'mnist'} "
                                 f"(set {ENV} to a folder with mnist/)")
needs_fashion = pytest.mark.skipif(not HAVE_FASHION, reason=f"Fashion-MNIST files not found in "
                                   f"{SHARED / 'fashion-mnist'} (set {ENV} to a folder with fashion-mnist/)")


# --------------------------------------------------------------------------------------------
# Helpers written independently of minnet: IDX bytes built with struct, a fake URL opener.
# --------------------------------------------------------------------------------------------
def idx_bytes(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file: 0, 0, type, ndim, then big-endian uint32 dims, then big-endian values."""
    big = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    header = bytes([0, 0, type_code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return header + np.ascontiguousarray(arr).astype(big).tobytes()


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


class FakeResponse:
    """Stands in for the object urlopen returns: a context manager with .headers and .read(n)."""

    def __init__(self, content: bytes, fail_after: int | None = None, exc: BaseException | None = None):
        self._stream = io.BytesIO(content)
        self.headers = {"Content-Length": str(len(content))}
        self._fail_after = fail_after
        self._exc = exc

    def read(self, n: int = -1) -> bytes:
        if self._fail_after is not None and self._stream.tell() >= self._fail_after:
            raise self._exc
        if self._fail_after is not None:
            n = min(n, self._fail_after - self._stream.tell())
        return self._stream.read(n)

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class FakeServer:
    """A URL opener serving bytes by URL; records every URL asked for."""

    def __init__(self, files: dict[str, bytes] | None = None, fail_after: int | None = None,
                 exc: BaseException | None = None):
        self.files = files or {}
        self.requested: list[str] = []
        self.fail_after = fail_after
        self.exc = exc

    def __call__(self, request, timeout=None):
        url = getattr(request, "full_url", request)
        self.requested.append(url)
        if url not in self.files:
            raise urllib.error.URLError(f"fake server: no such URL {url}")
        return FakeResponse(self.files[url], self.fail_after, self.exc)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test may reach the network: the default opener fails loudly."""
    def refuse(request, timeout=None):
        raise AssertionError(f"a test tried to open {getattr(request, 'full_url', request)}")
    monkeypatch.setattr(fetch_module, "urlopen", refuse)


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------------------------
# IDX parser
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("type_code, dtype", [
    (0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64),
])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_every_type(tmp_path, type_code, dtype, compress):
    rng = np.random.default_rng(type_code)
    arr = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    content = idx_bytes(arr, type_code)
    path = write(tmp_path / ("a.idx.gz" if compress else "a.idx"), gzip.compress(content) if compress else content)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    assert got.shape == (3, 4, 5)
    np.testing.assert_array_equal(got, arr)
    got[0, 0, 0] = 1  # a writable copy, not a view into read-only bytes


def test_read_idx_header_is_big_endian(tmp_path):
    # dims 1 x 258: little-endian reading would give 16908288 items
    content = bytes([0, 0, 0x08, 2]) + bytes([0, 0, 0, 1, 0, 0, 1, 2]) + bytes(range(256)) + b"\x07\x09"
    got = read_idx(write(tmp_path / "x.idx", content))
    assert got.shape == (1, 258)
    assert got[0, 255] == 255 and got[0, 257] == 9


def test_read_idx_mnist_like_file_and_labels(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28) % 256
    labels = np.array([3, 9], dtype=np.uint8)
    img = read_idx(write(tmp_path / "img-idx3-ubyte.gz", gzip.compress(idx_bytes(images.astype(np.uint8)))))
    lab = read_idx(write(tmp_path / "lab-idx1-ubyte.gz", gzip.compress(idx_bytes(labels))))
    assert img.shape == (2, 28, 28) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, images)
    np.testing.assert_array_equal(lab, [3, 9])


def test_read_idx_gzip_detected_by_content(tmp_path):
    arr = np.array([1, 2, 3], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "noext", gzip.compress(idx_bytes(arr)))), arr)


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))  # 4 + 8 header bytes, 12 data bytes


@pytest.mark.parametrize("content, pattern", [
    (b"\x01\x00" + GOOD[2:], "magic"),                          # first byte must be 0
    (b"\x00\x07" + GOOD[2:], "magic"),                          # second byte must be 0
    (GOOD[:2] + b"\x0a" + GOOD[3:], "type byte 0x0A"),         # unknown type
    (GOOD[:3] + b"\x00", "0 dimensions"),                      # ndim 0
    (GOOD[:-1], "truncated"),                                   # short data
    (GOOD + b"\x00", "1 extra bytes"),                          # one byte too many
    (GOOD[:10], "header truncated"),                            # cut inside the header
    (b"\x00\x00", "header truncated"),
    (b"", "header truncated"),
    (GOOD[:3] + b"\x03" + GOOD[4:], "truncated"),               # wrong dimension count: 3 dims claimed, 2 given
    (GOOD[:3] + b"\x01" + GOOD[4:8] + GOOD[12:], "extra bytes"),  # 1 dim claimed (3 items), 2-D data follows
])
def test_read_idx_rejects_malformed_files(tmp_path, content, pattern):
    path = write(tmp_path / "bad-idx.bin", content)
    with pytest.raises(DataError, match=pattern) as info:
        read_idx(path)
    assert "bad-idx.bin" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_wrong_dimension_count_error_mentions_sizes(tmp_path):
    labels = idx_bytes(np.arange(10, dtype=np.uint8))
    as_three_dims = labels[:3] + b"\x03" + labels[4:]  # header now eats data bytes as dimension sizes
    with pytest.raises(DataError, match=r"3 dimensions need a 16-byte header|truncated"):
        read_idx(write(tmp_path / "lab", as_three_dims))


@pytest.mark.parametrize("make_bad", [
    lambda gz: b"this is not gzip at all",                              # garbage named .gz
    lambda gz: gz[: len(gz) // 2],                                      # cut in the middle
    lambda gz: gz[:-4] + bytes(b ^ 0xFF for b in gz[-4:]),              # wrong length in the trailer
    lambda gz: gz[:-8] + bytes(b ^ 0xFF for b in gz[-8:-4]) + gz[-4:],  # wrong CRC-32
])
def test_read_idx_rejects_bad_gzip(tmp_path, make_bad):
    gz = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))
    path = write(tmp_path / "bad.gz", make_bad(gz))
    with pytest.raises(DataError, match="gzip") as info:
        read_idx(path)
    assert "bad.gz" in str(info.value)


def test_raw_gzip_given_to_parse_idx_is_explained():
    with pytest.raises(DataError, match="gzip"):
        data.parse_idx(gzip.compress(GOOD), "x")


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


# --------------------------------------------------------------------------------------------
# Data directory: argument > MINNET_DATA_DIR > ~/.minnet/data, env read at each call
# --------------------------------------------------------------------------------------------
def test_data_dir_precedence(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.delenv(ENV, raising=False)
    assert data.get_data_dir() == home / ".minnet" / "data"
    monkeypatch.setenv(ENV, str(tmp_path / "env"))  # set after import: must be seen now
    assert data.get_data_dir() == tmp_path / "env"
    assert data.get_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data.get_data_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    monkeypatch.setenv(ENV, "")  # empty counts as unset
    assert data.get_data_dir() == home / ".minnet" / "data"
    monkeypatch.setenv(ENV, "~/somewhere")
    assert data.get_data_dir() == home / "somewhere"


def test_data_dir_rejects_bad_argument():
    with pytest.raises(TypeError, match="data_dir"):
        data.get_data_dir(3)
    with pytest.raises(ValueError, match="data_dir"):
        data.get_data_dir("")


# --------------------------------------------------------------------------------------------
# MNIST-format loaders on small fake files (checksums of the fake files patched into the spec)
# --------------------------------------------------------------------------------------------
def fake_mnist_files(n: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, bytes]]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    files = {
        "train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
        "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels)),
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images[:2])),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels[:2])),
    }
    return images, labels, files


def patch_spec(monkeypatch, key: str, files: dict[str, bytes], mirrors: tuple[str, ...] | None = None) -> None:
    """Make the loader accept ``files`` (their sizes and SHA-256) instead of the published ones."""
    spec = mnist_module.IDX_DATASETS[key]
    splits = {
        split: tuple(mnist_module.IdxFile(f.name, len(files[f.name]), sha(files[f.name])) for f in pair)
        for split, pair in spec.splits.items()
    }
    monkeypatch.setitem(mnist_module.IDX_DATASETS, key, replace(spec, splits=splits, mirrors=mirrors or spec.mirrors))


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch, no_env):
    images, labels, files = fake_mnist_files()
    for name, content in files.items():
        write(tmp_path / "mnist" / name, content)
    patch_spec(monkeypatch, "mnist", files)
    return tmp_path, images, labels, files


def test_load_mnist_scales_flattens_and_converts(fake_mnist):
    root, images, labels, _ = fake_mnist
    X, y = load_mnist("train", data_dir=root)
    assert X.shape == (6, 784) and X.dtype == np.float32
    assert y.shape == (6,) and y.dtype == np.int64
    expected = np.array([[float(p) / 255.0 for p in img.ravel()] for img in images])
    np.testing.assert_allclose(X, expected, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(y, labels)
    X4, y4 = load_mnist("train", data_dir=root, flatten=False)
    assert X4.shape == (6, 1, 28, 28) and X4.dtype == np.float32
    np.testing.assert_array_equal(X4[:, 0], images / np.float32(255))
    Xt, yt = load_mnist("test", data_dir=root)
    assert Xt.shape == (2, 784)
    np.testing.assert_array_equal(yt, labels[:2])


def test_load_mnist_reads_env_var_at_each_call(fake_mnist, tmp_path, monkeypatch):
    root, _, labels, _ = fake_mnist
    monkeypatch.setenv(ENV, str(root))
    np.testing.assert_array_equal(load_mnist("train")[1], labels)
    empty = tmp_path / "empty"
    monkeypatch.setenv(ENV, str(empty))
    with pytest.raises(DataNotFoundError, match=re.escape(str(empty / "mnist"))):
        load_mnist("train")
    # the argument wins over the environment variable
    np.testing.assert_array_equal(load_mnist("train", data_dir=root)[1], labels)


def test_missing_files_message(tmp_path, no_env):
    with pytest.raises(DataNotFoundError) as info:
        load_mnist("test", data_dir=tmp_path)
    err = info.value
    assert isinstance(err, FileNotFoundError)
    msg = str(err)
    for needed in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", str(tmp_path / "mnist"),
                   "download=True", ENV, "data_dir argument"):
        assert needed in msg
    assert "train-images" not in msg  # only the files of the requested split
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_missing_files_message_fashion_via_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path))
    write(tmp_path / "fashion-mnist" / "train-labels-idx1-ubyte.gz", b"present")
    with pytest.raises(DataNotFoundError) as info:
        load_fashion_mnist("train")
    msg = str(info.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" not in msg.split("Fix")[0]
    assert str(tmp_path / "fashion-mnist") in msg and "MINNET_DATA_DIR environment variable" in msg
    assert "load_fashion_mnist" in msg


def test_missing_files_message_default_dir(tmp_path, monkeypatch, no_env):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    with pytest.raises(DataNotFoundError, match="default") as info:
        load_mnist()
    assert str(tmp_path / ".minnet" / "data" / "mnist") in str(info.value)


def test_load_mnist_rejects_bad_split(tmp_path):
    with pytest.raises(ValueError, match="load_mnist.*'validation'"):
        load_mnist("validation", data_dir=tmp_path)
    with pytest.raises(ValueError, match="load_fashion_mnist"):
        load_fashion_mnist("t10k", data_dir=tmp_path)


def test_checksum_mismatch_on_disk(fake_mnist):
    root, _, _, files = fake_mnist
    name = "train-labels-idx1-ubyte.gz"
    content = bytearray(files[name])
    content[12] ^= 0x01  # same size, different bytes
    write(root / "mnist" / name, bytes(content))
    with pytest.raises(DataError, match="SHA-256") as info:
        load_mnist("train", data_dir=root)
    assert name in str(info.value)


def test_truncated_file_on_disk(fake_mnist):
    root, _, _, files = fake_mnist
    name = "train-images-idx3-ubyte.gz"
    write(root / "mnist" / name, files[name][:-100])
    with pytest.raises(DataError, match="truncated") as info:
        load_mnist("train", data_dir=root)
    assert name in str(info.value)


def _install(root: Path, monkeypatch, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        write(root / "mnist" / name, content)
    patch_spec(monkeypatch, "mnist", files)


@pytest.mark.parametrize("images, labels, pattern", [
    (np.zeros((3, 28, 27), np.uint8), np.zeros(3, np.uint8), r"\(N, 28, 28\)"),   # wrong image size
    (np.zeros((3, 784), np.uint8), np.zeros(3, np.uint8), r"\(N, 28, 28\)"),      # wrong dimension count
    (np.zeros((3, 28, 28), np.int16), np.zeros(3, np.uint8), r"\(N, 28, 28\)"),   # wrong type
    (np.zeros((3, 28, 28), np.uint8), np.zeros((3, 1), np.uint8), r"\(N,\)"),     # labels not 1-D
    (np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8), "3 images but .* 4 labels"),
    (np.zeros((3, 28, 28), np.uint8), np.array([0, 10, 1], np.uint8), "label 10"),
])
def test_loader_rejects_wrong_content(tmp_path, monkeypatch, no_env, images, labels, pattern):
    type_code = 0x0B if images.dtype == np.int16 else 0x08
    files = dict(fake_mnist_files()[2])
    files["train-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images, type_code))
    files["train-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels))
    _install(tmp_path, monkeypatch, files)
    with pytest.raises(DataError, match=pattern):
        load_mnist("train", data_dir=tmp_path)


def test_loader_rejects_wrong_magic_with_matching_checksum(tmp_path, monkeypatch, no_env):
    files = dict(fake_mnist_files()[2])
    raw = gzip.decompress(files["t10k-images-idx3-ubyte.gz"])
    files["t10k-images-idx3-ubyte.gz"] = gzip.compress(b"\x08\x03" + raw[2:])
    _install(tmp_path, monkeypatch, files)
    with pytest.raises(DataError, match="magic.*t10k-images|t10k-images.*magic"):
        load_mnist("test", data_dir=tmp_path)


def test_loader_rejects_bad_gzip_with_matching_checksum(tmp_path, monkeypatch, no_env):
    files = dict(fake_mnist_files()[2])
    files["t10k-labels-idx1-ubyte.gz"] = b"not gzip"
    _install(tmp_path, monkeypatch, files)
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz.*gzip"):
        load_mnist("test", data_dir=tmp_path)


# --------------------------------------------------------------------------------------------
# Downloads (fake opener; never the network)
# --------------------------------------------------------------------------------------------
def test_download_file_writes_verified_file(tmp_path, monkeypatch):
    content = os.urandom(300_000)  # several chunks
    server = FakeServer({"http://x/f.gz": content})
    monkeypatch.setattr(fetch_module, "urlopen", server)
    dest = tmp_path / "sub" / "f.gz"
    assert data.download_file("http://x/f.gz", dest, sha(content), progress=False) == dest
    assert dest.read_bytes() == content
    assert [p.name for p in dest.parent.iterdir()] == ["f.gz"]  # no temporary file left


def test_download_file_checksum_mismatch_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "urlopen", FakeServer({"http://x/f.gz": b"evil bytes"}))
    with pytest.raises(DataError, match="SHA-256"):
        data.download_file("http://x/f.gz", tmp_path / "f.gz", sha(b"good bytes"), progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exc", [ConnectionResetError("connection reset by peer"), KeyboardInterrupt()])
def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch, exc):
    content = os.urandom(200_000)
    monkeypatch.setattr(fetch_module, "urlopen", FakeServer({"http://x/f.gz": content}, fail_after=70_000, exc=exc))
    with pytest.raises(type(exc)):
        data.download_file("http://x/f.gz", tmp_path / "f.gz", sha(content), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_download_keeps_existing_file(tmp_path, monkeypatch):
    old = write(tmp_path / "f.gz", b"previous complete file")
    content = os.urandom(200_000)
    monkeypatch.setattr(fetch_module, "urlopen",
                        FakeServer({"http://x/f.gz": content}, fail_after=1000, exc=TimeoutError("timed out")))
    with pytest.raises(TimeoutError):
        data.download_file("http://x/f.gz", old, sha(content), progress=False)
    assert old.read_bytes() == b"previous complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["f.gz"]


def test_fetch_file_falls_back_to_next_mirror_and_reports_all_failures(tmp_path, monkeypatch):
    content = b"payload"
    server = FakeServer({"https://second/f.gz": content})
    monkeypatch.setattr(fetch_module, "urlopen", server)
    path = fetch_module.fetch_file(("https://first/", "https://second/"), "f.gz", tmp_path, sha(content),
                                   progress=False)
    assert path.read_bytes() == content
    assert server.requested == ["https://first/f.gz", "https://second/f.gz"]
    with pytest.raises(DownloadError) as info:
        fetch_module.fetch_file(("https://a/", "https://b/"), "g.gz", tmp_path, sha(content), progress=False)
    assert "https://a/g.gz" in str(info.value) and "https://b/g.gz" in str(info.value)
    assert isinstance(info.value, OSError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.gz"]


def test_load_mnist_download_fetches_only_missing_files(tmp_path, monkeypatch, no_env):
    _, labels, files = fake_mnist_files()
    patch_spec(monkeypatch, "mnist", files, mirrors=("https://mirror/mnist/",))
    write(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", files["train-labels-idx1-ubyte.gz"])
    server = FakeServer({"https://mirror/mnist/" + name: content for name, content in files.items()})
    monkeypatch.setattr(fetch_module, "urlopen", server)
    X, y = load_mnist("train", data_dir=tmp_path, download=True)
    assert server.requested == ["https://mirror/mnist/train-images-idx3-ubyte.gz"]
    assert X.shape == (6, 784)
    np.testing.assert_array_equal(y, labels)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    server.requested.clear()
    load_mnist("train", data_dir=tmp_path, download=True)  # everything present: no request
    assert server.requested == []


def test_load_mnist_download_checksum_mismatch(tmp_path, monkeypatch, no_env):
    _, _, files = fake_mnist_files()
    patch_spec(monkeypatch, "mnist", files, mirrors=("https://mirror/",))
    served = {"https://mirror/" + name: content + b"!" for name, content in files.items()}
    monkeypatch.setattr(fetch_module, "urlopen", FakeServer(served))
    with pytest.raises(DataError, match="SHA-256"):
        load_mnist("test", data_dir=tmp_path, download=True)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_load_mnist_download_all_mirrors_fail(tmp_path, monkeypatch, no_env):
    monkeypatch.setattr(fetch_module, "urlopen", FakeServer({}))
    with pytest.raises(DownloadError, match="ossci-datasets"):
        load_mnist("test", data_dir=tmp_path, download=True)
    assert list((tmp_path / "mnist").iterdir()) == []


@needs_mnist
def test_download_of_real_files_verifies_published_checksums(tmp_path, monkeypatch, no_env):
    """Serve the real t10k files through the fake opener: the SHA-256 values in the code must accept them."""
    names = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    mirror = mnist_module.IDX_DATASETS["mnist"].mirrors[0]
    served = {mirror + name: (SHARED / "mnist" / name).read_bytes() for name in names}
    monkeypatch.setattr(fetch_module, "urlopen", FakeServer(served))
    X, y = load_mnist("test", data_dir=tmp_path, download=True)
    assert X.shape == (10000, 784)
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    for name in names:
        assert (tmp_path / "mnist" / name).read_bytes() == served[mirror + name]


# --------------------------------------------------------------------------------------------
# The real data (shared folder), one load per data set and split
# --------------------------------------------------------------------------------------------
README_ROW = re.compile(r"^\| `(mnist|fashion-mnist)/(\S+)` \| ([\d,]+) \| `[0-9a-f]{32}` \| `([0-9a-f]{64})` \|$")


@pytest.mark.skipif(not (SHARED / "README.md").is_file(), reason=f"no data catalogue at {SHARED / 'README.md'}")
def test_checksums_in_code_match_the_data_catalogue():
    rows = [README_ROW.match(line) for line in (SHARED / "README.md").read_text().splitlines()]
    rows = [m.groups() for m in rows if m]
    assert len(rows) == 8
    key = {"mnist": "mnist", "fashion-mnist": "fashion_mnist"}
    for folder, name, size, digest in rows:
        spec = mnist_module.IDX_DATASETS[key[folder]]
        assert spec.folder == folder
        (f,) = [f for pair in spec.splits.values() for f in pair if f.name == name]
        assert f.size == int(size.replace(",", "")) and f.sha256 == digest


MNIST_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
MNIST_FIRST = {"train": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "test": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]}
FASHION_COUNTS = {"train": [6000] * 10, "test": [1000] * 10}
FASHION_FIRST = {"train": [9, 0, 0, 3, 0, 2, 7, 2, 5, 5], "test": [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]}
SIZES = {"train": 60000, "test": 10000}


@pytest.fixture(scope="module", params=["train", "test"])
def real_mnist(request):
    if not HAVE_MNIST:
        pytest.skip(f"MNIST files not found in {SHARED / 'mnist'} (set {ENV})")
    return request.param, load_mnist(request.param, data_dir=SHARED)


@pytest.fixture(scope="module", params=["train", "test"])
def real_fashion(request):
    if not HAVE_FASHION:
        pytest.skip(f"Fashion-MNIST files not found in {SHARED / 'fashion-mnist'} (set {ENV})")
    return request.param, load_fashion_mnist(request.param, data_dir=SHARED)


def _check_real(split, X, y, counts, first):
    assert X.shape == (SIZES[split], 784) and X.dtype == np.float32
    assert y.shape == (SIZES[split],) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == counts[split]
    assert y[:10].tolist() == first[split]


def test_real_mnist(real_mnist):
    split, (X, y) = real_mnist
    _check_real(split, X, y, MNIST_COUNTS, MNIST_FIRST)


def test_real_fashion_mnist(real_fashion):
    split, (X, y) = real_fashion
    _check_real(split, X, y, FASHION_COUNTS, FASHION_FIRST)


@needs_mnist
def test_real_mnist_pixels_equal_raw_bytes_over_255():
    X, _ = load_mnist("test", data_dir=SHARED)
    raw = gzip.decompress((SHARED / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert struct.unpack(">4I", raw[:16]) == (2051, 10000, 28, 28)
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(10000, 784)
    np.testing.assert_allclose(X, pixels.astype(np.float64) / 255.0, rtol=0, atol=1e-7)
    X4, _ = load_mnist("test", data_dir=SHARED, flatten=False)
    assert X4.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(X4.reshape(10000, 784), X)


@needs_fashion
def test_real_fashion_via_env_var_and_dispatcher(monkeypatch):
    monkeypatch.setenv(ENV, str(SHARED))
    X, y = load_dataset("fashion_mnist", split="test")
    assert X.shape == (10000, 784) and y[:10].tolist() == FASHION_FIRST["test"]


# --------------------------------------------------------------------------------------------
# scikit-learn's bundled data sets
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("loader, shape, counts", [
    (data.load_digits, (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
    (data.load_iris, (150, 4), [50, 50, 50]),
    (data.load_wine, (178, 13), [59, 71, 48]),
    (data.load_breast_cancer, (569, 30), [212, 357]),
])
def test_tabular_loaders(loader, shape, counts):
    X, y = loader()
    assert X.shape == shape and X.dtype == np.float32
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert np.bincount(y).tolist() == counts
    import sklearn.datasets

    reference = getattr(sklearn.datasets, loader.__name__)()
    np.testing.assert_array_equal(X, reference.data.astype(np.float32))
    np.testing.assert_array_equal(y, reference.target)


# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------
SYNTHETIC = [data.make_spirals, data.make_moons, data.make_circles]


@pytest.mark.parametrize("make", SYNTHETIC)
@pytest.mark.parametrize("n", [2, 7, 200])
def test_synthetic_shapes_and_balance(make, n):
    X, y = make(n_samples=n, noise=0.1, seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.bincount(y, minlength=2).tolist() == [n // 2, n - n // 2]


@pytest.mark.parametrize("make", SYNTHETIC)
def test_synthetic_seeded(make):
    a = make(n_samples=50, noise=0.2, seed=3)
    b = make(n_samples=50, noise=0.2, seed=3)
    c = make(n_samples=50, noise=0.2, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    gen = np.random.default_rng(3)
    d = make(n_samples=50, noise=0.2, seed=gen)
    e = make(n_samples=50, noise=0.2, seed=gen)  # a shared generator moves on
    assert not np.array_equal(d[0], e[0])


@pytest.mark.parametrize("make", SYNTHETIC)
def test_synthetic_shuffle_only_permutes(make):
    X0, y0 = make(n_samples=41, noise=0.0, shuffle=False)
    X1, y1 = make(n_samples=41, noise=0.0, seed=1)
    assert not np.array_equal(y0, y1)
    key0 = sorted(zip(X0.tolist(), y0.tolist(), strict=True))
    key1 = sorted(zip(X1.tolist(), y1.tolist(), strict=True))
    assert key0 == key1


@pytest.mark.parametrize("make", SYNTHETIC)
def test_synthetic_noise_is_gaussian_with_given_std(make):
    n, noise = 20000, 0.3
    clean, y = make(n_samples=n, noise=0.0, shuffle=False)
    noisy, y2 = make(n_samples=n, noise=noise, seed=0, shuffle=False)
    np.testing.assert_array_equal(y, y2)
    residual = (noisy.astype(np.float64) - clean).ravel()
    m = residual.size
    assert abs(residual.mean()) < 5 * noise / np.sqrt(m)
    assert abs(residual.std() - noise) < 5 * noise / np.sqrt(2 * m)


def test_moons_and_circles_match_scikit_learn_geometry():
    import sklearn.datasets

    for n in (9, 100):
        X, y = data.make_moons(n_samples=n, shuffle=False)
        Xs, ys = sklearn.datasets.make_moons(n_samples=n, shuffle=False)
        np.testing.assert_allclose(X, Xs, atol=1e-7)
        np.testing.assert_array_equal(y, ys)
        for factor in (0.8, 0.3):
            X, y = data.make_circles(n_samples=n, shuffle=False, factor=factor)
            Xs, ys = sklearn.datasets.make_circles(n_samples=n, shuffle=False, factor=factor)
            np.testing.assert_allclose(X, Xs, atol=1e-7)
            np.testing.assert_array_equal(y, ys)


@pytest.mark.parametrize("turns", [0.5, 1.5, 3.0])
def test_spiral_geometry(turns):
    X, y = data.make_spirals(n_samples=400, noise=0.0, turns=turns, shuffle=False)
    X = X.astype(np.float64)
    arm0, arm1 = X[y == 0], X[y == 1]
    np.testing.assert_allclose(arm1, -arm0, atol=1e-7)  # second arm = first turned by 180 degrees
    theta = np.unwrap(np.arctan2(arm0[:, 1], arm0[:, 0]))
    r = np.hypot(arm0[:, 0], arm0[:, 1])
    np.testing.assert_allclose(theta[-1] - theta[0], 2 * np.pi * turns, atol=1e-5)
    np.testing.assert_allclose([r[0], r[-1]], [0.1, 1.0], atol=1e-6)
    # Archimedean: the radius grows linearly with the angle
    np.testing.assert_allclose(r, 0.1 + 0.9 * (theta - theta[0]) / (2 * np.pi * turns), atol=1e-5)


@pytest.mark.parametrize("call, pattern", [
    (lambda: data.make_moons(n_samples=1), "make_moons: n_samples"),
    (lambda: data.make_spirals(n_samples=10.5), "make_spirals: n_samples"),
    (lambda: data.make_circles(noise=-0.1), "make_circles: noise"),
    (lambda: data.make_circles(factor=1.0), "factor"),
    (lambda: data.make_spirals(turns=0), "turns"),
    (lambda: data.make_standard_normal(0, 3), "n_samples"),
    (lambda: data.make_standard_normal(3, 0), "n_features"),
    (lambda: data.make_standard_normal(3, 2, dtype=np.int32), "dtype"),
])
def test_synthetic_rejects_bad_arguments(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_make_standard_normal():
    n, d = 20000, 4
    X = data.make_standard_normal(n, d, seed=0)
    assert X.shape == (n, d) and X.dtype == np.float32
    assert np.all(np.abs(X.mean(axis=0)) < 5 / np.sqrt(n))
    assert np.all(np.abs(X.astype(np.float64).var(axis=0) - 1) < 5 * np.sqrt(2 / n))
    np.testing.assert_array_equal(X, data.make_standard_normal(n, d, seed=0))
    assert not np.array_equal(X, data.make_standard_normal(n, d, seed=1))
    assert data.make_standard_normal(5, 3, seed=0, dtype=np.float64).dtype == np.float64


# --------------------------------------------------------------------------------------------
# Train / validation / test split
# --------------------------------------------------------------------------------------------
def _indexed(n_per_class):
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    X = np.column_stack([np.arange(len(y)), np.arange(len(y)) * 10]).astype(np.float32)
    return X, y


@pytest.mark.parametrize("stratify", [True, False])
def test_split_disjoint_complete_and_aligned(stratify):
    X, y = _indexed([600, 300, 100])
    (Xtr, ytr), (Xva, yva), (Xte, yte) = train_val_test_split(X, y, val_size=0.1, test_size=0.2, seed=0,
                                                              stratify=stratify)
    assert (len(Xtr), len(Xva), len(Xte)) == (700, 100, 200)
    ids = [part[:, 0].astype(int) for part in (Xtr, Xva, Xte)]
    everything = np.concatenate(ids)
    assert len(set(everything.tolist())) == len(everything) == 1000  # disjoint and complete
    for part_ids, part_X, part_y in zip(ids, (Xtr, Xva, Xte), (ytr, yva, yte), strict=True):
        np.testing.assert_array_equal(part_y, y[part_ids])  # rows stay with their labels
        np.testing.assert_array_equal(part_X, X[part_ids])


def test_split_preserves_class_proportions():
    counts = np.array([613, 291, 77, 19])
    X, y = _indexed(counts)
    n = counts.sum()
    split = train_val_test_split(X, y, val_size=0.15, test_size=0.25, seed=1)
    sizes = {"train": n - np.ceil(0.15 * n) - np.ceil(0.25 * n), "val": np.ceil(0.15 * n), "test": np.ceil(0.25 * n)}
    tolerance = {"train": 1, "val": 2, "test": 1}
    for name in ("train", "val", "test"):
        part_y = getattr(split, name)[1]
        assert len(part_y) == sizes[name]
        expected = counts * sizes[name] / n
        assert np.all(np.abs(np.bincount(part_y, minlength=4) - expected) <= tolerance[name]), name


def test_split_puts_a_rare_class_in_every_part():
    X, y = _indexed([990, 10])
    for seed in range(5):
        (_, ytr), (_, yva), (_, yte) = train_val_test_split(X, y, val_size=0.1, test_size=0.1, seed=seed)
        assert np.bincount(yva).tolist() == [99, 1] and np.bincount(yte).tolist() == [99, 1]


def test_split_seeded():
    X, y = _indexed([50, 30, 20])
    a = train_val_test_split(X, y, seed=7)
    b = train_val_test_split(X, y, seed=7)
    c = train_val_test_split(X, y, seed=8)
    for pa, pb in zip(a, b, strict=True):
        np.testing.assert_array_equal(pa[0], pb[0])
    assert not np.array_equal(a.test[0], c.test[0])
    assert not np.array_equal(np.sort(a.test[0][:, 0]), np.sort(c.test[0][:, 0]))


def test_split_counts_and_zero_validation():
    X, y = _indexed([40, 40])
    split = train_val_test_split(X, y, val_size=0, test_size=20, seed=0)
    assert (len(split.train[1]), len(split.val[1]), len(split.test[1])) == (60, 0, 20)
    assert split.val[0].shape == (0, 2)


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"val_size": 0.5, "test_size": 0.5}, ValueError, "none for training"),
    ({"val_size": 1.0}, ValueError, "val_size"),
    ({"test_size": -0.1}, ValueError, "test_size"),
    ({"test_size": 500}, ValueError, "test_size"),
    ({"test_size": "0.2"}, TypeError, "test_size"),
])
def test_split_rejects_bad_sizes(kwargs, error, pattern):
    X, y = _indexed([50, 50])
    with pytest.raises(error, match=pattern):
        train_val_test_split(X, y, **kwargs)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="train_val_test_split"):
        train_val_test_split(np.zeros((10, 2)), np.zeros(9))


# --------------------------------------------------------------------------------------------
# Standardizer
# --------------------------------------------------------------------------------------------
def _column_stats(X):
    """Plain-Python per-feature mean and population standard deviation."""
    rows = X.astype(np.float64).tolist()
    n, d = len(rows), len(rows[0])
    mean = [sum(r[j] for r in rows) / n for j in range(d)]
    std = [(sum((r[j] - mean[j]) ** 2 for r in rows) / n) ** 0.5 for j in range(d)]
    return np.array(mean), np.array(std)


def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(200, 3)).astype(np.float32)
    X_test = rng.normal(-5.0, 7.0, size=(50, 3)).astype(np.float32)  # very different statistics
    scaler = Standardizer().fit(X_train)
    mean, std = _column_stats(X_train)
    np.testing.assert_allclose(scaler.mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, std, rtol=1e-12)
    all_mean, _ = _column_stats(np.vstack([X_train, X_test]))
    assert not np.allclose(scaler.mean_, all_mean, atol=0.5)  # no leakage of test statistics
    Z_test = scaler.transform(X_test)
    np.testing.assert_allclose(Z_test, (X_test - mean) / std, rtol=1e-5, atol=1e-5)
    Z_train = scaler.transform(X_train)
    np.testing.assert_allclose(Z_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z_train.std(axis=0), 1, atol=1e-5)


def test_standardizer_constant_feature_scaled_by_one():
    X = np.array([[1.0, 0.1, 0.0], [2.0, 0.1, 0.0], [4.0, 0.1, 0.0]])
    assert X[:, 1].std() != 0  # rounding makes the float64 std of this constant column tiny but not 0
    scaler = Standardizer().fit(X)
    np.testing.assert_array_equal(scaler.scale_[1:], [1.0, 1.0])
    np.testing.assert_allclose(scaler.mean_, [7 / 3, 0.1, 0.0])
    Z = scaler.transform(np.array([[1.0, 1.1, 2.0]]))
    np.testing.assert_allclose(Z[0, 1:], [1.0, 2.0])
    np.testing.assert_allclose(scaler.transform(X)[:, 1:], 0.0, atol=1e-12)


def test_standardizer_dtypes_round_trip_and_fit_transform():
    rng = np.random.default_rng(1)
    X32 = rng.normal(size=(30, 4)).astype(np.float32)
    X64 = X32.astype(np.float64)
    scaler = Standardizer()
    Z = scaler.fit_transform(X32)
    assert Z.dtype == np.float32
    np.testing.assert_array_equal(Z, Standardizer().fit(X32).transform(X32))
    assert scaler.transform(X64).dtype == np.float64
    assert scaler.transform(np.arange(8).reshape(2, 4)).dtype == np.float32
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X64)), X64, rtol=1e-12)
    assert "n_features=4" in repr(scaler)


def test_standardizer_errors():
    with pytest.raises(ValueError, match="Standardizer.transform: not fitted"):
        Standardizer().transform(np.zeros((2, 2)))
    scaler = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="3 features.*fitted on 2"):
        scaler.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="Standardizer.fit: expected a real 2-D"):
        Standardizer().fit(np.zeros(5))
    with pytest.raises(ValueError, match="no rows"):
        Standardizer().fit(np.zeros((0, 2)))


# --------------------------------------------------------------------------------------------
# load_dataset
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, n, d", [
    ("digits", 1797, 64), ("iris", 150, 4), ("wine", 178, 13), ("breast_cancer", 569, 30),
    ("spirals", 200, 2), ("moons", 200, 2), ("circles", 200, 2),
])
def test_load_dataset_dispatches(name, n, d):
    X, y = load_dataset(name)
    assert X.shape == (n, d) and X.dtype == np.float32 and y.shape == (n,) and y.dtype == np.int64


def test_load_dataset_forwards_kwargs_and_normalises_names(fake_mnist):
    root, _, labels, _ = fake_mnist
    X, y = load_dataset("moons", n_samples=30, noise=0.1, seed=2)
    X2, y2 = data.make_moons(n_samples=30, noise=0.1, seed=2)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(load_dataset("MNIST", data_dir=root)[1], labels)
    np.testing.assert_array_equal(load_dataset("mnist", split="test", data_dir=root)[1], labels[:2])
    with pytest.raises(DataNotFoundError, match="Fashion-MNIST"):
        load_dataset("Fashion-MNIST", data_dir=root)
    with pytest.raises(TypeError):
        load_dataset("iris", seed=0)


def test_load_dataset_unknown_name_lists_names():
    with pytest.raises(ValueError, match="unknown data set 'svhn'") as info:
        load_dataset("svhn")
    for name in ("digits", "iris", "wine", "breast_cancer", "mnist", "fashion_mnist", "spirals", "moons", "circles"):
        assert name in str(info.value)
    assert set(data.DATASET_NAMES) == {"digits", "iris", "wine", "breast_cancer", "mnist", "fashion_mnist",
                                       "cifar10", "cifar100", "spirals", "moons", "circles"}
