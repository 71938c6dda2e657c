"""Tests for minnet.nn.init: distribution statistics, bounds, fans, names, seeds, dtypes.

Statistical tolerances come from the sample size n (about 5 standard errors, seeded):
  mean:      standard error σ/√n
  variance:  standard error σ²·√(2/(n−1)) (exact for a normal sample; the uniform and the
             truncated normal have lighter tails, so their sample variance varies less and
             the bound is conservative)
  fraction:  standard error √(p(1−p)/n)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import minnet as mn
from minnet import init

pytestmark = pytest.mark.filterwarnings("error")

N_SE = 5.0
# The truncation of docs/conventions.md: cut at ±2σ', with σ' = target std / 0.87962566103423978.
TRUNC = 0.87962566103423978

# name -> (kind, variance as a function of (fan_in, fan_out)), typed in from docs/conventions.md.
EXPECTED = {
    "lecun_normal": ("normal", lambda fi, fo: 1 / fi),
    "lecun_uniform": ("uniform", lambda fi, fo: 1 / fi),
    "he_normal": ("normal", lambda fi, fo: 2 / fi),
    "he_uniform": ("uniform", lambda fi, fo: 2 / fi),
    "glorot_normal": ("normal", lambda fi, fo: 2 / (fi + fo)),
    "glorot_uniform": ("uniform", lambda fi, fo: 2 / (fi + fo)),
    "lecun_normal_truncated": ("truncated", lambda fi, fo: 1 / fi),
    "he_normal_truncated": ("truncated", lambda fi, fo: 2 / fi),
    "glorot_normal_truncated": ("truncated", lambda fi, fo: 2 / (fi + fo)),
    "pytorch_default": ("uniform", lambda fi, fo: 1 / (3 * fi)),
}
UNIFORM_LIMIT = {   # the bounds as written in docs/conventions.md / PyTorch's docs
    "lecun_uniform": lambda fi, fo: math.sqrt(3 / fi),
    "he_uniform": lambda fi, fo: math.sqrt(6 / fi),
    "glorot_uniform": lambda fi, fo: math.sqrt(6 / (fi + fo)),
    "pytorch_default": lambda fi, fo: 1 / math.sqrt(fi),
}
# (shape, fan_in, fan_out): (in, out) weights have fan_in = shape[0]; kernels (in, out, kh, kw)
# multiply both by the receptive field kh·kw.
SHAPES = [((200, 800), 200, 800), ((800, 200), 800, 200), ((32, 64, 3, 3), 32 * 9, 64 * 9)]


def check_mean_and_std(w: np.ndarray, std: float, what: str) -> None:
    w = np.asarray(w, dtype=np.float64).ravel()
    n = w.size
    mean_tol = N_SE * std / math.sqrt(n)
    var_tol = N_SE * std**2 * math.sqrt(2 / (n - 1))
    assert abs(w.mean()) <= mean_tol, f"{what}: mean {w.mean():.3g}, expected 0 ± {mean_tol:.3g}"
    var = w.var(ddof=1)
    assert abs(var - std**2) <= var_tol, f"{what}: variance {var:.5g}, expected {std**2:.5g} ± {var_tol:.3g}"


def check_fraction(count: int, n: int, p: float, what: str) -> None:
    tol = N_SE * math.sqrt(p * (1 - p) / n)
    assert abs(count / n - p) <= tol, f"{what}: fraction {count / n:.4f}, expected {p:.4f} ± {tol:.4f}"


@pytest.mark.parametrize("shape, fan_in, fan_out", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_initializer_statistics(name: str, shape, fan_in: int, fan_out: int) -> None:
    kind, variance = EXPECTED[name]
    std = math.sqrt(variance(fan_in, fan_out))
    w = init.get_initializer(name)(shape, rng=123, dtype=np.float64)
    assert w.shape == shape and w.dtype == np.float64
    check_mean_and_std(w, std, name)
    a, n = np.abs(w.ravel()), w.size
    if kind == "normal":
        # untruncated: P(|z| > 2σ) = erfc(√2) ≈ 4.55 %, and values beyond 3σ occur
        check_fraction(int((a > 2 * std).sum()), n, math.erfc(math.sqrt(2)), f"{name} beyond 2σ")
        assert a.max() > 3 * std
    elif kind == "uniform":
        limit = UNIFORM_LIMIT[name](fan_in, fan_out)
        assert a.max() <= limit
        assert a.max() >= limit * (1 - 20 / n)         # reaches the bound: P(fail) = (1 − 20/n)^n ≈ e^−20
        # uniform on [−L, L]: P(|w| ≤ L/2) = 1/2 (a normal would give 62 %)
        check_fraction(int((a <= limit / 2).sum()), n, 0.5, f"{name} within L/2")
    else:
        cut = 2 * std / TRUNC
        assert a.max() <= cut, f"{name}: value {a.max()} beyond the cut ±2σ' = {cut}"
        assert a.max() >= cut * (1 - 1e-3)             # cut exactly there, not earlier


def test_truncation_constant_is_the_std_of_a_truncated_standard_normal() -> None:
    """Var of N(0, 1) cut at ±2 is 1 − 4φ(2)/(Φ(2) − Φ(−2)), φ(2) = e^{−2}/√(2π), Φ(2) − Φ(−2) = erf(√2)."""
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    std = math.sqrt(1 - 4 * phi2 / math.erf(math.sqrt(2)))
    assert init.TRUNCATED_NORMAL_STD == pytest.approx(std, rel=1e-15)
    assert TRUNC == pytest.approx(std, rel=1e-15)


@pytest.mark.parametrize("name", ["he_normal", "he_uniform", "he_normal_truncated"])
@pytest.mark.parametrize("slope", [0.2, 1.0, 3.0])
def test_he_negative_slope(name: str, slope: float) -> None:
    """Kaiming for LeakyReLU/PReLU slope s: variance 2/((1 + s²)·fan_in)."""
    fan_in, shape = 400, (400, 400)
    fn = getattr(init, name)
    w = fn(shape, rng=5, dtype=np.float64, negative_slope=slope)
    check_mean_and_std(w, math.sqrt(2 / ((1 + slope**2) * fan_in)), f"{name}(negative_slope={slope})")
    # and the argument is not ignored: a different slope gives a different array
    assert not np.array_equal(w, fn(shape, rng=5, dtype=np.float64))


@pytest.mark.parametrize("shape, expected", [
    ((3, 7), (3, 7)), ((7, 3), (7, 3)), ((5,), (5, 5)), ((2, 4, 3, 5), (30, 60)), ((2, 4, 6), (12, 24)),
])
def test_compute_fans(shape, expected) -> None:
    assert init.compute_fans(shape) == expected


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (), (2, -1)])
def test_bad_shapes_raise(shape) -> None:
    with pytest.raises(ValueError, match="shape"):
        init.lecun_normal(shape)


def test_fan_in_is_shape_0_for_dense_weights() -> None:
    """(in, out) = (1000, 10): LeCun std 1/√1000, not 1/√10."""
    w = init.lecun_normal((1000, 10), rng=0, dtype=np.float64)
    check_mean_and_std(w, math.sqrt(1 / 1000), "lecun_normal (1000, 10)")
    w = init.lecun_normal((10, 1000), rng=0, dtype=np.float64)
    check_mean_and_std(w, math.sqrt(1 / 10), "lecun_normal (10, 1000)")


ALL_NAMES = sorted(init.INITIALIZERS)


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_respected(name: str, dtype) -> None:
    w = init.get_initializer(name)((6, 5), rng=0, dtype=dtype)
    assert isinstance(w, np.ndarray) and w.dtype == dtype and w.shape == (6, 5)
    assert np.all(np.isfinite(w))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_default_dtype_is_float32(name: str) -> None:
    assert init.get_initializer(name)((4, 3), rng=0).dtype == np.float32


@pytest.mark.parametrize("name", ALL_NAMES)
def test_same_seed_same_array_different_seed_different_array(name: str) -> None:
    fn = init.get_initializer(name)
    a, b = fn((8, 9), rng=42), fn((8, 9), rng=42)
    np.testing.assert_array_equal(a, b)
    if name != "zeros":
        assert not np.array_equal(a, fn((8, 9), rng=43))
        # a shared Generator is consumed: two draws from one stream differ
        g = np.random.default_rng(42)
        first, second = fn((8, 9), rng=g), fn((8, 9), rng=g)
        np.testing.assert_array_equal(first, a)
        assert not np.array_equal(first, second)
        # no seed: fresh entropy each time
        assert not np.array_equal(fn((8, 9)), fn((8, 9)))


def test_zeros() -> None:
    w = init.zeros((3, 4), rng=1, dtype=np.float64)
    assert w.dtype == np.float64 and not w.any()


def test_unknown_name_raises_value_error_listing_valid_names() -> None:
    with pytest.raises(ValueError) as info:
        init.get_initializer("he_normall")
    message = str(info.value)
    assert "he_normall" in message
    for name in [*EXPECTED, "zeros", "kaiming_normal", "xavier_uniform"]:
        assert name in message


def test_unknown_name_in_dense_raises_value_error() -> None:
    with pytest.raises(ValueError, match="valid names"):
        mn.Dense(3, 2, init="gaussian")


def test_non_name_non_callable_raises_type_error() -> None:
    with pytest.raises(TypeError, match="init"):
        init.get_initializer(3.0)


@pytest.mark.parametrize("alias, name", [("kaiming_normal", "he_normal"), ("kaiming_uniform", "he_uniform"),
                                         ("xavier_normal", "glorot_normal"), ("xavier_uniform", "glorot_uniform")])
def test_aliases(alias: str, name: str) -> None:
    assert init.get_initializer(alias) is init.get_initializer(name)
    assert init.initializer_name(alias) == name


def test_callables_pass_through_and_are_named() -> None:
    def my_init(shape, rng=None, dtype=np.float32):
        return np.full(shape, 0.5, dtype=dtype)

    assert init.get_initializer(my_init) is my_init
    assert init.initializer_name(my_init) == "my_init"
    assert init.initializer_name(init.he_uniform) == "he_uniform"
    for name, fn in init.INITIALIZERS.items():
        assert init.initializer_name(fn) == name
        assert init.get_initializer(name) is fn


def test_registry_is_complete() -> None:
    assert set(init.INITIALIZERS) == set(EXPECTED) | {"zeros"}


def test_an_integer_shape_means_a_vector():
    a = mn.init.lecun_normal(5, rng=0)
    b = mn.init.lecun_normal((5,), rng=0)
    assert a.shape == (5,) and np.array_equal(a, b)
