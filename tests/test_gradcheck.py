"""Gradient checks of Dense's initialisers, of models and of activations at other scales, and tests of the checker
itself (every layer's gradient check is in test_layer_contract.py).

All checks run in float64 (gradcheck converts a copy of the layer) at points away from the
kinks at 0 (|x| ≥ 0.1 for inputs; pre-activations of kinked activations inside models are
asserted to be ≥ 1e-3 in magnitude), and must reach a relative error ≤ 1e-7.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pytest
from layer_table import LAYER_CASES, build, ids, sample_input

import minnet as mn
from minnet.gradcheck import GradcheckResult, numerical_gradient, relative_error

pytestmark = pytest.mark.filterwarnings("error")

TOL = 1e-7
KINK_FREE = (mn.Tanh, mn.Sigmoid, mn.SiLU, mn.Identity, mn.CELU)   # C¹ everywhere (CELU'(0±) = 1)


def away_from_zero(shape, seed: int = 0, low: float = 0.1, high: float = 2.0) -> np.ndarray:
    """Random values with |x| in [low, high] and random signs."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def min_abs_input_to_kinks(model: mn.Layer, x: np.ndarray) -> float:
    """The smallest |input| that any activation with a kink at 0 sees during a float64 forward pass."""
    layers = model.layers if isinstance(model, mn.Sequential) else [model]
    smallest = math.inf
    h = np.asarray(x, dtype=np.float64)
    for layer in layers:
        if isinstance(layer, mn.Sequential):
            smallest = min(smallest, min_abs_input_to_kinks(layer, h))
        elif isinstance(layer, mn.Activation) and not isinstance(layer, KINK_FREE):
            smallest = min(smallest, float(np.min(np.abs(h))))
        h = layer.forward(h)
    return smallest


def assert_passes(layer: mn.Layer, x: np.ndarray, **kwargs) -> GradcheckResult:
    result = mn.gradcheck(layer, x, **kwargs)
    expected_names = {"input"} | {name for name, _ in layer.named_parameters()}
    assert set(result.errors) == expected_names
    assert result.passed(TOL), f"{layer!r}\n{result}"
    assert result.max_error <= TOL
    return result


# ----------------------------------------------------------------------------------------------
# Every layer at other input scales (the contract at scale 1, for every layer: test_layer_contract.py)
# ----------------------------------------------------------------------------------------------
def prelu_with_slopes(num_parameters: int, init: float = 0.25) -> mn.PReLU:
    layer = mn.PReLU(num_parameters, init=init)
    if num_parameters > 1:   # distinct slopes per channel, so a channel mix-up would show
        layer.weight.data[:] = np.linspace(-0.3, 0.6, num_parameters)
    return layer


ELEMENTWISE = [case for case in LAYER_CASES if isinstance(build(case), mn.Activation) and case.kinks]


@pytest.mark.parametrize("x_scale", [0.01, 5.0])
@pytest.mark.parametrize("case", ELEMENTWISE, ids=ids(ELEMENTWISE))
def test_gradcheck_kinked_activations_at_other_scales(case, x_scale: float) -> None:
    """Small inputs (|x| ≥ 1e-3, still ≫ h) and large ones; a float32 input too (checked on a float64 copy)."""
    x = sample_input(case, case.shapes[0], np.float64, seed=3, scale=x_scale)
    assert np.min(np.abs(x)) >= 1e-3
    assert_passes(build(case), x)
    assert_passes(build(case), x.astype(np.float32))


# ----------------------------------------------------------------------------------------------
# Dense and models
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("init", ["lecun_normal", "he_uniform", "glorot_normal", "lecun_normal_truncated",
                                  "pytorch_default", "zeros"])
def test_gradcheck_dense(init: str, bias: bool) -> None:
    layer = mn.Dense(4, 3, init=init, bias=bias, rng=0)
    result = assert_passes(layer, away_from_zero((6, 4)))
    assert ("bias" in result.errors) is bias


MODELS: dict[str, Callable[[], mn.Sequential]] = {
    "relu-mlp": lambda: mn.Sequential(mn.Dense(4, 6, init="he_normal", rng=0), mn.ReLU(), mn.Dense(6, 3, rng=1)),
    "prelu-elu": lambda: mn.Sequential(mn.Dense(4, 5, rng=2), prelu_with_slopes(5), mn.Dense(5, 5, rng=3),
                                       mn.ELU(0.5), mn.Dense(5, 2, bias=False, rng=4)),
    "selu-deep": lambda: mn.Sequential(*[layer for i in range(3) for layer in (
        mn.Dense(4 if i == 0 else 6, 6, init="lecun_normal", rng=10 + i), mn.SELU())], mn.Dense(6, 2, rng=20)),
    "mixed-nested": lambda: mn.Sequential(
        mn.Dense(4, 5, init="glorot_uniform", rng=5), mn.LeakyReLU(0.2),
        mn.Sequential(mn.Dense(5, 5, rng=6), mn.Tanh(), mn.Dense(5, 4, rng=7), mn.Sigmoid()),
        mn.Dense(4, 4, rng=8), mn.SiLU(), mn.CELU(2.0), mn.Identity(), mn.Dense(4, 3, rng=9)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_gradcheck_sequential_models(name: str) -> None:
    model = MODELS[name]()
    x = away_from_zero((6, 4), seed=1)
    assert min_abs_input_to_kinks(model, x) > 1e-3, "test point too close to a kink; change the seed"
    result = assert_passes(model, x)
    assert list(result.errors) == ["input"] + [n for n, _ in model.named_parameters()]


# ----------------------------------------------------------------------------------------------
# The checker can fail, and says where
# ----------------------------------------------------------------------------------------------
class TanhWrongDerivative(mn.Activation):
    """tanh with f' = 1 − tanh (instead of 1 − tanh²)."""

    def _forward(self, x):
        y = np.tanh(x)
        return y, 1 - y


class ReLUWrongAtNegative(mn.Activation):
    """ReLU forward, LeakyReLU(0.1) backward."""

    def _forward(self, x):
        return np.maximum(x, 0), np.where(x > 0, 1.0, 0.1)


class DenseDoubleWeightGrad(mn.Dense):
    def backward(self, dz):
        dx = super().backward(dz)
        self.weight.grad += self._x.T @ dz          # counts dW twice
        return dx


class DenseNoBiasGrad(mn.Dense):
    def backward(self, dz):
        dx = super().backward(dz)
        self.bias.grad[...] = 0.0                   # forgets db
        return dx


class DenseUntransposed(mn.Dense):
    """Square Dense whose dx uses W instead of Wᵀ."""

    def backward(self, dz):
        super().backward(dz)
        return dz @ self.weight.data


class NanGradient(mn.Activation):
    def _forward(self, x):
        return np.tanh(x), np.full(x.shape, np.nan)


@pytest.mark.parametrize("layer, bad", [
    (TanhWrongDerivative(), "input"),
    (ReLUWrongAtNegative(), "input"),
    (DenseUntransposed(4, 4, rng=0), "input"),
    (DenseDoubleWeightGrad(4, 3, rng=0), "weight"),
    (DenseNoBiasGrad(4, 3, rng=0), "bias"),
], ids=["tanh-wrong-derivative", "relu-wrong-negative-slope", "dense-untransposed", "dense-double-dW",
        "dense-no-db"])
def test_gradcheck_detects_a_wrong_backward(layer, bad: str) -> None:
    result = mn.gradcheck(layer, away_from_zero((5, 4)))
    assert result.errors[bad] > 1e-2, str(result)
    assert not result.passed() and not result.passed(1e-3)
    for name, err in result.errors.items():                 # the other tensors are still right
        if name != bad:
            assert err <= TOL, f"{name}: {err}"


def test_gradcheck_names_the_wrong_tensor_inside_a_model() -> None:
    model = mn.Sequential(mn.Dense(4, 5, rng=0), mn.Tanh(), DenseDoubleWeightGrad(5, 3, rng=1))
    result = mn.gradcheck(model, away_from_zero((5, 4)))
    assert result["2.weight"] == pytest.approx(0.5, rel=1e-6)      # |2g − g| / |2g|
    assert result["input"] <= TOL and result["0.weight"] <= TOL and result["0.bias"] <= TOL and result["2.bias"] <= TOL
    assert result.max_error == result["2.weight"] and not result.passed()


def test_nan_gradients_never_pass() -> None:
    result = mn.gradcheck(mn.Sequential(mn.Dense(3, 3, rng=0), NanGradient()), away_from_zero((2, 3)))
    assert result.max_error == math.inf and not result.passed(1e9)
    # nan in a later tensor must not hide behind a finite error in an earlier one
    assert not GradcheckResult({"input": 1e-12, "weight": float("nan")}).passed()
    assert GradcheckResult({"input": float("nan"), "w": 1e-12}).max_error == math.inf


# ----------------------------------------------------------------------------------------------
# The checker's mechanics
# ----------------------------------------------------------------------------------------------
def test_gradcheck_leaves_the_layer_untouched() -> None:
    model = mn.Sequential(mn.Dense(4, 3, rng=0), mn.PReLU(3))
    before = [(p.data.copy(), p.grad.copy(), p.dtype) for p in model.parameters()]
    x = away_from_zero((5, 4))
    x_before = x.copy()
    mn.gradcheck(model, x)
    for p, (data, grad, dtype) in zip(model.parameters(), before, strict=True):
        assert p.dtype == dtype == np.float32
        np.testing.assert_array_equal(p.data, data)
        np.testing.assert_array_equal(p.grad, grad)
    np.testing.assert_array_equal(x, x_before)
    assert model[0].dtype == np.float32


def test_gradcheck_with_non_contiguous_input_and_parameters() -> None:
    """Transposed (Fortran-ordered) arrays must be perturbed in place, not through a copy."""
    def transposed_init(shape, rng=None, dtype=np.float32):
        return np.asarray(rng.normal(size=shape[::-1]), dtype=dtype).T     # F-contiguous

    layer = mn.Dense(4, 3, init=transposed_init, rng=0, dtype=np.float64)
    assert not layer.weight.data.flags.c_contiguous
    x = np.asfortranarray(away_from_zero((6, 4)))
    assert not x.flags.c_contiguous
    assert_passes(layer, x)
    assert_passes(mn.Tanh(), x)


class RandomMask(mn.Layer):
    """Multiplies by a fresh random ±1 mask in training mode; the generator is ``self.rng``."""

    generator_attribute = "rng"

    def __init__(self, seed: int) -> None:
        super().__init__()
        setattr(self, self.generator_attribute, np.random.default_rng(seed))
        self._mask = None

    def forward(self, x, training=False):
        if not training:
            self._mask = np.ones_like(x)
        else:
            self._mask = getattr(self, self.generator_attribute).choice([-1.0, 1.0], size=x.shape)
        return x * self._mask

    def backward(self, dy):
        return dy * self._mask


class RandomMaskHiddenGenerator(RandomMask):
    generator_attribute = "_hidden"


def test_gradcheck_replays_the_layers_generator_in_training_mode() -> None:
    x = away_from_zero((6, 5))
    model = mn.Sequential(mn.Dense(5, 5, rng=0), RandomMask(seed=1), mn.Tanh())
    assert_passes(model, x, training=True)
    assert_passes(model, x, training=False)
    # without the replay (generator not under .rng), every forward pass draws a new mask
    hidden = mn.Sequential(mn.Dense(5, 5, rng=0), RandomMaskHiddenGenerator(seed=1), mn.Tanh())
    assert not mn.gradcheck(hidden, x, training=True).passed(1e-2)


class TrainingFlagRecorder(mn.Identity):
    seen: list[bool] = []

    def forward(self, x, training=False):
        TrainingFlagRecorder.seen.append(training)
        return super().forward(x, training)


@pytest.mark.parametrize("training", [False, True])
def test_gradcheck_passes_the_training_flag(training: bool) -> None:
    TrainingFlagRecorder.seen = []
    mn.gradcheck(TrainingFlagRecorder(), away_from_zero((2, 2)), training=training)
    assert TrainingFlagRecorder.seen and set(TrainingFlagRecorder.seen) == {training}


def test_gradcheck_h_and_seed_arguments_are_used() -> None:
    x = away_from_zero((4, 3))
    fine, coarse = mn.gradcheck(mn.Tanh(), x), mn.gradcheck(mn.Tanh(), x, h=1e-1)
    assert fine.max_error < 1e-8 < 1e-4 < coarse.max_error       # truncation error O(h²)
    assert mn.gradcheck(mn.Tanh(), x, seed=1).max_error != fine.max_error


def test_result_prints_as_a_table_with_the_tensor_names() -> None:
    model = mn.Sequential(mn.Dense(3, 4, rng=0), mn.PReLU(4), mn.Dense(4, 2, bias=False, rng=1))
    result = mn.gradcheck(model, away_from_zero((3, 3)))
    text = str(result)
    lines = text.splitlines()
    assert lines[0].split() == ["tensor", "relative", "error"]
    assert set(lines[1]) <= {"-", " "}
    rows = [line.split() for line in lines[2:-1]]                 # the last line is the verdict
    assert [r[0] for r in rows] == ["input", "0.weight", "0.bias", "1.weight", "2.weight", "max"]
    for name, value in rows[:-1]:
        assert float(value) == pytest.approx(result[name], rel=1e-3)
    assert float(rows[-1][1]) == pytest.approx(result.max_error, rel=1e-3)
    assert "max_error" in repr(result) and "0.weight" in repr(result)


def test_empty_result() -> None:
    result = GradcheckResult()
    assert result.max_error == 0.0 and result.passed()


# ----------------------------------------------------------------------------------------------
# numerical_gradient, relative_error, gradcheck_loss
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["C", "F"])
def test_numerical_gradient_of_a_known_function(order: str) -> None:
    u = np.array(away_from_zero((3, 4)), order=order)
    u_before = u.copy()
    grad = numerical_gradient(lambda: float(np.sum(u**3)), u, h=1e-5)
    np.testing.assert_allclose(grad, 3 * u_before**2, rtol=1e-8)
    np.testing.assert_array_equal(u, u_before)                      # restored exactly
    scalar = np.array(0.7)
    assert numerical_gradient(lambda: float(np.sin(scalar)), scalar)[()] == pytest.approx(math.cos(0.7), rel=1e-9)


def test_relative_error() -> None:
    a = np.array([1.0, -2.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, 2 * a) == pytest.approx(0.5)               # max|a − 2a| / max|2a| = 4 / 8
    assert relative_error(a, a + np.array([0, 0.01, 0])) == pytest.approx(0.01 / 4)
    assert relative_error(a, np.zeros(3)) == 1.0
    assert relative_error(np.array([np.nan, 1.0]), np.ones(2)) == math.inf
    assert relative_error(np.ones(2), np.array([np.inf, 1.0])) == math.inf


class MeanSquaredError:
    """L = mean((pred − target)²); dL/dpred = 2(pred − target)/size."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken

    def forward(self, pred, target):
        self._diff = pred - target
        return float(np.mean(self._diff**2))

    def backward(self):
        return 2 * self._diff / (1 if self.broken else self._diff.size)


def test_gradcheck_loss() -> None:
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    good = mn.gradcheck_loss(MeanSquaredError(), pred, target)
    assert set(good.errors) == {"input"} and good.passed(TOL)
    assert not mn.gradcheck_loss(MeanSquaredError(broken=True), pred, target).passed(1e-2)
