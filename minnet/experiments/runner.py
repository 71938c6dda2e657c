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
- ``mean/k``, ``var/k``: mean and variance of the layer's activations over all probe samples
  and units (:func:`minnet.diagnostics.activation_stats`).

A loss that turns NaN or infinite stops the run (``fit(..., on_divergence="stop")``); the
run is recorded as diverged, with one last row for the epoch where it happened.

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

from minnet.diagnostics import activation_stats, dead_units
from minnet.experiments.prepare import PreparedData
from minnet.nn.losses import CrossEntropyLoss
from minnet.nn.models import mlp
from minnet.train.callbacks import Callback, TrainingState
from minnet.train.loop import evaluate, fit, infer
from minnet.train.optim import get_optimizer

#: Per-layer quantities recorded each epoch, in column order.
LAYER_METRICS: tuple[str, ...] = ("dead_fraction", "never_active_fraction", "mean", "var")

#: Columns of every row, in order (per-layer columns ``<metric>/<k>`` and ``seconds`` follow).
RUN_COLUMNS: tuple[str, ...] = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                "test_loss", "test_accuracy", "diverged", "diverged_epoch")

DIAGNOSTICS_BATCH = 1024


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
    """Add ``dead_fraction/k``, ``never_active_fraction/k``, ``mean/k``, ``var/k`` (k = hidden layer) to each epoch."""

    def __init__(self, X_probe: np.ndarray) -> None:
        self.X_probe = X_probe
        self.state: TrainingState | None = None

    def on_train_begin(self, state: TrainingState) -> None:
        self.state = state                      # run_one reads the History from here if fit raises

    def on_epoch_end(self, state: TrainingState) -> None:
        state.logs.update(layer_diagnostics(state.model, self.X_probe))


def layer_diagnostics(model: Any, X_probe: np.ndarray) -> dict[str, float]:
    """The per-layer quantities of the module docstring for one model, keyed ``"<metric>/<k>"``."""
    logs: dict[str, float] = {}
    for k, r in enumerate(dead_units(model, X_probe, batch_size=DIAGNOSTICS_BATCH), start=1):
        logs[f"dead_fraction/{k}"] = float(r["dead_fraction"])
        logs[f"never_active_fraction/{k}"] = float(r["never_active_fraction"])
    activations = [r for r in activation_stats(model, X_probe, batch_size=DIAGNOSTICS_BATCH)
                   if r["z_mean"] is not None]                  # activation layers only
    for k, r in enumerate(activations, start=1):
        logs[f"mean/{k}"] = float(r["mean"])
        logs[f"var/{k}"] = float(r["var"])
    return logs


class EpochBar(Callback):
    """A tqdm bar over one run's epochs, nested under the bar over runs (``position=1``, not left behind)."""

    def __init__(self, desc: str, position: int = 1) -> None:
        self.desc, self.position, self.bar = desc, position, None

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


def build_model(setting: Mapping[str, Any], n_features: int, n_classes: int):
    """The network of a setting: :func:`minnet.nn.models.mlp` with ``depth`` hidden layers of ``width`` units."""
    return mlp(n_features, n_classes, hidden=[setting["width"]] * setting["depth"],
               activation=setting["activation"], init=setting["init"], dropout=setting["dropout"],
               dropout_rate=setting["dropout_rate"], seed=setting["seed"])


def shuffle_rng(seed: int) -> np.random.Generator:
    """The mini-batch order's generator: seeded by (1, seed), a stream independent of the weights' ``seed``."""
    return np.random.default_rng([1, int(seed)])


def run_one(setting: Mapping[str, Any], data: PreparedData, run_id: str = "",
            progress: bool | str = False) -> dict[str, Any]:
    """Train and measure one setting; return ``{"run_id", "setting", "rows", "diverged", "divergence", "seconds"}``.

    ``rows`` has one dict per epoch with ``run_id``, every setting, :data:`RUN_COLUMNS`, the
    per-layer columns and ``seconds`` (that epoch's wall time, diagnostics excluded). The test
    loss and accuracy are measured once, after training, and appear in the last row only
    (None elsewhere). A diverged run has ``diverged=True`` and ``diverged_epoch`` on every row;
    its last row is the epoch where training diverged (``train_loss`` = the loss ``fit``
    reported there, usually NaN or inf; other metrics None), and it has no test metrics.
    ``progress`` (True or a description) shows an epoch bar (:class:`EpochBar`).
    """
    setting = dict(setting)
    if setting["dataset"] != data.name:
        raise ValueError(f"run_one: the setting is for data set {setting['dataset']!r} but got {data!r}")
    start = time.perf_counter()
    model = build_model(setting, data.n_features, data.n_classes)
    loss_fn = CrossEntropyLoss()
    optimizer = get_optimizer(setting["optimizer"], model.parameters(), lr=setting["lr"],
                              weight_decay=setting["weight_decay"])
    diagnostics = LayerDiagnostics(data.X_probe)
    callbacks: list[Callback] = [diagnostics]
    bar = EpochBar(progress if isinstance(progress, str) else "epochs") if progress else None
    if bar is not None:
        callbacks.append(bar)
    try:                                     # a divergence is recorded, not warned about
        with single_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                history = fit(model, loss_fn, optimizer, data.X_train, data.y_train, epochs=setting["epochs"],
                              batch_size=setting["batch_size"], validation_data=(data.X_val, data.y_val),
                              seed=shuffle_rng(setting["seed"]), callbacks=callbacks, progress=False,
                              on_divergence="stop")
            except ValueError:
                # The training loss stayed finite but the weights grew so large that the *validation*
                # outputs overflow, and the loss refuses them: that is a divergence too.
                if diagnostics.state is None or _outputs_finite(model, data.X_val):
                    raise
                history = diagnostics.state.history
                history.diverged = True
                history.divergence = {"epoch": len(history) + 1, "step": None, "loss": math.nan,
                                      "reason": "validation output"}
            test = None
            if not history.diverged:
                test = (evaluate(model, loss_fn, data.X_test, data.y_test) if _outputs_finite(model, data.X_test)
                        else {"loss": math.nan, "accuracy": math.nan})
    finally:
        if bar is not None:
            bar.close()

    divergence = dict(history.divergence) if history.diverged else None
    common = {"run_id": run_id, **setting}
    flags = {"diverged": bool(history.diverged), "diverged_epoch": divergence["epoch"] if divergence else None}
    rows = []
    for record in history.records:
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
        rows[-1]["test_loss"] = test["loss"]
        rows[-1]["test_accuracy"] = test["accuracy"]
    return {"run_id": run_id, "setting": setting, "rows": rows, "diverged": bool(history.diverged),
            "divergence": divergence, "seconds": time.perf_counter() - start}
