"""The training loop: batches → forward → loss → backward → optimizer step, with History and callbacks.

``mn.fit`` does exactly what this hand-written loop does, and with the same seed
gives bit-identical parameters::

    rng = np.random.default_rng(seed)       # mn.fit(..., rng=seed)
    for epoch in range(epochs):
        for xb, yb in mn.batches(X, y, batch_size, rng=rng):
            optimizer.zero_grad()
            loss = loss_fn.forward(model.forward(xb, training=True), yb)
            model.backward(loss_fn.backward())
            optimizer.step()
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Iterator, Sequence

import numpy as np
from tqdm.auto import tqdm

from minnet.errors import DivergedError
from minnet.nn.functional import sigmoid, softmax
from minnet.nn.layer import backward_to_parameters
from minnet.rng import RNGLike, check_rng, make_rng, rng_or_seed
from minnet.train.callbacks import Callback, TrainingState
from minnet.train.fit_checks import check_callbacks, check_fit_arguments
from minnet.train.history import History
from minnet.train.state import first_non_finite, model_dtype, model_state, restore_model_state
from minnet.validation import check_bool, check_model_input, check_positive_int, check_same_length

#: Seconds between two updates of the progress bar's running loss within an epoch.
POSTFIX_SECONDS = 0.2

DIVERGENCE_HINT = ("Usual causes: a learning rate that is too high, inputs that are not standardised, "
                   "or a loss fed probabilities instead of logits.")


def batches(X: np.ndarray, y: np.ndarray | None, batch_size: int, shuffle: bool = True,
            rng: int | np.random.Generator | None = None, drop_last: bool = False
            ) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(X[idx], y[idx])`` mini-batches that cover every sample once.

    With ``shuffle`` the order is ``rng.permutation(len(X))`` (one draw per call);
    the last batch may be smaller than ``batch_size``, unless ``drop_last`` (PyTorch's
    ``DataLoader`` name) leaves it out: then every batch holds exactly ``batch_size`` samples
    and the ``len(X) % batch_size`` samples at the end of the order are not used in this pass.
    ``y`` may be None.
    """
    batch_size = check_positive_int(batch_size, "batch_size", "batches")
    drop_last = check_bool(drop_last, "drop_last", "batches")
    n = len(X)
    if y is not None and len(y) != n:
        raise ValueError(f"batches: X has {n} samples but y has {len(y)}; expected the same number")
    if drop_last:
        n -= n % batch_size
    if not shuffle:
        for start in range(0, n, batch_size):
            yield X[start:start + batch_size], (None if y is None else y[start:start + batch_size])
        return
    order = make_rng(rng).permutation(len(X))
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        # np.take is X[idx] for an index array along axis 0: one gather, and faster than fancy indexing.
        yield np.take(X, idx, axis=0), (None if y is None else np.take(y, idx, axis=0))


def _correct(pred: np.ndarray, y: np.ndarray | None, task: str | None) -> int | None:
    """Number of correctly predicted samples for a classification loss, else None.

    multiclass: argmax of the logits equals the label. binary (logits z, targets t in {0, 1}):
    [z > 0] equals [t > 0.5] — for every output of the sample, when there are several labels.
    """
    if y is None:                                          # batches of X alone: nothing to compare with
        return None
    if task == "multiclass":
        return int(np.count_nonzero(pred.argmax(axis=1) == y))
    if task == "binary":
        right = (pred.reshape(len(y), -1) > 0) == (np.reshape(y, (len(y), -1)) > 0.5)
        return int(np.count_nonzero(right.all(axis=1)))
    return None


def infer(model: Any, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The model's raw outputs in evaluation mode (``training=False``), computed batch by batch.

    X gets the checks of ``fit`` (real, finite numbers, shape (N, ...), converted to the model's
    dtype without overflow) before anything runs.
    """
    return _infer(model, X, batch_size, "infer")


def _infer(model: Any, X: np.ndarray, batch_size: int, where: str) -> np.ndarray:
    X = check_model_input(X, model_dtype(model), where)
    batch_size = check_positive_int(batch_size, "batch_size", where)
    outputs = [model.forward(xb, training=False) for xb, _ in batches(X, None, batch_size, shuffle=False)]
    return np.concatenate(outputs, axis=0)


def predict_proba(model: Any, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (N, C) of a classifier whose outputs are logits.

    C > 1 outputs: softmax p_c = e^{z_c − max z} / Σ_k e^{z_k − max z}.
    One output (binary, logit z): the columns [1 − σ(z), σ(z)].
    Float64. For a multi-label model (BCEWithLogitsLoss with K > 1 outputs) the labels are
    independent: use ``mn.losses.sigmoid(mn.infer(model, X))`` instead.
    """
    return _probabilities(_infer(model, X, batch_size, "predict_proba"))


def _probabilities(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    if z.ndim == 2 and z.shape[1] == 1 or z.ndim == 1:
        p = sigmoid(z.reshape(-1))
        return np.stack([1.0 - p, p], axis=1)
    return softmax(z, axis=1)


def predict(model: Any, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Predicted class indices (argmax of :func:`predict_proba`)."""
    return _probabilities(_infer(model, X, batch_size, "predict")).argmax(axis=1)


def evaluate(model: Any, loss_fn: Any, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
    """Mean loss (and accuracy for classification) over (X, y) in evaluation mode.

    The loss of each batch is a batch mean; they are combined weighted by batch size,
    so the result is the mean over all samples whatever ``batch_size`` is.
    """
    X = check_model_input(X, model_dtype(model), "evaluate")
    y = check_same_length(X, y, "evaluate")
    batch_size = check_positive_int(batch_size, "batch_size", "evaluate")
    result = _evaluate_finite(model, loss_fn, X, y, batch_size)
    if result is None:
        raise ValueError("evaluate: the model's output is NaN or infinite on these data; "
                         "the weights are too large (did training diverge?)")
    return result


def _evaluate_finite(model: Any, loss_fn: Any, X: np.ndarray, y: np.ndarray, batch_size: int = 1024
                     ) -> dict[str, float] | None:
    """:func:`evaluate` without input checks; None when an output is NaN or infinite."""
    task = getattr(loss_fn, "task", None)
    total_loss, correct = 0.0, 0
    for xb, yb in batches(X, y, batch_size, shuffle=False):
        pred = model.forward(xb, training=False)
        if not np.all(np.isfinite(pred)):
            return None
        total_loss += float(loss_fn.forward(pred, yb)) * len(xb)
        c = _correct(pred, yb, task)
        correct += 0 if c is None else c
    result = {"loss": total_loss / len(X)}
    if task in ("multiclass", "binary"):
        result["accuracy"] = correct / len(X)
    return result


def fit(model: Any, loss_fn: Any, optimizer: Any, X: np.ndarray, y: np.ndarray, epochs: int = 10,
        batch_size: int = 32, validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        rng: RNGLike = None, callbacks: Sequence[Callback] = (),
        progress: bool = True, scheduler: Any = None, on_divergence: str = "raise",
        shuffle: bool = True, resume_from: str | os.PathLike | None = None, drop_last: bool = False, *,
        seed: RNGLike = None) -> History:
    """Train ``model`` on (X, y) and return its :class:`~minnet.train.history.History`.

    Each epoch runs the loop in this module's docstring over shuffled mini-batches
    (``rng``, a seed or a Generator, shuffles them, so the same seed gives bit-identical results;
    ``seed=`` is an alias of ``rng=``, see :mod:`minnet.rng`),
    then records, per epoch:

    - ``loss``: mean training loss over the epoch's batches (weighted by batch size,
      measured during the epoch, i.e. while the weights change — as Keras reports it);
    - ``accuracy``: the same running fraction of correct predictions (classification losses);
    - ``val_loss`` / ``val_accuracy``: :func:`evaluate` on ``validation_data`` after the epoch;
    - ``lr``: the learning rate used in the epoch; ``seconds``: its wall-clock time.

    X is converted once to the model's dtype (float32 models train in float32).
    ``scheduler.step()`` is called after every epoch. A tqdm bar shows the epochs with the
    running loss and accuracy (``progress=False`` turns it off).

    Bad input raises ValueError or TypeError before anything is changed (no callback has
    run, no parameter or optimizer state has moved): X not numeric, empty or holding NaN/inf;
    y of another length, NaN/inf, or labels that do not fit the model's outputs (checked by
    running the first sample through the model in evaluation mode); a model whose input
    size does not match X; bad ``epochs``/``batch_size``/``on_divergence``; an optimizer
    built for another model; ``callbacks`` that are not Callbacks (None means none); a model
    with BatchNorm whose last batch would hold a single sample.

    ``drop_last`` (PyTorch's name): leave out the short last batch of each epoch (see
    :func:`batches`), so every step sees exactly ``batch_size`` samples; the loss and accuracy
    of the epoch are then means over the samples used.

    Divergence: training stops at the first batch whose model output or loss is NaN or
    infinite, and after an epoch whose last update left NaN/inf in the parameters. The
    model is left at its last finite state: the parameters before the failing batch, or,
    if non-finite numbers had already been written into parameters or buffers, the
    parameters and buffers at the start of the epoch (the optimizer's state is not rolled
    back). ``on_divergence="raise"`` (default) raises :class:`minnet.DivergedError` naming
    the epoch and step; ``"stop"`` returns the History with ``diverged = True`` and
    ``divergence = {"epoch", "step", "loss", "reason"}`` (callbacks' ``on_train_end`` runs).

    Checkpoints: with a :class:`minnet.Checkpoint` callback, ``resume_from=path`` continues
    a run from the checkpoint: the model, optimizer, scheduler, shuffling generator (``rng``
    is then ignored), History and callback states are overwritten from the file, and training
    continues with the epoch after the checkpoint's, up to ``epochs`` in total. The result is
    bit-identical to a run that was never interrupted. A file that does not fit the model,
    optimizer, schedule or data raises :class:`minnet.ModelFileError` before anything changes.
    """
    rng = check_rng(rng_or_seed(rng, seed, "fit"), "fit", "rng" if seed is None else "seed")
    callbacks = check_callbacks(callbacks)
    X, y, validation_data = check_fit_arguments(model, loss_fn, optimizer, X, y, epochs, batch_size,
                                                 validation_data, on_divergence, callbacks, scheduler, drop_last)
    state = TrainingState(model, loss_fn, optimizer, History(), epochs, callbacks=callbacks, rng=make_rng(rng),
                          scheduler=scheduler, batch_size=int(batch_size), n_samples=len(X), shuffle=bool(shuffle))
    resumed = None
    if resume_from is not None:
        from minnet.train.checkpoint import ResumedRun  # saving and loading sit above training: import on use

        resumed = ResumedRun(resume_from)
        resumed.restore(state)
    history = state.history
    task = getattr(loss_fn, "task", None)
    for cb in callbacks:
        cb.on_train_begin(state)
    if resumed is not None:
        resumed.restore_callbacks(state)
    first = state.epoch + 1
    bar = tqdm(total=epochs, initial=min(state.epoch, epochs), desc="fit", unit="epoch", disable=not progress,
               leave=True)
    try:
        for epoch in range(first, epochs + 1):
            if state.stop_training:
                break
            state.epoch, state.logs = epoch, {}
            for cb in callbacks:
                cb.on_epoch_begin(state)
            logs = _train_one_epoch(state, X, y, batch_size, task, bar, shuffle, drop_last)
            if logs is None:                                   # diverged
                _handle_divergence(state, on_divergence)
                break
            if validation_data is not None:
                val = _evaluate_finite(model, loss_fn, *validation_data)
                if val is None:                                # finite weights, but outputs overflow
                    _diverged(state, {}, state.batch, math.nan, "validation output")
                    _handle_divergence(state, on_divergence)
                    break
                logs.update({f"val_{k}": v for k, v in val.items()})
            state.logs = logs
            for cb in callbacks:
                cb.on_epoch_end(state)
            history.append({"epoch": epoch, **state.logs})
            if scheduler is not None:
                scheduler.step()
            for cb in callbacks:
                cb.on_epoch_recorded(state)
            bar.set_postfix(_postfix(state.logs), refresh=False)
            bar.update(1)
    finally:
        bar.close()
    for cb in callbacks:
        cb.on_train_end(state)
    return history


def _postfix(logs: dict[str, Any]) -> dict[str, str]:
    keys = ("loss", "accuracy", "val_loss", "val_accuracy")
    return {k.replace("accuracy", "acc"): f"{logs[k]:.4f}" for k in keys if k in logs}


def _train_one_epoch(state: TrainingState, X: np.ndarray, y: np.ndarray, batch_size: int, task: str | None,
                     bar: Any, shuffle: bool, drop_last: bool = False) -> dict[str, Any] | None:
    """One pass over the data; returns the epoch's logs, or None when training diverged
    (``state.logs`` then says where and why, and the model is at its last finite state)."""
    model, loss_fn, optimizer, callbacks = state.model, state.loss_fn, state.optimizer, state.callbacks
    start = time.perf_counter()
    snapshot = model_state(model)                  # finite: checked before training and after every epoch
    lr = getattr(optimizer, "lr", math.nan)
    seen, total_loss, correct, step, loss = 0, 0.0, 0, 0, math.nan
    next_postfix = start + POSTFIX_SECONDS
    for step, (xb, yb) in enumerate(batches(X, y, batch_size, shuffle=shuffle, rng=state.rng,
                                                        drop_last=drop_last), start=1):
        state.batch = step
        optimizer.zero_grad()
        pred = model.forward(xb, training=True)
        if not np.isfinite(pred).all():            # the outputs, not just the loss: -inf logits can give a finite loss
            _diverged(state, snapshot, step, math.nan, "output")
            return None
        loss = float(loss_fn.forward(pred, yb))
        if not math.isfinite(loss):
            _diverged(state, snapshot, step, loss, "loss")
            return None
        backward_to_parameters(model, loss_fn.backward())      # = model.backward(...), minus the unused dL/dX
        optimizer.step()
        n = len(xb)
        seen += n
        total_loss += loss * n
        if task is not None:
            correct += _correct(pred, yb, task) or 0
        if callbacks:
            state.logs = {"batch_loss": loss}
            for cb in callbacks:
                cb.on_batch_end(state)
        if not bar.disable and time.perf_counter() >= next_postfix:   # a redraw costs far more than a step
            bar.set_postfix({"loss": f"{total_loss / seen:.4f}"})
            next_postfix = time.perf_counter() + POSTFIX_SECONDS
    if first_non_finite(model) is not None:        # the last update wrote NaN/inf: no later batch would notice
        _diverged(state, snapshot, step, loss, "parameters")
        return None
    logs: dict[str, Any] = {"loss": total_loss / seen}
    if task in ("multiclass", "binary"):
        logs["accuracy"] = correct / seen
    logs["lr"] = lr
    logs["seconds"] = time.perf_counter() - start
    return logs


def _diverged(state: TrainingState, snapshot: dict[str, np.ndarray], step: int, loss: float, reason: str) -> None:
    """Record where training diverged (``reason``: a key of DIVERGENCE_REASONS); roll the model back to the
    epoch's start if it holds NaN/inf."""
    state.logs = {"diverged_step": step, "diverged_loss": loss, "diverged_reason": reason}
    if first_non_finite(state.model) is not None:
        restore_model_state(state.model, snapshot)


#: What ``DivergedError.reason`` / ``History.divergence["reason"]`` can be, and what it means.
DIVERGENCE_REASONS = {
    "output": "the model's output became NaN or infinite",
    "validation output": "the model's output on the validation data became NaN or infinite",
    "loss": "the loss became {loss}",
    "parameters": "the optimizer step left NaN or infinite values in the parameters (loss {loss})",
}


def _handle_divergence(state: TrainingState, on_divergence: str) -> None:
    step, loss, reason = state.logs["diverged_step"], state.logs["diverged_loss"], state.logs["diverged_reason"]
    state.history.diverged = True
    state.history.divergence = {"epoch": state.epoch, "step": step, "loss": loss, "reason": reason}
    if on_divergence == "raise":
        what = DIVERGENCE_REASONS[reason].format(loss=loss)
        raise DivergedError(
            f"training diverged: {what} at epoch {state.epoch}, step {step}. {DIVERGENCE_HINT} "
            "The model was left at its last finite state.", epoch=state.epoch, step=step, loss=loss, reason=reason)
