"""The layer contract, checked for every row of the layer table (tests/layer_table.py).

For each layer, in each of its modes and input shapes:

- gradient check: relative error ≤ 1e-7 in float64, at inputs away from the kinks, for the input and every
  parameter (dropout with its mask held fixed);
- dtype kept: float32 in, float32 out (y, dx, parameters, gradients, buffers); the same for float64;
- ``backward`` never modifies ``dy`` (nor ``forward`` ``x``), and returns a new array;
- parameter gradients accumulate: two backward calls add up exactly;
- ``backward`` before any ``forward`` raises RuntimeError;
- ``mn.save``/``mn.load`` round trip: same class, configuration, parameters, buffers and outputs;
- fast equals reference: a forward and backward in textbook mode (``mn.textbook()``) against the fast path,
  and ``layer.reference`` against ``forward``/``backward`` where the layer has one, to the row's tolerance.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from layer_table import LAYER_CASES, LayerCase, build, generators, ids, sample_input

import minnet as mn

pytestmark = pytest.mark.filterwarnings("error")

DTYPES = [np.float32, np.float64]
GRADCHECK_TOL = 1e-7
CASES = pytest.mark.parametrize("case", LAYER_CASES, ids=ids(LAYER_CASES))
MODES = pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])


def skip_unless_mode(case: LayerCase, training: bool) -> None:
    if training not in case.training_modes:
        pytest.skip(f"{case.name} does not run with training={training}")


def run(layer: mn.Layer, x: np.ndarray, dy: np.ndarray, training: bool) -> tuple[np.ndarray, np.ndarray]:
    """One forward and backward; random layers draw the same masks each time (generators restored)."""
    gens = generators(layer)
    states = [g.bit_generator.state for g in gens]
    y = layer.forward(x, training=training)
    dx = layer.backward(dy)
    for g, s in zip(gens, states, strict=True):
        g.bit_generator.state = s
    return y, dx


def output_gradient(shape: tuple[int, ...], dtype: type, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def assert_matches(case: LayerCase, got: np.ndarray, want: np.ndarray, what: str, extra_ulps: int = 0,
                   summed: bool = False) -> None:
    """``got`` equals ``want`` to the row's tolerance (see tests/layer_table.py), plus ``extra_ulps`` (a product
    with one more rounding, dx = dy·f'(x)). ``summed``: a parameter gradient, a sum over many products, is
    compared in ulps of its largest value even in an "ulps" row (elementwise ulps mean nothing after cancellation)."""
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    if case.reference == "exact":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    allowed = case.ulps + extra_ulps
    if case.reference == "ulps" and not summed:
        unit = np.spacing(np.maximum(np.abs(got), np.abs(want)).astype(want.dtype))
    else:
        unit = np.spacing(np.max(np.abs(want)).astype(want.dtype))
        allowed *= 1 if case.reference == "close" else 16
    excess = np.abs(got.astype(np.float64) - want.astype(np.float64)) / unit.astype(np.float64)
    assert np.all(excess <= allowed), f"{what}: up to {np.max(excess):.3g} ulps, allowed {allowed}"


# --- gradient check ----------------------------------------------------------------------------------
@CASES
@MODES
def test_gradcheck(case: LayerCase, training: bool) -> None:
    skip_unless_mode(case, training)
    for shape in case.shapes:
        layer = build(case)
        x = sample_input(case, shape, np.float64)
        result = mn.gradcheck(layer, x, training=training)
        assert set(result.errors) == {"input"} | {name for name, _ in layer.named_parameters()}
        assert result.max_error <= GRADCHECK_TOL, f"{case.name} {shape}\n{result}"


# --- dtype ---------------------------------------------------------------------------------------------
@CASES
@MODES
@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_kept(case: LayerCase, training: bool, dtype: type) -> None:
    skip_unless_mode(case, training)
    for shape in case.shapes:
        layer = build(case, dtype)
        x = sample_input(case, shape, dtype)
        y, dx = run(layer, x, output_gradient(layer.forward(x).shape, dtype), training)   # eval: no side effect
        assert y.dtype == dtype and dx.dtype == dtype and dx.shape == x.shape, (y.dtype, dx.dtype, dx.shape)
        for name, p in layer.named_parameters():
            assert p.data.dtype == dtype and p.grad.dtype == dtype and p.grad.shape == p.data.shape, name
        for name, b in layer.buffers().items():
            assert b.dtype == dtype, name


# --- dy and x are read only ----------------------------------------------------------------------------
@CASES
@MODES
def test_backward_never_modifies_dy(case: LayerCase, training: bool) -> None:
    skip_unless_mode(case, training)
    for shape in case.shapes:
        layer = build(case)
        x = sample_input(case, shape, np.float64)
        x_before = x.copy()
        x.setflags(write=False)                  # an in-place write raises ValueError
        y = layer.forward(x, training=training)
        dy = output_gradient(y.shape, np.float64)
        dy_before = dy.copy()
        dy.setflags(write=False)
        dx = layer.backward(dy)
        np.testing.assert_array_equal(dy, dy_before)
        np.testing.assert_array_equal(x, x_before)
        assert not np.shares_memory(dx, dy)      # returning dy itself would let the caller's edits leak back
        dx += 1.0                                # the returned gradient is the caller's to modify


# --- accumulation --------------------------------------------------------------------------------------
@CASES
@MODES
def test_parameter_gradients_accumulate_over_two_backward_calls(case: LayerCase, training: bool) -> None:
    skip_unless_mode(case, training)
    layer = build(case)
    if not layer.parameters():
        pytest.skip(f"{case.name} has no parameters")
    x = sample_input(case, case.shapes[0], np.float64)
    y_shape = layer.forward(x).shape
    dy1, dy2 = output_gradient(y_shape, np.float64, 1), output_gradient(y_shape, np.float64, 2)
    layer.zero_grad()
    run(layer, x, dy1, training)
    g1 = {n: p.grad.copy() for n, p in layer.named_parameters()}
    layer.zero_grad()
    run(layer, x, dy2, training)
    g2 = {n: p.grad.copy() for n, p in layer.named_parameters()}
    layer.zero_grad()
    run(layer, x, dy1, training)
    run(layer, x, dy2, training)
    for name, p in layer.named_parameters():
        assert np.any(g1[name] != 0), name
        np.testing.assert_array_equal(p.grad, g1[name] + g2[name], err_msg=name)   # 0 + g1 + g2, exactly
    layer.zero_grad()
    assert not any(p.grad.any() for p in layer.parameters())


# --- backward before forward ---------------------------------------------------------------------------
@CASES
def test_backward_before_forward_raises(case: LayerCase) -> None:
    layer = build(case)
    x = sample_input(case, case.shapes[0], np.float64)
    y_shape = copy.deepcopy(layer).forward(x).shape
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(y_shape))


# --- save and load -------------------------------------------------------------------------------------
@CASES
@pytest.mark.parametrize("dtype", DTYPES)
def test_save_load_round_trip(case: LayerCase, dtype: type, tmp_path) -> None:
    layer = build(case, dtype)
    x = sample_input(case, case.shapes[0], dtype)
    layer.forward(x, training=True)              # moves BatchNorm's running statistics and dropout generators
    mn.save(layer, tmp_path / "layer.minnet")
    loaded = mn.load(tmp_path / "layer.minnet")
    assert type(loaded) is type(layer) and loaded.get_config() == layer.get_config()
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in layer.named_parameters()]
    for (name, p), q in zip(layer.named_parameters(), loaded.parameters(), strict=True):
        assert q.dtype == p.dtype and np.array_equal(q.data, p.data), name
    assert loaded.buffers().keys() == layer.buffers().keys()
    for name, b in layer.buffers().items():
        assert np.array_equal(loaded.buffers()[name], b), name
    for training in case.training_modes:         # same output, with the same masks for dropout
        np.testing.assert_array_equal(loaded.forward(x, training=training), layer.forward(x, training=training))


# --- fast path equals reference path -------------------------------------------------------------------
@CASES
@MODES
@pytest.mark.parametrize("dtype", DTYPES)
def test_fast_equals_textbook_mode(case: LayerCase, training: bool, dtype: type) -> None:
    """The whole layer (a model: every layer in it) run in textbook mode against the fast path."""
    skip_unless_mode(case, training)
    for shape in case.shapes:
        fast, textbook = build(case, dtype), build(case, dtype)
        x = sample_input(case, shape, dtype)
        dy = output_gradient(fast.forward(x).shape, dtype)
        y, dx = run(fast, x, dy, training)
        with mn.textbook():
            y_ref, dx_ref = run(textbook, x, dy, training)
        assert_matches(case, y, y_ref, "y")
        assert_matches(case, dx, dx_ref, "dx", extra_ulps=1)
        for (name, p), q in zip(fast.named_parameters(), textbook.parameters(), strict=True):
            assert_matches(case, p.grad, q.grad, f"grad of {name}", summed=True)
        for name, b in fast.buffers().items():
            assert_matches(case, b, textbook.buffers()[name], name)


@CASES
@MODES
@pytest.mark.parametrize("dtype", DTYPES)
def test_fast_equals_reference_method(case: LayerCase, training: bool, dtype: type) -> None:
    """``layer.reference`` against ``forward``/``backward``: (y, backward) for layers, (y, dy/dx) for activations."""
    skip_unless_mode(case, training)
    probe = build(case, dtype)
    if not callable(getattr(probe, "reference", None)):
        pytest.skip(f"{type(probe).__name__} has no reference method"
                    + ("; its layers are compared in textbook mode" if isinstance(probe, mn.Sequential) else ""))
    for shape in case.shapes:
        fast, ref = build(case, dtype), build(case, dtype)
        x = sample_input(case, shape, dtype)
        dy = output_gradient(fast.forward(x).shape, dtype)
        y, dx = run(fast, x, dy, training)
        if isinstance(ref, mn.Activation):
            y_ref, dydx = ref.reference(x)
            dx_ref = dy * dydx
        else:
            y_ref, backward = ref.reference(x, training)
            dx_ref = backward(dy)
            for (name, p), q in zip(fast.named_parameters(), ref.parameters(), strict=True):
                assert_matches(case, p.grad, q.grad, f"grad of {name}", summed=True)
        assert_matches(case, y, y_ref, "y")
        assert_matches(case, dx, dx_ref, "dx", extra_ulps=1)
