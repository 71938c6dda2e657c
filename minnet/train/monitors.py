"""Monitors: callbacks that record diagnostics into the History, once per epoch.

Each monitor runs one function of :mod:`minnet.diagnostics` on a probe set you pass
(a few thousand training or validation samples) at the end of every epoch, and adds
one History key per layer, named ``"<quantity>/<layer position>"``::

    monitor = mn.DeadUnitMonitor(X_train[:2000])
    history = mn.fit(model, loss_fn, optimizer, X_train, y_train, epochs=10, callbacks=[monitor])
    history["dead_fraction/1"]      # the fraction of dead units of model.layers[1], epoch by epoch
    monitor.initial["dead_fraction/1"]   # the same before training (epoch 0)

| monitor | keys (one per layer) |
|---|---|
| DeadUnitMonitor | ``dead_fraction/<layer>``, ``never_active_fraction/<layer>`` (activation layers) |
| ActivationStatsMonitor | ``mean/<layer>``, ``var/<layer>`` (every layer; ``fields`` picks others) |
| GradientMonitor | ``grad_norm/<layer>`` (‖∂L/∂input‖, every layer), ``param_grad_norm/<layer>`` (with parameters) |

History rows are per epoch, so the measurement before training (``record_initial=True``,
taken in ``on_train_begin``) is kept on the monitor as ``monitor.initial``, a dict with the
same keys (``monitor.initial_epoch`` is 0, or the checkpoint's epoch when ``mn.fit`` resumes a
run). ``monitor.last_records`` holds the full records of the latest measurement
(e.g. the per-unit ``dead_mask``, or ``unit_mean`` and ``unit_var``).

Convolutional activations, (N, C, H, W): a unit is a channel, dead when its derivative is 0 at
every position for every probe sample; the fractions are of the C channels (docs/conventions.md,
"Dead and never-active units").

A monitor does not change the training trajectory: the diagnostics run with
``training=False``, draw no random numbers (every layer's ``rng`` state is restored), and
leave the parameters, their gradients and the optimizer alone — ``mn.fit`` with and
without monitors gives bit-identical parameters.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from minnet.diagnostics import Record, activation_stats, dead_units, gradient_stats
from minnet.train.callbacks import Callback, TrainingState
from minnet.validation import check_features_array, check_positive_int, check_same_length


class _DiagnosticsMonitor(Callback):
    """Shared machinery: measure at train begin (optional) and at every epoch end."""

    def __init__(self, X_probe: np.ndarray, batch_size: int, record_initial: bool) -> None:
        name = type(self).__name__
        self.X_probe = check_features_array(X_probe, f"{name} (X_probe)")
        self.batch_size = check_positive_int(batch_size, "batch_size", name)
        self.record_initial = bool(record_initial)
        self.initial: dict[str, float] | None = None
        self.initial_epoch: int | None = None
        self.last_records: list[Record] | None = None

    def _records(self, state: TrainingState) -> list[Record]:
        raise NotImplementedError

    def _logs(self, records: list[Record]) -> dict[str, float]:
        raise NotImplementedError

    def measure(self, state: TrainingState) -> dict[str, float]:
        """Run the diagnostic on the probe set and return the History entries ``{"<key>/<layer>": value}``."""
        self.last_records = self._records(state)
        return self._logs(self.last_records)

    def on_train_begin(self, state: TrainingState) -> None:
        self.initial = self.measure(state) if self.record_initial else None
        self.initial_epoch = state.epoch if self.record_initial else None

    def on_epoch_end(self, state: TrainingState) -> None:
        state.logs.update(self.measure(state))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(X_probe.shape={self.X_probe.shape}, batch_size={self.batch_size}, "
                f"record_initial={self.record_initial})")


class DeadUnitMonitor(_DiagnosticsMonitor):
    """Record the fraction of dead and of never-active units of every activation layer per epoch.

    Adds ``dead_fraction/<layer>`` and ``never_active_fraction/<layer>`` to the History, from
    :func:`minnet.diagnostics.dead_units` on ``X_probe`` (dead: f'(z) = 0 for every probe
    sample; never active: z ≤ 0 for every probe sample).

    Parameters
    ----------
    X_probe : array (N, ...) — the probe set; more samples give fewer false "dead" verdicts.
    batch_size : int, default 1024 — rows per forward pass.
    record_initial : bool, default True — also measure before training, into ``self.initial``.
    """

    def __init__(self, X_probe: np.ndarray, batch_size: int = 1024, record_initial: bool = True) -> None:
        super().__init__(X_probe, batch_size, record_initial)

    def _records(self, state: TrainingState) -> list[Record]:
        return dead_units(state.model, self.X_probe, batch_size=self.batch_size)

    def _logs(self, records: list[Record]) -> dict[str, float]:
        logs: dict[str, float] = {}
        for r in records:
            logs[f"dead_fraction/{r['layer']}"] = r["dead_fraction"]
            logs[f"never_active_fraction/{r['layer']}"] = r["never_active_fraction"]
        return logs


_STAT_FIELDS = ("mean", "var", "neg_fraction", "zero_fraction", "z_mean", "z_var")


class ActivationStatsMonitor(_DiagnosticsMonitor):
    """Record the mean and variance of every layer's output per epoch.

    Adds ``<field>/<layer>`` for each of ``fields`` (default ``("mean", "var")``) from
    :func:`minnet.diagnostics.activation_stats` on ``X_probe``: the mean and (population)
    variance over all probe samples and units of the layer's output. Other fields:
    ``neg_fraction``, ``zero_fraction``, and ``z_mean``/``z_var`` (the pre-activation; only
    activation layers get these keys).

    Parameters
    ----------
    X_probe : array (N, ...); batch_size : int, default 1024;
    fields : sequence of str, default ("mean", "var");
    record_initial : bool, default True — also measure before training, into ``self.initial``.
    """

    def __init__(self, X_probe: np.ndarray, batch_size: int = 1024, fields: Sequence[str] = ("mean", "var"),
                 record_initial: bool = True) -> None:
        super().__init__(X_probe, batch_size, record_initial)
        if isinstance(fields, str):
            fields = (fields,)
        fields = tuple(fields)
        bad = [f for f in fields if f not in _STAT_FIELDS]
        if bad or not fields:
            raise ValueError(f"ActivationStatsMonitor: fields must be a non-empty selection of {_STAT_FIELDS}, "
                             f"got {fields!r}")
        self.fields = fields

    def _records(self, state: TrainingState) -> list[Record]:
        return activation_stats(state.model, self.X_probe, batch_size=self.batch_size)

    def _logs(self, records: list[Record]) -> dict[str, float]:
        return {f"{f}/{r['layer']}": r[f] for r in records for f in self.fields if r[f] is not None}


class GradientMonitor(_DiagnosticsMonitor):
    """Record the gradient norms of every layer per epoch (gradient flow through depth).

    Adds ``grad_norm/<layer>`` = ‖∂L/∂x‖ (the gradient w.r.t. the layer's input, every layer)
    and ``param_grad_norm/<layer>`` = ‖∂L/∂θ‖ (layers with parameters), from
    :func:`minnet.diagnostics.gradient_stats` of the mean loss over (X_probe, y_probe),
    computed with ``training=False``. The parameters' gradients are restored afterwards.

    Parameters
    ----------
    X_probe : array (N, ...); y_probe : targets, N rows.
    loss_fn : loss or None, default None — None uses the loss that ``mn.fit`` trains with.
    batch_size : int, default 1024;
    record_initial : bool, default True — also measure before training, into ``self.initial``.
    """

    def __init__(self, X_probe: np.ndarray, y_probe: np.ndarray, loss_fn: Any = None, batch_size: int = 1024,
                 record_initial: bool = True) -> None:
        super().__init__(X_probe, batch_size, record_initial)
        self.y_probe = check_same_length(self.X_probe, y_probe, "GradientMonitor (y_probe)")
        self.loss_fn = loss_fn

    def _records(self, state: TrainingState) -> list[Record]:
        loss_fn = self.loss_fn if self.loss_fn is not None else state.loss_fn
        return gradient_stats(state.model, loss_fn, self.X_probe, self.y_probe, batch_size=self.batch_size)

    def _logs(self, records: list[Record]) -> dict[str, float]:
        logs: dict[str, float] = {}
        for r in records:
            logs[f"grad_norm/{r['layer']}"] = r["input_grad_norm"]
            if r["param_grad_norm"] is not None:
                logs[f"param_grad_norm/{r['layer']}"] = r["param_grad_norm"]
        return logs


__all__ = ["ActivationStatsMonitor", "DeadUnitMonitor", "GradientMonitor"]
