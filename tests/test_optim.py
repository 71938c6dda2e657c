"""Tests of minnet.train.optim against PyTorch's documented update rules, written out per scalar in the test."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from layer_table import assert_same_bits, extreme_floats

import minnet as mn
from minnet.nn.dense import Dense
from minnet.nn.parameter import Parameter
from minnet.nn.sequential import Sequential
from minnet.train.optim import OPTIMIZERS, SGD, Adam, AdamW, Optimizer, RMSprop, get_optimizer

RNG = np.random.default_rng(7)
THETA0 = RNG.normal(size=(2, 3))
GRADS = [RNG.normal(size=(2, 3)) for _ in range(3)]


# --- straightforward reference implementations: one scalar at a time, Python floats ---------
def ref_sgd(theta, grads, lr, momentum=0.0, nesterov=False, wd=0.0):
    out = []
    for th0, gs in zip(theta.ravel().tolist(), zip(*[g.ravel().tolist() for g in grads], strict=True), strict=True):
        th, b = th0, None
        for t, g in enumerate(gs, start=1):
            if wd != 0:
                g = g + wd * th
            if momentum != 0:
                b = g if t == 1 else momentum * b + g
                g = g + momentum * b if nesterov else b
            th = th - lr * g
        out.append(th)
    return np.array(out).reshape(theta.shape)


def ref_adam(theta, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.0, decoupled=False):
    out = []
    for th0, gs in zip(theta.ravel().tolist(), zip(*[g.ravel().tolist() for g in grads], strict=True), strict=True):
        th, m, v = th0, 0.0, 0.0
        for t, g in enumerate(gs, start=1):
            if decoupled:
                th = th - lr * wd * th
            elif wd != 0:
                g = g + wd * th
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
            th = th - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(th)
    return np.array(out).reshape(theta.shape)


def ref_rmsprop(theta, grads, lr, alpha=0.99, eps=1e-8, momentum=0.0, wd=0.0):
    out = []
    for th0, gs in zip(theta.ravel().tolist(), zip(*[g.ravel().tolist() for g in grads], strict=True), strict=True):
        th, v, b = th0, 0.0, 0.0
        for g in gs:
            if wd != 0:
                g = g + wd * th
            v = alpha * v + (1 - alpha) * g * g
            if momentum > 0:
                b = momentum * b + g / (math.sqrt(v) + eps)
                th = th - lr * b
            else:
                th = th - lr * g / (math.sqrt(v) + eps)
        out.append(th)
    return np.array(out).reshape(theta.shape)


def run(make_opt, grads=GRADS, theta=THETA0, dtype=np.float64):
    p = Parameter(theta.astype(dtype), "w")
    opt = make_opt([p])
    for g in grads:
        p.grad[...] = g
        opt.step()
    return p.data, opt


CASES = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda th, gs: ref_sgd(th, gs, 0.1)),
    "sgd-momentum": (lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda th, gs: ref_sgd(th, gs, 0.1, 0.9)),
    "sgd-nesterov": (lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                     lambda th, gs: ref_sgd(th, gs, 0.1, 0.9, nesterov=True)),
    "sgd-wd": (lambda ps: SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.3),
               lambda th, gs: ref_sgd(th, gs, 0.1, 0.5, wd=0.3)),
    "sgd-nesterov-wd": (lambda ps: SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.2),
                        lambda th, gs: ref_sgd(th, gs, 0.05, 0.8, nesterov=True, wd=0.2)),
    "adam": (lambda ps: Adam(ps, lr=0.01), lambda th, gs: ref_adam(th, gs, 0.01)),
    "adam-betas-eps": (lambda ps: Adam(ps, lr=0.02, betas=(0.5, 0.8), eps=1e-3),
                       lambda th, gs: ref_adam(th, gs, 0.02, 0.5, 0.8, 1e-3)),
    "adam-l2": (lambda ps: Adam(ps, lr=0.01, weight_decay=0.5), lambda th, gs: ref_adam(th, gs, 0.01, wd=0.5)),
    "adamw": (lambda ps: AdamW(ps, lr=0.01, weight_decay=0.5),
              lambda th, gs: ref_adam(th, gs, 0.01, wd=0.5, decoupled=True)),
    "adamw-default-wd": (lambda ps: AdamW(ps, lr=0.1), lambda th, gs: ref_adam(th, gs, 0.1, wd=1e-2, decoupled=True)),
    "rmsprop": (lambda ps: RMSprop(ps, lr=0.01), lambda th, gs: ref_rmsprop(th, gs, 0.01)),
    "rmsprop-momentum": (lambda ps: RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.7),
                         lambda th, gs: ref_rmsprop(th, gs, 0.01, alpha=0.9, momentum=0.7)),
    "rmsprop-wd-eps": (lambda ps: RMSprop(ps, lr=0.01, eps=0.1, weight_decay=0.4, momentum=0.3),
                       lambda th, gs: ref_rmsprop(th, gs, 0.01, eps=0.1, momentum=0.3, wd=0.4)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_three_steps_match_documented_algorithm(case):
    make_opt, reference = CASES[case]
    for n_steps in (1, 2, 3):
        theta, _ = run(make_opt, GRADS[:n_steps])
        np.testing.assert_allclose(theta, reference(THETA0, GRADS[:n_steps]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", list(CASES))
def test_float32_stays_float32(case):
    make_opt, reference = CASES[case]
    grads32 = [g.astype(np.float32) for g in GRADS]
    theta, opt = run(make_opt, grads32, dtype=np.float32)
    assert theta.dtype == np.float32
    assert all(a.dtype == np.float32 for s in opt.state.values() for a in s.values())
    np.testing.assert_allclose(theta, reference(THETA0, GRADS), rtol=1e-5, atol=1e-5)


# --- a few numbers worked out by hand -------------------------------------------------------
def test_sgd_momentum_and_nesterov_by_hand():
    """θ0 = 1, constant g = 0.5, lr = 0.1, μ = 0.9."""
    grads = [np.array([0.5])] * 3
    theta, _ = run(lambda ps: SGD(ps, lr=0.1, momentum=0.9), grads, np.array([1.0]))
    # b: 0.5, 0.95, 1.355  →  θ: 0.95, 0.855, 0.7195
    assert theta[0] == pytest.approx(0.7195, abs=1e-15)
    theta, _ = run(lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True), grads[:2], np.array([1.0]))
    # step 1: b = 0.5, g + μb = 0.95 → 0.905; step 2: b = 0.95, g + μb = 1.355 → 0.7695
    assert theta[0] == pytest.approx(0.7695, abs=1e-15)


def test_adam_first_step_is_lr_times_sign_and_second_by_hand():
    """Bias correction makes the first Adam step lr·g/(|g| + ε) ≈ lr·sign(g), whatever |g| is."""
    theta, _ = run(lambda ps: Adam(ps, lr=0.1), [np.array([0.5, -3e-4])], np.array([1.0, 1.0]))
    np.testing.assert_allclose(theta, [0.9, 1.1], atol=1e-5)
    theta, _ = run(lambda ps: Adam(ps, lr=0.1), [np.array([0.5]), np.array([0.25])], np.array([1.0]))
    # m = 0.07, v = 0.00031225 → m̂ = 0.07/0.19, v̂ = 0.00031225/0.001999
    m_hat, v_hat = 0.07 / 0.19, 0.00031225 / 0.001999
    assert theta[0] == pytest.approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8) - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8),
                                     abs=1e-14)


def test_adam_l2_and_adamw_decoupled_differ():
    """With zero gradient, Adam's L2 term goes through the adaptive step (≈ lr·sign(θ)),
    AdamW's decay is exactly θ·(1 − lr·λ)."""
    zero = [np.zeros(1)]
    adam, _ = run(lambda ps: Adam(ps, lr=0.1, weight_decay=0.01), zero, np.array([2.0]))
    adamw, _ = run(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.01), zero, np.array([2.0]))
    assert adam[0] == pytest.approx(2.0 - 0.1, abs=1e-6)
    assert adamw[0] == 2.0 * (1 - 0.1 * 0.01)


def test_rmsprop_first_step_by_hand():
    """v = (1−α)g², so the first step is lr·g/(√(1−α)|g| + ε) = 10·lr·sign(g) for α = 0.99."""
    theta, _ = run(lambda ps: RMSprop(ps, lr=0.01), [np.array([0.5, -2.0])], np.array([0.0, 0.0]))
    np.testing.assert_allclose(theta, [-0.1, 0.1], rtol=1e-6)


# --- per-parameter options -------------------------------------------------------------------
ALL_WITH_DECAY = {
    "sgd": lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    "adam": lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
    "adamw": lambda ps: AdamW(ps, lr=0.1, weight_decay=0.1),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.1, momentum=0.5, weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(ALL_WITH_DECAY))
def test_weight_decay_false_and_frozen_parameters(name):
    decayed = Parameter(np.full(3, 2.0), "decayed")
    exempt = Parameter(np.full(3, 2.0), "slope", weight_decay=False)
    frozen = Parameter(np.full(3, 2.0), "frozen", trainable=False)
    opt = ALL_WITH_DECAY[name]([decayed, exempt, frozen])
    frozen.grad[...] = 1.0                            # a frozen parameter ignores even a real gradient
    for _ in range(3):
        opt.step()                                    # zero gradient for the other two
    assert np.all(decayed.data < 2.0)                 # weight decay alone shrinks it
    np.testing.assert_array_equal(exempt.data, 2.0)
    np.testing.assert_array_equal(frozen.data, 2.0)
    assert all(np.all(a == 0) for a in opt.state[frozen].values())


@pytest.mark.parametrize("name", list(ALL_WITH_DECAY))
def test_step_does_not_modify_grad(name):
    p = Parameter(THETA0.copy(), "w")
    p.grad[...] = GRADS[0]
    opt = ALL_WITH_DECAY[name]([p])
    opt.step()
    opt.step()
    np.testing.assert_array_equal(p.grad, GRADS[0])
    opt.zero_grad()
    np.testing.assert_array_equal(p.grad, 0)


def test_accepts_model_mixed_dtypes_and_dedups():
    model = Sequential(Dense(3, 4, rng=0), Dense(4, 2, rng=1))
    opt = Adam(model)
    assert opt.params == model.parameters()
    shared = Parameter(np.ones(2), "shared")
    assert len(SGD([shared, shared], lr=0.1).params) == 1

    small64 = Parameter(np.ones(2), "a")
    big32 = Parameter(np.ones((5, 5), dtype=np.float32), "b")
    opt = SGD([small64, big32], lr=0.5, momentum=0.9)
    small64.grad[...] = 1.0
    big32.grad[...] = 2.0
    opt.step()
    np.testing.assert_array_equal(small64.data, 0.5)
    np.testing.assert_array_equal(big32.data, 0.0)
    assert small64.data.dtype == np.float64 and big32.data.dtype == np.float32


# --- state_dict -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["sgd", "sgd-nesterov", "adam", "adamw", "rmsprop-momentum"])
def test_state_dict_round_trip_continues_identically(case):
    make_opt, _ = CASES[case]
    theta, opt = run(make_opt, GRADS[:2])
    theta = theta.copy()                               # run() returns the live array, which step() updates
    state = opt.state_dict()
    assert isinstance(state["step"], int) and state["step"] == 2
    for key, value in state.items():
        if isinstance(value, list):
            assert len(value) == 1
            assert all(isinstance(a, (np.ndarray, int)) for a in value), key
        else:
            assert isinstance(value, (int, float)), key
    saved = copy.deepcopy(state)

    # the original continues ...
    p = opt.params[0]
    p.grad[...] = GRADS[2]
    opt.step()
    # ... and a fresh optimizer on a copy of the weights, loaded from the saved state, does the same
    q = Parameter(theta.copy(), "w")
    fresh = make_opt([q])
    fresh.load_state_dict(saved)
    q.grad[...] = GRADS[2]
    fresh.step()
    np.testing.assert_array_equal(q.data, p.data)
    # state_dict returned copies: stepping did not change them
    for key, value in state.items():
        if isinstance(value, list):
            for a, b in zip(value, saved[key], strict=True):
                np.testing.assert_array_equal(a, b)


def test_load_state_dict_rejects_mismatch():
    _, opt = run(lambda ps: Adam(ps, lr=0.1), GRADS[:1])
    other = Adam([Parameter(np.zeros(4), "v")])
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="missing"):
        other.load_state_dict({"step": 1})


# --- validation and description ---------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda ps: SGD(ps, lr=-0.1), r"^SGD: lr must be in \[0, inf\), got -0.1$"),
    (lambda ps: SGD(ps, lr=float("nan")), r"SGD.*lr"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), r"^SGD: momentum must be in \[0, inf\), got -0.5$"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), r"SGD.*nesterov.*momentum > 0"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), r"^SGD: weight_decay must be in \[0, inf\), got -1$"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"^Adam: betas\[0\] must be in \[0, 1\), got 1.0$"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"^Adam: betas\[1\] must be in \[0, 1\), got -0.1$"),
    (lambda ps: Adam(ps, betas=0.9), r"Adam.*pair"),
    (lambda ps: AdamW(ps, eps=-1e-8), r"AdamW.*eps"),
    (lambda ps: AdamW(ps, weight_decay=-0.01), r"AdamW.*weight_decay"),
    (lambda ps: RMSprop(ps, alpha=1.5), r"^RMSprop: alpha must be in \[0, 1\], got 1.5$"),
    (lambda ps: RMSprop(ps, momentum=-1), r"RMSprop.*momentum"),
    (lambda ps: RMSprop([]), r"RMSprop.*empty"),
])
def test_invalid_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make([Parameter(np.zeros(2), "w")] if "empty" not in match else [])


def test_non_parameters_rejected():
    with pytest.raises(TypeError, match="SGD.*Parameter"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="Adam"):
        Adam(42)


def test_get_optimizer_and_repr():
    ps = [Parameter(np.zeros(2), "w")]
    for name, cls in OPTIMIZERS.items():
        kw = {"lr": 0.1}
        opt = get_optimizer(name, ps, **kw)
        assert type(opt) is cls and opt.lr == 0.1
        rebuilt = cls(ps, **opt.get_config())
        assert rebuilt.get_config() == opt.get_config()
        assert repr(opt).startswith(f"{cls.__name__}(<1 parameter>, lr=0.1")
    assert get_optimizer("sgd", ps, lr=0.1, momentum=0.9).momentum == 0.9
    assert AdamW(ps).weight_decay == 1e-2 and RMSprop(ps).eps == 1e-8 and Adam(ps).lr == 1e-3
    with pytest.raises(ValueError, match="adam.*adamw.*rmsprop.*sgd"):
        get_optimizer("lbfgs", ps)


# --- reference path: reference_step() and textbook mode ------------------------------------------------
CONFIGS = [
    (SGD, {"lr": 0.1}), (SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (RMSprop, {"lr": 0.01}), (RMSprop, {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1}),
    (Adam, {"lr": 0.01}), (Adam, {"lr": 0.01, "weight_decay": 0.1}), (AdamW, {"lr": 0.01, "weight_decay": 0.1}),
]
CONFIG_IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(CONFIGS)]


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_step_equals_reference_step(cls, kwargs, dtype, data):
    """Three steps over hypothesis parameters and gradients (extremes included). SGD and RMSprop: the same bits.
    Adam and AdamW: m and v the same bits; each step's θ within 1 ulp of θ plus 8 ulp of the update
    γ·m̂/(√v̂ + ε), because the fast path folds the bias corrections into one factor (Adam's docstring)."""
    shape = data.draw(st.sampled_from([(3,), (2, 3)]))
    theta = data.draw(arrays(dtype, shape, elements=extreme_floats(dtype)))
    fast = [Parameter(theta.copy(), "w"), Parameter(theta[..., :1].copy(), "b", weight_decay=False)]
    ref = copy.deepcopy(fast)
    opt_fast, opt_ref = cls(fast, **kwargs), cls(ref, **kwargs)
    for _ in range(3):
        for p, q in zip(fast, ref):
            p.grad[...] = q.grad[...] = data.draw(arrays(dtype, p.shape, elements=extreme_floats(dtype)))
        with np.errstate(all="ignore"):
            opt_fast.step()
            opt_ref.reference_step()
        for p, q in zip(fast, ref):
            for key, a in opt_fast.state[p].items():
                assert_same_bits(a, opt_ref.state[q][key], key)
            if cls in (SGD, RMSprop):
                assert_same_bits(p.data, q.data, "θ")
            else:
                assert_adam_step_close(opt_ref, q, p.data, kwargs["lr"])
                q.data[...] = p.data                  # compare the next step from the same θ
    assert opt_fast.step_count == opt_ref.step_count == 3


def assert_adam_step_close(opt, q, fast_theta, lr):
    """θ within 1 ulp of θ plus 8 ulp of this step's update γ·m̂/(√v̂ + ε), plus what rounding m̂ = m/(1 − β1ᵗ)
    to the subnormal grid can cost (up to the smallest subnormal, times γ/(√v̂ + ε)): the reference computes m̂,
    the fast path never does."""
    dtype = q.data.dtype
    t = opt.param_steps[q]
    m, v = opt.state[q]["exp_avg"].astype(np.float64), opt.state[q]["exp_avg_sq"].astype(np.float64)
    with np.errstate(all="ignore"):
        scale = lr / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        update = np.abs(m / (1 - 0.9**t)) * scale
    subnormal_rounding = float(np.finfo(dtype).smallest_subnormal) * scale      # (tiny/2 would round to 0)
    allowed = np.spacing(np.abs(q.data)) + 8 * np.spacing(update.astype(dtype)) + subnormal_rounding
    assert fast_theta.dtype == dtype
    assert np.all(np.abs(fast_theta.astype(np.float64) - q.data) <= allowed), (fast_theta, q.data, allowed)


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8), y


def _textbook_model(normalise: bool) -> Sequential:
    """Dense, ReLU, LeakyReLU and both dropouts; with ``normalise``, BatchNorm (after a Dense without bias: a
    bias before BatchNorm only gets rounding noise as gradient) and LayerNorm."""
    dt = np.float64
    layers = [Dense(64, 32, bias=not normalise, rng=0, dtype=dt)] + ([mn.BatchNorm(32, dtype=dt)] if normalise else [])
    layers += [mn.ReLU(), mn.Dropout(0.2, rng=1), Dense(32, 32, rng=2, dtype=dt)]
    layers += [mn.LayerNorm(32, dtype=dt)] if normalise else []
    layers += [mn.LeakyReLU(0.1), mn.AlphaDropout(0.1, rng=4), Dense(32, 10, rng=3, dtype=dt)]
    return Sequential(*layers)


TEXTBOOK_OPTIMIZERS = {
    "sgd": lambda m: SGD(m, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "sgd-nesterov": lambda m: SGD(m, lr=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda m: RMSprop(m, lr=1e-3, momentum=0.5, weight_decay=1e-3),
    "adam": lambda m: Adam(m, lr=1e-3, weight_decay=1e-3),
    "adamw": lambda m: AdamW(m, lr=1e-3),
}


@pytest.mark.parametrize("normalise", [False, True], ids=["plain", "batchnorm-layernorm"])
@pytest.mark.parametrize("name", sorted(TEXTBOOK_OPTIMIZERS))
def test_one_epoch_in_textbook_mode_gives_the_same_parameters(name, normalise):
    """One epoch of mn.fit on digits in float64, normally and under mn.textbook().

    SGD and RMSprop: every layer, loss and optimizer does the same arithmetic on both paths, so the parameters
    are bit-identical. Adam and AdamW: each update differs by a few ulps (folded bias corrections); without
    normalisation layers the parameters end within 8 ulps of each tensor's largest value (measured: 1 and 3).
    With BatchNorm the differences are amplified: BatchNorm's backward is a difference of nearly equal terms
    (M·dy − Σdy − x̂·Σdy·x̂), so an ulp in the weights is a larger relative change of the gradient, and Adam
    divides the gradient by its own scale; after one epoch they stay within 1e-10 of each tensor's largest value
    (measured: about 5e-13)."""
    X, y = _digits()
    trained = []
    for textbook in (False, True):
        model = _textbook_model(normalise)
        optimizer = TEXTBOOK_OPTIMIZERS[name](model)
        with mn.textbook(textbook):
            mn.fit(model, mn.CrossEntropyLoss(), optimizer, X, y, epochs=1, batch_size=64, seed=0, progress=False)
        trained.append(model)
    for (pname, p), q in zip(trained[0].named_parameters(), trained[1].parameters()):
        if not name.startswith("adam"):
            assert_same_bits(p.data, q.data, pname)
            continue
        largest = np.max(np.abs(p.data))
        allowed = 1e-10 * largest if normalise else 8 * np.spacing(largest)
        assert np.max(np.abs(p.data - q.data)) <= allowed, pname


@pytest.mark.parametrize("cls", [Adam, AdamW, RMSprop])
def test_float16_parameters_are_refused_with_the_reason(cls):
    params = [Parameter(np.zeros(3, dtype=np.float32), "w"), Parameter(np.zeros(2, dtype=np.float16), "slope")]
    with pytest.raises(TypeError, match=rf"^{cls.__name__}: parameter 1 \('slope'\) is float16.*eps=1e-08 rounds "
                                        r"to 0\.0.*float32"):
        cls(params)


def test_sgd_trains_float16_parameters():
    p = Parameter(np.array([1.0, -2.0], dtype=np.float16), "w")
    p.grad[...] = [0.5, -0.25]
    SGD([p], lr=0.5).step()
    assert p.data.dtype == np.float16
    np.testing.assert_array_equal(p.data, np.array([0.75, -1.875], dtype=np.float16))   # θ − γ·g, exact in float16


class HalfStepSGD(Optimizer):
    """A student's optimizer: only the fast ``_update``, no ``reference_step``."""

    def _update(self, p, state):
        p.data -= 0.5 * self.lr * p.grad


def test_an_optimizer_without_reference_step_runs_its_update_in_textbook_mode():
    p = Parameter(np.array([1.0, 2.0]), "w")
    p.grad[...] = [0.5, -1.0]
    opt = HalfStepSGD([p], lr=0.2)
    with mn.textbook():
        opt.step()
    np.testing.assert_array_equal(p.data, [1.0 - 0.05, 2.0 + 0.1])
    assert opt.step_count == 1


# --- subnormal state is flushed to 0 on the fast path -------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_subnormal_zeroes_exactly_the_subnormals(dtype) -> None:
    from minnet.train.optimizer import flush_subnormal

    tiny = np.finfo(dtype).tiny
    a = np.array([tiny / 2, -tiny / 4, np.finfo(dtype).smallest_subnormal, tiny, -tiny, 0.0, 1.0, -3e-3,
                  np.nan, np.inf, -np.inf], dtype=dtype)
    flush_subnormal(a)
    want = np.array([0, 0, 0, tiny, -tiny, 0, 1, -3e-3, np.nan, np.inf, -np.inf], dtype=dtype)
    np.testing.assert_array_equal(a, want)


@pytest.mark.parametrize("make", [lambda ps: mn.Adam(ps, lr=1e-2), lambda ps: mn.SGD(ps, lr=1e-2, momentum=0.9),
                                  lambda ps: mn.AdamW(ps, lr=1e-2, weight_decay=0.0)])
def test_state_of_an_always_zero_gradient_is_flushed_and_parameters_match_the_textbook(make) -> None:
    """A gradient that is 0 after the first step (an input that is always 0 afterwards) lets the state decay
    into subnormals: the fast path sets them to 0 every FLUSH_EVERY steps, the textbook keeps them, and the
    parameters stay equal."""
    rng = np.random.default_rng(0)
    fast, ref = (Parameter(rng.standard_normal(50).astype(np.float32)) for _ in range(2))
    ref.data[...] = fast.data
    opt_fast, opt_ref = make([fast]), make([ref])
    for step in range(3 * Optimizer.FLUSH_EVERY + 900):
        g = rng.standard_normal(50).astype(np.float32) if step == 0 else np.zeros(50, np.float32)
        g[:25] = 0.5 if step % 2 else -0.5                       # half the entries keep a real gradient
        fast.grad[...] = g
        ref.grad[...] = g
        opt_fast.step()
        with mn.textbook():
            opt_ref.step()
    name = opt_fast.state_names[0] if opt_fast.state_names else "momentum_buffer"
    m_fast, m_ref = opt_fast.state[fast][name], opt_ref.state[ref][name]
    tiny = np.finfo(np.float32).tiny
    assert np.any((m_ref[25:] != 0) & (np.abs(m_ref[25:]) < tiny))      # the textbook's state went subnormal
    assert not np.any((m_fast != 0) & (np.abs(m_fast) < tiny))         # the fast path's did not stay so
    np.testing.assert_array_equal(m_fast[:25] != 0, m_ref[:25] != 0)
    np.testing.assert_allclose(fast.data, ref.data, rtol=1e-6, atol=0)


def test_float16_momentum_keeps_its_subnormals() -> None:
    """float16 is computed in float32 inside NumPy, so its subnormals cost nothing, and flushing them (below
    6.1e-5) would change updates noticeably: SGD's float16 momentum is left alone."""
    p = Parameter(np.ones(4, dtype=np.float16))
    opt = mn.SGD([p], lr=1e-3, momentum=0.5)
    for step in range(Optimizer.FLUSH_EVERY):
        p.grad[...] = 1e-5 if step == Optimizer.FLUSH_EVERY - 1 else 0.0    # a float16 subnormal
        opt.step()
    b = opt.state[p]["momentum_buffer"]
    assert b.dtype == np.float16 and np.all(b == np.float16(1e-5)) and np.all(b < np.finfo(np.float16).tiny)
