"""Every check ``mn.fit`` makes before it changes anything: the model, optimizer, callbacks, data and the way
the data split into batches. Each raises ValueError or TypeError naming ``fit`` and the bad argument."""

from __future__ import annotations

from typing import Any

import numpy as np

from minnet.nn.normalization import BatchNorm
from minnet.train.callbacks import Callback
from minnet.train.state import first_non_finite, model_dtype
from minnet.validation import check_bool, check_model_input, check_positive_int, check_same_length, check_targets


def _probe(model: Any, X: np.ndarray, where: str) -> np.ndarray:
    """The model's output for the first sample (evaluation mode: changes nothing); a clear error if X does not fit."""
    try:
        return np.asarray(model.forward(X[:1], training=False))
    except ValueError as exc:
        raise ValueError(f"{where}: the model does not accept X of shape {X.shape} "
                         f"({X.shape[1] if X.ndim > 1 else '?'} features per sample): {exc}") from exc


def check_callbacks(callbacks: Any) -> list[Callback]:
    """``callbacks`` as a list (None means none); TypeError naming an entry that is not a Callback."""
    if callbacks is None:
        return []
    if isinstance(callbacks, (str, bytes, dict)) or not hasattr(callbacks, "__iter__"):
        raise TypeError(f"fit: callbacks must be a list of mn.Callback instances (or None), got "
                        f"{type(callbacks).__name__}")
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks[{i}] is a {type(cb).__name__}, expected an instance of a mn.Callback "
                            "subclass")
    return callbacks


def _has_batch_norm(layer: Any) -> bool:
    if isinstance(layer, BatchNorm):
        return True
    return any(_has_batch_norm(child) for child in getattr(layer, "layers", ()))


def _check_batch_split(model: Any, n: int, batch_size: int, drop_last: bool) -> None:
    """Refuse, before training, a split that would fail mid-epoch: no batch at all with ``drop_last``, or a
    BatchNorm model whose last batch holds one sample (its batch variance is undefined)."""
    if drop_last and n < batch_size:
        raise ValueError(f"fit: drop_last=True with {n} samples and batch_size={batch_size} leaves no batch to "
                         "train on; use a smaller batch_size or drop_last=False")
    if batch_size == 1 and _has_batch_norm(model):
        raise ValueError("fit: the model has a BatchNorm layer, which cannot normalise batches of 1 sample; "
                         "use batch_size >= 2")
    last = n % batch_size if n >= batch_size else n
    if last == 1 and not drop_last and _has_batch_norm(model):
        raise ValueError(f"fit: the model has a BatchNorm layer and the last batch of each epoch would hold 1 sample "
                         f"({n} samples, batch_size={batch_size}); BatchNorm cannot normalise a single sample. Pass "
                         "drop_last=True to leave that sample out of each epoch (it changes from epoch to epoch "
                         "when shuffling), or choose another batch_size")


def check_fit_arguments(model: Any, loss_fn: Any, optimizer: Any, X: Any, y: Any, epochs: Any, batch_size: Any,
                        validation_data: Any, on_divergence: Any, callbacks: list[Any], scheduler: Any,
                        drop_last: Any = False) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Every check ``fit`` makes before it changes anything; returns X, y and validation_data converted."""
    if not (callable(getattr(model, "forward", None)) and callable(getattr(model, "backward", None))):
        raise TypeError(f"fit: model must be a minnet Layer or Sequential, got {type(model).__name__}")
    for name in ("step", "zero_grad"):
        if not callable(getattr(optimizer, name, None)):
            raise TypeError(f"fit: optimizer must have step() and zero_grad() (e.g. mn.Adam(model.parameters())), "
                            f"got {type(optimizer).__name__}")
    own = {id(p) for p in model.parameters()}
    if own and getattr(optimizer, "params", None) is not None and not any(id(p) in own for p in optimizer.params):
        raise ValueError("fit: the optimizer updates none of the model's parameters; build it from this model, "
                         "e.g. mn.Adam(model.parameters())")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"fit: scheduler must have a step() method, got {type(scheduler).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    check_positive_int(batch_size, "batch_size", "fit")
    if on_divergence not in ("raise", "stop"):
        raise ValueError(f"fit: on_divergence must be 'raise' or 'stop', got {on_divergence!r}")
    check_bool(drop_last, "drop_last", "fit")
    dtype = model_dtype(model)
    X = check_model_input(X, dtype, "fit")
    y = check_same_length(X, y, "fit")
    bad = first_non_finite(model)
    if bad is not None:
        raise ValueError(f"fit: the model's {bad!r} already holds NaN or infinite values before training; "
                         "expected a finite model (rebuild it, or load a good checkpoint)")
    _check_batch_split(model, len(X), int(batch_size), bool(drop_last))
    task = getattr(loss_fn, "task", None)
    y = check_targets(y, _probe(model, X, "fit").shape, task, "fit")
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise TypeError("fit: validation_data must be a pair (X_val, y_val)")
        where = "fit (validation_data)"
        Xv = check_model_input(validation_data[0], dtype, where)
        yv = check_same_length(Xv, validation_data[1], where)
        yv = check_targets(yv, _probe(model, Xv, where).shape, task, where)
        validation_data = (Xv, yv)
    return X, y, validation_data


__all__ = ["check_callbacks", "check_fit_arguments"]
