"""Plots of a comparison, as PNG files (matplotlib is optional: ``pip install "minnet[plot]"``).

- ``convergence.png``: training loss and validation accuracy per epoch; for each setting a line
  for the mean over seeds and a band of ± one standard deviation (for the loss, drawn on a log
  scale, the mean and std of log10(loss): a geometric mean and a band that stays positive);
- ``dead_units.png``: the percentage of dead units in each hidden layer after the last epoch
  (mean over seeds, error bar = std);
- ``activations.png``: mean and variance of each hidden layer's activations after the last
  epoch, by depth (SELU's self-normalisation keeps them near 0 and 1).

matplotlib is imported inside the functions, never when minnet is imported, and figures are
drawn with the Agg canvas directly (``matplotlib.figure.Figure`` + ``FigureCanvasAgg``): no
pyplot, no global backend switch, so a notebook's own plotting is left alone. Diverged runs
are left out of the curves from the epoch they diverged.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

PLOT_HINT = 'matplotlib is not installed, so no plots were drawn; to get them: pip install "minnet[plot]"'


def _figure(ncols: int, width: float = 5.5, height: float = 4.0) -> tuple[Any, Any]:
    """A Figure with ``ncols`` axes on the Agg canvas, or ImportError with :data:`PLOT_HINT`."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(PLOT_HINT) from err
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG at ``path`` and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def _label(table: Any, row: dict[str, Any]) -> str:
    keys = table.varying_settings() or ["activation"]
    return " / ".join(str(row[k]) if isinstance(row[k], str) else f"{k}={row[k]}" for k in keys)


def _groups(table: Any) -> dict[str, list[list[dict[str, Any]]]]:
    """Runs grouped by setting (label → list of runs, each a list of rows by epoch), in table order."""
    groups: dict[str, list[list[dict[str, Any]]]] = {}
    for run in table.runs():
        groups.setdefault(_label(table, run[0]), []).append(run)
    return groups


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _curve(runs: list[list[dict[str, Any]]], key: str, log: bool = False) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray]:
    """Epochs, mean and std (ddof=0 across the runs that have a value at that epoch) of ``key``
    (of log10 of it with ``log``)."""
    by_epoch: dict[int, list[float]] = {}
    for run in runs:
        for row in run:
            if row.get("diverged") and row["epoch"] == row.get("diverged_epoch"):
                continue                                  # the row of the divergence itself
            if _finite(row.get(key)) and (not log or row[key] > 0):
                value = float(row[key])
                by_epoch.setdefault(int(row["epoch"]), []).append(math.log10(value) if log else value)
    epochs = np.array(sorted(by_epoch), dtype=float)
    values = [by_epoch[int(e)] for e in epochs]
    return epochs, np.array([np.mean(v) for v in values]), np.array([np.std(v) for v in values])


def _final_by_layer(runs: list[list[dict[str, Any]]], metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layers 1..depth, mean and std over the finished runs of ``<metric>/<layer>`` in their last row."""
    finals = [run[-1] for run in runs if not run[-1].get("diverged")]
    layers = sorted({int(k.split("/")[1]) for r in finals for k in r if k.startswith(metric + "/")})
    means, stds = [], []
    for k in layers:
        vals = [float(r[f"{metric}/{k}"]) for r in finals if _finite(r.get(f"{metric}/{k}"))]
        means.append(np.mean(vals) if vals else np.nan)
        stds.append(np.std(vals) if vals else np.nan)
    return np.array(layers, dtype=float), np.array(means), np.array(stds)


def plot_convergence(table: Any, path: str | os.PathLike[str]) -> Path:
    """Training loss (log scale) and validation accuracy per epoch, mean ± std band over seeds."""
    fig, (ax_loss, ax_acc) = _figure(2)
    for label, runs in _groups(table).items():
        epochs, mean, std = _curve(runs, "train_loss", log=True)           # mean ± std of log10(loss)
        (line,) = ax_loss.plot(epochs, 10 ** mean, label=label)
        ax_loss.fill_between(epochs, 10 ** (mean - std), 10 ** (mean + std), color=line.get_color(), alpha=0.2)
        epochs, mean, std = _curve(runs, "val_accuracy")
        ax_acc.plot(epochs, mean, color=line.get_color(), label=label)
        ax_acc.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log",
                title="Training loss (geometric mean, ± std of log10, over seeds)")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="Validation accuracy (mean ± std over seeds)")
    ax_acc.axhline(table.target_accuracy, color="grey", linestyle=":", linewidth=1)
    for ax in (ax_loss, ax_acc):
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax_acc.legend(fontsize="small")
    return _save(fig, path)


def plot_dead_units(table: Any, path: str | os.PathLike[str]) -> Path:
    """Grouped bars: percent of dead units per hidden layer after training, per setting (error bar = std)."""
    fig, (ax,) = _figure(1, width=7.0)
    groups = _groups(table)
    bar_width = 0.8 / max(len(groups), 1)
    for i, (label, runs) in enumerate(groups.items()):
        layers, mean, std = _final_by_layer(runs, "dead_fraction")
        ax.bar(layers - 0.4 + (i + 0.5) * bar_width, 100 * mean, bar_width, yerr=100 * std, label=label, capsize=2)
    ax.set(xlabel="hidden layer", ylabel="dead units (%)", title="Dead units after training (mean ± std over seeds)")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_activation_stats(table: Any, path: str | os.PathLike[str]) -> Path:
    """Mean and variance of each hidden layer's activations after training, by depth, per setting."""
    fig, (ax_mean, ax_var) = _figure(2)
    for label, runs in _groups(table).items():
        layers, mean, std = _final_by_layer(runs, "mean")
        (line,) = ax_mean.plot(layers, mean, marker="o", label=label)
        ax_mean.fill_between(layers, mean - std, mean + std, color=line.get_color(), alpha=0.2)
        layers, mean, std = _final_by_layer(runs, "var")
        ax_var.plot(layers, mean, marker="o", color=line.get_color(), label=label)
        ax_var.fill_between(layers, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    ax_mean.axhline(0.0, color="grey", linestyle=":", linewidth=1)
    ax_var.axhline(1.0, color="grey", linestyle=":", linewidth=1)
    ax_mean.set(xlabel="hidden layer", ylabel="mean activation", title="Activation mean by depth (after training)")
    ax_var.set(xlabel="hidden layer", ylabel="activation variance", title="Activation variance by depth")
    for ax in (ax_mean, ax_var):
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax_var.legend(fontsize="small")
    return _save(fig, path)


def make_plots(table: Any, folder: str | os.PathLike[str]) -> list[str]:
    """Draw the three plots of the module docstring into ``folder``; return their paths.

    Raises ImportError with :data:`PLOT_HINT` when matplotlib is missing (nothing is written then).
    """
    _figure(1)                                                     # fail before writing anything
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [os.fspath(p) for p in (plot_convergence(table, folder / "convergence.png"),
                                   plot_dead_units(table, folder / "dead_units.png"),
                                   plot_activation_stats(table, folder / "activations.png"))]
