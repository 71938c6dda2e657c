"""Tests of minnet.nn.losses: hand-computed values, gradient checks, stability, dtypes, validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from layer_table import assert_same_bits, extreme_floats

import minnet as mn
from minnet.gradcheck import gradcheck_loss
from minnet.nn.losses import (
    LOSSES,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    get_loss,
    log_softmax,
    sigmoid,
    softmax,
)

RNG = np.random.default_rng(1234)


def _ce_reference(z: np.ndarray, y: np.ndarray, eps: float = 0.0) -> float:
    """Cross-entropy written out with math.exp/math.log, one sample and class at a time."""
    n, c = z.shape
    total = 0.0
    for i in range(n):
        denom = sum(math.exp(float(z[i, k])) for k in range(c))
        log_p = [float(z[i, k]) - math.log(denom) for k in range(c)]
        q = [(1 - eps) * (k == y[i]) + eps / c for k in range(c)]
        total += -sum(qk * lk for qk, lk in zip(q, log_p, strict=True))
    return total / n


# --- values computed by hand --------------------------------------------------------------
def test_cross_entropy_tiny_example_by_hand():
    z = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])
    y = np.array([2, 0])
    e = math.e
    expected = ((math.log(e + e**2 + e**3) - 3) + (math.log(e + 1 + 1 / e) - 1)) / 2
    loss = CrossEntropyLoss()
    assert loss.forward(z, y) == pytest.approx(expected, rel=1e-14)
    dz = loss.backward()
    # row 0: softmax − one_hot(2), divided by N = 2
    s0 = [math.exp(k) / (e + e**2 + e**3) for k in (1, 2, 3)]
    assert dz[0] == pytest.approx([s0[0] / 2, s0[1] / 2, (s0[2] - 1) / 2], rel=1e-12)
    assert dz.sum(axis=1) == pytest.approx([0.0, 0.0], abs=1e-15)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5])
def test_cross_entropy_matches_reference(eps):
    z = RNG.normal(scale=3.0, size=(7, 5))
    y = RNG.integers(0, 5, size=7)
    assert CrossEntropyLoss(label_smoothing=eps).forward(z, y) == pytest.approx(_ce_reference(z, y, eps), rel=1e-12)


def test_label_smoothing_changes_value_and_gradient():
    z = RNG.normal(size=(4, 3))
    y = np.array([0, 1, 2, 1])
    plain, smooth = CrossEntropyLoss(), CrossEntropyLoss(label_smoothing=0.2)
    assert plain.forward(z, y) != pytest.approx(smooth.forward(z, y))
    # gradient = (softmax − q)/N with q = 0.8·one_hot + 0.2/3
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    q = np.full((4, 3), 0.2 / 3)
    q[np.arange(4), y] += 0.8
    np.testing.assert_allclose(smooth.backward(), (p - q) / 4, rtol=1e-12, atol=1e-15)


def test_mse_by_hand():
    loss = MSELoss()
    assert loss.forward(np.array([[1.0], [2.0]]), np.array([0.0, 4.0])) == pytest.approx((1 + 4) / 2)
    np.testing.assert_allclose(loss.backward(), [[2 * 1 / 2], [2 * -2 / 2]])
    assert loss.forward(np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 0.0], [0.0, 5.0]])) == pytest.approx(
        (0 + 4 + 9 + 0) / 4)
    np.testing.assert_allclose(loss.backward(), [[0.0, 1.0], [1.5, 0.0]])


def test_bce_by_hand():
    z = np.array([[0.0], [2.0], [-3.0]])
    t = np.array([1.0, 0.0, 0.25])
    # −[t log σ(z) + (1 − t) log(1 − σ(z))] with σ written out
    def term(zi, ti):
        s = 1 / (1 + math.exp(-zi))
        return -(ti * math.log(s) + (1 - ti) * math.log(1 - s))
    expected = sum(term(zi, ti) for zi, ti in zip(z[:, 0], t, strict=True)) / 3
    loss = BCEWithLogitsLoss()
    assert loss.forward(z, t) == pytest.approx(expected, rel=1e-13)
    assert term(0.0, 1.0) == pytest.approx(math.log(2))
    sig = [1 / (1 + math.exp(-zi)) for zi in z[:, 0]]
    np.testing.assert_allclose(loss.backward()[:, 0], [(s - ti) / 3 for s, ti in zip(sig, t, strict=True)], rtol=1e-12)


def test_bce_equals_two_class_cross_entropy():
    """σ(z) = softmax([0, z])₁, so BCE(z, t) = CE([0, z], t) for hard labels t."""
    z = RNG.normal(scale=4.0, size=9)
    t = RNG.integers(0, 2, size=9)
    logits = np.stack([np.zeros(9), z], axis=1)
    assert BCEWithLogitsLoss().forward(z, t.astype(float)) == pytest.approx(
        CrossEntropyLoss().forward(logits, t), rel=1e-12)


# --- gradient checks (float64, rel error ≤ 1e-7) ------------------------------------------
@pytest.mark.parametrize("loss, pred, target", [
    (CrossEntropyLoss(), RNG.normal(size=(6, 4)), RNG.integers(0, 4, size=6)),
    (CrossEntropyLoss(label_smoothing=0.1), RNG.normal(scale=5, size=(6, 4)), RNG.integers(0, 4, size=6)),
    (MSELoss(), RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))),
    (MSELoss(), RNG.normal(size=(5, 1)), RNG.normal(size=5)),
    (MSELoss(), RNG.normal(size=7), RNG.normal(size=7)),
    (BCEWithLogitsLoss(), RNG.normal(scale=3, size=(8, 1)), RNG.integers(0, 2, size=8).astype(float)),
    (BCEWithLogitsLoss(), RNG.normal(size=(4, 3)), RNG.uniform(size=(4, 3))),
], ids=["ce", "ce-smooth", "mse", "mse-N1", "mse-1d", "bce-N1", "bce-soft"])
def test_gradcheck(loss, pred, target):
    result = gradcheck_loss(loss, pred, target)
    assert result.passed(1e-7), str(result)


# --- stability and dtypes ------------------------------------------------------------------
def test_extreme_logits_are_finite_and_exact():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype=np.float32)
    y = np.array([0, 0])
    loss = CrossEntropyLoss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss.forward(z, y)
        dz = loss.backward()
    # row 0 is certain and right (loss 0), row 1 certain and wrong (loss 2e4)
    assert value == pytest.approx(1e4, rel=1e-6)
    np.testing.assert_allclose(dz, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-7)

    zb = np.array([1e4, -1e4, 1e4, -1e4], dtype=np.float32)
    tb = np.array([1.0, 0.0, 0.0, 1.0])
    bce = BCEWithLogitsLoss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bce.forward(zb, tb) == pytest.approx(2e4 / 4, rel=1e-6)
        np.testing.assert_allclose(bce.backward(), [0, 0, 0.25, -0.25], atol=1e-7)


@pytest.mark.parametrize("loss, pred, target", [
    (CrossEntropyLoss(label_smoothing=0.1), RNG.normal(size=(5, 3)), RNG.integers(0, 3, size=5)),
    (MSELoss(), RNG.normal(size=(5, 1)), RNG.normal(size=5)),
    (BCEWithLogitsLoss(), RNG.normal(size=(5, 1)), RNG.integers(0, 2, size=5)),
], ids=["ce", "mse", "bce"])
def test_float32_in_float32_out(loss, pred, target):
    pred32 = pred.astype(np.float32)
    value = loss.forward(pred32, target)          # target is float64 / int64: must not upcast
    grad32 = loss.backward()
    assert isinstance(value, float)
    assert grad32.dtype == np.float32 and grad32.shape == pred32.shape
    value64 = loss.forward(pred, target)
    np.testing.assert_allclose(grad32, loss.backward(), rtol=1e-5, atol=1e-7)
    assert value == pytest.approx(value64, rel=1e-5)


def test_backward_is_repeatable_and_does_not_alias_input():
    z = RNG.normal(size=(3, 4))
    z0 = z.copy()
    loss = CrossEntropyLoss()
    loss.forward(z, np.array([0, 1, 2]))
    g1 = loss.backward()
    g1[...] = 0
    np.testing.assert_array_equal(z, z0)
    assert np.abs(loss.backward()).sum() > 0


def test_helpers_softmax_log_softmax_sigmoid():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = softmax(z)
        lp = log_softmax(z)
        s = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(np.exp(lp), p, rtol=1e-6, atol=1e-30)
    e = math.e
    assert lp[1, 2] == pytest.approx(3 - math.log(e + e**2 + e**3), rel=1e-6)
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])


# --- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize("pred, target, match", [
    (np.zeros((3, 4)), np.array([0, 1, 4]), r"\[0, 4\)"),
    (np.zeros((3, 4)), np.array([0, -1, 2]), r"\[0, 4\)"),
    (np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]), "integer"),
    (np.zeros((3, 4)), np.array([0, 1]), r"shape \(3,\)"),
    (np.zeros(4), np.array([0]), r"\(N, C\)"),
    (np.zeros((2, 3, 4)), np.array([0, 1]), r"\(N, C\)"),
    (np.array([[0.0, np.nan], [1.0, 2.0]]), np.array([0, 1]), "finite"),
    (np.array([[0.0, np.inf], [1.0, 2.0]]), np.array([0, 1]), "finite"),
])
def test_cross_entropy_rejects_bad_input(pred, target, match):
    with pytest.raises(ValueError, match=match) as info:
        CrossEntropyLoss().forward(pred, target)
    assert "CrossEntropyLoss" in str(info.value)


@pytest.mark.parametrize("loss, pred, target, match", [
    (MSELoss(), np.zeros((3, 2)), np.zeros(3), r"shape \(3, 2\)"),
    (MSELoss(), np.zeros(3), np.zeros((3, 1)), r"shape \(3,\)"),
    (MSELoss(), np.array([1.0, np.nan]), np.zeros(2), "finite"),
    (MSELoss(), np.zeros((0, 1)), np.zeros(0), "non-empty"),
    (BCEWithLogitsLoss(), np.zeros((2, 1)), np.array([0.0, 2.0]), r"\[0, 1\]"),
    (BCEWithLogitsLoss(), np.zeros((2, 1, 1)), np.zeros((2, 1, 1)), r"\(N,\) or \(N, K\)"),
    (BCEWithLogitsLoss(), np.array([np.nan, 0.0]), np.zeros(2), "finite"),
    (BCEWithLogitsLoss(), np.zeros(3), np.zeros(4), "shape"),
])
def test_regression_and_binary_losses_reject_bad_input(loss, pred, target, match):
    with pytest.raises(ValueError, match=match) as info:
        loss.forward(pred, target)
    assert type(loss).__name__ in str(info.value)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        MSELoss().backward()


def test_label_smoothing_range():
    with pytest.raises(ValueError, match="label_smoothing"):
        CrossEntropyLoss(label_smoothing=1.5)


# --- registry and description ----------------------------------------------------------------
def test_get_loss_and_tasks():
    assert isinstance(get_loss("cross_entropy"), CrossEntropyLoss)
    assert isinstance(get_loss("mse"), MSELoss)
    assert isinstance(get_loss("bce_with_logits"), BCEWithLogitsLoss)
    assert get_loss("cross_entropy", label_smoothing=0.1).label_smoothing == 0.1
    assert {cls.task for cls in LOSSES.values()} == {"multiclass", "regression", "binary"}
    with pytest.raises(ValueError, match="bce_with_logits.*cross_entropy.*mse"):
        get_loss("hinge")


def test_repr_and_config():
    assert repr(CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(label_smoothing=0.1)"
    assert repr(MSELoss()) == "MSELoss()"
    loss = CrossEntropyLoss(**CrossEntropyLoss(label_smoothing=0.3).get_config())
    assert loss.label_smoothing == 0.3


# --- reference path ------------------------------------------------------------------------------------
def _fast_and_reference(loss_fn, pred, target):
    with np.errstate(all="ignore"):
        value = loss_fn.forward(pred, target)
        grad = loss_fn.backward()
        ref_value, ref_grad = loss_fn.reference(pred, target)
    return value, grad, ref_value, ref_grad


@st.composite
def logits_and_labels(draw, dtype):
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 4))
    z = draw(arrays(dtype, (n, c), elements=extreme_floats(dtype)))
    return z, draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=30, deadline=None)
@given(data=st.data(), smoothing=st.sampled_from([0.0, 0.1, 1.0]))
def test_cross_entropy_fast_equals_reference(dtype, data, smoothing):
    """Bit for bit without label smoothing; with it, q is rounded differently: the gradient within 2 ulp of 1/N
    (|p − q| ≤ 1) and the loss (a sum of non-negative terms) within 8 ulp relative."""
    z, y = data.draw(logits_and_labels(dtype))
    value, grad, ref_value, ref_grad = _fast_and_reference(CrossEntropyLoss(smoothing), z, y)
    if smoothing == 0.0:
        assert value == ref_value
        assert_same_bits(grad, ref_grad, "dz")
        return
    eps = float(np.finfo(dtype).eps)
    assert math.isclose(value, ref_value, rel_tol=8 * eps, abs_tol=8 * eps)
    assert grad.dtype == ref_grad.dtype == dtype
    assert np.max(np.abs(grad.astype(np.float64) - ref_grad)) <= 2 * eps / len(z)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_bce_and_mse_fast_equal_reference(dtype, data):
    """Gradients bit for bit; BCE's loss bit for bit; MSE's loss sums in another order (np.dot against np.mean):
    within 8 ulp relative (non-negative terms), or the same inf when a square overflows."""
    shape = data.draw(st.sampled_from([(3,), (4, 1), (2, 3)]))
    z = data.draw(arrays(dtype, shape, elements=extreme_floats(dtype)))
    t = data.draw(arrays(dtype, shape, elements=st.sampled_from([0.0, 1.0, 0.25])))
    value, grad, ref_value, ref_grad = _fast_and_reference(BCEWithLogitsLoss(), z, t)
    assert value == ref_value
    assert_same_bits(grad, ref_grad, "BCE dz")
    target = data.draw(arrays(dtype, shape, elements=extreme_floats(dtype)))
    value, grad, ref_value, ref_grad = _fast_and_reference(MSELoss(), z, target)
    assert math.isclose(value, ref_value, rel_tol=8 * float(np.finfo(dtype).eps)) or value == ref_value
    assert_same_bits(grad, ref_grad, "MSE dpred")


@pytest.mark.parametrize("loss_fn, pred, target", [
    (CrossEntropyLoss(0.1), np.array([[1.0, -2.0, 0.5]]), np.array([2])),
    (BCEWithLogitsLoss(), np.array([0.3, -4.0]), np.array([1.0, 0.0])),
    (MSELoss(), np.array([[0.3], [2.0]]), np.array([1.0, -1.0])),
], ids=["cross_entropy", "bce", "mse"])
def test_textbook_mode_runs_the_reference(loss_fn, pred, target, monkeypatch):
    value, grad = loss_fn.forward(pred, target), loss_fn.backward()
    calls = []
    original = loss_fn.reference
    monkeypatch.setattr(loss_fn, "reference", lambda p, t: calls.append(1) or original(p, t))
    with mn.textbook():
        assert loss_fn.forward(pred, target) == pytest.approx(value, rel=1e-15)
        np.testing.assert_allclose(loss_fn.backward(), grad, rtol=1e-15)
    assert calls == [1]
    loss_fn.forward(pred, target)
    assert calls == [1]                                      # textbook mode off: the fast path again
    with pytest.raises(RuntimeError, match="before forward"):
        type(loss_fn)().backward()


def test_functional_module_is_the_one_copy():
    from minnet.nn import functional

    assert (softmax, log_softmax, sigmoid) == (functional.softmax, functional.log_softmax, functional.sigmoid)
    z = np.array([-1e4, 0.0, 1e4], dtype=np.float32)
    expected = [0.0, 0.5, 1.0]                               # σ(±1e4) rounds to 0 and 1; σ(0) = 1/2
    np.testing.assert_array_equal(functional.sigmoid(z), np.array(expected, dtype=np.float32))


@pytest.mark.parametrize("label_dtype", [np.uint8, np.uint64, np.int32, np.int16])
def test_cross_entropy_takes_any_integer_label_dtype_with_the_same_result(label_dtype) -> None:
    rng = np.random.default_rng(4)
    z, y = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    want = mn.CrossEntropyLoss()
    loss_want, grad_want = want.forward(z, y), want.backward()
    got = mn.CrossEntropyLoss()
    assert got.forward(z, y.astype(label_dtype)) == loss_want
    np.testing.assert_array_equal(got.backward(), grad_want)
    # by hand: mean of logsumexp(z_i) − z_{i,y_i}, and (softmax − one-hot)/N
    lse = np.log(np.exp(z).sum(axis=1))
    np.testing.assert_allclose(loss_want, np.mean(lse - z[np.arange(6), y]), rtol=1e-14)
    np.testing.assert_allclose(grad_want, (np.exp(z - lse[:, None]) - np.eye(5)[y]) / 6, rtol=1e-12, atol=1e-16)
