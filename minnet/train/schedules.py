"""Learning-rate schedules: the lr as a closed-form function of the epoch.

A schedule sets ``optimizer.lr`` (a plain float) and is stepped once per epoch:

    opt = SGD(model, lr=0.1, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=50)     # sets opt.lr for epoch 0 right away
    for epoch in range(50):
        train_one_epoch(...)                     # uses opt.lr
        sched.step()                             # epoch += 1, opt.lr = lr_at(epoch)

Every schedule computes ``lr_at(epoch)`` from the base lr η₀ (no running product, so
loading a state or jumping to an epoch gives exactly the same numbers). η₀ is the
optimizer's lr when the first schedule is attached to it; it is stored as
``optimizer.initial_lr`` so that several schedules on one optimizer (warm-up, then
cosine) share the same η₀, as PyTorch's ``initial_lr`` does.

| schedule | lr at epoch t |
|---|---|
| StepLR(step_size, γ=0.1) | η₀·γ^⌊t/step_size⌋ |
| ExponentialLR(γ) | η₀·γᵗ |
| CosineAnnealingLR(T_max, η_min=0) | η_min + (η₀ − η_min)·(1 + cos(π·t/T_max))/2 |
| LinearWarmup(warmup_epochs, start_factor=0.1) | η₀·(f + (1 − f)·min(t, W)/W) |
| SequentialLR(schedules, milestones) | schedule i at epoch t − milestones[i−1] |
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from minnet.validation import check_choice, check_int, check_positive_int, check_real


class LRSchedule:
    """Base class: subclasses implement ``lr_at(epoch)``; ``step()`` advances one epoch.

    Attributes
    ----------
    optimizer : the optimizer whose ``lr`` is set.
    base_lr : float   η₀, the lr before any schedule (``optimizer.initial_lr``).
    last_epoch : int  Epochs stepped so far (0 right after construction).
    """

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"{type(self).__name__}: expected an optimizer with an .lr attribute, "
                            f"got {type(optimizer).__name__}")
        if getattr(optimizer, "initial_lr", None) is None:
            optimizer.initial_lr = float(optimizer.lr)
        self.optimizer = optimizer
        self.base_lr = float(optimizer.initial_lr)
        self.last_epoch = 0
        self._apply()

    def lr_at(self, epoch: int) -> float:
        """The learning rate of epoch ``epoch`` (0-based), in closed form."""
        raise NotImplementedError(f"{type(self).__name__}.lr_at is not implemented")

    def _apply(self) -> None:
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr``; call once at the end of every epoch."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> float:
        """The lr this schedule set most recently (a float: minnet optimizers have one lr)."""
        return self.lr_at(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """``{"last_epoch": int, "base_lr": float}``: everything needed to resume."""
        return {"last_epoch": self.last_epoch, "base_lr": self.base_lr}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore the epoch and base lr, and set ``optimizer.lr`` accordingly."""
        self.last_epoch = int(d["last_epoch"])
        self.base_lr = float(d["base_lr"])
        self._apply()

    def get_config(self) -> dict[str, Any]:
        """Constructor keyword arguments (besides the optimizer)."""
        return {}

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v in self.get_config().items()]
        args += [f"base_lr={self.base_lr!r}", f"last_epoch={self.last_epoch}"]
        return f"{type(self).__name__}({', '.join(args)})"


class StepLR(LRSchedule):
    """Multiply the lr by γ every ``step_size`` epochs (PyTorch's StepLR).

        η_t = η₀ · γ^⌊t / step_size⌋

    Parameters: step_size : int ≥ 1;  gamma : float > 0, default 0.1.
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_positive_int(step_size, "step_size", "StepLR")
        self.gamma = check_real(gamma, "gamma", "StepLR", low=0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma}


class ExponentialLR(LRSchedule):
    """Multiply the lr by γ every epoch (PyTorch's ExponentialLR).

        η_t = η₀ · γᵗ

    Parameters: gamma : float > 0 (no default, as in PyTorch).
    """

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = check_real(gamma, "gamma", "ExponentialLR", low=0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch

    def get_config(self) -> dict[str, Any]:
        return {"gamma": self.gamma}


class CosineAnnealingLR(LRSchedule):
    """Cosine annealing from η₀ down to η_min over T_max epochs (Loshchilov & Hutter, "SGDR:
    Stochastic Gradient Descent with Warm Restarts", arXiv:1608.03983, Eq. 5, without restarts).

        η_t = η_min + (η₀ − η_min) · (1 + cos(π·t / T_max)) / 2

    η_0 = η₀ and η_{T_max} = η_min. Beyond T_max the same formula continues (the lr rises
    again with period 2·T_max), which is what PyTorch's closed form gives; train for
    T_max epochs to end at η_min.

    Parameters: T_max : int ≥ 1;  eta_min : float ≥ 0, default 0.0.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 (PyTorch's name)
        self.T_max = check_positive_int(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = check_real(eta_min, "eta_min", "CosineAnnealingLR", low=0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2

    def get_config(self) -> dict[str, Any]:
        return {"T_max": self.T_max, "eta_min": self.eta_min}


class LinearWarmup(LRSchedule):
    """Linear warm-up from ``start_factor``·η₀ to η₀ over ``warmup_epochs``, then constant.

        η_t = η₀ · (f + (1 − f) · min(t, W) / W)      f = start_factor, W = warmup_epochs

    Equal to PyTorch's ``LinearLR(start_factor=f, end_factor=1.0, total_iters=W)``. Warm-up
    keeps the first updates small while Adam's moment estimates and BatchNorm's running
    statistics settle (Goyal et al., "Accurate, Large Minibatch SGD", arXiv:1706.02677, §2.2).

    Parameters: warmup_epochs : int ≥ 0 (0 = no warm-up);  start_factor : float in (0, 1], default 0.1.
    """

    def __init__(self, optimizer: Any, warmup_epochs: int, start_factor: float = 0.1) -> None:
        self.warmup_epochs = check_int(warmup_epochs, "warmup_epochs", "LinearWarmup")
        self.start_factor = check_real(start_factor, "start_factor", "LinearWarmup", low=0, high=1, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        if epoch >= self.warmup_epochs:
            return self.base_lr
        f = self.start_factor
        return self.base_lr * (f + (1 - f) * epoch / self.warmup_epochs)

    def get_config(self) -> dict[str, Any]:
        return {"warmup_epochs": self.warmup_epochs, "start_factor": self.start_factor}


class SequentialLR(LRSchedule):
    """Run schedules one after another, switching at the given epochs (like PyTorch's SequentialLR).

        η_t = schedules[i].lr_at(t − milestones[i−1])     for milestones[i−1] ≤ t < milestones[i]

    (with milestones[−1] = 0 and milestones[len] = ∞). Each schedule restarts its own
    epoch count at its milestone. Typical use, 5 warm-up epochs then cosine decay:

        warm = LinearWarmup(opt, warmup_epochs=5)
        cos = CosineAnnealingLR(opt, T_max=45)
        sched = SequentialLR(opt, [warm, cos], milestones=[5])

    The child schedules are used only through ``lr_at``; step the SequentialLR, not them.
    All share the optimizer's ``initial_lr`` as η₀.
    """

    def __init__(self, optimizer: Any, schedules: list[LRSchedule], milestones: list[int]) -> None:
        schedules = list(schedules)
        milestones = [check_positive_int(m, f"milestones[{i}]", "SequentialLR") for i, m in enumerate(milestones)]
        if not schedules:
            raise ValueError("SequentialLR: expected at least one schedule, got none")
        if len(milestones) != len(schedules) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedules) - 1} milestones for {len(schedules)} "
                             f"schedules, got {milestones}")
        if any(m <= 0 for m in milestones) or milestones != sorted(set(milestones)):
            raise ValueError(f"SequentialLR: milestones must be strictly increasing positive epochs, got {milestones}")
        for s in schedules:
            if s.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: {s!r} is attached to a different optimizer")
        self.schedules = schedules
        self.milestones = milestones
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        i = bisect.bisect_right(self.milestones, epoch)
        start = self.milestones[i - 1] if i > 0 else 0
        return self.schedules[i].lr_at(epoch - start)

    def load_state_dict(self, d: dict[str, Any]) -> None:
        for s in self.schedules:
            s.base_lr = float(d["base_lr"])
        super().load_state_dict(d)

    def get_config(self) -> dict[str, Any]:
        return {"schedules": [repr(s) for s in self.schedules], "milestones": self.milestones}


SCHEDULES: dict[str, type[LRSchedule]] = {
    "step": StepLR, "exponential": ExponentialLR, "cosine": CosineAnnealingLR, "linear_warmup": LinearWarmup,
}


def get_schedule(name: str, optimizer: Any, **kwargs: Any) -> LRSchedule:
    """A schedule by name ("step", "exponential", "cosine", "linear_warmup") for ``optimizer``."""
    return SCHEDULES[check_choice(name, "schedule", "get_schedule", SCHEDULES)](optimizer, **kwargs)
