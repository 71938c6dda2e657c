"""Figures of a comparison (matplotlib is optional: ``pip install -e ".[plot]"`` in a clone).

- ``convergence``: training loss (log scale) and validation accuracy per epoch; per setting
  the mean over seeds and a band of ± one standard deviation (for the loss, the mean and std
  of log10(loss): a geometric mean and a band that stays positive); one panel column per
  value of ``facet`` if given;
- ``dead_units``: percent of dead units in each hidden layer after the last epoch (error bar = std);
- ``activations``: mean and variance of each hidden layer's activations after the last epoch,
  by depth. The variance is drawn on a log scale, with a band of ± one std of log10(var) (so it
  never crosses zero), when the values span more than two decades; the mean on a symlog scale then;
- ``layers_over_epochs``: per hidden layer (colour), the dead fraction, the activation
  variance, and when recorded the gradient norm and the PReLU slope, over epochs, one panel
  column per setting (up to :data:`MAX_PANELS`), mean over seeds;
- ``final_vs_lr`` / ``final_vs_depth`` (when lr / depth vary): the selected test accuracy
  against the learning rate or depth, one line per method, error bars = 95 % CI (Student's t).

Every std is the sample standard deviation (ddof = 1), as in the tables. With many settings
each gets a distinct colour *and* line style and the legend goes outside the axes; settings
with no data (all diverged) get no legend entry. Files are written in every format of
``options.formats`` (png, pdf, svg) at ``options.dpi``.

matplotlib is imported inside the functions, never when minnet is imported, and figures are
drawn with the Agg canvas directly (``matplotlib.figure.Figure`` + ``FigureCanvasAgg``): no
pyplot, no global backend switch, so a notebook's own plotting is left alone. Diverged runs
are left out of the curves from the epoch they diverged.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from minnet.experiments.summary import ReportOptions, is_number, mean_std_ci, run_outcome

PLOT_HINT = ("matplotlib is not installed, so no plots were drawn; to get them: "
             'pip install -e ".[plot]" (in a clone of minnet)')
LINE_STYLES = ("-", "--", ":", "-.")
MAX_PANELS = 6


def _figure(nrows: int, ncols: int, width: float = 5.5, height: float = 4.0) -> tuple[Any, Any]:
    """A Figure with a grid of axes on the Agg canvas, or ImportError with :data:`PLOT_HINT`."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(PLOT_HINT) from err
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _style(i: int, n: int) -> dict[str, Any]:
    """Colour and line style of the i-th of n settings: tab10 (tab20 beyond 10), styles cycling."""
    from matplotlib import colormaps
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return {"color": cmap(i % cmap.N), "linestyle": LINE_STYLES[(i // (10 if n <= 10 else 20) + i) % 4]
            if n > 4 else "-"}


def _legend(fig: Any, ax: Any, n: int) -> None:
    """A legend inside the axes for a few entries, outside (right of the figure) for many."""
    if not ax.get_legend_handles_labels()[0]:
        return
    if n <= 6:
        ax.legend(fontsize="small")
    else:
        fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", fontsize="small")


def _save(fig: Any, path: Path, options: ReportOptions) -> list[Path]:
    """Write ``fig`` as ``path`` with each suffix of ``options.formats``; return the paths."""
    paths = [path.with_suffix("." + fmt) for fmt in options.formats]
    for p in paths:                         # PNG: light compression, several times faster to write
        fig.savefig(p, dpi=options.dpi, **({"pil_kwargs": {"compress_level": 3}} if p.suffix == ".png" else {}))
    return paths


def _label(keys: Sequence[str], row: dict[str, Any]) -> str:
    return " / ".join(str(row[k]) if isinstance(row.get(k), str) else f"{k}={row.get(k)}" for k in keys)


def _groups(table: Any, drop: Sequence[str] = ()) -> dict[str, list[list[dict[str, Any]]]]:
    """Runs grouped by setting (label → list of runs, each a list of rows by epoch), in table order."""
    from minnet.experiments.exports import shown_settings
    keys = [k for k in shown_settings(table) if k not in drop] or ["method"]
    groups: dict[str, list[list[dict[str, Any]]]] = {}
    for run in table.runs():
        groups.setdefault(_label(keys, run[0]), []).append(run)
    return groups


def _std(values: Sequence[float]) -> float:
    """Sample standard deviation (ddof = 1); 0 for a single value."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _curve(runs: list[list[dict[str, Any]]], key: str, log: bool = False) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray]:
    """Epochs, mean and std (ddof=1 across the runs that have a value at that epoch) of ``key``
    (of log10 of it with ``log``)."""
    by_epoch: dict[int, list[float]] = {}
    for run in runs:
        for row in run:
            if row.get("diverged") and row["epoch"] == row.get("diverged_epoch"):
                continue                                  # the row of the divergence itself
            if is_number(row.get(key)) and (not log or row[key] > 0):
                value = float(row[key])
                by_epoch.setdefault(int(row["epoch"]), []).append(math.log10(value) if log else value)
    epochs = np.array(sorted(by_epoch), dtype=float)
    values = [by_epoch[int(e)] for e in epochs]
    return epochs, np.array([np.mean(v) for v in values]), np.array([_std(v) for v in values])


def _final_by_layer(runs: list[list[dict[str, Any]]], metric: str,
                    log: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layers 1..depth, mean and std (ddof=1) over the finished runs of ``<metric>/<layer>`` in their last
    row (of log10 of it with ``log``)."""
    finals = [run[-1] for run in runs if not run[-1].get("diverged") and not run[-1].get("failed")]
    layers = sorted({int(k.split("/")[1]) for r in finals for k in r if k.startswith(metric + "/")})
    means, stds = [], []
    for k in layers:
        vals = [float(r[f"{metric}/{k}"]) for r in finals if is_number(r.get(f"{metric}/{k}"))
                and (not log or r[f"{metric}/{k}"] > 0)]
        vals = [math.log10(v) for v in vals] if log else vals
        means.append(np.mean(vals) if vals else np.nan)
        stds.append(_std(vals) if vals else np.nan)
    return np.array(layers, dtype=float), np.array(means), np.array(stds)


def plot_convergence(table: Any, path: Path, options: ReportOptions) -> list[Path]:
    """Training loss (log scale) and validation accuracy per epoch, mean ± std band over seeds."""
    facets = [None] if options.facet is None else list(dict.fromkeys(r.get(options.facet) for r in table.rows))
    fig, axes = _figure(1, 2) if options.facet is None else _figure(2, len(facets))
    drop = [] if options.facet is None else [options.facet]
    labels = list(_groups(table, drop))
    for col, value in enumerate(facets):
        ax_loss, ax_acc = (axes[0][0], axes[0][1]) if options.facet is None else (axes[0][col], axes[1][col])
        sub = table if options.facet is None else _Subset(table, options.facet, value)
        for label, runs in _groups(sub, drop).items():
            style = _style(labels.index(label), len(labels))
            epochs, mean, std = _curve(runs, "train_loss", log=True)          # mean ± std of log10(loss)
            if len(epochs):
                ax_loss.plot(epochs, 10 ** mean, label=label, **style)
                ax_loss.fill_between(epochs, 10 ** (mean - std), 10 ** (mean + std), color=style["color"], alpha=0.15)
            epochs, mean, std = _curve(runs, "val_accuracy")
            if len(epochs):
                ax_acc.plot(epochs, mean, label=label, **style)
                ax_acc.fill_between(epochs, mean - std, mean + std, color=style["color"], alpha=0.15)
        where = "" if value is None else f" — {options.facet}={value}"
        ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log",
                    title=f"Training loss (geometric mean, ± std of log10){where}")
        ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title=f"Validation accuracy (mean ± std){where}")
        ax_acc.axhline(table.target_accuracy, color="grey", linestyle=":", linewidth=1)
    _legend(fig, axes[-1][-1], len(labels))
    return _save(fig, path, options)


class _Subset:
    """The runs of a table whose ``key`` equals ``value`` (what the plotting helpers read)."""

    def __init__(self, table: Any, key: str, value: Any) -> None:
        self.table, self.key, self.value = table, key, value
        self.rows = table.rows

    def runs(self) -> list[list[dict[str, Any]]]:
        return [run for run in self.table.runs() if run[0].get(self.key) == self.value]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


def plot_dead_units(table: Any, path: Path, options: ReportOptions) -> list[Path]:
    """Grouped bars: percent of dead units per hidden layer after training, per setting (error bar = std)."""
    fig, axes = _figure(1, 1, width=7.0)
    ax = axes[0][0]
    groups = {k: v for k, v in _groups(table).items() if len(_final_by_layer(v, "dead_fraction")[0])}
    bar_width = 0.8 / max(len(groups), 1)
    for i, (label, runs) in enumerate(groups.items()):
        layers, mean, std = _final_by_layer(runs, "dead_fraction")
        ax.bar(layers - 0.4 + (i + 0.5) * bar_width, 100 * mean, bar_width, yerr=100 * std, label=label, capsize=2,
               color=_style(i, len(groups))["color"])
    ax.set(xlabel="hidden layer", ylabel="dead units (%)", title="Dead units after training (mean ± std over seeds)")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    _legend(fig, ax, len(groups))
    return _save(fig, path, options)


def spans_decades(values: np.ndarray, decades: float = 2.0) -> bool:
    """Whether the positive finite values span more than ``decades`` powers of ten."""
    v = values[np.isfinite(values) & (values > 0)]
    return bool(len(v) > 1 and math.log10(v.max() / v.min()) > decades)


def plot_activation_stats(table: Any, path: Path, options: ReportOptions) -> list[Path]:
    """Mean and variance of each hidden layer's activations after training, by depth, per setting."""
    fig, axes = _figure(1, 2)
    ax_mean, ax_var = axes[0]
    groups = {k: v for k, v in _groups(table).items() if len(_final_by_layer(v, "var")[0])}
    all_var = np.concatenate([_final_by_layer(r, "var")[1] for r in groups.values()]) if groups else np.array([])
    log = spans_decades(all_var)
    for i, (label, runs) in enumerate(groups.items()):
        style = _style(i, len(groups))
        layers, mean, std = _final_by_layer(runs, "mean")
        ax_mean.plot(layers, mean, marker="o", label=label, **style)
        ax_mean.fill_between(layers, mean - std, mean + std, color=style["color"], alpha=0.15)
        layers, mean, std = _final_by_layer(runs, "var", log=log)
        if log:                                             # geometric mean and a band of ± std of log10
            ax_var.plot(layers, 10 ** mean, marker="o", label=label, **style)
            ax_var.fill_between(layers, 10 ** (mean - std), 10 ** (mean + std), color=style["color"], alpha=0.15)
        else:
            ax_var.plot(layers, mean, marker="o", label=label, **style)
            ax_var.fill_between(layers, np.maximum(mean - std, 0.0), mean + std, color=style["color"], alpha=0.15)
    ax_mean.axhline(0.0, color="grey", linestyle=":", linewidth=1)
    ax_var.axhline(1.0, color="grey", linestyle=":", linewidth=1)
    if log:
        ax_var.set_yscale("log")
        ax_mean.set_yscale("symlog", linthresh=1.0)
    ax_mean.set(xlabel="hidden layer", ylabel="mean activation", title="Activation mean by depth (after training)")
    ax_var.set(xlabel="hidden layer", ylabel="activation variance",
               title="Activation variance by depth" + (" (log scale)" if log else ""))
    for ax in (ax_mean, ax_var):
        ax.xaxis.get_major_locator().set_params(integer=True)
    _legend(fig, ax_var, len(groups))
    return _save(fig, path, options)


def plot_layers_over_epochs(table: Any, path: Path, options: ReportOptions) -> list[Path]:
    """Per hidden layer (colour), dead fraction, variance, gradient norm and PReLU slope over epochs."""
    from matplotlib import colormaps
    metrics = [m for m in ("dead_fraction", "var", "grad_norm", "prelu_slope")
               if any(k.startswith(m + "/") for k in table.columns)]
    groups = list(_groups(table).items())[:MAX_PANELS]
    fig, axes = _figure(max(len(metrics), 1), max(len(groups), 1), width=4.0, height=3.0)
    for col, (label, runs) in enumerate(groups):
        layers = sorted({int(k.split("/")[1]) for r in runs for k in r[0] if k.startswith("var/")})
        for row, metric in enumerate(metrics):
            ax = axes[row][col]
            drawn = 0
            for layer in layers:
                epochs, mean, _ = _curve(runs, f"{metric}/{layer}")
                color = colormaps["viridis"](layer / max(len(layers), 1))
                ax.plot(epochs, mean, color=color, label=f"layer {layer}" if col == 0 and row == 0 else None)
                drawn += len(epochs)
            if not drawn:                                        # e.g. no PReLU slope in a ReLU network
                ax.set_axis_off()
                ax.set_title(f"{label}: no {metric.replace('_', ' ')}", fontsize="small")
                continue
            if metric in ("var", "grad_norm") and spans_decades(np.array(
                    [r.get(f"{metric}/{k}") or np.nan for run in runs for r in run for k in layers], dtype=float)):
                ax.set_yscale("log")
            ax.set(xlabel="epoch", ylabel=metric.replace("_", " "), title=label if row == 0 else None)
    if groups and metrics:
        _legend(fig, axes[0][0], 7)
    return _save(fig, path, options)


def plot_final_vs(table: Any, key: str, path: Path, options: ReportOptions) -> list[Path]:
    """The selected test accuracy against ``key`` (lr or depth), one line per method, 95 % CI error bars."""
    fig, axes = _figure(1, 1)
    ax = axes[0][0]
    lines: dict[str, dict[Any, list[float]]] = {}
    for run in table.runs():
        outcome = run_outcome(run, table.select, table.target_accuracy)
        if is_number(outcome.get("test_accuracy")):
            lines.setdefault(str(run[0].get("method")), {}).setdefault(run[0][key], []).append(
                100 * outcome["test_accuracy"])
    for i, (label, points) in enumerate(lines.items()):
        xs = sorted(points)
        stats = [mean_std_ci(points[x]) for x in xs]
        ax.errorbar(xs, [s[0] for s in stats], yerr=[s[2] or 0.0 for s in stats], marker="o", capsize=3,
                    label=label, **_style(i, len(lines)))
    ax.set(xlabel=key, ylabel="test accuracy (%)", xscale="log" if key == "lr" else "linear",
           title=f"Test accuracy ({table.select}) against {key}, 95% CI over seeds")
    _legend(fig, ax, len(lines))
    return _save(fig, path, options)


def make_plots(table: Any, folder: str | os.PathLike[str], options: ReportOptions | None = None) -> list[str]:
    """Draw the figures of the module docstring into ``folder``; return their paths.

    Raises ImportError with :data:`PLOT_HINT` when matplotlib is missing (nothing is written then).
    """
    options = options or ReportOptions()
    _figure(1, 1)                                                  # fail before writing anything
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [*plot_convergence(table, folder / "convergence", options),
             *plot_dead_units(table, folder / "dead_units", options),
             *plot_activation_stats(table, folder / "activations", options),
             *plot_layers_over_epochs(table, folder / "layers_over_epochs", options)]
    for key in ("lr", "depth"):
        if key in table.varying_settings():
            paths += plot_final_vs(table, key, folder / f"final_vs_{key}", options)
    return [os.fspath(p) for p in paths]
