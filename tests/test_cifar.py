"""CIFAR-10/100 binary archives: parsed from small synthetic archives in the published format, built here.

Format (the dataset page): per record, the label byte (CIFAR-100: coarse then fine), then 1024 red, 1024 green
and 1024 blue bytes, each a row-major 32×32 plane. Nothing is downloaded: the network is a fake.
"""

import hashlib
import io
import os
import tarfile
from dataclasses import replace

import numpy as np
import pytest

import minnet as mn
from minnet.data import DataError, DataNotFoundError, cifar
from minnet.data import fetch as fetch_module


def records(n, label_columns, seed):
    """(raw bytes, labels (n, columns), pixels (n, 3072)) of n random records."""
    rng = np.random.default_rng(seed)
    labels = np.stack([rng.integers(0, limit, n) for limit in label_columns], axis=1).astype(np.uint8)
    pixels = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
    return np.concatenate([labels, pixels], axis=1).tobytes(), labels, pixels


def tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def install(monkeypatch, tmp_path, key, members, records_per_split, archive=None):
    """Write the archive under tmp_path and make the loader expect its size and MD5."""
    spec = cifar.CIFAR_ARCHIVES[key]
    archive = tar_gz(members) if archive is None else archive
    monkeypatch.setitem(cifar.CIFAR_ARCHIVES, key, replace(spec, size=len(archive),
                                                           md5=hashlib.md5(archive).hexdigest(),
                                                           records=records_per_split))
    path = tmp_path / spec.folder / spec.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(archive)
    return path


@pytest.fixture
def cifar10(tmp_path, monkeypatch):
    """Five 3-record training batches and a 4-record test batch."""
    batches = [records(3, [10], seed) for seed in range(6)]
    names = [f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6)] + ["cifar-10-batches-bin/test_batch.bin"]
    members = {name: raw for name, (raw, _, _) in zip(names, batches)}
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\n"
    path = install(monkeypatch, tmp_path, "cifar10", members, {"train": 15, "test": 3})
    return path, batches


def test_cifar10_pixels_channels_and_labels(cifar10, tmp_path):
    _, batches = cifar10
    X, y = mn.data.load_cifar10("train", data_dir=tmp_path, image=True)
    labels = np.concatenate([b[1][:, 0] for b in batches[:5]])
    pixels = np.concatenate([b[2] for b in batches[:5]])
    assert X.shape == (15, 3, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)
    for n, c, r, k in [(0, 0, 0, 0), (4, 1, 5, 31), (14, 2, 31, 7), (7, 2, 0, 1)]:
        assert X[n, c, r, k] == np.float32(pixels[n, c * 1024 + r * 32 + k]) / np.float32(255)
    assert 0.0 <= X.min() and X.max() <= 1.0
    flat, y_flat = mn.data.load_cifar10("train", data_dir=tmp_path)
    np.testing.assert_array_equal(flat, X.reshape(15, -1))
    X_test, y_test = mn.data.load_cifar10("test", data_dir=tmp_path)
    assert X_test.shape == (3, 3072)
    np.testing.assert_array_equal(y_test, batches[5][1][:, 0])


def test_cifar100_fine_and_coarse_labels(tmp_path, monkeypatch):
    train, test = records(5, [20, 100], 0), records(2, [20, 100], 1)
    install(monkeypatch, tmp_path, "cifar100", {"cifar-100-binary/train.bin": train[0],
                                               "cifar-100-binary/test.bin": test[0]}, {"train": 5, "test": 2})
    X, fine = mn.data.load_cifar100("train", data_dir=tmp_path, image=True)
    _, coarse = mn.data.load_cifar100("train", data_dir=tmp_path, fine=False)
    np.testing.assert_array_equal(fine, train[1][:, 1])
    np.testing.assert_array_equal(coarse, train[1][:, 0])
    assert X[3, 1, 2, 3] == np.float32(train[2][3, 1024 + 2 * 32 + 3]) / np.float32(255)
    assert mn.data.load_dataset("cifar100", split="test", data_dir=tmp_path)[0].shape == (2, 3072)


def test_missing_archive_names_the_file_and_the_fixes(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        mn.data.load_cifar10("train", data_dir=tmp_path)
    message = str(info.value)
    assert "cifar-10-binary.tar.gz" in message and "download=True" in message and "MINNET_DATA_DIR" in message


def test_wrong_size_or_md5_is_refused(cifar10, tmp_path):
    path, _ = cifar10
    good = path.read_bytes()
    path.write_bytes(good[:-1])
    with pytest.raises(DataError, match="bytes"):
        mn.data.load_cifar10("train", data_dir=tmp_path)
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(DataError, match="MD5 mismatch"):
        mn.data.load_cifar10("train", data_dir=tmp_path)


@pytest.mark.parametrize("problem, message", [
    ("partial record", "whole number"),
    ("label out of range", "out of range"),
    ("missing member", "no file"),
    ("too few records", "records, expected"),
    ("not a tar", "cannot read"),
])
def test_damaged_content_is_refused(tmp_path, monkeypatch, problem, message):
    raw, _, _ = records(2, [10], 0)
    test_name = "cifar-10-batches-bin/test_batch.bin"
    members = {test_name: raw}
    expected = 2
    archive = None
    if problem == "partial record":
        members[test_name] = raw[:-5]
    elif problem == "label out of range":
        members[test_name] = bytes([10]) + raw[1:]
    elif problem == "missing member":
        members = {"cifar-10-batches-bin/other.bin": raw}
    elif problem == "too few records":
        expected = 3
    else:
        archive = b"\x1f\x8b" + b"not really gzip" * 10
    install(monkeypatch, tmp_path, "cifar10", members, {"train": 0, "test": expected}, archive=archive)
    with pytest.raises(DataError, match=message):
        mn.data.load_cifar10("test", data_dir=tmp_path)


def test_bad_split_is_refused(tmp_path):
    with pytest.raises(ValueError, match="split"):
        mn.data.load_cifar10("validation", data_dir=tmp_path)


class FakeResponse(io.BytesIO):
    headers: dict = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_checks_the_md5_and_writes_atomically(tmp_path, monkeypatch):
    raw, labels, _ = records(2, [10], 3)
    archive = tar_gz({"cifar-10-batches-bin/test_batch.bin": raw})
    spec = cifar.CIFAR_ARCHIVES["cifar10"]
    monkeypatch.setitem(cifar.CIFAR_ARCHIVES, "cifar10", replace(
        spec, size=len(archive), md5=hashlib.md5(archive).hexdigest(), records={"train": 0, "test": 2},
        mirrors=("https://mirror/",)))
    served = {"https://mirror/cifar-10-binary.tar.gz": archive}
    monkeypatch.setattr(fetch_module, "urlopen", lambda request, timeout: FakeResponse(served[request.full_url]))
    _, y = mn.data.load_cifar10("test", data_dir=tmp_path, download=True)
    np.testing.assert_array_equal(y, labels[:, 0])
    served["https://mirror/cifar-10-binary.tar.gz"] = archive[:-1] + b"x"
    with pytest.raises(DataError, match="MD5 mismatch"):
        mn.data.load_cifar10("test", data_dir=tmp_path / "other", download=True)
    assert not any((tmp_path / "other").rglob("*.tar.gz")) and not any((tmp_path / "other").rglob("*.part"))


def test_mnist_image_option_gives_image_batches():
    root = os.environ.get("MINNET_DATA_DIR", "")
    if not root or not os.path.isfile(os.path.join(root, "mnist", "t10k-images-idx3-ubyte.gz")):
        pytest.skip("MNIST test files not found; set MINNET_DATA_DIR to a folder with mnist/")
    X, y = mn.data.load_mnist("test", image=True)
    flat, _ = mn.data.load_mnist("test")
    assert X.shape == (10000, 1, 28, 28) and X.dtype == np.float32
    np.testing.assert_array_equal(X.reshape(10000, -1), flat)
