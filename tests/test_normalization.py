"""Tests of BatchNorm and LayerNorm against reference implementations written here.

The references compute every statistic from explicit sums (Σx/M, Σ(x − μ)²/M, .../(M − 1))
over a (M, C) view of the data, so they share no code with minnet.nn.normalization.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from layer_table import assert_same_bits, extreme_floats

import minnet as mn
from minnet.gradcheck import gradcheck
from minnet.nn.normalization import BatchNorm, LayerNorm

# --- reference implementations --------------------------------------------------------------


def channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, ...) -> (M, C) with M = N·H·W: one row per value that shares a channel's statistics."""
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def batch_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-channel mean, biased variance and unbiased variance from explicit sums."""
    rows = channels_last(np.asarray(x, dtype=np.float64))
    m = rows.shape[0]
    mean = rows.sum(axis=0) / m
    ss = ((rows - mean) ** 2).sum(axis=0)
    return mean, ss / m, ss / (m - 1)


def ref_batchnorm(x, mean, var, gamma, beta, eps):
    """γ·(x − μ)/√(var + eps) + β with (C,) vectors broadcast along axis 1."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    r = lambda v: np.asarray(v, dtype=np.float64).reshape(shape)  # noqa: E731
    return r(gamma) * (x - r(mean)) / np.sqrt(r(var) + eps) + r(beta)


def ref_layernorm(x, gamma, beta, eps):
    d = x.shape[-1]
    mean = x.sum(axis=-1, keepdims=True) / d
    var = ((x - mean) ** 2).sum(axis=-1, keepdims=True) / d
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def randomise_affine(layer, seed: int = 0) -> None:
    """γ away from 1 and β away from 0, so a missing γ or β in forward/backward shows."""
    g = np.random.default_rng(seed)
    layer.weight.data[...] = g.uniform(0.5, 2.0, layer.weight.shape)
    layer.bias.data[...] = g.normal(0, 1, layer.bias.shape)


def data(shape, seed=0, loc=2.0, scale=3.0, dtype=np.float64):
    """Input whose features have non-zero mean and non-unit variance."""
    g = np.random.default_rng(seed)
    loc = g.uniform(-loc, loc, size=(1, shape[1]) + (1,) * (len(shape) - 2))
    return (loc + scale * g.standard_normal(shape)).astype(dtype)


# --- BatchNorm: constructor -----------------------------------------------------------------

def test_batchnorm_defaults_parameters_buffers_and_config():
    bn = BatchNorm(4)
    assert bn.get_config() == {"num_features": 4, "momentum": 0.1, "eps": 1e-5, "affine": True, "dtype": "float32"}
    assert repr(bn) == "BatchNorm(num_features=4, momentum=0.1, eps=1e-05, affine=True, dtype='float32')"
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(bn.weight.data, np.ones(4))
    np.testing.assert_array_equal(bn.bias.data, np.zeros(4))
    assert set(bn.buffers()) == {"running_mean", "running_var"}
    np.testing.assert_array_equal(bn.buffers()["running_mean"], np.zeros(4))
    np.testing.assert_array_equal(bn.buffers()["running_var"], np.ones(4))
    for arr in [bn.weight.data, bn.bias.data, *bn.buffers().values()]:
        assert arr.dtype == np.float32
    cfg = BatchNorm(3, momentum=0.3, eps=1e-3, affine=False, dtype=np.float64).get_config()
    assert BatchNorm(**cfg).get_config() == cfg


@pytest.mark.parametrize("kwargs, bad", [
    ({"num_features": 0}, "0"), ({"num_features": -2}, "-2"), ({"num_features": 2.5}, "2.5"),
    ({"num_features": True}, "True"),
    ({"num_features": 3, "momentum": -0.1}, "-0.1"), ({"num_features": 3, "momentum": 1.5}, "1.5"),
    ({"num_features": 3, "momentum": float("nan")}, "nan"),
    ({"num_features": 3, "eps": 0.0}, "0.0"), ({"num_features": 3, "eps": -1e-5}, "-1e-05"),
    ({"num_features": 3, "eps": float("inf")}, "inf"),
])
def test_batchnorm_invalid_arguments(kwargs, bad):
    with pytest.raises(ValueError, match=rf"BatchNorm.*{bad}"):
        BatchNorm(**kwargs)


@pytest.mark.parametrize("shape", [(4, 5), (2, 5, 3, 3), (6,)])
def test_batchnorm_wrong_num_features_raises(shape):
    with pytest.raises(ValueError, match=r"BatchNorm\(num_features=3"):
        BatchNorm(3).forward(np.ones(shape), training=True)


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1)])
def test_batchnorm_one_value_per_channel_in_training_raises(shape):
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="BatchNorm.*more than 1 value per channel"):
        bn.forward(np.ones(shape), training=True)
    assert bn.forward(np.ones(shape), training=False).shape == shape     # evaluation is fine
    assert bn.forward(data((1, 3, 2, 2)), training=True).shape == (1, 3, 2, 2)   # M = 4 values: fine (as PyTorch)


# --- BatchNorm: forward ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(64, 5), (8, 5, 4, 3)])
def test_batchnorm_training_output_has_zero_mean_unit_variance(shape):
    x = data(shape)
    eps = 1e-5
    y = BatchNorm(5, eps=eps, dtype=np.float64).forward(x, training=True)
    mean, var, _ = batch_stats(x)
    y_mean, y_var, _ = batch_stats(y)
    np.testing.assert_allclose(y_mean, 0.0, atol=1e-12)
    np.testing.assert_allclose(y_var, var / (var + eps), rtol=1e-12)       # = 1 up to eps
    np.testing.assert_allclose(y_var, 1.0, atol=1e-5)


@pytest.mark.parametrize("shape", [(16, 5), (4, 5, 3, 2)])
@pytest.mark.parametrize("eps", [1e-5, 0.5])
def test_batchnorm_training_matches_reference(shape, eps):
    x = data(shape, seed=1)
    bn = BatchNorm(5, eps=eps, dtype=np.float64)
    randomise_affine(bn)
    mean, var, _ = batch_stats(x)
    expected = ref_batchnorm(x, mean, var, bn.weight.data, bn.bias.data, eps)
    np.testing.assert_allclose(bn.forward(x, training=True), expected, rtol=1e-12, atol=1e-12)


def test_batchnorm_without_affine_has_no_parameters():
    x = data((10, 3))
    bn = BatchNorm(3, affine=False, dtype=np.float64)
    assert bn.parameters() == []
    mean, var, _ = batch_stats(x)
    np.testing.assert_allclose(bn.forward(x, training=True), ref_batchnorm(x, mean, var, 1, 0, 1e-5), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("shape", [(12, 4), (3, 4, 2, 5)])
def test_batchnorm_running_statistics_follow_momentum(momentum, shape):
    bn = BatchNorm(4, momentum=momentum, dtype=np.float64)
    rm, rv = np.zeros(4), np.ones(4)
    for seed in (1, 2, 3):
        x = data(shape, seed=seed)
        bn.forward(x, training=True)
        mean, _, var_unbiased = batch_stats(x)
        rm = (1 - momentum) * rm + momentum * mean
        rv = (1 - momentum) * rv + momentum * var_unbiased
        np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(bn.running_var, rv, rtol=1e-12)


def test_batchnorm_running_var_by_hand():
    # One channel, x = [1, 2, 3, 6]: mean 3, Σ(x − 3)² = 4 + 1 + 0 + 9 = 14, unbiased var 14/3.
    bn = BatchNorm(1, momentum=0.1, dtype=np.float64)
    bn.forward(np.array([[1.0], [2.0], [3.0], [6.0]]), training=True)
    assert bn.running_mean[0] == pytest.approx(0.1 * 3)
    assert bn.running_var[0] == pytest.approx(0.9 + 0.1 * 14 / 3)


@pytest.mark.parametrize("shape", [(7, 4), (2, 4, 3, 3)])
def test_batchnorm_evaluation_uses_running_statistics(shape):
    bn = BatchNorm(4, eps=1e-3, dtype=np.float64)
    randomise_affine(bn)
    rm, rv = np.array([0.5, -1.0, 2.0, 0.0]), np.array([4.0, 0.25, 1.0, 9.0])
    bn.load_buffers({"running_mean": rm, "running_var": rv})
    x = data(shape, seed=4)
    y = bn.forward(x, training=False)
    np.testing.assert_allclose(y, ref_batchnorm(x, rm, rv, bn.weight.data, bn.bias.data, 1e-3), rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean, rm)                  # evaluation does not update them
    np.testing.assert_array_equal(bn.running_var, rv)


def test_batchnorm_buffers_are_live_and_restorable():
    trained = BatchNorm(3, dtype=np.float64)
    for seed in range(3):
        trained.forward(data((10, 3), seed=seed), training=True)
    saved = {k: v.copy() for k, v in trained.buffers().items()}
    x = data((5, 3), seed=9)

    fresh = BatchNorm(3, dtype=np.float64)
    assert not np.allclose(fresh.forward(x), trained.forward(x))
    fresh.load_buffers(saved)
    np.testing.assert_array_equal(fresh.forward(x), trained.forward(x))

    other = BatchNorm(3, dtype=np.float64)                              # writing into buffers() works too
    for name, value in saved.items():
        other.buffers()[name][...] = value
    np.testing.assert_array_equal(other.forward(x), trained.forward(x))


def test_batchnorm_load_buffers_rejects_bad_names_and_shapes():
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="running_std"):
        bn.load_buffers({"running_std": np.ones(3)})
    with pytest.raises(ValueError, match=r"running_mean.*\(4,\)"):
        bn.load_buffers({"running_mean": np.zeros(4)})


def test_batchnorm_astype_converts_buffers():
    bn = BatchNorm(3).astype(np.float64)
    assert bn.dtype == np.float64
    assert all(a.dtype == np.float64 for a in [bn.weight.data, bn.weight.grad, *bn.buffers().values()])


# --- BatchNorm: backward --------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(8, 4), (3, 4, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_gradcheck(shape, training, affine):
    bn = BatchNorm(4, affine=affine, eps=1e-3, dtype=np.float64)
    if affine:
        randomise_affine(bn)
    bn.load_buffers({"running_mean": np.array([0.3, -0.2, 1.0, 0.0]), "running_var": np.array([2.0, 0.5, 1.5, 3.0])})
    result = gradcheck(bn, data(shape, seed=5), training=training)
    assert set(result.errors) == ({"input", "weight", "bias"} if affine else {"input"})
    assert result.passed(1e-7), str(result)


@pytest.mark.parametrize("shape", [(10, 3), (2, 3, 4, 2)])
def test_batchnorm_training_backward_matches_the_papers_staged_chain_rule(shape):
    # Ioffe & Szegedy (2015), §3: backprop through x̂ = (x − μ)/√(var + ε) one intermediate at a time,
    # on the (M, C) view; minnet uses the compact form instead, so the two are independent.
    eps = 1e-3
    x = data(shape, seed=6)
    dy = np.random.default_rng(7).standard_normal(shape)
    bn = BatchNorm(3, eps=eps, dtype=np.float64)
    randomise_affine(bn)
    bn.forward(x, training=True)
    dx = bn.backward(dy)

    xs, dys, gamma = channels_last(x), channels_last(dy), bn.weight.data
    m = xs.shape[0]
    mu, var, _ = batch_stats(x)
    dx_hat = dys * gamma
    dvar = (dx_hat * (xs - mu)).sum(axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = (dx_hat * -1 / np.sqrt(var + eps)).sum(axis=0) + dvar * (-2 * (xs - mu)).sum(axis=0) / m
    dxs = dx_hat / np.sqrt(var + eps) + dvar * 2 * (xs - mu) / m + dmu / m
    np.testing.assert_allclose(channels_last(dx), dxs, rtol=1e-10, atol=1e-12)
    x_hat = (xs - mu) / np.sqrt(var + eps)
    np.testing.assert_allclose(bn.weight.grad, (dys * x_hat).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.bias.grad, dys.sum(axis=0), rtol=1e-12)


# --- LayerNorm ----------------------------------------------------------------------------

def test_layernorm_defaults_and_config():
    ln = LayerNorm(6)
    assert ln.get_config() == {"num_features": 6, "eps": 1e-5, "dtype": "float32"}
    assert repr(ln) == "LayerNorm(num_features=6, eps=1e-05, dtype='float32')"
    assert [name for name, _ in ln.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(ln.weight.data, np.ones(6))
    np.testing.assert_array_equal(ln.bias.data, np.zeros(6))
    assert ln.buffers() == {}
    cfg = LayerNorm(3, eps=1e-3, dtype=np.float64).get_config()
    assert LayerNorm(**cfg).get_config() == cfg


@pytest.mark.parametrize("kwargs, bad", [
    ({"num_features": 0}, "0"), ({"num_features": 1.5}, "1.5"),
    ({"num_features": 3, "eps": 0}, "0"), ({"num_features": 3, "eps": -1.0}, "-1.0"),
    ({"num_features": 3, "eps": float("nan")}, "nan"),
])
def test_layernorm_invalid_arguments(kwargs, bad):
    with pytest.raises(ValueError, match=rf"LayerNorm.*{bad}"):
        LayerNorm(**kwargs)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_layernorm_wrong_num_features_raises(shape):
    with pytest.raises(ValueError, match=r"LayerNorm\(num_features=3"):
        LayerNorm(3).forward(np.ones(shape))


@pytest.mark.parametrize("shape", [(9, 6), (3, 4, 6)])
@pytest.mark.parametrize("eps", [1e-5, 0.5])
def test_layernorm_matches_reference_and_normalises_each_sample(shape, eps):
    x = np.random.default_rng(0).normal(1.5, 3.0, size=shape)
    ln = LayerNorm(6, eps=eps, dtype=np.float64)
    plain = ln.forward(x)
    d = shape[-1]
    mean = x.sum(axis=-1, keepdims=True) / d
    var = ((x - mean) ** 2).sum(axis=-1, keepdims=True) / d
    np.testing.assert_allclose(plain.mean(axis=-1), 0.0, atol=1e-12)
    np.testing.assert_allclose(plain.var(axis=-1, keepdims=True), var / (var + eps), rtol=1e-12)
    randomise_affine(ln)
    expected = ref_layernorm(x, ln.weight.data, ln.bias.data, eps)
    np.testing.assert_allclose(ln.forward(x, training=True), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ln.forward(x, training=False), ln.forward(x, training=True))


def test_layernorm_does_not_depend_on_the_batch():
    x = np.random.default_rng(1).normal(size=(5, 4))
    ln = LayerNorm(4, dtype=np.float64)
    np.testing.assert_allclose(ln.forward(x[2:3]), ln.forward(x)[2:3], rtol=1e-14)


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)])
def test_layernorm_gradcheck(shape):
    ln = LayerNorm(4, dtype=np.float64)
    randomise_affine(ln)
    result = gradcheck(ln, np.random.default_rng(2).normal(0.5, 2.0, size=shape))
    assert set(result.errors) == {"input", "weight", "bias"}
    assert result.passed(1e-7), str(result)


# --- both: dtypes, dy, backward before forward ----------------------------------------------

def make(cls, dtype):
    return BatchNorm(4, dtype=dtype) if cls is BatchNorm else LayerNorm(4, dtype=dtype)


@pytest.mark.parametrize("cls", [BatchNorm, LayerNorm])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
def test_dtype_preserved_and_dy_not_mutated(cls, dtype, training):
    layer = make(cls, dtype)
    x = data((6, 4), seed=3, dtype=dtype)
    dy = np.random.default_rng(4).standard_normal((6, 4)).astype(dtype)
    dy_before = dy.copy()
    y = layer.forward(x, training=training)
    dx = layer.backward(dy)
    assert y.dtype == dtype and dx.dtype == dtype and dx.shape == x.shape
    assert all(p.grad.dtype == dtype for p in layer.parameters())
    assert all(b.dtype == dtype for b in layer.buffers().values())
    np.testing.assert_array_equal(dy, dy_before)


@pytest.mark.parametrize("cls", [BatchNorm, LayerNorm])
def test_float64_input_is_converted_to_the_layer_dtype(cls):
    assert make(cls, np.float32).forward(data((5, 4)), training=True).dtype == np.float32


@pytest.mark.parametrize("cls", [BatchNorm, LayerNorm])
def test_gradients_accumulate(cls):
    layer = make(cls, np.float64)
    x, dy = data((6, 4), seed=1), np.random.default_rng(2).standard_normal((6, 4))
    layer.forward(x, training=True)
    layer.backward(dy)
    once = [p.grad.copy() for p in layer.parameters()]
    layer.forward(x, training=True)
    layer.backward(dy)
    for g1, p in zip(once, layer.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, 2 * g1, rtol=1e-12)


@pytest.mark.parametrize("cls", [BatchNorm, LayerNorm])
def test_backward_before_forward_raises(cls):
    with pytest.raises(RuntimeError, match=cls.__name__):
        make(cls, np.float64).backward(np.ones((3, 4)))


# --- reference path ------------------------------------------------------------------------------------
NORM_CASES = [
    (lambda dt: BatchNorm(3, momentum=0.3, dtype=dt), [(4, 3), (2, 3, 2, 2)]),
    (lambda dt: BatchNorm(3, affine=False, dtype=dt), [(4, 3), (2, 3, 2, 2)]),
    (lambda dt: LayerNorm(3, dtype=dt), [(4, 3), (2, 2, 3)]),
]


@pytest.mark.parametrize("make, shapes", NORM_CASES, ids=["BatchNorm", "BatchNorm-noaffine", "LayerNorm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=20, deadline=None)
@given(data=st.data(), training=st.booleans())
def test_fast_path_equals_reference_bit_for_bit(make, shapes, dtype, data, training):
    """y, dx, dγ, dβ and the running statistics: the same bits, extremes included (where the variance overflows
    both give the same inf or NaN)."""
    shape = data.draw(st.sampled_from(shapes))
    x = data.draw(arrays(dtype, shape, elements=extreme_floats(dtype)))
    dy = data.draw(arrays(dtype, shape, elements=extreme_floats(dtype)))
    fast, ref = make(dtype), make(dtype)
    rng = np.random.default_rng(0)
    for p, q in zip(fast.parameters(), ref.parameters()):
        p.data[...] = q.data[...] = rng.uniform(-2, 2, p.shape)
    for name, b in fast.buffers().items():
        b[...] = ref.buffers()[name][...] = rng.uniform(0.5, 2, b.shape)
    with np.errstate(all="ignore"):
        y, dx = fast.forward(x, training=training), fast.backward(dy)
        y_ref, backward = ref.reference(x, training=training)
        dx_ref = backward(dy)
    assert_same_bits(y, y_ref, "y")
    assert_same_bits(dx, dx_ref, "dx")
    for (name, p), q in zip(fast.named_parameters(), ref.parameters()):
        assert_same_bits(p.grad, q.grad, f"grad of {name}")
    for name, b in fast.buffers().items():
        assert_same_bits(b, ref.buffers()[name], name)


@pytest.mark.parametrize("cls", [BatchNorm, LayerNorm])
def test_textbook_mode_runs_the_reference(cls, monkeypatch):
    layer, calls = cls(3, dtype=np.float64), []
    original = layer.reference
    monkeypatch.setattr(layer, "reference", lambda x, training=False: calls.append(training) or original(x, training))
    x = np.arange(12.0).reshape(4, 3) % 5
    layer.forward(x, training=True)
    assert calls == []
    with mn.textbook():
        y = layer.forward(x, training=True)
        layer.backward(np.ones_like(y))
    assert calls == [True] and np.any(layer.weight.grad != 0)
