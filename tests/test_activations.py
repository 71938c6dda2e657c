"""Tests for minnet.nn.activations: values, derivatives, conventions at 0, extremes, arguments,
the fast kernels against each class's ``reference``, textbook mode, and custom activations.

Expected values are computed here, per element, in double precision with Python's
``math`` module from the formulas in docs/conventions.md, never copied from the implementation.
The layer contract shared by every layer (gradient checks, dtype kept, ``dy`` untouched, backward
before forward, save/load) is tested once for all layers in tests/test_layer_contract.py.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from decimal import Decimal, getcontext
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minnet as mn
from minnet import activations

pytestmark = pytest.mark.filterwarnings("error")

DTYPES = [np.float32, np.float64]
# The points of the issue: far negative, moderately negative, tiny, exactly 0, tiny positive, large.
POINTS = [-1e4, -50.0, -1e-8, 0.0, 1e-8, 50.0, 1e4]

# SELU constants typed in from the paper / docs/conventions.md (not imported from minnet).
ALPHA_STR = "1.6732632423543772848170429916717"
SCALE_STR = "1.0507009873554804934193349852946"
getcontext().prec = 60
SCALE_ALPHA = float(Decimal(ALPHA_STR) * Decimal(SCALE_STR))   # λα correctly rounded to float64
A, L = float(ALPHA_STR), float(SCALE_STR)


def raise_on_fp_errors():
    return np.errstate(over="raise", invalid="raise", divide="raise")


# ---------------------------------------------------------------------------------------------
# Reference implementations: scalar, double precision, straight from the formulas.
# ---------------------------------------------------------------------------------------------
def sigmoid_ref(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sech2_ref(x: float) -> float:
    try:
        return 1.0 / math.cosh(x) ** 2
    except OverflowError:            # cosh(x)² beyond float max: sech² is below the smallest subnormal
        return 0.0


Ref = Callable[[float], float]


class Case:
    """One activation with fixed constructor arguments and its reference f, f' and f'(0)."""

    def __init__(self, name: str, make: Callable[..., mn.Activation], f: Ref, df: Ref, df0: float):
        self.name, self.make, self.f, self.df, self.df0 = name, make, f, df, df0

    def __repr__(self) -> str:
        return self.name


def leaky_case(s: float) -> Case:
    return Case(f"LeakyReLU({s})", lambda dtype: mn.LeakyReLU(negative_slope=s),
                lambda x: x if x > 0 else s * x, lambda x: 1.0 if x > 0 else s, s)


def prelu_case(a: float) -> Case:
    return Case(f"PReLU(initial_slope={a})", lambda dtype: mn.PReLU(initial_slope=a, dtype=dtype),
                lambda x: x if x > 0 else a * x, lambda x: 1.0 if x > 0 else a, a)


def elu_case(al: float) -> Case:
    return Case(f"ELU({al})", lambda dtype: mn.ELU(alpha=al),
                lambda x: x if x > 0 else al * math.expm1(x), lambda x: 1.0 if x > 0 else al * math.exp(x), al)


def celu_case(al: float) -> Case:
    return Case(f"CELU({al})", lambda dtype: mn.CELU(alpha=al),
                lambda x: x if x > 0 else al * math.expm1(x / al), lambda x: 1.0 if x > 0 else math.exp(x / al), 1.0)


CASES = [
    Case("ReLU", lambda dtype: mn.ReLU(), lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0, 0.0),
    leaky_case(0.0), leaky_case(0.01), leaky_case(0.2),
    prelu_case(0.25), prelu_case(-0.3), prelu_case(0.7),
    elu_case(0.5), elu_case(1.0), elu_case(2.0),
    Case("SELU", lambda dtype: mn.SELU(),
         lambda x: L * x if x > 0 else L * A * math.expm1(x),
         lambda x: L if x > 0 else SCALE_ALPHA * math.exp(x), SCALE_ALPHA),
    celu_case(0.5), celu_case(1.0), celu_case(2.0),
    Case("Tanh", lambda dtype: mn.Tanh(), math.tanh, sech2_ref, 1.0),
    Case("Sigmoid", lambda dtype: mn.Sigmoid(), sigmoid_ref, lambda x: sigmoid_ref(x) * sigmoid_ref(-x), 0.25),
    Case("SiLU", lambda dtype: mn.SiLU(), lambda x: x * sigmoid_ref(x),
         lambda x: sigmoid_ref(x) + x * sigmoid_ref(x) * sigmoid_ref(-x), 0.5),
    Case("Identity", lambda dtype: mn.Identity(), lambda x: x, lambda x: 1.0, 1.0),
]


def tolerances(dtype) -> tuple[float, float]:
    """(rtol, atol): a few ulps of relative error; atol = smallest normal number (for subnormal results)."""
    info = np.finfo(dtype)
    return 8 * float(info.eps), float(info.tiny)


def assert_close_per_element(got: np.ndarray, want: list[float], dtype, what: str) -> None:
    rtol, atol = tolerances(dtype)
    got64 = np.asarray(got, dtype=np.float64)
    want64 = np.asarray(want, dtype=np.float64)
    bad = np.abs(got64 - want64) > rtol * np.abs(want64) + atol
    assert not bad.any(), f"{what}: got {got64[bad]}, expected {want64[bad]}"


# ---------------------------------------------------------------------------------------------
# Values and derivatives at the points
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_forward_values(case: Case, dtype) -> None:
    x = np.array(POINTS, dtype=dtype)
    layer = case.make(dtype)
    with raise_on_fp_errors():
        y = layer(x)
        y_fn = layer.function(x)
    expected = [case.f(float(v)) for v in x]          # reference at the (rounded) input actually passed
    assert y.dtype == dtype and y.shape == x.shape
    assert_close_per_element(y, expected, dtype, f"{case} forward")
    np.testing.assert_array_equal(y_fn, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_derivative_values(case: Case, dtype) -> None:
    """f'(x) to a few ulps *relative* error, also where it is tiny (e.g. ELU'(−50) = α·e^−50)."""
    x = np.array(POINTS, dtype=dtype)
    layer = case.make(dtype)
    expected = [case.df(float(v)) for v in x]
    with raise_on_fp_errors():
        d = layer.derivative(x)
        layer.forward(x)
        dx = layer.backward(np.ones_like(x))
    assert np.asarray(d).dtype == dtype and dx.dtype == dtype
    assert_close_per_element(np.broadcast_to(d, x.shape), expected, dtype, f"{case} derivative")
    assert_close_per_element(dx, expected, dtype, f"{case} backward(ones)")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_backward_is_dy_times_derivative(case: Case, dtype) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 3, size=(5, 4)).astype(dtype)
    dy = rng.normal(size=(5, 4)).astype(dtype)
    layer = case.make(dtype)
    layer.forward(x)
    dx = layer.backward(dy)
    expected = [case.df(float(v)) * float(g) for v, g in zip(x.ravel(), dy.ravel(), strict=True)]
    assert dx.shape == x.shape and dx.dtype == dtype
    rtol = 16 * float(np.finfo(dtype).eps)
    np.testing.assert_allclose(dx.ravel().astype(np.float64), expected, rtol=rtol, atol=float(np.finfo(dtype).tiny))


# ---------------------------------------------------------------------------------------------
# Conventions at exactly 0 (docs/conventions.md / PyTorch)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("zero", [0.0, -0.0])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_derivative_at_exactly_zero(case: Case, dtype, zero: float) -> None:
    x = np.full((3,), zero, dtype=dtype)
    layer = case.make(dtype)
    want = np.asarray(case.df0, dtype=dtype)           # the convention, rounded once to the dtype
    np.testing.assert_array_equal(np.broadcast_to(layer.derivative(x), x.shape), np.full(3, want))
    y = layer.forward(x)
    np.testing.assert_array_equal(y, np.full(3, case.f(0.0), dtype=dtype))
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx, np.full(3, want))


def test_selu_derivative_at_zero_is_lambda_alpha_to_double_precision() -> None:
    got = float(mn.SELU().derivative(np.array([0.0]))[0])
    assert got == SCALE_ALPHA                          # correctly rounded λα = 1.7580993408473768599…
    assert abs(Decimal(got) - Decimal("1.7580993408473768599")) < Decimal(math.ulp(1.75))
    # the limit at −∞ is −λα
    assert float(mn.SELU().function(np.array([-1e4]))[0]) == -SCALE_ALPHA


def test_selu_constants_full_precision() -> None:
    assert activations.SELU_ALPHA == float(ALPHA_STR)
    assert activations.SELU_SCALE == float(SCALE_STR)
    assert mn.SELU.alpha == float(ALPHA_STR) and mn.SELU.scale == float(SCALE_STR)
    # Klambauer et al. 2017, Eq. 14 (closed forms for the fixed point mean 0, variance 1),
    # evaluated in double precision: agrees to rounding error of the evaluation.
    e, erfc, sq2 = math.e, math.erfc, math.sqrt(2.0)
    alpha01 = -math.sqrt(2 / math.pi) / (erfc(1 / sq2) * math.exp(0.5) - 1)
    lambda01 = (1 - math.sqrt(e) * erfc(1 / sq2)) * math.sqrt(2 * math.pi) * (
        2 * erfc(sq2) * e**2 + math.pi * erfc(1 / sq2) ** 2 * e
        - 2 * (2 + math.pi) * erfc(1 / sq2) * math.sqrt(e) + math.pi + 2) ** -0.5
    assert alpha01 == pytest.approx(activations.SELU_ALPHA, rel=1e-14)
    assert lambda01 == pytest.approx(activations.SELU_SCALE, rel=1e-14)


def simpson(values: np.ndarray, h: float) -> float:
    """Composite Simpson rule on an odd number of equally spaced samples."""
    return h / 3 * float(values[0] + values[-1] + 4 * values[1:-1:2].sum() + 2 * values[2:-1:2].sum())


def test_selu_fixed_point_mean_zero_variance_one() -> None:
    """E[f(z)] = 0 and E[f(z)²] = 1 for z ~ N(0, 1): the defining property of the constants.

    Integrated separately on each side of the kink at 0 (f is smooth on each half).
    """
    h = 1e-3
    moments = np.zeros(2)
    for z in (np.linspace(-14, 0, 14001), np.linspace(0, 14, 14001)):
        density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        y = mn.SELU().function(z)
        moments += [simpson(y * density, h), simpson(y * y * density, h)]
    assert abs(moments[0]) < 1e-9
    assert abs(moments[1] - 1) < 1e-9


# ---------------------------------------------------------------------------------------------
# Extremes: no overflow / invalid / divide, no inf or nan
# ---------------------------------------------------------------------------------------------
def extreme_inputs(case: Case, dtype) -> np.ndarray:
    info = np.finfo(dtype)
    big = float(info.max)
    if case.name == "SELU":
        # λ·x > float max for x > max/λ: the true value is not representable, so inf is the
        # correct IEEE answer there. Everything up to max/λ must stay finite.
        top = np.nextafter(np.asarray(big / L, dtype=dtype), dtype(0))
    else:
        top = np.asarray(big, dtype=dtype)
    sub = float(info.smallest_subnormal)
    vals = [-big, -1e30, -1e4, -745.0, -88.0, -50.0, -1.0, -float(info.tiny), -sub, 0.0,
            sub, float(info.tiny), 1.0, 50.0, 88.0, 710.0, 1e4, 1e30, float(top)]
    return np.array(vals, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_no_overflow_or_nan_at_extremes(case: Case, dtype) -> None:
    x = extreme_inputs(case, dtype)
    layer = case.make(dtype)
    with raise_on_fp_errors():
        y = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
        d = layer.derivative(x)
        f = layer.function(x)
    for arr in (y, dx, d, f):
        assert np.asarray(arr).dtype == dtype
        bad = ~np.isfinite(np.broadcast_to(arr, x.shape))
        assert not bad.any(), f"{case}: non-finite result at {x[bad]}"
    # saturation limits: f(−max) for the bounded-below ones, f(+max) for the saturating ones
    assert_close_per_element(y[:3], [case.f(float(v)) for v in x[:3]], dtype, f"{case} at large negative x")


@settings(max_examples=150, deadline=None)
@given(data=st.data(), case=st.sampled_from(CASES), dtype=st.sampled_from(DTYPES))
def test_any_finite_input_gives_finite_output(data, case: Case, dtype) -> None:
    width = 32 if dtype == np.float32 else 64
    top = float(np.finfo(dtype).max) / (L if case.name == "SELU" else 1.0)
    if case.name.startswith("PReLU"):
        # dL/da sums x·dy over up to 125 elements; near float max that sum truly exceeds float max.
        top /= 1024
    limit = float(np.nextafter(np.asarray(top, dtype=dtype), dtype(0)))    # representable in dtype
    elements = st.floats(-limit, limit, allow_nan=False, allow_infinity=False, width=width)
    x = data.draw(hnp.arrays(dtype, hnp.array_shapes(max_dims=3, max_side=5), elements=elements))
    layer = case.make(dtype)
    with raise_on_fp_errors():
        y = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
    assert y.shape == x.shape and y.dtype == dtype and dx.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    assert np.all(dx >= 0) or case.name in {"SiLU", "PReLU(initial_slope=-0.3)"}    # monotone ones: f' ≥ 0


# ---------------------------------------------------------------------------------------------
# Every constructor argument changes behaviour
# ---------------------------------------------------------------------------------------------
X_NEG = np.array([-2.0, -0.5, 0.5, 2.0])


@pytest.mark.parametrize(
    "make_a, make_b",
    [
        (lambda: mn.LeakyReLU(), lambda: mn.LeakyReLU(negative_slope=0.2)),
        (lambda: mn.LeakyReLU(negative_slope=0.0), lambda: mn.LeakyReLU(negative_slope=0.01)),
        (lambda: mn.PReLU(), lambda: mn.PReLU(initial_slope=-0.3)),
        (lambda: mn.ELU(), lambda: mn.ELU(alpha=0.5)),
        (lambda: mn.ELU(alpha=1.0), lambda: mn.ELU(alpha=2.0)),
        (lambda: mn.CELU(), lambda: mn.CELU(alpha=0.5)),
        (lambda: mn.CELU(alpha=1.0), lambda: mn.CELU(alpha=2.0)),
    ],
    ids=["leaky-default-vs-0.2", "leaky-0-vs-0.01", "prelu-init", "elu-alpha-0.5", "elu-alpha-2",
         "celu-alpha-0.5", "celu-alpha-2"],
)
def test_scalar_arguments_change_forward_and_derivative(make_a, make_b) -> None:
    a, b = make_a(), make_b()
    assert not np.allclose(a.function(X_NEG), b.function(X_NEG))
    assert not np.allclose(a.derivative(X_NEG), b.derivative(X_NEG))
    # ... and only on the negative side: x > 0 is the identity for all of them
    np.testing.assert_array_equal(a.function(X_NEG[2:]), b.function(X_NEG[2:]))


def test_default_arguments_are_pytorchs() -> None:
    assert mn.LeakyReLU().negative_slope == 0.01
    assert mn.ELU().alpha == 1.0 and mn.CELU().alpha == 1.0
    p = mn.PReLU()
    assert p.num_parameters == 1 and p.weight.shape == (1,) and p.weight.data[0] == np.float32(0.25)
    assert p.weight.dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES)
def test_prelu_dtype_argument(dtype) -> None:
    p = mn.PReLU(num_parameters=3, dtype=dtype)
    assert p.weight.dtype == dtype and p.weight.grad.dtype == dtype
    x = -np.ones((2, 3), dtype=dtype)
    assert p(x).dtype == dtype


@pytest.mark.parametrize("slopes, x", [(np.float64, np.float32), (np.float32, np.float64)])
def test_prelu_keeps_the_input_dtype_and_its_slopes_dtype(slopes, x) -> None:
    """y and dx in x's dtype (like every activation); the slope gradient in the slopes' dtype."""
    layer = mn.PReLU(3, dtype=slopes)
    xs = -np.arange(1.0, 7.0).reshape(2, 3).astype(x)
    for textbook in (False, True):
        with mn.textbook(textbook):
            y = layer.forward(xs)
            dx = layer.backward(np.ones_like(y))
        assert y.dtype == dx.dtype == x and layer.weight.grad.dtype == slopes
        np.testing.assert_allclose(y, 0.25 * xs, rtol=1e-7)


def test_prelu_num_parameters_argument() -> None:
    """num_parameters = C gives C independent slopes on axis 1; 1 gives one shared slope."""
    rng = np.random.default_rng(0)
    x = -np.abs(rng.normal(size=(4, 3))) - 0.1
    shared, per_channel = mn.PReLU(1, dtype=np.float64), mn.PReLU(3, dtype=np.float64)
    assert shared.weight.shape == (1,) and per_channel.weight.shape == (3,)
    per_channel.weight.data[:] = [0.1, 0.2, 0.3]
    np.testing.assert_allclose(per_channel(x), x * np.array([0.1, 0.2, 0.3]))
    np.testing.assert_allclose(shared(x), 0.25 * x)
    shared.backward(np.ones_like(x))
    per_channel.backward(np.ones_like(x))
    assert shared.weight.grad.shape == (1,) and per_channel.weight.grad.shape == (3,)
    np.testing.assert_allclose(shared.weight.grad, [x.sum()])
    np.testing.assert_allclose(per_channel.weight.grad, x.sum(axis=0))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_get_config_rebuilds_the_same_function(case: Case) -> None:
    layer = case.make(np.float64)
    config = layer.get_config()
    json.dumps(config)                                 # serialisable
    rebuilt = type(layer)(**config)
    x = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal(rebuilt.function(x), layer.function(x))
    np.testing.assert_array_equal(rebuilt.derivative(x), layer.derivative(x))


@pytest.mark.parametrize("name, cls", [
    ("relu", mn.ReLU), ("leaky_relu", mn.LeakyReLU), ("prelu", mn.PReLU), ("elu", mn.ELU), ("selu", mn.SELU),
    ("celu", mn.CELU), ("tanh", mn.Tanh), ("sigmoid", mn.Sigmoid), ("silu", mn.SiLU), ("identity", mn.Identity),
])
def test_get_activation_by_name(name: str, cls) -> None:
    assert type(mn.get_activation(name)) is cls
    assert activations.ACTIVATIONS[name] is cls
    assert type(mn.get_activation(name.upper().replace("_", "-"))) is cls


def test_get_activation_passes_keyword_arguments() -> None:
    assert mn.get_activation("leaky_relu", negative_slope=0.3).negative_slope == 0.3
    assert mn.get_activation("elu", alpha=2.0).alpha == 2.0
    assert mn.get_activation("prelu", num_parameters=4).weight.shape == (4,)


def test_get_activation_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError) as info:
        mn.get_activation("swishy")
    message = str(info.value)
    assert "swishy" in message
    for name in ["relu", "leaky_relu", "prelu", "elu", "selu", "celu", "tanh", "sigmoid", "silu", "identity"]:
        assert name in message


def test_customary_init_names_are_valid_initialisers() -> None:
    assert set(activations.CUSTOMARY_INIT) == set(activations.ACTIVATIONS)
    for init_name in activations.CUSTOMARY_INIT.values():
        assert callable(mn.init.get_initializer(init_name))
    assert activations.CUSTOMARY_INIT["selu"] == "lecun_normal"     # the SNN paper's choice
    assert activations.CUSTOMARY_INIT["relu"] == "he_normal"


# ---------------------------------------------------------------------------------------------
# PReLU specifics
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, num_parameters", [((6,), 1), ((5, 3), 1), ((5, 3), 3), ((2, 3, 4, 5), 1),
                                                   ((2, 3, 4, 5), 3), ((2, 4, 3), 4)])
def test_prelu_slope_gradient_is_sum_of_x_dy_over_nonpositive_x(shape, num_parameters) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=shape)
    x.flat[::7] = 0.0                                  # exact zeros count as x ≤ 0 (and contribute 0)
    dy = rng.normal(size=shape)
    layer = mn.PReLU(num_parameters, initial_slope=0.1, dtype=np.float64)
    layer.weight.data[:] = np.linspace(-0.5, 0.5, num_parameters) if num_parameters > 1 else 0.1
    y = layer.forward(x)
    dx = layer.backward(dy)

    expected_grad = np.zeros(num_parameters)
    expected_y = np.empty(shape)
    expected_dx = np.empty(shape)
    for index in np.ndindex(*shape):
        c = 0 if num_parameters == 1 else index[1]
        a = layer.weight.data[c]
        if x[index] > 0:
            expected_y[index], expected_dx[index] = x[index], dy[index]
        else:
            expected_y[index], expected_dx[index] = a * x[index], a * dy[index]
            expected_grad[c] += x[index] * dy[index]
    np.testing.assert_allclose(y, expected_y, rtol=1e-15)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-15)
    np.testing.assert_allclose(layer.weight.grad, expected_grad, rtol=1e-12)


def test_prelu_slopes_are_exempt_from_weight_decay() -> None:
    for layer in (mn.PReLU(), mn.PReLU(5)):
        (p,) = layer.parameters()
        assert p.weight_decay is False and p.trainable is True and p.name == "weight"


@pytest.mark.parametrize("shape", [(4, 2), (4, 5, 3, 3), (3,), (2, 2, 3)])
def test_prelu_channel_mismatch_raises_value_error(shape) -> None:
    layer = mn.PReLU(3)
    with pytest.raises(ValueError, match=r"PReLU.*3"):
        layer.forward(np.ones(shape))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True, None])
def test_prelu_rejects_bad_num_parameters(bad) -> None:
    with pytest.raises(ValueError, match="PReLU"):
        mn.PReLU(bad)


def test_celu_rejects_alpha_zero() -> None:
    with pytest.raises(ValueError, match="CELU"):
        mn.CELU(alpha=0.0)


# ---------------------------------------------------------------------------------------------
# derivative_is_zero (exact-arithmetic dead-unit test), base-class behaviour, odd inputs
# ---------------------------------------------------------------------------------------------
Z = np.array([-1e4, -50.0, -1.0, 0.0, 1.0])


@pytest.mark.parametrize("layer, expected", [
    (mn.ReLU(), [True, True, True, True, False]),
    (mn.LeakyReLU(0.0), [True, True, True, True, False]),
    (mn.LeakyReLU(0.01), [False] * 5),
    (mn.PReLU(initial_slope=0.0), [True, True, True, True, False]),
    (mn.ELU(alpha=0.0), [True, True, True, True, False]),    # α = 0: f' = 0 for x ≤ 0
    (mn.PReLU(), [False] * 5),
    (mn.ELU(), [False] * 5),                           # α·e^−1e4 underflows to 0, but f' > 0 by definition
    (mn.SELU(), [False] * 5),
    (mn.CELU(), [False] * 5),
    (mn.Tanh(), [False] * 5),
    (mn.Sigmoid(), [False] * 5),
    (mn.Identity(), [False] * 5),
], ids=repr)
def test_derivative_is_zero(layer, expected) -> None:
    np.testing.assert_array_equal(layer.derivative_is_zero(Z), expected)


def test_prelu_per_channel_derivative_is_zero() -> None:
    layer = mn.PReLU(2, dtype=np.float64)
    layer.weight.data[:] = [0.0, 0.3]
    z = np.array([[-1.0, -1.0], [2.0, 0.0], [0.0, 5.0]])
    np.testing.assert_array_equal(layer.derivative_is_zero(z), [[True, False], [False, False], [True, False]])


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_scalar_and_integer_inputs(case: Case) -> None:
    """0-d arrays, Python scalars and integer arrays work (integers become float64)."""
    layer = case.make(np.float64)
    for v in (-2.0, 1.5):
        assert float(layer.function(v)) == pytest.approx(case.f(v), rel=1e-13)
        assert float(layer.derivative(np.array(v))) == pytest.approx(case.df(v), rel=1e-13)
        assert np.shape(layer.function(np.array(v))) == ()
    xi = np.array([-3, -1, 0, 2])
    y = layer.forward(xi)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, [case.f(float(v)) for v in xi], rtol=1e-13)
    np.testing.assert_allclose(layer.backward(np.ones(4)), [case.df(float(v)) for v in xi], rtol=1e-13)


def test_function_and_derivative_do_not_cache() -> None:
    layer = mn.ELU()
    layer.forward(np.array([-1.0, 1.0]))
    layer.function(np.array([5.0, 5.0, 5.0]))
    layer.derivative(np.array([5.0, 5.0, 5.0]))
    np.testing.assert_allclose(layer.backward(np.ones(2)), [math.exp(-1.0), 1.0])


def test_reprs_show_arguments() -> None:
    assert repr(mn.ReLU()) == "ReLU()"
    assert repr(mn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(mn.ELU(alpha=2.0)) == "ELU(alpha=2.0)"
    assert repr(mn.PReLU(3, initial_slope=0.1, dtype=np.float64)) == \
        "PReLU(num_parameters=3, initial_slope=0.1, dtype='float64')"


# ---------------------------------------------------------------------------------------------
# The fast kernels equal each class's reference
# ---------------------------------------------------------------------------------------------
def all_activations(dtype) -> list[mn.Activation]:
    """Every activation class, with arguments that exercise every branch of its kernel."""
    return [mn.ReLU(), mn.LeakyReLU(), mn.LeakyReLU(negative_slope=0.0), mn.LeakyReLU(negative_slope=-0.2),
            mn.PReLU(dtype=dtype), mn.PReLU(initial_slope=-0.3, dtype=np.float64), mn.ELU(), mn.ELU(alpha=0.5),
            mn.ELU(alpha=2.0), mn.SELU(), mn.CELU(), mn.CELU(alpha=0.5), mn.CELU(alpha=2.0), mn.Tanh(),
            mn.Sigmoid(), mn.SiLU(), mn.Identity()]


def special_values(dtype) -> list[float]:
    """±0, subnormals, the float limits, ±1e4, −80, −1e30, ±inf and the points where f' jumps (0) or
    where the exponential under- or overflows."""
    info = np.finfo(dtype)
    values = [0.0, -0.0, float(info.smallest_subnormal), -float(info.smallest_subnormal), float(info.tiny),
              -float(info.tiny), 1e-8, -1e-8, 1.0, -1.0, 1e4, -1e4, -80.0, 80.0, -104.0, -745.5, -1e30, 1e30,
              float(info.max), -float(info.max), np.inf, -np.inf]
    return [float(dtype(v)) for v in values if abs(v) <= info.max or np.isinf(v)]


def same_bits(fast: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Elementwise: identical bit patterns, except that +0 and −0 count as the same (see the test below)."""
    ints = np.uint32 if fast.dtype == np.float32 else np.uint64
    return (fast.view(ints) == ref.view(ints)) | ((fast == 0) & (ref == 0))


def fast_and_reference(layer: mn.Activation, x: np.ndarray) -> tuple[tuple, tuple]:
    """(y, f') from the public methods, normally and in textbook mode, plus a forward/backward of each."""
    dy = np.ones_like(x)
    with np.errstate(all="ignore"):                       # inf·0 = nan where both paths agree it is nan
        fast = layer.function(x), layer.derivative(x), layer.forward(x), layer.backward(dy)
        with mn.textbook():
            ref = layer.function(x), layer.derivative(x), layer.forward(x), layer.backward(dy)
    return fast, ref


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(DTYPES))
def test_fast_kernels_equal_the_reference_bit_for_bit(data, dtype) -> None:
    """Every kernel performs the reference's floating-point operations element for element, so the values,
    the derivatives and dx agree bit for bit, NaN where both are NaN (SiLU'(+inf) = 1 + inf·0).

    One difference is allowed, the sign of a zero: where α·(eˣ − 1) underflows for a subnormal negative x
    (ELU and CELU with α ≠ 1), the reference returns −0 and the kernel adds +0 from its positive part.
    −0 == +0, and nothing downstream can tell them apart except 1/y.
    """
    width = 32 if dtype == np.float32 else 64
    elements = st.one_of(st.sampled_from(special_values(dtype)), st.floats(width=width, allow_nan=False))
    x = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=elements))
    for layer in all_activations(dtype):
        fast, ref = fast_and_reference(layer, x)
        for what, a, b in zip(("function", "derivative", "forward", "backward"), fast, ref, strict=True):
            assert a.dtype == b.dtype == dtype and a.shape == b.shape == x.shape, (layer, what)
            bad = ~same_bits(a, b)
            assert not bad.any(), f"{layer!r} {what} at x = {x[bad]}: fast {a[bad]}, reference {b[bad]}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_reference_equals_kernel_on_the_special_values(dtype) -> None:
    """The hand-picked values once more, all in one array (hypothesis may not draw each of them)."""
    x = np.array(special_values(dtype), dtype=dtype)
    for layer in all_activations(dtype):
        (y, d, _, _), _ = fast_and_reference(layer, x)
        with np.errstate(all="ignore"):
            y_ref, d_ref = layer.reference(x)
        assert y_ref.dtype == d_ref.dtype == dtype, layer
        assert same_bits(y, y_ref).all() and same_bits(d, d_ref).all(), layer


@pytest.mark.parametrize("dtype", DTYPES)
def test_references_raise_no_floating_point_warning_at_finite_extremes(dtype) -> None:
    """The exponential is taken of min(x, 0) only: no overflow in a branch that np.where throws away."""
    info = np.finfo(dtype)
    x = np.array([-info.max, -1e30, -1e4, -745.5, -80, -1, -0.0, 0.0, 1, 80, 710, 1e4, 1e30, info.max / 2],
                 dtype=dtype)
    for layer in all_activations(dtype):
        with raise_on_fp_errors():
            y, d = layer.reference(x)
        assert np.all(np.isfinite(y)) and np.all(np.isfinite(d)), layer


@pytest.mark.parametrize("make", [mn.ReLU, mn.ELU, mn.SELU, mn.Sigmoid, mn.Tanh])
def test_textbook_mode_runs_the_reference(make, monkeypatch) -> None:
    calls: list[int] = []
    original = make.reference

    def spy(self, x):
        calls.append(1)
        return original(self, x)

    monkeypatch.setattr(make, "reference", spy)
    layer = make()
    x = np.linspace(-2, 2, 9)
    layer.forward(x)
    layer.function(x)
    assert calls == []                                   # the kernel, normally
    with mn.textbook():
        layer.forward(x)
        layer.backward(np.ones_like(x))
        layer.function(x)
        layer.derivative(x)
    assert len(calls) == 3                               # forward, function, derivative; backward reuses f'
    layer.forward(x)
    assert len(calls) == 3                               # and the kernel again after the block


def reference_lines(cls: type) -> int:
    """Lines of ``reference``'s body (its code only: no blank lines, no comment-only lines)."""
    source = inspect.getsource(cls.reference).splitlines()[1:]
    return sum(1 for line in source if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("cls", list(activations.ACTIVATIONS.values()), ids=lambda c: c.__name__)
def test_each_class_shows_docstring_then_a_short_reference_first(cls) -> None:
    """A reader of a class sees its docstring, then ``reference``, before anything else."""
    assert "f(x)" in cls.__doc__ and "f'(x)" in cls.__doc__, "the formula belongs in the docstring"
    body = [name for name in vars(cls) if not name.startswith("__") or name == "__init__"]
    assert body[0] == "reference", f"{cls.__name__}: {body[0]} comes before reference"
    assert reference_lines(cls) <= 10


# ---------------------------------------------------------------------------------------------
# Textbook mode: training gives the same parameters
# ---------------------------------------------------------------------------------------------
def tiny_net(make: Callable[[int], mn.Activation]) -> mn.Sequential:
    """4 → 6 → 5 → 3 in float64; ``make(width)`` builds each hidden activation."""
    return mn.Sequential(mn.Dense(4, 6, init="he_normal", rng=0, dtype=np.float64), make(6),
                         mn.Dense(6, 5, init="he_normal", rng=1, dtype=np.float64), make(5),
                         mn.Dense(5, 3, rng=2, dtype=np.float64))


MAKERS: dict[str, Callable[[int], mn.Activation]] = {
    "ReLU": lambda n: mn.ReLU(), "LeakyReLU": lambda n: mn.LeakyReLU(),
    "PReLU": lambda n: mn.PReLU(dtype=np.float64), "PReLU(C)": lambda n: mn.PReLU(n, dtype=np.float64),
    "ELU": lambda n: mn.ELU(), "ELU(0.5)": lambda n: mn.ELU(alpha=0.5), "SELU": lambda n: mn.SELU(),
    "CELU(2)": lambda n: mn.CELU(2.0), "Tanh": lambda n: mn.Tanh(), "Sigmoid": lambda n: mn.Sigmoid(),
    "SiLU": lambda n: mn.SiLU(), "Identity": lambda n: mn.Identity(),
}


def train_by_hand(make: Callable[[int], mn.Activation], textbook_activations: bool, steps: int = 30) -> list:
    """SGD on a squared error, written out; only the activations are switched to their reference."""
    model = tiny_net(make)
    rng = np.random.default_rng(3)
    X, T = rng.normal(size=(16, 4)), rng.normal(size=(16, 3))
    for _ in range(steps):
        h = X
        for layer in model.layers:
            with mn.textbook(textbook_activations and isinstance(layer, mn.Activation)):
                h = layer.forward(h, training=True)
        g = (h - T) / len(X)                              # d/dy of ½·mean over samples of |y − t|²
        for layer in reversed(model.layers):
            g = layer.backward(g)
        for p in model.parameters():
            p.data -= 0.1 * p.grad
            p.grad[...] = 0
    return [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("name", list(MAKERS))
def test_training_with_reference_activations_gives_bit_identical_parameters(name) -> None:
    """The reference and the kernel agree bit for bit (up to the sign of zero, which no later operation of the
    network sees), so 30 SGD steps in float64 end with the same parameters, bit for bit."""
    normal = train_by_hand(MAKERS[name], textbook_activations=False)
    textbook = train_by_hand(MAKERS[name], textbook_activations=True)
    for a, b in zip(normal, textbook, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(normal[0], tiny_net(MAKERS[name]).parameters()[0].data)   # it did train


@pytest.mark.parametrize("name", ["ReLU", "PReLU", "ELU", "SELU"])
def test_fit_under_textbook_gives_the_same_parameters(name) -> None:
    """The whole model (layers, loss and optimizer) through its reference path with mn.fit, one epoch in
    float64: the activations agree bit for bit; the other components' references perform the same or
    equally exact arithmetic, so the parameters agree to a few ulps (bit for bit where all agree)."""
    def run(flag: bool) -> list:
        model = tiny_net(MAKERS[name])
        rng = np.random.default_rng(4)
        X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, size=40)
        with mn.textbook(flag):
            mn.fit(model, mn.CrossEntropyLoss(), mn.Adam(model.parameters(), lr=1e-2), X, y, epochs=1,
                   batch_size=8, seed=0, progress=False)
        return [p.data for p in model.parameters()]

    for a, b in zip(run(False), run(True), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# Custom activations: a subclass that writes only ``reference``
# ---------------------------------------------------------------------------------------------
class ShiftedReLU(mn.Activation):
    """f(x) = max(−1, x); f'(x) = 1 if x > −1 else 0 (the ELU paper's control)."""

    def reference(self, x):
        return np.maximum(x, -1), np.where(x > -1, 1, 0).astype(x.dtype)


class ScaledTanh(mn.Activation):
    """f(x) = 1.7159·tanh(2x/3) (LeCun et al. 1998); f'(x) = 1.7159·(2/3)·(1 − tanh²(2x/3))."""

    def reference(self, x):
        t = np.tanh(2 * x / 3)
        return 1.7159 * t, 1.7159 * 2 / 3 * (1 - t * t)


def test_a_custom_activation_needs_only_its_reference() -> None:
    layer = ShiftedReLU()
    x = np.array([-3.0, -1.0, -0.5, 0.0, 2.0])
    want_f = [max(-1.0, v) for v in x]
    want_d = [1.0 if v > -1 else 0.0 for v in x]
    np.testing.assert_array_equal(layer.forward(x), want_f)
    np.testing.assert_array_equal(layer.backward(np.full(5, 2.0)), 2 * np.array(want_d))
    np.testing.assert_array_equal(layer.function(x), want_f)
    np.testing.assert_array_equal(layer.derivative(x), want_d)
    np.testing.assert_array_equal(layer.derivative_is_zero(x), [True, True, False, False, False])
    assert layer.function(np.float32([1.5])).dtype == np.float32
    assert float(layer.function(np.array(-7.0))) == -1.0                       # 0-d input
    with mn.textbook():
        np.testing.assert_array_equal(layer.forward(x), want_f)


@pytest.mark.parametrize("layer", [ShiftedReLU(), ScaledTanh()], ids=repr)
def test_gradcheck_passes_on_a_custom_activation(layer) -> None:
    x = np.array([[-3.0, -0.5, 0.3], [1.5, -2.2, 0.7]])                        # away from the kink at −1
    result = mn.gradcheck(mn.Sequential(mn.Dense(3, 4, rng=0, dtype=np.float64), layer), x)
    assert result.passed(1e-7), str(result)
    t = math.tanh(2 * 0.3 / 3)
    if isinstance(layer, ScaledTanh):
        assert float(layer.derivative(np.array([0.3]))[0]) == pytest.approx(1.7159 * 2 / 3 * (1 - t * t), rel=1e-15)


def test_diagnostics_count_dead_units_of_a_custom_activation_from_its_reference() -> None:
    """A home-made ReLU that says nothing about where f' = 0 gets it from its reference derivative: with
    every bias at −5, its units are dead exactly where mn.ReLU's are."""
    class HomeMadeReLU(mn.Activation):
        def reference(self, x):
            return np.maximum(x, 0), np.where(x > 0, 1, 0).astype(x.dtype)

    X = np.random.default_rng(0).uniform(0, 1, size=(50, 4))

    def dead(act: mn.Activation) -> list[int]:
        model = mn.Sequential(mn.Dense(4, 10, rng=0, dtype=np.float64), act)
        model.layers[0].bias.data[:] = -5.0
        return [r["dead"] for r in mn.diagnostics.dead_units(model, X)]

    assert dead(HomeMadeReLU()) == dead(mn.ReLU()) == [10]


def test_derivative_is_zero_default_is_exact_zero_of_the_float64_reference() -> None:
    """z is evaluated in float64 whatever its dtype: f' = e^z, say, is 0 only below about −745, although
    e^−200 is already 0 in float32."""
    class Exp(mn.Activation):
        def reference(self, x):
            e = np.exp(np.minimum(x, 0))
            return e, e

    z = np.array([-200.0, -150.0, 0.0], dtype=np.float32)
    assert Exp().derivative(z)[0] == 0                                          # underflows in float32
    np.testing.assert_array_equal(Exp().derivative_is_zero(z), [False, False, False])
    np.testing.assert_array_equal(Exp().derivative_is_zero(z * 4), [True, False, False])   # e^−800, e^−600


def test_a_subclass_that_rewrites_the_reference_runs_it_not_the_parent_kernel() -> None:
    class ELUPlusOne(mn.ELU):
        def reference(self, x):
            y, dydx = super().reference(x)
            return y + 1, dydx

    x = np.array([-1.0, 2.0])
    np.testing.assert_array_equal(ELUPlusOne().function(x), [math.expm1(-1.0) + 1, 3.0])


def test_a_subclass_with_only_a_fast_path_still_runs_in_textbook_mode() -> None:
    class Square(mn.Activation):
        def _forward(self, x):
            return x * x, 2 * x

    with mn.textbook():
        np.testing.assert_array_equal(Square().function(np.array([3.0])), [9.0])


def test_an_activation_without_a_formula_says_what_to_write() -> None:
    class Empty(mn.Activation):
        pass

    with pytest.raises(NotImplementedError, match=r"Empty.*reference\(x\) -> \(y, dydx\)"):
        Empty().forward(np.ones(2))


def test_a_custom_init_that_forgets_super_init_is_told_so() -> None:
    class Scaled(ShiftedReLU):
        def __init__(self, factor):
            self.factor = factor

    with pytest.raises(TypeError, match=r"Scaled.__init__ must call super\(\).__init__\(\)"):
        Scaled(2.0).forward(np.ones(3))


def readme_block(heading: str) -> str:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]


def test_the_readme_example_of_a_custom_activation() -> None:
    block = readme_block("Writing your own activation")
    assert len(block.strip().splitlines()) <= 12
    X = np.random.default_rng(0).normal(size=(30, 64)).astype(np.float32)
    namespace = {"np": np, "mn": mn, "X": X}
    exec(compile(block, "README.md", "exec"), namespace)
    layer = namespace["SReLU"]()
    x = np.array([-4.0, -1.0, -0.25, 3.0])
    np.testing.assert_array_equal(layer.function(x), [-1.0, -1.0, -0.25, 3.0])           # max(−1, x)
    np.testing.assert_array_equal(layer.derivative(x), [0.0, 0.0, 1.0, 1.0])             # f'(−1) = 0, the left one
    assert mn.gradcheck(layer, np.array([[-2.5, -0.5, 0.5]])).passed(1e-7)


# ---------------------------------------------------------------------------------------------
# Arguments: NaN and infinity are refused, names are forgiving, PReLU's initial slope
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: mn.ELU(alpha=float("nan")), "ELU: alpha must be a finite number"),
    (lambda: mn.ELU(alpha=float("inf")), "ELU: alpha must be a finite number"),
    (lambda: mn.LeakyReLU(negative_slope=float("nan")), "LeakyReLU: negative_slope must be a finite number"),
    (lambda: mn.LeakyReLU(float("-inf")), "LeakyReLU: negative_slope must be a finite number"),
    (lambda: mn.PReLU(initial_slope=float("nan")), "PReLU: initial_slope must be a finite number"),
    (lambda: mn.PReLU(init=float("nan")), "PReLU: initial_slope must be a finite number"),
    (lambda: mn.CELU(alpha=float("inf")), "CELU: alpha must be a finite number"),
    (lambda: mn.CELU(alpha=float("nan")), "CELU: alpha must be a finite number"),
    (lambda: mn.CELU(alpha=0.0), "CELU: alpha must not be 0"),
], ids=["elu-nan", "elu-inf", "leaky-nan", "leaky-minus-inf", "prelu-nan", "prelu-init-nan", "celu-inf",
        "celu-nan", "celu-0"])
def test_non_finite_hyperparameters_are_refused(make, match) -> None:
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make", [lambda: mn.ELU(alpha="1.0"), lambda: mn.LeakyReLU(True),
                                  lambda: mn.PReLU(initial_slope=None, init="0.25"), lambda: mn.CELU(None)])
def test_hyperparameters_that_are_not_numbers_are_refused(make) -> None:
    with pytest.raises(TypeError, match="must be a real number"):
        make()


def test_a_file_holding_a_nan_hyperparameter_is_refused_when_loaded(tmp_path) -> None:
    layer = mn.ELU()
    layer.alpha = float("nan")                           # what a crafted file would declare
    mn.save(layer, tmp_path / "nan.minnet")
    with pytest.raises(mn.ModelFileError, match="ELU: alpha must be a finite number"):
        mn.load(tmp_path / "nan.minnet")


@pytest.mark.parametrize("name, cls", [("SeLU ", mn.SELU), ("  relu", mn.ReLU), ("Leaky ReLU", mn.LeakyReLU),
                                       ("LEAKY-RELU", mn.LeakyReLU), ("\tElu\n", mn.ELU)])
def test_get_activation_forgives_case_spaces_and_dashes(name, cls) -> None:
    assert type(mn.get_activation(name)) is cls


def test_prelu_initial_slope_and_its_alias_init() -> None:
    for layer in (mn.PReLU(initial_slope=0.5), mn.PReLU(init=0.5), mn.PReLU(1, 0.5)):
        assert layer.initial_slope == layer.init == 0.5 and layer.weight.data[0] == np.float32(0.5)
        assert layer.get_config()["initial_slope"] == 0.5
    assert mn.PReLU().initial_slope == 0.25
    with pytest.raises(TypeError, match="initial_slope.*init"):
        mn.PReLU(initial_slope=0.5, init=0.5)
    rebuilt = mn.PReLU(**{"num_parameters": 2, "init": 0.1, "dtype": "float64"})   # a file written before
    assert rebuilt.initial_slope == 0.1 and rebuilt.weight.dtype == np.float64


@pytest.mark.parametrize("make, shown", [
    (lambda: mn.SELU(alpha=2), "SELU takes no arguments, got alpha=2"),
    (lambda: mn.SELU(1.0), "SELU takes no arguments, got 1.0"),
    (lambda: mn.ReLU(0.1), "ReLU takes no arguments, got 0.1"),
])
def test_an_activation_without_parameters_names_itself_when_given_arguments(make, shown):
    with pytest.raises(TypeError, match=re.escape(shown)):
        make()
