"""One run of a comparison: build the network, train it, measure it, return plain records.

:func:`run_one` is a pure function of its settings and the prepared data: the seed fixes
the weights and dropout masks (``mlp(seed=seed)``) and, through an independent stream,
the order of the mini-batches. Nothing is shared between runs, so runs can go to other
processes or machines (joblib, Dask, Ray) and give bit-identical numbers.

After every epoch a callback measures, on the probe set and in evaluation mode, for each
hidden layer k = 1..depth (the k-th activation layer):

- ``dead_fraction/k``: fraction of units whose derivative is 0 on every probe sample
  (:func:`minnet.diagnostics.dead_units`; only ReLU can have them here);
- ``never_active_fraction/k``: fraction of units whose pre-activation is ≤ 0 on every probe sample;
- ``numerically_dead_fraction/k``: fraction of units whose computed derivative underflows to 0
  on every probe sample although it is positive in exact arithmetic (ELU/SELU far below 0;
  NaN with a version of :mod:`minnet.diagnostics` that does not measure it);
- ``mean/k``, ``var/k``: mean and variance of the layer's activations over all probe samples
  and units (:func:`minnet.diagnostics.activation_stats`);
- ``grad_norm/k``: ‖∂L/∂θ‖ of the k-th hidden weight layer's parameters, on the first
  :data:`GRADIENT_PROBE` probe samples (:func:`minnet.diagnostics.gradient_stats`);
- ``prelu_slope/k``: the mean learned slope of the k-th PReLU layer (PReLU only).

**Divergence**, recorded with one last row for the epoch where it happened, is any of: a
loss that turns NaN or infinite (``fit(..., on_divergence="stop")``), validation outputs
that overflow, or a training loss above :data:`EXPLOSION_FACTOR` · ln C (C classes; ln C is
the loss of a uniform guess), the criterion of :class:`ExplosionGuard`.

Each run uses **one BLAS thread** (``threadpoolctl``, installed with scikit-learn). The
matrices of these networks are small, and a multi-threaded BLAS spends more time
synchronising its threads than multiplying — ten times more on a busy 2-core machine. Use
``jobs`` to run several runs at once instead. It also makes the numbers independent of how
many runs share the machine: a run gives the same bits serially and in parallel.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Any, Iterator, Mapping

import numpy as np
from tqdm.auto import tqdm

from minnet.diagnostics import activation_stats, dead_units, gradient_stats
from minnet.experiments.grid import method_label
from minnet.experiments.models import ModelFactory, build_model
from minnet.experiments.prepare import PreparedData
from minnet.nn.activations import PReLU
from minnet.nn.losses import CrossEntropyLoss
from minnet.train.callbacks import Callback, TrainingState
from minnet.train.loop import evaluate, fit, infer
from minnet.train.optim import get_optimizer

#: Per-layer quantities recorded each epoch, in column order.
LAYER_METRICS: tuple[str, ...] = ("dead_fraction", "numerically_dead_fraction", "never_active_fraction", "mean",
                                  "var", "grad_norm", "prelu_slope")

#: Columns of every row, in order (per-layer columns ``<metric>/<k>`` and ``seconds`` follow).
RUN_COLUMNS: tuple[str, ...] = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                "test_loss", "test_accuracy", "diverged", "diverged_epoch", "failed")

DIAGNOSTICS_BATCH = 1024

#: Training samples (the first of the probe set) on which the per-layer gradient norms are measured.
GRADIENT_PROBE = 256

#: A run has diverged when an epoch's training loss exceeds this many times ln(C) (:class:`ExplosionGuard`).
EXPLOSION_FACTOR = 1000.0


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """A context in which BLAS (numpy's matrix products) uses one thread (a no-op without threadpoolctl).

    The limit is process-wide, so it is reference-counted: runs executing at the same time in
    threads of one process (joblib's threading backend, a Dask worker) set it when the first
    enters and restore the original when the last leaves.
    """
    global _blas_users, _blas_limiter
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                                          # pragma: no cover - comes with scikit-learn
        yield
        return
    with _blas_lock:
        if _blas_users == 0:
            _blas_limiter = threadpool_limits(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


class LayerDiagnostics(Callback):
    """Add the per-layer columns of the module docstring (k = hidden layer) to each epoch."""

    def __init__(self, X_probe: np.ndarray, y_probe: np.ndarray, loss_fn: Any) -> None:
        self.X_probe, self.y_probe, self.loss_fn = X_probe, y_probe, loss_fn
        self.state: TrainingState | None = None

    def on_train_begin(self, state: TrainingState) -> None:
        self.state = state                      # run_one reads the History from here if fit raises

    def on_epoch_end(self, state: TrainingState) -> None:
        state.logs.update(layer_diagnostics(state.model, self.X_probe, self.y_probe, self.loss_fn))


def layer_diagnostics(model: Any, X_probe: np.ndarray, y_probe: np.ndarray | None = None,
                      loss_fn: Any = None) -> dict[str, float]:
    """The per-layer quantities of the module docstring for one model, keyed ``"<metric>/<k>"``."""
    logs: dict[str, float] = {}
    for k, r in enumerate(dead_units(model, X_probe, batch_size=DIAGNOSTICS_BATCH), start=1):
        logs[f"dead_fraction/{k}"] = float(r["dead_fraction"])
        logs[f"numerically_dead_fraction/{k}"] = float(r.get("numerically_dead_fraction", math.nan))
        logs[f"never_active_fraction/{k}"] = float(r["never_active_fraction"])
    activations = [r for r in activation_stats(model, X_probe, batch_size=DIAGNOSTICS_BATCH)
                   if r["z_mean"] is not None]                  # activation layers only
    for k, r in enumerate(activations, start=1):
        logs[f"mean/{k}"] = float(r["mean"])
        logs[f"var/{k}"] = float(r["var"])
    if loss_fn is not None and y_probe is not None:
        n = min(GRADIENT_PROBE, len(X_probe))
        weighted = [r for r in gradient_stats(model, loss_fn, X_probe[:n], y_probe[:n], batch_size=DIAGNOSTICS_BATCH)
                    if r["param_grad_norm"] is not None and r["name"] in ("Dense", "Conv2d")]
        for k, r in enumerate(weighted[:-1], start=1):          # hidden layers (the output layer is last)
            logs[f"grad_norm/{k}"] = float(r["param_grad_norm"])
    slopes = [layer.weight.data for layer in _leaf_layers(model) if isinstance(layer, PReLU)]
    for k, a in enumerate(slopes, start=1):
        logs[f"prelu_slope/{k}"] = float(np.mean(a))
    return logs


def _leaf_layers(model: Any) -> list[Any]:
    layers = getattr(model, "layers", None)
    return [model] if layers is None else [leaf for layer in layers for leaf in _leaf_layers(layer)]


class BestValidation(Callback):
    """Keep a copy of the parameters and buffers of the epoch with the highest validation accuracy."""

    def __init__(self) -> None:
        self.best_epoch: int | None = None
        self.best_accuracy = -math.inf
        self.snapshot: tuple[list[np.ndarray], dict[str, np.ndarray]] | None = None

    def on_epoch_end(self, state: TrainingState) -> None:
        acc = state.logs.get("val_accuracy")
        if not state.stop_training and acc is not None and math.isfinite(acc) and acc > self.best_accuracy:
            self.best_epoch, self.best_accuracy = state.epoch, float(acc)
            self.snapshot = ([p.data.copy() for p in state.model.parameters()],
                             {k: np.array(v, copy=True) for k, v in _buffers(state.model).items()})

    def restore(self, model: Any) -> None:
        """Load the best epoch's parameters and buffers into ``model``."""
        assert self.snapshot is not None
        params, buffers = self.snapshot
        for p, saved in zip(model.parameters(), params, strict=True):
            p.data[...] = saved
        for name, live in _buffers(model).items():
            live[...] = buffers[name]


def _buffers(model: Any) -> dict[str, np.ndarray]:
    get = getattr(model, "buffers", None)
    return dict(get()) if callable(get) else {}


class ExplosionGuard(Callback):
    """Stop a run whose training loss exploded without becoming NaN: ``loss > EXPLOSION_FACTOR · ln(C)``.

    ln(C) is the cross-entropy of a uniform guess over C classes; a mean loss a thousand times
    worse than guessing means logits in the thousands, a run that diverged (Adam at lr 1e9
    ends with losses of 1e24).
    """

    def __init__(self, n_classes: int) -> None:
        self.limit = EXPLOSION_FACTOR * math.log(max(n_classes, 2))
        self.epoch: int | None = None
        self.loss = math.nan

    def on_epoch_end(self, state: TrainingState) -> None:
        loss = state.logs.get("loss")
        if loss is not None and loss > self.limit and self.epoch is None:
            self.epoch, self.loss = state.epoch, float(loss)
            state.stop_training = True


class EpochBar(Callback):
    """A tqdm bar over one run's epochs, nested under the bar over runs (``position=1``, not left behind)."""

    def __init__(self, desc: str, position: int = 1) -> None:
        self.desc, self.position = desc, position
        self.bar: Any = None

    def on_train_begin(self, state: TrainingState) -> None:
        self.bar = tqdm(total=state.epochs, desc=self.desc, unit="epoch", position=self.position, leave=False)

    def on_epoch_end(self, state: TrainingState) -> None:
        logs = state.logs
        self.bar.set_postfix({k.replace("accuracy", "acc"): f"{logs[k]:.4f}"
                              for k in ("loss", "val_accuracy") if k in logs}, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_train_end(self, state: TrainingState) -> None:
        self.close()


def _outputs_finite(model: Any, X: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(infer(model, X))))


def shuffle_rng(seed: int) -> np.random.Generator:
    """The mini-batch order's generator: seeded by (1, seed), a stream independent of the weights' ``seed``."""
    return np.random.default_rng([1, int(seed)])


def run_one(setting: Mapping[str, Any], data: PreparedData, run_id: str = "",
            progress: bool | str = False, factory: ModelFactory | None = None) -> dict[str, Any]:
    """Train and measure one setting; return ``{"run_id", "setting", "rows", "diverged", "divergence", "failed",
    "seconds"}``.

    ``rows`` has one dict per epoch with ``run_id``, every setting, ``method``
    (:func:`~minnet.experiments.grid.method_label`), :data:`RUN_COLUMNS`, the per-layer
    columns and ``seconds`` (that epoch's wall time, diagnostics excluded). The test loss and
    accuracy are measured after training twice: with the last epoch's weights (in the last
    row) and with the weights of the epoch of highest validation accuracy (in that epoch's
    row; the first such epoch), so a summary can select either — never by test accuracy.
    Outputs that overflow give NaN test metrics. A diverged run (loss NaN or infinite,
    validation outputs overflowing, or loss above :data:`EXPLOSION_FACTOR` · ln C) has
    ``diverged=True`` and ``diverged_epoch`` on every row; its last row is the epoch where it
    diverged (``train_loss`` = the loss there; other metrics None), and it has no test
    metrics. A run that runs out of memory is returned as failed (``failed`` = the message,
    one row of epoch 0) instead of raising, so a sweep goes on. ``progress`` (True or a
    description) shows an epoch bar (:class:`EpochBar`); ``factory`` builds the network
    (:func:`~minnet.experiments.models.build_model`).
    """
    setting = dict(setting)
    if setting["dataset"] != data.name:
        raise ValueError(f"run_one: the setting is for data set {setting['dataset']!r} but got {data!r}")
    start = time.perf_counter()
    try:
        return _train(setting, data, run_id, progress, factory, start)
    except MemoryError as err:
        message = f"MemoryError: {err}" if str(err) else "MemoryError: out of memory"
        row = {"run_id": run_id, **setting, "method": method_label(setting), "epoch": 0,
               **dict.fromkeys(RUN_COLUMNS[1:]), "diverged": False, "failed": message, "seconds": None}
        return {"run_id": run_id, "setting": setting, "rows": [row], "diverged": False, "divergence": None,
                "failed": message, "seconds": time.perf_counter() - start}


def _as_images(X: np.ndarray, setting: Mapping[str, Any], data: PreparedData) -> np.ndarray:
    """(N, C, H, W) views of flat image data for the CNN; X itself otherwise."""
    if setting.get("model") == "cnn" and data.image_shape is not None:
        return X.reshape(len(X), *data.image_shape)
    return X


def _test_metrics(model: Any, loss_fn: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    if not _outputs_finite(model, X):
        return {"loss": math.nan, "accuracy": math.nan}
    return evaluate(model, loss_fn, X, y)


def _train(setting: dict[str, Any], data: PreparedData, run_id: str, progress: bool | str,
           factory: ModelFactory | None, start: float) -> dict[str, Any]:
    X_train, X_val, X_test, X_probe = (_as_images(X, setting, data)
                                       for X in (data.X_train, data.X_val, data.X_test, data.X_probe))
    model = build_model(setting, data.n_features, data.n_classes, input_shape=data.image_shape, factory=factory)
    loss_fn = CrossEntropyLoss()
    optimizer = get_optimizer(setting["optimizer"], model.parameters(), lr=setting["lr"],
                              weight_decay=setting["weight_decay"])
    diagnostics = LayerDiagnostics(X_probe, data.y_train[:len(X_probe)], CrossEntropyLoss())
    guard, best = ExplosionGuard(data.n_classes), BestValidation()
    callbacks: list[Callback] = [diagnostics, guard, best]
    bar = EpochBar(progress if isinstance(progress, str) else "epochs") if progress else None
    if bar is not None:
        callbacks.append(bar)
    test = best_test = None
    try:                                     # a divergence is recorded, not warned about
        with single_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                history = fit(model, loss_fn, optimizer, X_train, data.y_train, epochs=setting["epochs"],
                              batch_size=setting["batch_size"], validation_data=(X_val, data.y_val),
                              seed=shuffle_rng(setting["seed"]), callbacks=callbacks, progress=False,
                              on_divergence="stop")
            except ValueError:
                # The training loss stayed finite but the weights grew so large that the *validation*
                # outputs overflow, and the loss refuses them: that is a divergence too.
                if diagnostics.state is None or _outputs_finite(model, X_val):
                    raise
                history = diagnostics.state.history
                history.diverged = True
                history.divergence = {"epoch": len(history) + 1, "step": None, "loss": math.nan,
                                      "reason": "validation output"}
            if guard.epoch is not None and not history.diverged:
                history.diverged = True
                history.divergence = {"epoch": guard.epoch, "step": None, "loss": guard.loss,
                                      "reason": f"loss exploded (> {EXPLOSION_FACTOR:g}·ln C)"}
            if not history.diverged:
                test = _test_metrics(model, loss_fn, X_test, data.y_test)
                last_epoch = history.records[-1]["epoch"] if history.records else None
                if best.snapshot is not None and best.best_epoch != last_epoch:
                    best.restore(model)
                    best_test = _test_metrics(model, loss_fn, X_test, data.y_test)
    finally:
        if bar is not None:
            bar.close()
    return _result(setting, run_id, history, test, best_test, best.best_epoch, start)


def _result(setting: dict[str, Any], run_id: str, history: Any, test: dict[str, float] | None,
            best_test: dict[str, float] | None, best_epoch: int | None, start: float) -> dict[str, Any]:
    """The dict :func:`run_one` returns, rows built from the History (see its docstring)."""
    divergence = dict(history.divergence) if history.diverged else None
    common = {"run_id": run_id, **setting, "method": method_label(setting)}
    flags = {"diverged": bool(history.diverged), "diverged_epoch": divergence["epoch"] if divergence else None,
             "failed": None}
    rows = []
    for record in history.records:
        if divergence and record["epoch"] >= divergence["epoch"]:
            break                                          # an exploded epoch's record becomes the divergence row
        row = {**common, "epoch": record["epoch"], "train_loss": record.get("loss"),
               "train_accuracy": record.get("accuracy"), "val_loss": record.get("val_loss"),
               "val_accuracy": record.get("val_accuracy"), "test_loss": None, "test_accuracy": None, **flags}
        row.update({k: v for k, v in record.items() if "/" in k})
        row["seconds"] = record.get("seconds")
        rows.append(row)
    if divergence:
        rows.append({**common, "epoch": divergence["epoch"], "train_loss": float(divergence["loss"]),
                     "train_accuracy": None, "val_loss": None, "val_accuracy": None, "test_loss": None,
                     "test_accuracy": None, **flags, "seconds": None})
    elif test is not None and rows:
        rows[-1]["test_loss"], rows[-1]["test_accuracy"] = test["loss"], test["accuracy"]
        if best_test is not None:
            chosen = next(r for r in rows if r["epoch"] == best_epoch)
            chosen["test_loss"], chosen["test_accuracy"] = best_test["loss"], best_test["accuracy"]
    return {"run_id": run_id, "setting": setting, "rows": rows, "diverged": bool(history.diverged),
            "divergence": divergence, "failed": None, "seconds": time.perf_counter() - start}
