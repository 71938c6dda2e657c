"""Checkpoints: everything ``mn.fit`` needs to continue a run exactly where it stopped.

Usage::

    ckpt = mn.Checkpoint("run.ckpt", every=1)           # a callback: saves after every epoch
    mn.fit(model, loss_fn, opt, X, y, epochs=20, seed=0, scheduler=sched, callbacks=[ckpt])
    # ... the process dies during epoch 8; in a new process build the same objects again:
    model, opt, sched = build()                          # same architecture and hyperparameters
    mn.fit(model, loss_fn, opt, X, y, epochs=20, scheduler=sched, callbacks=[ckpt],
           resume_from="run.ckpt")                       # continues with epoch 8 (the file holds 1–7)

The resumed run ends with the same parameters, bit for bit, as a run that was never
interrupted, because a checkpoint holds the complete state after an epoch:

- the model: architecture, parameters, buffers (BatchNorm running statistics) and the
  random generators of layers that draw (Dropout and AlphaDropout masks);
- the optimizer's ``state_dict()`` (step count, lr, momentum / moment buffers) and its
  ``initial_lr``; the schedule's ``state_dict()``;
- the state of the generator that shuffles the batches (``bit_generator.state``);
- the History so far, the epoch number, and whether a callback asked to stop;
- the ``state_dict()`` of callbacks that have one (EarlyStopping);
- the number of samples, batch size and shuffle flag, to refuse resuming on other data.

What it does not hold: the data, the loss function's inputs, other callbacks' state.
Pass the same data, loss, optimizer class and hyperparameters, schedule and callbacks
when resuming; mismatches that can be detected (architecture, optimizer or schedule
class and hyperparameters, sample count, batch size) raise ModelFileError before
anything is changed.

The file is the container of :mod:`minnet.io` with ``kind = "checkpoint"`` (so
``mn.load(path)`` returns the model inside a checkpoint): pickle-free, checksummed and
written atomically, so an interrupted save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import copy
import json
import math
import os
from typing import Any

from minnet.errors import ModelFileError
from minnet.io import (
    architecture,
    json_default,
    make_generator,
    model_payload,
    pack,
    read_file,
    restore_model,
    set_generator,
    unpack,
    write_file,
)
from minnet.io.container import short_repr
from minnet.io.files import writable_target
from minnet.train.callbacks import Callback, TrainingState
from minnet.train.history import History
from minnet.validation import check_positive_int


class Checkpoint(Callback):
    """Save a checkpoint of the whole training state to ``path`` every ``every`` epochs.

    A checkpoint is written after epochs ``every``, ``2·every``, …, and also after the
    last epoch and when training stops early, at the ``on_epoch_recorded`` hook (once the
    epoch is in the History and the schedule has stepped). Each save replaces the file
    atomically. Resume with ``mn.fit(..., resume_from=path)``; see :mod:`minnet.train.checkpoint`.

    Parameters
    ----------
    path : str or PathLike   The checkpoint file (no suffix is added). Its folder must exist, and the
                             path must not be a directory, FIFO or device: checked here and again
                             when training starts, so a bad path fails before any work.
    every : int ≥ 1, default 1

    Attributes: ``last_saved_epoch`` (0 before the first save).
    """

    def __init__(self, path: str | os.PathLike, every: int = 1) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Checkpoint: path must be a str or os.PathLike, got {type(path).__name__}")
        writable_target(path, "Checkpoint")       # a missing folder or a directory/FIFO/device fails now
        self.path = path
        self.every = check_positive_int(every, "every", "Checkpoint")
        self.last_saved_epoch = 0

    def on_train_begin(self, state: TrainingState) -> None:
        writable_target(self.path, "Checkpoint")  # again before the first epoch: the folder may have gone

    def on_epoch_recorded(self, state: TrainingState) -> None:
        if state.epoch % self.every == 0 or state.epoch >= state.epochs or state.stop_training:
            save_checkpoint(state, self.path)
            self.last_saved_epoch = state.epoch

    def __repr__(self) -> str:
        return f"Checkpoint({os.fspath(self.path)!r}, every={self.every})"


def _described(obj: Any) -> dict[str, Any]:
    """``{"class": name, "config": get_config()}`` (config normalised through JSON: tuples become lists)."""
    config = obj.get_config() if hasattr(obj, "get_config") else {}
    return {"class": type(obj).__name__, "config": _normalised(config)}


def _normalised(value: Any) -> Any:
    """``value`` as it reads back from JSON (so configs from the file and from objects compare equal)."""
    return json.loads(json.dumps(value, default=json_default))


def save_checkpoint(state: TrainingState, path: str | os.PathLike) -> None:
    """Write the training state after ``state.epoch`` to ``path`` (atomically); see the module docstring."""
    header, arrays = model_payload(state.model)
    optimizer, scheduler = state.optimizer, state.scheduler
    if not hasattr(optimizer, "state_dict"):
        raise TypeError(f"Checkpoint: the optimizer {type(optimizer).__name__} has no state_dict()")
    if scheduler is not None and not hasattr(scheduler, "state_dict"):
        raise TypeError(f"Checkpoint: the schedule {type(scheduler).__name__} has no state_dict()")
    callbacks = []
    for i, cb in enumerate(state.callbacks):
        has_state = callable(getattr(cb, "state_dict", None)) and callable(getattr(cb, "load_state_dict", None))
        callbacks.append({"class": type(cb).__name__,
                          "state": pack(cb.state_dict(), f"callbacks/{i}", arrays) if has_state else None})
    header.update({
        "kind": "checkpoint",
        "epoch": state.epoch,
        "epochs": state.epochs,
        "stop_training": bool(state.stop_training),
        "data": {"n_samples": state.n_samples, "batch_size": state.batch_size, "shuffle": state.shuffle},
        "loss": _described(state.loss_fn),
        "optimizer": {**_described(optimizer), "initial_lr": getattr(optimizer, "initial_lr", None),
                      "state": pack(optimizer.state_dict(), "optimizer", arrays)},
        "scheduler": None if scheduler is None else {**_described(scheduler),
                                                     "state": pack(scheduler.state_dict(), "scheduler", arrays)},
        "rng": None if state.rng is None else pack(state.rng.bit_generator.state, "fit_rng", arrays),
        "history": {"records": state.history.records, "diverged": state.history.diverged,
                    "divergence": state.history.divergence},
        "callbacks": callbacks,
    })
    write_file(path, header, arrays)


# --- the header of a checkpoint, field by field ----------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field(ok: bool, where: str, name: str, expected: str, value: Any) -> None:
    if not ok:
        raise ModelFileError(f"{where}: corrupt checkpoint: {name} must be {expected}, got {short_repr(value)}")


def _check_record_value(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def check_checkpoint_header(h: dict[str, Any], where: str) -> None:
    """ModelFileError naming the first field of a checkpoint header with a wrong type or value.

    Checks the types of every field :func:`save_checkpoint` writes, so that restoring can never fail
    half-way with a KeyError, TypeError or AttributeError. What only the objects can judge (the
    optimizer, schedule and callback states) is checked by loading it into copies first.
    """
    for key in ("epoch", "epochs", "stop_training", "data", "loss", "optimizer", "scheduler", "rng", "history",
                "callbacks"):
        if key not in h:
            raise ModelFileError(f"{where}: corrupt checkpoint: no {key!r} in its header")
    _field(_is_int(h["epoch"]) and h["epoch"] >= 0, where, "epoch", "an integer >= 0", h["epoch"])
    _field(_is_int(h["epochs"]) and h["epochs"] >= 0, where, "epochs", "an integer >= 0", h["epochs"])
    _field(isinstance(h["stop_training"], bool), where, "stop_training", "true or false", h["stop_training"])
    data = h["data"]
    _field(isinstance(data, dict), where, "data", "a mapping", data)
    for key in ("n_samples", "batch_size"):
        _field(_is_int(data.get(key)) and data[key] >= 1, where, f"data.{key}", "a positive integer", data.get(key))
    _field(isinstance(data.get("shuffle"), bool), where, "data.shuffle", "true or false", data.get("shuffle"))
    _field(isinstance(h["loss"], dict) and isinstance(h["loss"].get("class"), str), where, "loss",
           "{'class': name, 'config': {...}}", h["loss"])
    opt = h["optimizer"]
    _field(isinstance(opt, dict) and isinstance(opt.get("class"), str) and isinstance(opt.get("config"), dict)
           and isinstance(opt.get("state"), dict), where, "optimizer", "{'class', 'config', 'initial_lr', 'state'}",
           opt)
    lr0 = opt.get("initial_lr")
    _field(lr0 is None or (_is_number(lr0) and math.isfinite(lr0) and lr0 >= 0), where, "optimizer.initial_lr",
           "a finite number >= 0 or null", lr0)
    state = opt["state"]
    if "step" in state:
        _field(_is_int(state["step"]) and state["step"] >= 0, where, "optimizer.state.step", "an integer >= 0",
               state["step"])
    if "lr" in state:
        _field(_is_number(state["lr"]) and math.isfinite(state["lr"]) and state["lr"] >= 0, where,
               "optimizer.state.lr", "a finite number >= 0", state["lr"])
    sched = h["scheduler"]
    _field(sched is None or (isinstance(sched, dict) and isinstance(sched.get("class"), str)
                             and isinstance(sched.get("config"), dict) and isinstance(sched.get("state"), dict)),
           where, "scheduler", "null or {'class', 'config', 'state'}", sched)
    if sched is not None:
        for key, value in sched["state"].items():
            if isinstance(value, float) or key == "last_epoch":
                _field(_is_number(value) and math.isfinite(value) and (key != "last_epoch" or _is_int(value)),
                       where, f"scheduler.state.{key}", "a finite number" + (" (an integer)" if key == "last_epoch"
                                                                              else ""), value)
    _field(h["rng"] is None or isinstance(h["rng"], dict), where, "rng", "null or a generator state", h["rng"])
    history = h["history"]
    _field(isinstance(history, dict) and isinstance(history.get("records"), list), where, "history",
           "{'records': [...], 'diverged', 'divergence'}", history)
    for i, record in enumerate(history["records"]):
        _field(isinstance(record, dict) and all(isinstance(k, str) and _check_record_value(v)
                                                for k, v in record.items()),
               where, f"history.records[{i}]", "a mapping from names to numbers or strings", record)
    _field(isinstance(history.get("diverged", False), bool), where, "history.diverged", "true or false",
           history.get("diverged"))
    divergence = history.get("divergence")
    _field(divergence is None or (isinstance(divergence, dict) and all(isinstance(k, str) for k in divergence)),
           where, "history.divergence", "null or a mapping", divergence)
    callbacks = h["callbacks"]
    _field(isinstance(callbacks, list), where, "callbacks", "a list", callbacks)
    for i, entry in enumerate(callbacks):
        _field(isinstance(entry, dict) and isinstance(entry.get("class"), str)
               and (entry.get("state") is None or isinstance(entry["state"], dict)),
               where, f"callbacks[{i}]", "{'class': name, 'state': null or {...}}", entry)


def _difference(a: Any, b: Any, path: str = "", ignore: tuple[str, ...] = ()) -> str | None:
    """Where two JSON-like values first differ ("layers[0].config.out_features: 3 vs 5"), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key in ignore:
                continue
            where = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                left = a[key] if key in a else "missing"
                right = b[key] if key in b else "missing"
                return f"{where}: {left!r} vs {right!r}"
            found = _difference(a[key], b[key], where, ignore)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} entries vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{path}[{i}]", ignore)
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


class ResumedRun:
    """A checkpoint read from disk and checked, ready to be written into a training state.

    ``ResumedRun(path)`` reads and verifies the file. :meth:`restore` checks that it
    fits the given state's model, optimizer, schedule, loss and data, raising
    ModelFileError before changing anything, then overwrites them.
    :meth:`restore_callbacks` (after ``on_train_begin``) restores callback state.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.where = os.fspath(path)
        self.header, self.arrays = read_file(path)
        if self.header.get("kind") != "checkpoint":
            raise ModelFileError(f"{self.where}: this is a saved model, not a training checkpoint; load it with "
                                 "mn.load(path) or resume from a file written by mn.Checkpoint")
        check_checkpoint_header(self.header, self.where)
        self.epoch = self.header["epoch"]

    def _error(self, message: str) -> ModelFileError:
        return ModelFileError(f"{self.where}: {message}")

    def restore(self, state: TrainingState) -> None:
        """Check that the checkpoint fits ``state``, then overwrite model, optimizer, schedule, rng, history."""
        try:
            self._restore(state)
        except RecursionError as exc:
            raise self._error("corrupt checkpoint: its header is nested too deeply") from exc

    def _restore(self, state: TrainingState) -> None:
        h, where = self.header, self.where
        # --- check everything first ----------------------------------------------------------
        diff = _difference(h["architecture"], _normalised(architecture(state.model)), ignore=("init",))
        if diff:
            raise self._error(f"the checkpoint was written for a different model ({diff}; checkpoint vs model)")
        apply_model = restore_model(state.model, h, self.arrays, where)

        data = h["data"]
        for key, value in (("n_samples", state.n_samples), ("batch_size", state.batch_size),
                           ("shuffle", state.shuffle)):
            if data.get(key) != value:
                raise self._error(f"the checkpoint was written with {key}={data.get(key)!r}, but this run has "
                                  f"{key}={value!r}; resume with the same data and settings")
        if h["loss"].get("class") != type(state.loss_fn).__name__:
            raise self._error(f"the checkpoint was written with the loss {h['loss'].get('class')}, "
                              f"got {type(state.loss_fn).__name__}")

        saved_opt, optimizer = h["optimizer"], state.optimizer
        if saved_opt.get("class") != type(optimizer).__name__:
            raise self._error(f"the checkpoint holds the state of a {saved_opt.get('class')} optimizer, "
                              f"got {type(optimizer).__name__}")
        diff = _difference(saved_opt.get("config"), _described(optimizer)["config"], ignore=("lr",))
        if diff:
            raise self._error(f"the optimizer's hyperparameters differ from the checkpoint's ({diff})")
        opt_state = unpack(saved_opt["state"], self.arrays, where)
        trial = copy.deepcopy(optimizer)                 # load into a copy first: errors leave nothing changed
        try:
            trial.load_state_dict(opt_state)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise self._error(f"the optimizer state does not fit this optimizer: {exc}") from exc

        saved_sched, scheduler = h["scheduler"], state.scheduler
        if (saved_sched is None) != (scheduler is None):
            raise self._error("the checkpoint was written " + ("without a schedule, but a scheduler was passed"
                                                               if saved_sched is None else
                                                               f"with the schedule {saved_sched.get('class')}, "
                                                               "but no scheduler was passed"))
        sched_state = None
        if scheduler is not None:
            if saved_sched.get("class") != type(scheduler).__name__:
                raise self._error(f"the checkpoint was written with the schedule {saved_sched.get('class')}, "
                                  f"got {type(scheduler).__name__}")
            diff = _difference(saved_sched.get("config"), _described(scheduler)["config"])
            if diff:
                raise self._error(f"the schedule's settings differ from the checkpoint's ({diff})")
            sched_state = unpack(saved_sched["state"], self.arrays, where)
            trial_sched = copy.deepcopy(scheduler)
            try:
                trial_sched.load_state_dict(sched_state)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise self._error(f"the schedule state does not fit this schedule: {exc}") from exc

        rng = None if h["rng"] is None else make_generator(unpack(h["rng"], self.arrays, where), f"{where}: rng")
        history = h["history"]
        self._callback_states(state)                     # checked now, applied after on_train_begin

        # --- then change things ----------------------------------------------------------------
        apply_model()
        optimizer.load_state_dict(opt_state)
        if hasattr(optimizer, "initial_lr"):
            optimizer.initial_lr = saved_opt.get("initial_lr")
        if scheduler is not None:
            scheduler.load_state_dict(sched_state)
        if rng is not None:
            state.rng = set_generator(state.rng, rng)
        state.history.records = [dict(r) for r in history["records"]]
        state.history.diverged = bool(history.get("diverged", False))
        state.history.divergence = history.get("divergence")
        state.epoch = self.epoch
        state.stop_training = h["stop_training"]

    def _callback_states(self, state: TrainingState) -> list[tuple[Any, Any]]:
        """Pair each saved callback state with the callback of the same class and position among its class."""
        saved = self.header["callbacks"]
        pairs = []
        for i, entry in enumerate(saved):
            if not isinstance(entry, dict) or entry.get("state") is None:
                continue
            name = entry.get("class")
            nth = sum(1 for e in saved[:i] if isinstance(e, dict) and e.get("class") == name)
            matches = [cb for cb in state.callbacks if type(cb).__name__ == name]
            if nth >= len(matches) or not callable(getattr(matches[nth], "load_state_dict", None)):
                raise self._error(f"the checkpoint holds the state of a {name} callback, but no matching {name} "
                                  "was passed to fit (pass the same callbacks when resuming)")
            cb_state = unpack(entry["state"], self.arrays, self.where)
            trial = copy.copy(matches[nth])              # load into a copy first: errors leave nothing changed
            try:
                check = getattr(trial, "check_state_dict", None)
                if callable(check):
                    check(cb_state, state.model)
                trial.load_state_dict(cb_state)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                raise self._error(f"callbacks[{i}]: the saved {name} state does not fit: {exc}") from exc
            pairs.append((matches[nth], cb_state))
        return pairs

    def restore_callbacks(self, state: TrainingState) -> None:
        """Load the saved state into the callbacks (call after their ``on_train_begin``)."""
        for cb, cb_state in self._callback_states(state):
            cb.load_state_dict(cb_state)


def load_checkpoint_history(path: str | os.PathLike) -> History:
    """The History stored in a checkpoint (to inspect a run without resuming it)."""
    run = ResumedRun(path)
    history = History()
    history.records = [dict(r) for r in run.header["history"]["records"]]
    history.diverged = bool(run.header["history"].get("diverged", False))
    history.divergence = run.header["history"].get("divergence")
    return history


__all__ = ["Checkpoint", "ResumedRun", "load_checkpoint_history", "save_checkpoint"]

