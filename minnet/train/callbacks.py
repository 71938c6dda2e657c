"""Callbacks: code that ``mn.fit`` calls at fixed points of training.

A callback subclasses :class:`Callback` and overrides any of

    on_train_begin(state)   before the first epoch
    on_epoch_begin(state)   before each epoch
    on_batch_end(state)     after each optimizer step (state.logs["batch_loss"])
    on_epoch_end(state)     after each epoch, when state.logs holds the epoch's metrics;
                            a callback may add keys to state.logs: they go into the History
    on_epoch_recorded(state) after on_epoch_end, once the epoch is in state.history and the
                            schedule has stepped: the complete state after the epoch (what
                            :class:`minnet.Checkpoint` saves)
    on_train_end(state)     after the last epoch (also after early stopping)

and may set ``state.stop_training = True`` to end training after the current epoch.

A callback with its own state that matters for the rest of training (EarlyStopping's
patience counter and best weights) also defines ``state_dict()`` (plain numbers, strings,
lists, dicts and numpy arrays) and ``load_state_dict(d)``; checkpoints save it and
``mn.fit(..., resume_from=...)`` restores it right after ``on_train_begin``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from minnet.train.state import TrainingState, model_state, restore_model_state
from minnet.validation import check_bool, check_real

__all__ = ["Callback", "EarlyStopping", "TrainingState"]   # TrainingState lives in minnet.train.state


class Callback:
    """Base class with empty hooks; override what you need."""

    def on_train_begin(self, state: TrainingState) -> None:
        pass

    def on_epoch_begin(self, state: TrainingState) -> None:
        pass

    def on_batch_end(self, state: TrainingState) -> None:
        pass

    def on_epoch_end(self, state: TrainingState) -> None:
        pass

    def on_epoch_recorded(self, state: TrainingState) -> None:
        pass

    def on_train_end(self, state: TrainingState) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    An epoch improves on the best so far when it is lower by more than ``min_delta``
    (``mode="min"``; losses) or higher by more than ``min_delta`` (``mode="max"``;
    accuracies). ``mode="auto"`` picks "max" for names containing "acc".
    With ``restore_best_weights`` the model's parameters and buffers are set back
    to those of the best epoch when training ends. ``best_epoch`` (1-based) and
    ``stopped_epoch`` tell what happened.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"EarlyStopping: monitor must be the name of a metric (a string), got {monitor!r}")
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0 (a number of epochs), got "
                             f"{patience!r}")
        min_delta = check_real(min_delta, "min_delta", "EarlyStopping", low=0.0)
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        check_bool(restore_best_weights, "restore_best_weights", "EarlyStopping")
        self.monitor: str = monitor
        self.patience: int = int(patience)
        self.min_delta: float = min_delta
        self.mode: str = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.restore_best_weights: bool = bool(restore_best_weights)

    def on_train_begin(self, state: TrainingState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.wait = 0
        self._best_state: dict | None = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, state: TrainingState) -> None:
        if self.monitor not in state.logs:
            raise ValueError(
                f"EarlyStopping: no {self.monitor!r} in this epoch's metrics {sorted(state.logs)}; "
                "pass validation_data to mn.fit to monitor a validation metric"
            )
        value = float(state.logs[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best_weights:
                self._best_state = model_state(state.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop_training = True

    def on_train_end(self, state: TrainingState) -> None:
        if self.restore_best_weights and self._best_state is not None:
            restore_model_state(state.model, self._best_state)

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint needs to continue: best value and epoch, epochs waited, best weights."""
        return {"best": self.best, "best_epoch": self.best_epoch, "stopped_epoch": self.stopped_epoch,
                "wait": self.wait, "best_state": self._best_state}

    @staticmethod
    def check_state_dict(d: Any, model: Any = None) -> None:
        """ValueError/TypeError naming the first bad entry of a :meth:`state_dict` (e.g. read from a file).

        ``best`` a number (±inf allowed, NaN not), ``best_epoch``, ``stopped_epoch`` and ``wait`` integers
        ≥ 0, ``best_state`` None or a mapping from names to numeric arrays — with ``model``, exactly the
        model's parameters and buffers with their shapes and dtypes.
        """
        if not isinstance(d, dict):
            raise TypeError(f"EarlyStopping.load_state_dict: expected a dict, got {type(d).__name__}")
        missing = {"best", "best_epoch", "stopped_epoch", "wait", "best_state"} - set(d)
        if missing:
            raise ValueError(f"EarlyStopping.load_state_dict: missing keys {sorted(missing)}")
        best = d["best"]
        if isinstance(best, bool) or not isinstance(best, numbers.Real) or math.isnan(best):
            raise TypeError(f"EarlyStopping.load_state_dict: best must be a number, got {best!r}")
        for key in ("best_epoch", "stopped_epoch", "wait"):
            value = d[key]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"EarlyStopping.load_state_dict: {key} must be an integer >= 0, got {value!r}")
        saved = d["best_state"]
        if saved is None:
            return
        if not isinstance(saved, dict) or not all(isinstance(v, np.ndarray) and v.dtype.kind in "fiu"
                                                  for v in saved.values()):
            raise TypeError("EarlyStopping.load_state_dict: best_state must be None or a mapping from parameter "
                            "names to numeric arrays")
        if model is not None:
            own = model_state(model)
            if set(saved) != set(own) or any(saved[k].shape != a.shape or saved[k].dtype != a.dtype
                                             for k, a in own.items()):
                raise ValueError("EarlyStopping.load_state_dict: best_state does not hold the model's parameters "
                                 "and buffers with their shapes and dtypes")

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (arrays are copied); checked first by :meth:`check_state_dict`."""
        self.check_state_dict(d)
        self.best = float(d["best"])
        self.best_epoch = int(d["best_epoch"])
        self.stopped_epoch = int(d["stopped_epoch"])
        self.wait = int(d["wait"])
        best = d["best_state"]
        self._best_state = None if best is None else {k: np.array(v, copy=True) for k, v in best.items()}

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, min_delta={self.min_delta}, "
                f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights})")
