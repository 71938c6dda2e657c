"""Data loading that fails clearly: gzip bombs, unusable folders, bad MINNET_DATA_DIR, Standardizer edge cases."""

import gzip
import resource
import struct

import numpy as np
import pytest

from minnet.data import DataError, Standardizer, read_idx
from minnet.data import fetch as fetch_module
from minnet.data.idx import MAX_IDX_BYTES
from minnet.data.mnist import load_mnist
from minnet.data.paths import get_data_dir


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(request, timeout=None):
        raise AssertionError(f"a test tried to open {getattr(request, 'full_url', request)}")
    monkeypatch.setattr(fetch_module, "urlopen", refuse)


def gzip_bomb(path, declared, n_zeros):
    """An IDX header declaring ``declared`` unsigned bytes, then ``n_zeros`` zero bytes, gzip-compressed."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(struct.pack(">4B", 0, 0, 0x08, 1) + struct.pack(">I", declared))
        chunk = bytes(2**20)
        for _ in range(n_zeros // len(chunk)):
            f.write(chunk)


def test_read_idx_refuses_a_gzip_bomb_before_decompressing(tmp_path):
    path = tmp_path / "bomb-idx1-ubyte.gz"
    gzip_bomb(path, 2**31 - 2**20, 2**28)      # declares 2 GiB; holds 256 MiB of zeros (enough to measure)
    assert path.stat().st_size < 4 * 2**20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DataError, match=r"declares .* bytes.*limit"):
        read_idx(path)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 100, f"peak memory grew by {grown_mib:.0f} MiB"


def test_read_idx_limit_is_an_argument_and_a_file_within_it_reads(tmp_path):
    path = tmp_path / "small-idx1-ubyte.gz"
    values = np.arange(100, dtype=np.uint8)
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">4B", 0, 0, 0x08, 1) + struct.pack(">I", 100) + values.tobytes())
    np.testing.assert_array_equal(read_idx(path), values)
    with pytest.raises(DataError, match="limit"):
        read_idx(path, max_bytes=99)
    assert MAX_IDX_BYTES >= 47_040_000                         # MNIST's training images must fit


def test_read_idx_gzip_with_extra_bytes_is_still_refused(tmp_path):
    path = tmp_path / "long-idx1-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">4B", 0, 0, 0x08, 1) + struct.pack(">I", 3) + b"abcd")
    with pytest.raises(DataError, match="extra bytes"):
        read_idx(path)


# --- folders -----------------------------------------------------------------------------------
def test_download_into_an_unusable_folder_names_the_folder(tmp_path):
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("x")
    with pytest.raises(OSError, match="plain-file") as info:
        load_mnist("test", data_dir=not_a_folder, download=True)
    assert "mirror" not in str(info.value) and "network" not in str(info.value)


def test_data_dir_with_an_unknown_user_is_clear(monkeypatch):
    monkeypatch.setenv("MINNET_DATA_DIR", "~nosuchuser_minnet/d")
    with pytest.raises(ValueError, match=r"MINNET_DATA_DIR.*~nosuchuser_minnet/d.*user"):
        get_data_dir()
    with pytest.raises(ValueError, match=r"data_dir.*~nosuchuser_minnet"):
        get_data_dir("~nosuchuser_minnet/x")


# --- Standardizer ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["fit", "transform", "inverse_transform"])
def test_standardizer_refuses_nan_and_inf(method, bad):
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    scaler = Standardizer().fit(X)
    X_bad = X.copy()
    X_bad[1, 0] = bad
    with pytest.raises(ValueError, match=r"Standardizer\.\w+: X contains 1 NaN or infinite"):
        getattr(scaler, method)(X_bad)


def test_standardizer_handles_huge_features():
    X = np.array([[1e200, 1.0], [-1e200, 2.0], [3e200, 3.0]])
    scaler = Standardizer().fit(X)
    mean = (1e200 - 1e200 + 3e200) / 3
    std = np.sqrt(((1e200 - mean) / 1e100) ** 2 / 3 + ((-1e200 - mean) / 1e100) ** 2 / 3
                  + ((3e200 - mean) / 1e100) ** 2 / 3) * 1e100
    np.testing.assert_allclose(scaler.mean_[0], mean, rtol=1e-14)
    np.testing.assert_allclose(scaler.scale_[0], std, rtol=1e-14)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z[:, 0], [(x - mean) / std for x in X[:, 0]], rtol=1e-13)
    assert np.count_nonzero(Z[:, 0]) == 2                       # not the silent zeros of an infinite scale
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-13)


def test_standardizer_refuses_data_whose_result_overflows():
    scaler = Standardizer().fit(np.array([[0.0], [1e-300]]))     # scale 5e-301: 1.7e308 / scale overflows
    with pytest.raises(ValueError, match="too large"):
        scaler.transform(np.array([[1.7e308]]))


def test_standardizer_transform_of_constant_feature_is_zero_and_float32_stays():
    X = np.array([[5.0, 1.0], [5.0, 2.0]], dtype=np.float32)
    Z = Standardizer().fit_transform(X)
    assert Z.dtype == np.float32 and np.all(Z[:, 0] == 0)
