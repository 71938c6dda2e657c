"""Tests for Parameter, the Layer base class and Sequential (the contract of every layer: test_layer_contract.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from layer_table import LAYER_CASES, build, sample_input

import minnet as mn
from minnet.nn.layer import check_features

CASES = {case.name: case for case in LAYER_CASES}

pytestmark = pytest.mark.filterwarnings("error")

# ----------------------------------------------------------------------------------------------
# Parameter
# ----------------------------------------------------------------------------------------------
def test_parameter_basics() -> None:
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    p = mn.Parameter(data, "weight")
    assert p.data is data and p.name == "weight" and p.shape == (2, 3) and p.dtype == np.float32
    assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
    assert p.weight_decay is True and p.trainable is True
    q = mn.Parameter([1.0, 2.0], "slopes", weight_decay=False, trainable=False)
    assert q.dtype == np.float64 and q.weight_decay is False and q.trainable is False


@pytest.mark.parametrize("data", [np.arange(3), np.array([True, False]), np.array(["a"])])
def test_parameter_rejects_non_float_data(data) -> None:
    with pytest.raises(TypeError, match=r"Parameter 'w'.*floating"):
        mn.Parameter(data, "w")


def test_parameter_zero_grad_is_in_place() -> None:
    p = mn.Parameter(np.ones(3), "w")
    grad = p.grad
    grad += 5.0
    p.zero_grad()
    assert p.grad is grad and not grad.any()


def test_parameter_astype_converts_data_and_grad() -> None:
    p = mn.Parameter(np.array([1.5, -2.0], dtype=np.float32), "w")
    p.grad += 0.25
    assert p.astype(np.float64) is p
    assert p.data.dtype == np.float64 and p.grad.dtype == np.float64
    np.testing.assert_array_equal(p.data, [1.5, -2.0])
    np.testing.assert_array_equal(p.grad, [0.25, 0.25])


def test_parameter_repr() -> None:
    assert repr(mn.Parameter(np.zeros((2, 3)), "weight")) == "Parameter('weight', shape=(2, 3), dtype=float64)"
    r = repr(mn.Parameter(np.zeros(4, dtype=np.float32), "slope", weight_decay=False, trainable=False))
    assert r == "Parameter('slope', shape=(4,), dtype=float32, weight_decay=False, trainable=False)"


# ----------------------------------------------------------------------------------------------
# Layer base class
# ----------------------------------------------------------------------------------------------
class Recorder(mn.Layer):
    """Identity that records the training flag it was called with."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bool] = []

    def forward(self, x, training=False):
        self.calls.append(training)
        return x

    def backward(self, dy):
        return dy


def test_layer_base_defaults() -> None:
    layer = mn.Layer()
    with pytest.raises(NotImplementedError, match="Layer.forward"):
        layer.forward(np.ones(2))
    with pytest.raises(NotImplementedError, match="Layer.backward"):
        layer.backward(np.ones(2))
    assert layer.parameters() == [] and list(layer.named_parameters()) == []
    assert layer.buffers() == {} and layer.get_config() == {}
    assert repr(layer) == "Layer()"


def test_call_is_forward_and_passes_training() -> None:
    r = Recorder()
    x = np.ones(2)
    assert r(x) is x and r(x, training=True) is x
    assert r.calls == [False, True]
    seq = mn.Sequential(r, mn.ReLU())
    seq(x, training=True)
    seq.forward(x)
    assert r.calls == [False, True, True, False]


def test_parameters_returns_a_new_list() -> None:
    layer = mn.Dense(2, 2)
    layer.parameters().clear()
    assert len(layer.parameters()) == 2


def test_check_features_messages() -> None:
    layer = mn.Dense(4, 2)
    with pytest.raises(ValueError, match=r"expected 4 input features, got 6"):
        check_features(layer, np.ones((3, 6)), 4)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        check_features(layer, np.ones(4), 4)
    check_features(layer, np.ones((3, 4)), 4)
    check_features(layer, np.ones((3, 4, 9)), 4, axis=1)


# ----------------------------------------------------------------------------------------------
# astype (the rest of the layer contract, for every layer: tests/test_layer_contract.py)
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Dense", "PReLU-per-channel", "Sequential"])
def test_astype_converts_parameters_and_dtype(name: str) -> None:
    case = CASES[name]
    layer, x = build(case, np.float32), sample_input(case, case.shapes[0], np.float32)
    assert layer.astype(np.float64) is layer
    for pname, p in layer.named_parameters():
        assert p.data.dtype == np.float64 and p.grad.dtype == np.float64, pname
    y = layer.forward(x.astype(np.float64))
    assert y.dtype == np.float64
    assert layer.backward(np.ones_like(y)).dtype == np.float64
    sublayers = layer.layers if isinstance(layer, mn.Sequential) else [layer]
    for sub in sublayers:
        if hasattr(sub, "dtype"):
            assert sub.dtype == np.float64
    # and back again
    layer.astype(np.float32)
    assert all(p.dtype == np.float32 for p in layer.parameters())


def test_dense_converts_float32_input_after_astype() -> None:
    layer = mn.Dense(3, 2, rng=0).astype(np.float64)
    assert layer(np.ones((2, 3), dtype=np.float32)).dtype == np.float64
    assert layer.get_config()["dtype"] == "float64"


# ----------------------------------------------------------------------------------------------
# Sequential
# ----------------------------------------------------------------------------------------------
def make_model():
    d0 = mn.Dense(3, 4, rng=0, dtype=np.float64)
    p1 = mn.PReLU(4, dtype=np.float64)
    d2 = mn.Dense(4, 2, bias=False, rng=1, dtype=np.float64)
    d4 = mn.Dense(2, 2, rng=2, dtype=np.float64)
    return mn.Sequential(d0, p1, d2, mn.ELU(), d4), (d0, p1, d2, d4)


def test_parameters_in_layer_order_weight_before_bias() -> None:
    model, (d0, p1, d2, d4) = make_model()
    expected = [d0.weight, d0.bias, p1.weight, d2.weight, d4.weight, d4.bias]
    got = model.parameters()
    assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected, strict=True))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "2.weight", "4.weight", "4.bias"]
    assert all(p is q for (_, p), q in zip(model.named_parameters(), expected, strict=True))
    # the Parameters themselves keep their short names
    assert [p.name for p in got] == ["weight", "bias", "weight", "weight", "weight", "bias"]


def test_nested_sequential_names() -> None:
    inner = mn.Sequential(mn.Dense(2, 2), mn.ReLU(), mn.Dense(2, 2, bias=False))
    model = mn.Sequential(mn.Dense(3, 2), inner)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.0.weight", "1.0.bias",
                                                         "1.2.weight"]


def test_sequential_forward_and_backward_are_the_chain_rule() -> None:
    model, _ = make_model()
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    y = model.forward(x)
    dx = model.backward(dy)
    grads = [p.grad.copy() for p in model.parameters()]

    # the same layers applied by hand
    model.zero_grad()
    h = x
    for layer in model.layers:
        h = layer.forward(h)
    np.testing.assert_array_equal(y, h)
    g = dy
    for layer in reversed(model.layers):
        g = layer.backward(g)
    np.testing.assert_array_equal(dx, g)
    for p, g0 in zip(model.parameters(), grads, strict=True):
        np.testing.assert_array_equal(p.grad, g0)


def test_sequential_container_protocol() -> None:
    model, (d0, p1, _, _) = make_model()
    assert len(model) == 5 and model[0] is d0 and model[1] is p1
    assert list(model) == model.layers
    assert model.buffers() == {}
    empty = mn.Sequential()
    x = np.ones((2, 2))
    np.testing.assert_array_equal(empty(x), x)
    np.testing.assert_array_equal(empty.backward(x), x)
    assert empty.parameters() == [] and repr(empty) == "Sequential()"


def test_sequential_get_config_and_repr() -> None:
    model = mn.Sequential(mn.Dense(3, 2), mn.LeakyReLU(0.2))
    config = json.loads(json.dumps(model.get_config()))
    assert config == {"layers": [
        {"class": "Dense", "config": {"in_features": 3, "out_features": 2, "init": "lecun_normal", "bias": True,
                                      "dtype": "float32"}},
        {"class": "LeakyReLU", "config": {"negative_slope": 0.2}},
    ]}
    assert repr(model) == (
        "Sequential(\n"
        "  (0) Dense(in_features=3, out_features=2, init='lecun_normal', bias=True, dtype='float32')\n"
        "  (1) LeakyReLU(negative_slope=0.2)\n"
        ")"
    )


def test_sequential_rejects_a_layer_class_with_a_clear_type_error() -> None:
    with pytest.raises(TypeError) as info:
        mn.Sequential(mn.Dense(3, 2), mn.ReLU)
    message = str(info.value)
    assert "Sequential" in message and "argument 1" in message and "ReLU()" in message


@pytest.mark.parametrize("bad", [np.tanh, [mn.ReLU()], None, 3, "relu", object])
def test_sequential_rejects_non_layers(bad) -> None:
    with pytest.raises(TypeError, match=r"Sequential: argument 0 .*Layer"):
        mn.Sequential(bad)


def test_sequential_reports_the_wrong_feature_count() -> None:
    model = mn.Sequential(mn.Dense(3, 4), mn.ReLU(), mn.Dense(5, 2))
    with pytest.raises(ValueError, match=r"Dense\(in_features=5.*expected 5 input features, got 4"):
        model(np.ones((2, 3)))


# ---------------------------------------------------------------------------------------------
# backward_to_parameters: the training loop's backward, without the unused dL/dx of the data
# ---------------------------------------------------------------------------------------------
def _model_with_every_kind_of_layer():
    return mn.Sequential(mn.Dense(5, 7, rng=0, dtype=np.float64), mn.PReLU(7, dtype=np.float64),
                         mn.Dense(7, 6, rng=1, dtype=np.float64), mn.BatchNorm(6, dtype=np.float64), mn.ELU(),
                         mn.Dense(6, 3, rng=2, dtype=np.float64))


@pytest.mark.parametrize("first", ["dense", "activation"])
def test_backward_to_parameters_gives_the_same_parameter_gradients_as_backward(first):
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((8, 5)), rng.standard_normal((8, 3))
    a, b = _model_with_every_kind_of_layer(), _model_with_every_kind_of_layer()
    if first == "activation":
        a.layers.insert(0, mn.SELU())
        b.layers.insert(0, mn.SELU())
    a.forward(x, training=True)
    dx = a.backward(dy)
    b.forward(x, training=True)
    assert b.backward_to_parameters(dy) is None
    assert dx.shape == x.shape
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert np.any(pa.grad != 0), name
        assert np.array_equal(pa.grad, pb.grad), name


def test_dense_backward_to_parameters_skips_dx_only():
    rng = np.random.default_rng(1)
    layer = mn.Dense(4, 2, rng=0, dtype=np.float64)
    x, dz = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    layer.forward(x)
    layer.backward_to_parameters(dz)
    np.testing.assert_allclose(layer.weight.grad, x.T @ dz, rtol=1e-14)
    np.testing.assert_allclose(layer.bias.grad, dz.sum(axis=0), rtol=1e-14)
    with pytest.raises(RuntimeError, match="before forward"):
        mn.Dense(4, 2).backward_to_parameters(dz)


def test_mlp_dropout_rate_defaults_to_the_layers_own_and_is_checked():
    assert mn.mlp(3, 2, (4,), "selu", dropout="alpha", seed=0)[2].p == 0.05
    assert mn.mlp(3, 2, (4,), "relu", dropout="dropout", seed=0)[2].p == 0.5
    assert mn.mlp(3, 2, (4,), "relu", dropout="dropout", dropout_rate=0.2, seed=0)[2].p == 0.2
    with pytest.raises(ValueError, match="dropout_rate"):
        mn.mlp(3, 2, (4,), "relu", dropout="dropout", dropout_rate=1.0)
    with pytest.raises(ValueError, match="unknown dropout kind"):
        mn.mlp(3, 2, (4,), "relu", dropout="gaussian")


@pytest.mark.parametrize("activation, kwargs, slope", [
    ("prelu", {}, 0.25), ("prelu", {"init": 0.5}, 0.5), ("leaky_relu", {"negative_slope": 0.3}, 0.3), ("relu", {}, 0.0),
])
def test_mlp_he_init_uses_the_negative_slope(activation, kwargs, slope):
    fan_in = n = 1500
    model = mn.mlp(fan_in, 2, (n,), activation, seed=0, dtype=np.float64, activation_kwargs=kwargs)
    w = model[0].weight.data
    expected = 2.0 / ((1.0 + slope**2) * fan_in)          # docs/conventions.md: He normal for slope s
    # the sample variance of m = n·fan_in normal draws has relative standard error sqrt(2/(m − 1))
    assert abs(w.var() / expected - 1.0) < 5 * np.sqrt(2.0 / (w.size - 1))
    assert ("negative_slope" in model[0].get_config()["init"]) == (slope != 0.0)


def test_mlp_with_slope_corrected_init_saves_and_loads(tmp_path):
    model = mn.mlp(4, 2, (3,), "prelu", seed=0)
    mn.save(model, tmp_path / "m.minnet")
    loaded = mn.load(tmp_path / "m.minnet")
    assert repr(loaded) == repr(model)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), loaded.parameters()))


# ---------------------------------------------------------------------------------------------
# One layer object, one position
# ---------------------------------------------------------------------------------------------
def test_one_activation_object_at_two_positions_is_refused_naming_it_and_both_positions():
    a = mn.ReLU()
    with pytest.raises(ValueError) as info:
        mn.Sequential(mn.Dense(3, 4), a, mn.Dense(4, 4), a, mn.Dense(4, 2))
    message = str(info.value)
    assert "ReLU()" in message and "positions 1 and 3" in message and "one instance per position" in message


def test_a_layer_shared_by_two_nested_sequentials_is_refused():
    a = mn.ELU()
    inner = mn.Sequential(mn.Dense(3, 4), a)
    with pytest.raises(ValueError, match=r"ELU\(alpha=1.0\) is used at positions 0\.1 and 2"):
        mn.Sequential(inner, mn.Dense(4, 4), a)
    with pytest.raises(ValueError, match=r"Sequential is used at positions 0 and 1"):
        mn.Sequential(inner, inner)


def test_one_dense_at_two_positions_weight_sharing_is_refused():
    d = mn.Dense(4, 4)
    with pytest.raises(ValueError, match=r"Dense\(in_features=4.*positions 0 and 2.*share a weight"):
        mn.Sequential(d, mn.Tanh(), d)


def test_two_instances_give_the_gradient_a_shared_one_would_get_wrong():
    """The model the refusal points to: one instance per position, whose gradient the chain rule gives."""
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    d1, d2, d3 = (mn.Dense(i, o, rng=s, dtype=np.float64) for s, (i, o) in enumerate([(3, 4), (4, 4), (4, 2)]))
    model = mn.Sequential(d1, mn.SELU(), d2, mn.SELU(), d3)
    model.forward(x, training=True)
    model.backward(dy)
    assert mn.gradcheck(model, x).max_error < 1e-7


def test_mlp_builds_one_instance_per_position():
    model = mn.mlp(4, 3, (5, 5, 5), "selu", dropout="alpha", batch_norm=True, seed=0)
    layers = [layer for layer in model]
    assert len({id(layer) for layer in layers}) == len(layers)


class NoTrainingArgument(mn.Layer):
    def forward(self, x):
        return x

    def backward(self, dy):
        return dy


class KeywordArguments(mn.Layer):
    def forward(self, x, **kwargs):
        return x

    def backward(self, dy):
        return dy


def test_a_forward_without_training_argument_is_refused_when_the_model_is_built():
    with pytest.raises(TypeError) as info:
        mn.Sequential(mn.Dense(3, 3), NoTrainingArgument())
    message = str(info.value)
    assert "argument 1" in message and "NoTrainingArgument" in message
    assert "forward(self, x, training=False)" in message
    x = np.ones((2, 3))
    np.testing.assert_array_equal(mn.Sequential(KeywordArguments())(x, training=True), x)   # **kwargs is fine


def test_a_layer_after_a_textbook_forward_pickles_and_copies_without_its_backward_closure():
    import copy
    import pickle

    model = mn.Sequential(mn.Dense(3, 2, rng=0), mn.BatchNorm(2), mn.Dropout(0.5, rng=1))
    with mn.textbook():
        model.forward(np.ones((4, 3)), training=True)
    clone = pickle.loads(pickle.dumps(model))
    assert all(getattr(layer, "_reference_backward", None) is None for layer in clone)
    assert all(getattr(layer, "_reference_backward", None) is None for layer in copy.deepcopy(model))
    assert model[0]._reference_backward is not None                 # the original keeps it for its backward
    np.testing.assert_array_equal(clone.forward(np.ones((4, 3))), model.forward(np.ones((4, 3))))
