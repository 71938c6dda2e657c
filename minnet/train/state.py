"""The state of a training run: :class:`TrainingState` (what ``mn.fit`` shares with its callbacks), and copying
and restoring a model's state — its parameters and its buffers (e.g. BatchNorm running statistics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minnet.train.history import History


@dataclass
class TrainingState:
    """What a callback can see and change during ``mn.fit``."""

    model: Any
    loss_fn: Any
    optimizer: Any
    history: History
    epochs: int
    callbacks: list[Any] = field(default_factory=list)
    epoch: int = 0                 # 1-based number of the current epoch (the last finished one, before
                                   # the first epoch and in on_train_begin: 0, or the checkpoint's epoch on resume)
    batch: int = 0                 # 1-based number of the current batch within the epoch
    logs: dict[str, Any] = field(default_factory=dict)
    stop_training: bool = False
    rng: np.random.Generator | None = None    # the generator that shuffles the batches
    scheduler: Any = None                     # the learning-rate schedule, stepped after every epoch (or None)
    batch_size: int | None = None
    n_samples: int | None = None              # number of training samples
    shuffle: bool = True


def model_state(model: Any) -> dict[str, np.ndarray]:
    """A copy of every parameter (by name) and buffer (under ``"buffer:<name>"``)."""
    state = {name: p.data.copy() for name, p in model.named_parameters()}
    state.update({f"buffer:{name}": b.copy() for name, b in model.buffers().items()})
    return state


def restore_model_state(model: Any, state: dict[str, np.ndarray]) -> None:
    """Write ``state`` (from :func:`model_state`) back into the model's arrays, in place."""
    for name, p in model.named_parameters():
        p.data[...] = state[name]
    for name, b in model.buffers().items():
        b[...] = state[f"buffer:{name}"]


def model_dtype(model: Any, default: np.dtype | type = np.float32) -> np.dtype:
    """The dtype of the model's first parameter (its ``dtype`` attribute, or ``default``)."""
    params = model.parameters()
    if params:
        return params[0].data.dtype
    return np.dtype(getattr(model, "dtype", default))


def first_non_finite(model: Any) -> str | None:
    """The name of the first parameter or buffer holding NaN or ±inf, or None if all are finite."""
    for name, p in model.named_parameters():
        if not np.all(np.isfinite(p.data)):
            return name
    for name, b in model.buffers().items():
        if np.issubdtype(b.dtype, np.floating) and not np.all(np.isfinite(b)):
            return f"buffer:{name}"
    return None
