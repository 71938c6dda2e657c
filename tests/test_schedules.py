"""Tests of minnet.train.schedules: lr sequences against closed forms, interplay with every optimizer, state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minnet.nn.parameter import Parameter
from minnet.train.optim import SGD, Adam, AdamW, RMSprop
from minnet.train.schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearWarmup,
    SequentialLR,
    StepLR,
    get_schedule,
)


def _sgd(lr: float = 0.1) -> SGD:
    return SGD([Parameter(np.zeros(3), "w")], lr=lr)


def _sequence(sched, epochs: int) -> list[float]:
    """opt.lr during epochs 0 … epochs−1 (the schedule is stepped at the end of each epoch)."""
    lrs = []
    for _ in range(epochs):
        lrs.append(sched.optimizer.lr)
        sched.step()
    return lrs


def test_step_lr():
    sched = StepLR(_sgd(0.1), step_size=3, gamma=0.5)
    assert _sequence(sched, 8) == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], rel=1e-15)


def test_step_lr_default_gamma():
    assert _sequence(StepLR(_sgd(1.0), step_size=2), 5) == pytest.approx([1, 1, 0.1, 0.1, 0.01])


def test_exponential_lr():
    sched = ExponentialLR(_sgd(0.2), gamma=0.9)
    assert _sequence(sched, 6) == pytest.approx([0.2 * 0.9**t for t in range(6)], rel=1e-14)


def test_cosine_annealing():
    sched = CosineAnnealingLR(_sgd(0.1), T_max=10, eta_min=0.001)
    lrs = _sequence(sched, 11)
    expected = [0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    assert lrs == pytest.approx(expected, rel=1e-14)
    assert lrs[0] == pytest.approx(0.1) and lrs[5] == pytest.approx((0.1 + 0.001) / 2) and lrs[10] == pytest.approx(
        0.001)
    assert all(a > b for a, b in zip(lrs[:-1], lrs[1:], strict=True))


def test_linear_warmup():
    sched = LinearWarmup(_sgd(1.0), warmup_epochs=4, start_factor=0.2)
    assert _sequence(sched, 7) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0], rel=1e-14)
    assert LinearWarmup(_sgd(0.5), warmup_epochs=2).optimizer.lr == pytest.approx(0.05)   # default start 0.1
    assert _sequence(LinearWarmup(_sgd(0.5), warmup_epochs=0), 2) == [0.5, 0.5]


def test_warmup_then_cosine_shares_base_lr():
    opt = _sgd(1.0)
    warm = LinearWarmup(opt, warmup_epochs=2, start_factor=0.5)
    cos = CosineAnnealingLR(opt, T_max=4)          # built after warm-up already lowered opt.lr
    assert cos.base_lr == 1.0 and opt.initial_lr == 1.0
    sched = SequentialLR(opt, [warm, cos], milestones=[2])
    expected = [0.5, 0.75] + [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert _sequence(sched, 7) == pytest.approx(expected, abs=1e-15)


def test_get_last_lr_and_state_dict_resume():
    opt = _sgd(0.1)
    sched = ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == pytest.approx(0.1 * 0.5**3) == opt.lr
    state = sched.state_dict()
    assert state == {"last_epoch": 3, "base_lr": 0.1}

    opt2 = _sgd(0.1)
    resumed = ExponentialLR(opt2, gamma=0.5)
    resumed.load_state_dict(state)
    assert opt2.lr == opt.lr
    assert _sequence(resumed, 3) == _sequence(sched, 3)


def _make(name: str, params):
    return {"sgd": lambda: SGD(params, lr=0.1, momentum=0.9),
            "adam": lambda: Adam(params, lr=0.1),
            "adamw": lambda: AdamW(params, lr=0.1),
            "rmsprop": lambda: RMSprop(params, lr=0.1)}[name]()


@pytest.mark.parametrize("opt_name", ["sgd", "adam", "adamw", "rmsprop"])
@pytest.mark.parametrize("make_sched", [
    lambda o: StepLR(o, step_size=2, gamma=0.5),
    lambda o: ExponentialLR(o, gamma=0.7),
    lambda o: CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    lambda o: LinearWarmup(o, warmup_epochs=3),
], ids=["step", "exponential", "cosine", "warmup"])
def test_schedule_drives_every_optimizer(opt_name, make_sched):
    """A scheduled optimizer moves exactly like one whose lr is set by hand to the closed form."""
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=4) for _ in range(5)]
    p_sched, p_hand = Parameter(np.ones(4), "w"), Parameter(np.ones(4), "w")
    opt_sched, opt_hand = _make(opt_name, [p_sched]), _make(opt_name, [p_hand])
    sched = make_sched(opt_sched)
    for epoch, g in enumerate(grads):
        opt_hand.lr = sched.lr_at(epoch)
        assert opt_sched.lr == opt_hand.lr
        p_sched.grad[...] = g
        p_hand.grad[...] = g
        opt_sched.step()
        opt_hand.step()
        sched.step()
    np.testing.assert_array_equal(p_sched.data, p_hand.data)
    assert not np.array_equal(p_sched.data, np.ones(4))


def test_sgd_step_size_follows_scheduled_lr():
    p = Parameter(np.zeros(1), "w")
    opt = SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    p.grad[...] = 1.0
    positions = []
    for _ in range(3):
        opt.step()
        sched.step()
        positions.append(float(p.data[0]))
    assert positions == [-1.0, -1.5, -1.75]


@pytest.mark.parametrize("make, match", [
    (lambda o: StepLR(o, step_size=0), "StepLR.*step_size"),
    (lambda o: StepLR(o, step_size=2, gamma=-1), "StepLR.*gamma"),
    (lambda o: ExponentialLR(o, gamma=0), "ExponentialLR.*gamma"),
    (lambda o: CosineAnnealingLR(o, T_max=0), "CosineAnnealingLR.*T_max"),
    (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1), "CosineAnnealingLR.*eta_min"),
    (lambda o: LinearWarmup(o, warmup_epochs=-1), "LinearWarmup.*warmup_epochs"),
    (lambda o: LinearWarmup(o, warmup_epochs=3, start_factor=0), r"LinearWarmup.*start_factor.*\(0, 1\]"),
    (lambda o: SequentialLR(o, [LinearWarmup(o, 2), StepLR(o, 2)], milestones=[]), "SequentialLR.*milestones"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(_sgd())


def test_not_an_optimizer():
    with pytest.raises(TypeError, match="StepLR"):
        StepLR(object(), step_size=1)


def test_repr_and_get_schedule():
    sched = get_schedule("cosine", _sgd(0.1), T_max=5)
    assert isinstance(sched, CosineAnnealingLR)
    assert repr(sched) == "CosineAnnealingLR(T_max=5, eta_min=0.0, base_lr=0.1, last_epoch=0)"
    with pytest.raises(ValueError, match="cosine.*exponential.*linear_warmup.*step"):
        get_schedule("cyclic", _sgd())


@pytest.mark.parametrize("make, message", [
    (lambda o: StepLR(o, step_size=1.5), "StepLR: step_size must be a positive integer, got 1.5"),
    (lambda o: StepLR(o, step_size=2, gamma=float("nan")), "StepLR: gamma must be a finite number, got nan"),
    (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1), r"CosineAnnealingLR: eta_min must be in \[0, inf\], got -1"),
    (lambda o: LinearWarmup(o, warmup_epochs=-1), "LinearWarmup: warmup_epochs must be an integer ≥ 0, got -1"),
    (lambda o: LinearWarmup(o, warmup_epochs=True), "LinearWarmup: warmup_epochs must be an integer ≥ 0, got True"),
    (lambda o: SequentialLR(o, [LinearWarmup(o, 2), StepLR(o, 2)], milestones=[0.5]),
     r"SequentialLR: milestones\[0\] must be a positive integer, got 0.5"),
])
def test_argument_messages_follow_the_validation_style(make, message):
    """'<where>: <name> must be <what>, got <value>' — the style of minnet.validation."""
    with pytest.raises(ValueError, match=message):
        make(_sgd())


def test_warmup_of_zero_epochs_and_names_in_any_case():
    assert LinearWarmup(_sgd(), warmup_epochs=0).lr_at(0) == 0.1
    assert isinstance(get_schedule(" Linear-Warmup", _sgd(), warmup_epochs=2), LinearWarmup)
    with pytest.raises(TypeError, match="get_schedule: schedule must be a string"):
        get_schedule(3, _sgd())
