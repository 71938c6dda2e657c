"""Tests for minnet.nn.dense.Dense: z = x @ W + b, its backward, arguments and errors.

References are written as explicit loops over indices (z_nj = Σ_i x_ni W_ij + b_j, ...),
not with the matrix products the layer uses.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from layer_table import assert_same_bits, assert_same_bits_but_zero_sign, extreme_floats

import minnet as mn
from minnet import init

pytestmark = pytest.mark.filterwarnings("error")


def loop_forward(x, W, b):
    N, D = x.shape
    _, M = W.shape
    z = np.zeros((N, M))
    for n in range(N):
        for j in range(M):
            z[n, j] = sum(float(x[n, i]) * float(W[i, j]) for i in range(D)) + (0.0 if b is None else float(b[j]))
    return z


def loop_backward(x, W, dz):
    N, D = x.shape
    _, M = W.shape
    dx, dW, db = np.zeros((N, D)), np.zeros((D, M)), np.zeros(M)
    for n in range(N):
        for i in range(D):
            for j in range(M):
                dx[n, i] += float(dz[n, j]) * float(W[i, j])
                dW[i, j] += float(x[n, i]) * float(dz[n, j])
    for n in range(N):
        for j in range(M):
            db[j] += float(dz[n, j])
    return dx, dW, db


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_backward_match_loops(bias: bool, dtype) -> None:
    rng = np.random.default_rng(0)
    layer = mn.Dense(4, 3, bias=bias, rng=1, dtype=dtype)
    if bias:
        layer.bias.data[:] = rng.normal(size=3)
    x = rng.normal(size=(5, 4)).astype(dtype)
    dz = rng.normal(size=(5, 3)).astype(dtype)
    z = layer.forward(x)
    dx = layer.backward(dz)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    W, b = layer.weight.data, layer.bias.data if bias else None
    np.testing.assert_allclose(z, loop_forward(x, W, b), rtol=rtol, atol=rtol)
    ref_dx, ref_dW, ref_db = loop_backward(x, W, dz)
    np.testing.assert_allclose(dx, ref_dx, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(layer.weight.grad, ref_dW, rtol=rtol, atol=rtol)
    assert z.dtype == dtype and dx.dtype == dtype and layer.weight.grad.dtype == dtype
    if bias:
        np.testing.assert_allclose(layer.bias.grad, ref_db, rtol=rtol, atol=rtol)
        assert layer.bias.grad.dtype == dtype
        assert [p.name for p in layer.parameters()] == ["weight", "bias"]
    else:
        assert layer.bias is None and [p.name for p in layer.parameters()] == ["weight"]


def test_weight_layout_is_in_by_out_and_bias_starts_at_zero() -> None:
    layer = mn.Dense(7, 3)
    assert layer.weight.shape == (7, 3) and layer.bias.shape == (3,)
    assert not layer.bias.data.any() and not layer.weight.grad.any() and not layer.bias.grad.any()
    assert layer.weight.dtype == np.float32


def test_default_init_is_lecun_normal_with_fan_in_rows() -> None:
    """W ~ N(0, 1/fan_in) with fan_in = in_features = weight.shape[0]; 5 standard errors of the variance."""
    layer = mn.Dense(500, 40, rng=0, dtype=np.float64)
    w = layer.weight.data.ravel()
    n, var = w.size, 1 / 500
    assert abs(w.mean()) <= 5 * math.sqrt(var / n)
    assert abs(w.var(ddof=1) - var) <= 5 * var * math.sqrt(2 / (n - 1))


@pytest.mark.parametrize("name", ["lecun_normal", "he_uniform", "glorot_normal", "zeros", "kaiming_normal"])
def test_init_argument_is_used_with_the_layer_seed(name: str) -> None:
    layer = mn.Dense(6, 4, init=name, rng=3, dtype=np.float64)
    expected = init.get_initializer(name)((6, 4), rng=np.random.default_rng(3), dtype=np.float64)
    np.testing.assert_array_equal(layer.weight.data, expected)


def test_init_accepts_a_callable() -> None:
    seen = {}

    def my_init(shape, rng=None, dtype=np.float32):
        seen["shape"], seen["rng"], seen["dtype"] = shape, rng, dtype
        return np.arange(np.prod(shape), dtype=dtype).reshape(shape)

    layer = mn.Dense(3, 2, init=my_init, rng=0, dtype=np.float64)
    assert seen["shape"] == (3, 2) and isinstance(seen["rng"], np.random.Generator)
    assert np.dtype(seen["dtype"]) == np.float64
    np.testing.assert_array_equal(layer.weight.data, [[0, 1], [2, 3], [4, 5]])
    assert layer.get_config()["init"] == "my_init"


def test_init_returning_the_wrong_shape_raises() -> None:
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        mn.Dense(3, 2, init=lambda shape, rng=None, dtype=np.float32: np.zeros((2, 3), dtype=dtype))


# ----------------------------------------------------------------------------------------------
# Every constructor argument changes behaviour
# ----------------------------------------------------------------------------------------------
X = np.random.default_rng(9).normal(size=(4, 5))


def test_in_and_out_features_set_the_shapes() -> None:
    assert mn.Dense(5, 3)(X).shape == (4, 3)
    assert mn.Dense(5, 8)(X).shape == (4, 8)
    assert mn.Dense(6, 3).weight.shape == (6, 3)


def test_init_argument_changes_weights() -> None:
    base = mn.Dense(5, 3, rng=0).weight.data
    for name in ["he_normal", "glorot_uniform", "lecun_normal_truncated", "pytorch_default", "zeros"]:
        assert not np.array_equal(mn.Dense(5, 3, init=name, rng=0).weight.data, base), name


def test_bias_argument() -> None:
    with_bias, without = mn.Dense(5, 3, rng=0), mn.Dense(5, 3, bias=False, rng=0)
    assert len(with_bias.parameters()) == 2 and len(without.parameters()) == 1
    with_bias.bias.data[:] = [1.0, -2.0, 3.0]
    np.testing.assert_allclose(with_bias(X) - without(X), np.tile([1.0, -2.0, 3.0], (4, 1)), rtol=1e-6)
    assert without.get_config()["bias"] is False and with_bias.get_config()["bias"] is True


def test_rng_argument() -> None:
    a, b, c = mn.Dense(5, 3, rng=0), mn.Dense(5, 3, rng=0), mn.Dense(5, 3, rng=1)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    g = np.random.default_rng(0)                                 # a shared stream is consumed
    assert not np.array_equal(mn.Dense(5, 3, rng=g).weight.data, mn.Dense(5, 3, rng=g).weight.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_argument_and_input_conversion(dtype) -> None:
    """Parameters, output and gradients have the layer dtype, whatever the input dtype."""
    layer = mn.Dense(5, 3, rng=0, dtype=dtype)
    assert layer.weight.dtype == dtype and layer.bias.dtype == dtype and layer.dtype == dtype
    for x in (X.astype(np.float32), X.astype(np.float64), np.ones((4, 5), dtype=np.int64)):
        z = layer(x)
        assert z.dtype == dtype
        dx = layer.backward(np.ones_like(z))
        assert dx.dtype == dtype and layer.weight.grad.dtype == dtype and layer.bias.grad.dtype == dtype
    assert layer.get_config()["dtype"] == np.dtype(dtype).name


def test_get_config_is_json_and_rebuilds_the_architecture() -> None:
    layer = mn.Dense(5, 3, init="xavier_uniform", bias=False, dtype=np.float64)
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == {"in_features": 5, "out_features": 3, "init": "glorot_uniform",
                                              "bias": False, "dtype": "float64"}
    rebuilt = mn.Dense(**config)
    assert rebuilt.weight.shape == (5, 3) and rebuilt.bias is None and rebuilt.dtype == np.float64


def test_repr() -> None:
    expected = "Dense(in_features=5, out_features=3, init='lecun_normal', bias=True, dtype='float32')"
    assert repr(mn.Dense(5, 3)) == expected


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------
def test_wrong_feature_count_names_both_sizes() -> None:
    layer = mn.Dense(5, 3)
    with pytest.raises(ValueError) as info:
        layer(np.ones((4, 7)))
    message = str(info.value)
    assert "Dense" in message and "5" in message and "7" in message


def test_unbatched_input_is_rejected_with_the_expected_shape() -> None:
    with pytest.raises(ValueError, match=r"Dense.*\(N, 5\)"):
        mn.Dense(5, 3)(np.ones(5))


@pytest.mark.parametrize("bad", [0, -2, 2.5, "4", True, None])
def test_bad_sizes_raise(bad) -> None:
    with pytest.raises(ValueError, match="Dense"):
        mn.Dense(bad, 3)
    with pytest.raises(ValueError, match="Dense"):
        mn.Dense(3, bad)


def test_backward_before_forward_raises() -> None:
    with pytest.raises(RuntimeError, match="before forward"):
        mn.Dense(2, 2).backward(np.ones((1, 2)))


# ----------------------------------------------------------------------------------------------
# Extra leading axes, accumulation, no mutation
# ----------------------------------------------------------------------------------------------
def test_extra_leading_axes_equal_the_flattened_batch() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 5))
    dz = rng.normal(size=(2, 3, 4))
    a, b = mn.Dense(5, 4, rng=0, dtype=np.float64), mn.Dense(5, 4, rng=0, dtype=np.float64)
    b.bias.data[:] = a.bias.data[:] = [0.1, 0.2, 0.3, 0.4]
    za, zb = a(x), b(x.reshape(6, 5))
    np.testing.assert_allclose(za.reshape(6, 4), zb, rtol=1e-14)
    dxa, dxb = a.backward(dz), b.backward(dz.reshape(6, 4))
    assert dxa.shape == x.shape
    np.testing.assert_allclose(dxa.reshape(6, 5), dxb, rtol=1e-14)
    np.testing.assert_allclose(a.weight.grad, b.weight.grad, rtol=1e-14)
    np.testing.assert_allclose(a.bias.grad, b.bias.grad, rtol=1e-14)


def test_gradients_accumulate_and_inputs_are_not_mutated() -> None:
    rng = np.random.default_rng(4)
    x, dz = rng.normal(size=(3, 5)), rng.normal(size=(3, 2))
    x.setflags(write=False)
    dz.setflags(write=False)
    layer = mn.Dense(5, 2, rng=0, dtype=np.float64)
    layer(x)
    layer.backward(dz)
    once = [p.grad.copy() for p in layer.parameters()]
    layer(x)
    layer.backward(dz)
    for p, g in zip(layer.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-14)
    layer.zero_grad()
    assert all(not p.grad.any() for p in layer.parameters())


# --- reference path ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_fast_path_equals_reference_bit_for_bit(bias: bool, dtype, data) -> None:
    """z, dx, dW, db and the training loop's dW/db-only backward: the same bits, extremes included."""
    shape = data.draw(st.sampled_from([(1, 3), (4, 3), (2, 2, 3)]))
    x = data.draw(arrays(dtype, shape, elements=extreme_floats(dtype)))
    dz = data.draw(arrays(dtype, shape[:-1] + (2,), elements=extreme_floats(dtype)))
    fast, ref, first = (mn.Dense(3, 2, bias=bias, rng=0, dtype=dtype) for _ in range(3))
    with np.errstate(all="ignore"):
        z, dx = fast.forward(x), fast.backward(dz)
        z_ref, backward = ref.reference(x)
        dx_ref = backward(dz)
        first.forward(x)
        first.backward_to_parameters(dz)
    assert_same_bits(z, z_ref, "z")
    assert_same_bits(dx, dx_ref, "dx")
    for (name, p), q, r in zip(fast.named_parameters(), ref.parameters(), first.parameters()):
        # the fast path writes its first gradient into the zeroed grad: a −0 may stay −0 there
        assert_same_bits_but_zero_sign(p.grad, q.grad, f"grad of {name}")
        assert_same_bits_but_zero_sign(r.grad, q.grad, f"grad of {name} (backward_to_parameters)")


def test_textbook_mode_runs_the_reference_also_for_backward_to_parameters(monkeypatch) -> None:
    layer, calls = mn.Dense(3, 2, rng=0, dtype=np.float64), []
    original = layer.reference
    monkeypatch.setattr(layer, "reference", lambda x, training=False: calls.append(training) or original(x, training))
    x = np.arange(6.0).reshape(2, 3)
    with mn.textbook():
        layer.forward(x, training=True)
        layer.backward_to_parameters(np.ones((2, 2)))
    assert calls == [True]
    np.testing.assert_array_equal(layer.weight.grad, x.T @ np.ones((2, 2)))
