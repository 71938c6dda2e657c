"""Saving and loading models: round trips, atomic writes, and files that must be refused without running code."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_files import read_back

import minnet as mn
from minnet.errors import ModelFileError
from minnet.io import FORMAT_VERSION, load, save, write_file


def every_layer_model(dtype=np.float32):
    """A model with every kind of built-in layer, nested Sequential, buffers and a dropout generator."""
    return mn.Sequential(
        mn.Dense(5, 8, init="he_normal", rng=0, dtype=dtype), mn.BatchNorm(8, momentum=0.3, dtype=dtype),
        mn.PReLU(8, init=0.1, dtype=dtype), mn.Dropout(0.25, rng=1),
        mn.Sequential(mn.Dense(8, 6, rng=2, bias=False, dtype=dtype), mn.LayerNorm(6, dtype=dtype), mn.ELU(0.5)),
        mn.SELU(), mn.AlphaDropout(0.1, rng=3), mn.LeakyReLU(0.2), mn.CELU(0.7), mn.Tanh(), mn.Sigmoid(),
        mn.SiLU(), mn.ReLU(), mn.Identity(), mn.Dense(6, 3, init="glorot_uniform", rng=4, dtype=dtype),
    )


def trained(model, seed=0):
    """Run a few training-mode forwards so BatchNorm's running statistics and dropout generators move."""
    rng = np.random.default_rng(seed)
    for _ in range(3):
        model.forward(rng.standard_normal((16, 5)), training=True)
    for p in model.parameters():                       # parameters away from their initial values too
        p.data += rng.standard_normal(p.data.shape).astype(p.data.dtype)
    return model


def saved_file(tmp_path, model=None, name="model.minnet"):
    path = tmp_path / name
    save(model if model is not None else trained(every_layer_model()), path)
    return path


# --- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_restores_architecture_parameters_buffers_dtype_and_generators(tmp_path, dtype):
    model = trained(every_layer_model(dtype))
    path = tmp_path / "m.minnet"
    save(model, path)
    loaded = load(path)

    assert type(loaded) is mn.Sequential and repr(loaded) == repr(model)
    assert loaded.get_config() == model.get_config()
    names = [n for n, _ in model.named_parameters()]
    assert [n for n, _ in loaded.named_parameters()] == names
    for (name, p), (_, q) in zip(model.named_parameters(), loaded.named_parameters(), strict=True):
        assert q.data.dtype == p.data.dtype == np.dtype(dtype), name
        assert np.array_equal(q.data, p.data), name
        assert q.data is not p.data
    assert set(loaded.buffers()) == {"1.running_mean", "1.running_var"}
    for name, b in model.buffers().items():
        assert loaded.buffers()[name].dtype == b.dtype and np.array_equal(loaded.buffers()[name], b), name
    assert not np.array_equal(model.buffers()["1.running_mean"], 0)       # the test saves something non-trivial

    x = np.random.default_rng(9).standard_normal((7, 5))
    assert np.array_equal(loaded.forward(x), model.forward(x))             # evaluation mode
    assert np.array_equal(loaded.forward(x, training=True), model.forward(x, training=True))  # same dropout masks


def test_weight_decay_and_trainable_flags_follow_the_layer_not_the_file(tmp_path):
    loaded = load(saved_file(tmp_path))
    assert loaded[2].weight.weight_decay is False         # PReLU slopes: from the layer's constructor


def test_a_single_layer_can_be_saved(tmp_path):
    layer = mn.Dense(3, 2, rng=0, dtype=np.float64)
    save(layer, tmp_path / "dense.npz")
    loaded = load(tmp_path / "dense.npz")
    assert isinstance(loaded, mn.Dense) and np.array_equal(loaded.weight.data, layer.weight.data)


def test_custom_initializer_name_is_kept_and_weights_come_from_the_file(tmp_path):
    def my_init(shape, rng=None, dtype=np.float32):
        return np.full(shape, 0.5, dtype=dtype)

    model = mn.Sequential(mn.Dense(2, 2, init=my_init))
    save(model, tmp_path / "m")
    loaded = load(tmp_path / "m")
    assert loaded[0].get_config()["init"] == "my_init"
    assert np.array_equal(loaded[0].weight.data, np.full((2, 2), 0.5, np.float32))


def test_path_is_used_exactly_as_given_and_overwriting_replaces_the_file(tmp_path):
    path = tmp_path / "weights.bin"
    save(mn.Sequential(mn.Dense(2, 2, rng=0)), path)
    save(mn.Sequential(mn.Dense(2, 3, rng=0)), path)
    assert sorted(os.listdir(tmp_path)) == ["weights.bin"]      # no ".npz" added, no temporary left
    assert load(path)[0].out_features == 3
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_file_layout_is_plain_npz_with_json_header(tmp_path):
    path = saved_file(tmp_path)
    with np.load(path, allow_pickle=False) as npz:
        header = json.loads(npz["minnet.json"].tobytes())
        assert header["format"] == "minnet" and header["version"] == FORMAT_VERSION and header["kind"] == "model"
        assert header["architecture"]["class"] == "Sequential"
        assert npz["param/0.weight"].shape == (5, 8) and npz["buffer/1.running_var"].shape == (8,)
        assert len(npz["minnet.sha256"].tobytes()) == 64
    with zipfile.ZipFile(path) as zf:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())


def test_crash_while_writing_leaves_the_old_file_intact(tmp_path, monkeypatch):
    model = trained(every_layer_model())
    path = saved_file(tmp_path, model)
    before = path.read_bytes()

    def crash(f, **entries):
        f.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save(mn.Sequential(mn.Dense(5, 1)), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]               # the temporary file was removed
    monkeypatch.undo()
    assert np.array_equal(load(path)[0].weight.data, model[0].weight.data)


def test_custom_layers_cannot_be_saved(tmp_path):
    class MyDense(mn.Dense):
        pass

    with pytest.raises(TypeError, match=r"model\[1\].*MyDense.*built-in"):
        save(mn.Sequential(mn.ReLU(), MyDense(2, 2)), tmp_path / "m")
    assert not os.listdir(tmp_path)
    with pytest.raises(TypeError, match="minnet model"):
        save({"weights": 1}, tmp_path / "m")


# --- refused files ---------------------------------------------------------------------------
def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.minnet")


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"hello, I am a text file", "not a minnet file.*zip"),
    (b"\x93NUMPY\x01\x00", "not a minnet file"),
])
def test_not_a_minnet_file(tmp_path, content, message):
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_an_npz_without_minnet_header_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ModelFileError, match="no 'minnet.json' entry"):
        load(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated_file_is_refused(tmp_path, keep):
    path = saved_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load(path)


def test_changed_parameter_byte_fails_the_checksum(tmp_path):
    model = trained(every_layer_model())
    path = saved_file(tmp_path, model)
    data = bytearray(path.read_bytes())
    raw = model[0].weight.data.tobytes()
    at = bytes(data).index(raw)                         # the weight's bytes sit uncompressed in the zip
    data[at + 5] ^= 0x10
    path.write_bytes(bytes(data))
    # the zip's own CRC or minnet's SHA-256 catches it
    with pytest.raises(ModelFileError, match="checksum|corrupt|CRC"):
        load(path)


def _header(tmp_path):
    """The JSON header and arrays of a real saved file, to build edited variants from."""
    model = mn.Sequential(mn.Dense(4, 3, rng=0), mn.ReLU(), mn.Dense(3, 2, rng=1))
    return read_back(saved_file(tmp_path, model, "base.minnet"))


def test_checksum_mismatch_when_header_edited_without_updating_checksum(tmp_path):
    path = saved_file(tmp_path)
    with np.load(path, allow_pickle=False) as npz:
        entries = {k: npz[k] for k in npz.files}
    text = entries["minnet.json"].tobytes().replace(b'"p": 0.25', b'"p": 0.5')
    assert text != entries["minnet.json"].tobytes()
    entries["minnet.json"] = np.frombuffer(text, dtype=np.uint8)
    np.savez(tmp_path / "edited.npz", **entries)
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        load(tmp_path / "edited.npz")


def test_shape_mismatch_names_the_parameter_and_both_shapes(tmp_path):
    header, arrays = _header(tmp_path)
    arrays["param/2.weight"] = np.zeros((3, 5), np.float32)        # the architecture says Dense(3, 2)
    write_file(tmp_path / "bad", header, arrays)
    with pytest.raises(ModelFileError, match=r"parameter '2\.weight' has shape \(3, 5\) in the file.*\(3, 2\)"):
        load(tmp_path / "bad")


def test_dtype_mismatch_and_missing_or_extra_parameters(tmp_path):
    header, arrays = _header(tmp_path)
    write_file(tmp_path / "a", header, {**arrays, "param/0.bias": arrays["param/0.bias"].astype(np.float64)})
    with pytest.raises(ModelFileError, match=r"'0\.bias' has dtype float64 in the file.*float32"):
        load(tmp_path / "a")
    write_file(tmp_path / "b", header, {k: v for k, v in arrays.items() if k != "param/2.bias"})
    with pytest.raises(ModelFileError, match=r"no values for the parameter\(s\) \['2\.bias'\]"):
        load(tmp_path / "b")
    write_file(tmp_path / "c", header, {**arrays, "param/9.weight": np.ones(2, np.float32)})
    with pytest.raises(ModelFileError, match=r"parameter\(s\) \['9\.weight'\] that the architecture does not have"):
        load(tmp_path / "c")


@pytest.mark.parametrize("edit, message", [
    (lambda h: h["architecture"]["config"]["layers"][1].update({"class": "os.system"}),
     "unknown layer class 'os.system'"),
    (lambda h: h["architecture"]["config"]["layers"][0]["config"].update({"in_features": -4}),
     "cannot rebuild Dense.*in_features"),
    (lambda h: h["architecture"]["config"]["layers"][0]["config"].update({"evil": 1}), "cannot rebuild Dense"),
    (lambda h: h.update({"architecture": ["Dense"]}), "expected \\{'class'"),
    (lambda h: h.update({"kind": "spreadsheet"}), "unknown kind"),
])
def test_bad_architecture_is_refused_by_name(tmp_path, edit, message):
    header, arrays = _header(tmp_path)
    edit(header)
    write_file(tmp_path / "bad", header, arrays)
    with pytest.raises(ModelFileError, match=message):
        load(tmp_path / "bad")


def test_file_from_a_newer_format_version_is_refused(tmp_path, monkeypatch):
    header, arrays = _header(tmp_path)
    monkeypatch.setattr("minnet.io.container.FORMAT_VERSION", FORMAT_VERSION + 1)
    write_file(tmp_path / "new", header, arrays)
    monkeypatch.undo()
    with pytest.raises(ModelFileError, match=f"newer minnet.*version {FORMAT_VERSION + 1}"):
        load(tmp_path / "new")


# --- nothing is ever unpickled ---------------------------------------------------------------
TRIPPED = []


def _trip(message):
    TRIPPED.append(message)
    return message


class Evil:
    """Unpickling this calls _trip: if TRIPPED is ever non-empty, a load ran code from a file."""

    def __reduce__(self):
        return (_trip, ("code from a file was executed",))


@pytest.fixture
def no_unpickling(monkeypatch):
    """Make every pickle entry point fail loudly during the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle was called while loading a minnet file")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    TRIPPED.clear()
    yield
    assert TRIPPED == []


def _evil_array():
    a = np.empty(2, dtype=object)
    a[0], a[1] = Evil(), Evil()
    return a


def test_pickle_file_is_refused_without_unpickling(tmp_path, no_unpickling):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ModelFileError, match="not a minnet file"):
        load(path)


def test_npy_with_object_array_is_refused(tmp_path, no_unpickling):
    np.save(tmp_path / "evil.npy", _evil_array(), allow_pickle=True)
    with pytest.raises(ModelFileError, match="not a minnet file"):
        load(tmp_path / "evil.npy")


@pytest.mark.parametrize("replace", ["param/0.weight", "minnet.json", "minnet.sha256", "extra"])
def test_npz_with_object_array_is_refused_before_reading_it(tmp_path, replace, no_unpickling):
    base = saved_file(tmp_path)
    with np.load(base, allow_pickle=False) as npz:
        entries = {k: npz[k] for k in npz.files}
    entries[replace] = _evil_array()
    np.savez(tmp_path / "evil.npz", **entries)          # numpy pickles the object array into the archive
    with pytest.raises(ModelFileError, match="dtype object.*never read"):
        load(tmp_path / "evil.npz")


def test_compressed_npz_is_refused(tmp_path):
    base = saved_file(tmp_path)
    with np.load(base, allow_pickle=False) as npz:
        entries = {k: npz[k] for k in npz.files}
    np.savez_compressed(tmp_path / "z.npz", **entries)
    with pytest.raises(ModelFileError, match="compressed"):
        load(tmp_path / "z.npz")


# --- fuzzing: only ModelFileError, never anything else ------------------------------------------
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=2000), zip_prefix=st.booleans())
def test_random_bytes_raise_model_file_error(tmp_path, no_unpickling, data, zip_prefix):
    path = tmp_path / "random.bin"
    path.write_bytes((b"PK\x03\x04" if zip_prefix else b"") + data)
    with pytest.raises(ModelFileError):
        load(path)


@pytest.fixture(scope="module")
def good_file_bytes(tmp_path_factory):
    model = trained(every_layer_model())
    path = tmp_path_factory.mktemp("good") / "m.minnet"
    save(model, path)
    return path.read_bytes(), model


@FUZZ
@given(cut=st.floats(0.0, 1.0, exclude_max=True))
def test_any_truncation_raises_model_file_error(tmp_path, no_unpickling, good_file_bytes, cut):
    data, _ = good_file_bytes
    path = tmp_path / "cut.minnet"
    path.write_bytes(data[:int(cut * len(data))])
    with pytest.raises(ModelFileError):
        load(path)


@FUZZ
@given(position=st.floats(0.0, 1.0, exclude_max=True), flip=st.integers(1, 255))
def test_any_changed_byte_is_refused_or_harmless(tmp_path, no_unpickling, good_file_bytes, position, flip):
    """A changed byte either raises ModelFileError or (zip metadata such as a timestamp) loads the same model."""
    data, model = good_file_bytes
    damaged = bytearray(data)
    damaged[int(position * len(data))] ^= flip
    path = tmp_path / "flipped.minnet"
    path.write_bytes(bytes(damaged))
    try:
        loaded = load(path)
    except ModelFileError:
        return
    assert loaded.get_config() == model.get_config()
    for (_, p), (_, q) in zip(model.named_parameters(), loaded.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data)
