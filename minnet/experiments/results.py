"""The results of a comparison: a tidy table (one row per run and epoch) and its summary.

:class:`ResultTable` is a thin wrapper around a list of dicts — no pandas needed::

    table = mn.experiments.compare(activations=["relu", "selu"], seeds=[0, 1])
    table.rows[0]              # {"run_id": ..., "activation": "relu", ..., "epoch": 1, "train_loss": ...}
    table.summary()            # one dict per setting, mean and std over seeds, best first
    print(table)               # the summary as a Markdown table
    table.to_csv("results.csv")

If you do have pandas: ``pandas.DataFrame(table.rows)``.

Summary statistics (per setting = every setting except the seed):

- ``train_loss``: the last epoch's training loss (mean over that epoch's mini-batches);
- ``test_accuracy``: accuracy on the held-out test part after the last epoch;
- ``epochs_to_target``: the first epoch whose *validation* accuracy is ≥ ``target_accuracy``;
  runs that never get there are left out and counted (``reached``);
- ``dead_percent``: dead units of all hidden layers after the last epoch, in percent.

Each is given as the mean and the sample standard deviation (ddof = 1; None for a single
value) over the seeds, leaving out diverged runs (counted in ``diverged``). Settings are
sorted by mean test accuracy, best first (within each data set, data sets in grid order);
settings without one (all runs diverged) go last.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from typing import Any, Iterable, Sequence

from minnet.experiments.config import SETTING_KEYS
from minnet.experiments.runner import LAYER_METRICS, RUN_COLUMNS

#: Columns whose values are always text (a CSV reader must not turn "000123" into a number).
TEXT_COLUMNS = frozenset({"run_id", "dataset", "activation", "init", "dropout", "optimizer"})

_LAYER_COLUMN = re.compile(r"^(?P<metric>[a-z_]+)/(?P<layer>\d+)$")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def mean_std(values: Iterable[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (ddof=1) of the finite values; (None, None) without any,
    std None for one value."""
    xs = [float(v) for v in values if _is_number(v)]
    if not xs:
        return None, None
    mean = math.fsum(xs) / len(xs)
    if len(xs) < 2:
        return mean, None
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def _parse_cell(column: str, text: str) -> Any:
    if text == "":
        return None
    if column in TEXT_COLUMNS:
        return text
    if text in ("True", "False"):
        return text == "True"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


class ResultTable:
    """Rows of a comparison (one dict per run and epoch) with a summary over seeds.

    Parameters
    ----------
    rows : list of dict — as produced by :func:`minnet.experiments.runner.run_one`, in run order.
    target_accuracy : float — the validation accuracy whose first epoch the summary reports.
    out : the folder the results were written to, or None.

    Attributes ``skipped`` and ``computed`` count the runs that a sweep loaded from disk and
    the runs it trained, ``plot_files`` lists the plots it drew (set by :func:`minnet.experiments.compare`).
    """

    def __init__(self, rows: Sequence[dict[str, Any]], target_accuracy: float = 0.95,
                 out: str | os.PathLike[str] | None = None) -> None:
        self.rows: list[dict[str, Any]] = [dict(r) for r in rows]
        self.target_accuracy = float(target_accuracy)
        self.out = out
        self.skipped = 0
        self.computed = 0
        self.plot_files: list[str] = []

    # --- columns and runs -----------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """Every column, in a fixed order: run_id, settings, metrics, per-layer metrics by layer, seconds."""
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        head = [c for c in ("run_id", *SETTING_KEYS, *RUN_COLUMNS) if c in seen]
        layered = sorted((c for c in seen if _LAYER_COLUMN.match(c)), key=self._layer_order)
        tail = [c for c in seen if c not in head and c not in layered and c != "seconds"]
        return head + layered + tail + (["seconds"] if "seconds" in seen else [])

    @staticmethod
    def _layer_order(column: str) -> tuple[int, str, int]:
        m = _LAYER_COLUMN.match(column)
        metric = m["metric"]
        rank = LAYER_METRICS.index(metric) if metric in LAYER_METRICS else len(LAYER_METRICS)
        return rank, metric, int(m["layer"])

    def runs(self) -> list[list[dict[str, Any]]]:
        """The rows grouped by run (in first-seen order), each run's rows sorted by epoch."""
        groups: dict[Any, list[dict[str, Any]]] = {}
        for row in self.rows:
            groups.setdefault(row.get("run_id"), []).append(row)
        return [sorted(rows, key=lambda r: r["epoch"]) for rows in groups.values()]

    def final_rows(self) -> list[dict[str, Any]]:
        """The last row of every run (its test metrics, final diagnostics, or the divergence)."""
        return [rows[-1] for rows in self.runs()]

    def setting_keys(self) -> list[str]:
        """The settings that are columns of this table, in :data:`SETTING_KEYS` order."""
        cols = set(self.columns)
        return [k for k in SETTING_KEYS if k in cols]

    def varying_settings(self) -> list[str]:
        """Settings (seed excluded) that take more than one value in this table."""
        return [k for k in self.setting_keys() if k != "seed" and len({r.get(k) for r in self.rows}) > 1]

    # --- summary --------------------------------------------------------------------------
    def summary(self) -> list[dict[str, Any]]:
        """One dict per setting (all settings but the seed), best mean test accuracy first (per data set).

        Keys: every setting but ``seed``; ``seeds`` (list), ``runs``, ``diverged`` (count),
        ``diverged_epochs`` (list), ``reached`` (runs that reached the target), and
        ``<stat>_mean`` / ``<stat>_std`` for ``train_loss``, ``test_accuracy``,
        ``epochs_to_target`` and ``dead_percent`` (see the module docstring).
        """
        keys = [k for k in self.setting_keys() if k != "seed"]
        groups: dict[tuple, list[list[dict[str, Any]]]] = {}
        for run in self.runs():
            groups.setdefault(tuple(run[0].get(k) for k in keys), []).append(run)
        summary = []
        for key, runs in groups.items():
            finished = [run for run in runs if not run[-1].get("diverged")]
            final = [run[-1] for run in finished]
            reached = [e for e in (self._epoch_reaching(run) for run in runs) if e is not None]
            entry: dict[str, Any] = dict(zip(keys, key, strict=True))
            entry.update({
                "seeds": [run[0].get("seed") for run in runs], "runs": len(runs),
                "diverged": len(runs) - len(finished),
                "diverged_epochs": [run[-1].get("diverged_epoch") for run in runs if run[-1].get("diverged")],
                "reached": len(reached),
            })
            stats = {
                "train_loss": [r.get("train_loss") for r in final],
                "test_accuracy": [r.get("test_accuracy") for r in final],
                "epochs_to_target": reached,
                "dead_percent": [self._dead_percent(r) for r in final],
            }
            for name, values in stats.items():
                entry[f"{name}_mean"], entry[f"{name}_std"] = mean_std(values)
            summary.append(entry)
        datasets = list(dict.fromkeys(e.get("dataset") for e in summary))

        def rank(e: dict[str, Any]) -> tuple[int, float]:
            acc = e["test_accuracy_mean"]
            return datasets.index(e.get("dataset")), (-acc if acc is not None else math.inf)

        summary.sort(key=rank)                      # stable: ties keep grid order
        return summary

    def _epoch_reaching(self, run: list[dict[str, Any]]) -> int | None:
        for row in run:
            acc = row.get("val_accuracy")
            if _is_number(acc) and acc >= self.target_accuracy:
                return int(row["epoch"])
        return None

    @staticmethod
    def _dead_percent(row: dict[str, Any]) -> float | None:
        """Percent of dead hidden units (all hidden layers have the same width, so the mean of the fractions)."""
        fractions = [v for k, v in row.items() if k.startswith("dead_fraction/") and _is_number(v)]
        return 100.0 * math.fsum(fractions) / len(fractions) if fractions else None

    # --- text -----------------------------------------------------------------------------
    def summary_rows(self) -> tuple[list[str], list[list[str]]]:
        """The summary as text cells: (header, rows) — what :meth:`to_markdown` lays out."""
        summary = self.summary()
        shown = self.varying_settings() or ["activation"]
        target = f"epochs to {self.target_accuracy:.0%} val acc"
        header = [*shown, "train loss", "test acc (%)", target, "dead units (%)"]
        any_diverged = any(e["diverged"] for e in summary)
        if any_diverged:
            header.append("diverged")
        rows = []
        for e in summary:
            cells = [str(e[k]) for k in shown]
            loss = e["train_loss_mean"]
            plain = loss is None or 1e-3 <= abs(loss) < 1e4            # else scientific: 3.52e-04, 2.28e+35
            cells.append(_pm(loss, e["train_loss_std"], "{:.4f}" if plain else "{:.2e}"))
            cells.append(_pm(_scale(e["test_accuracy_mean"]), _scale(e["test_accuracy_std"]), "{:.2f}"))
            epochs = _pm(e["epochs_to_target_mean"], e["epochs_to_target_std"], "{:.1f}")
            if 0 < e["reached"] < e["runs"]:
                epochs += f" ({e['reached']}/{e['runs']})"
            cells.append(epochs)
            cells.append(_pm(e["dead_percent_mean"], e["dead_percent_std"], "{:.1f}"))
            if any_diverged:
                where = ", ".join(str(x) for x in e["diverged_epochs"])
                cells.append(f"{e['diverged']}/{e['runs']}" + (f" (epoch {where})" if where else ""))
            rows.append(cells)
        return header, rows

    def shared_settings(self) -> str:
        """The settings every run shares, e.g. ``"dataset=digits, depth=4, ..., seeds 0, 1, 2"``."""
        varying = set(self.varying_settings())
        first = self.rows[0] if self.rows else {}
        parts = [f"{k}={first.get(k)}" for k in self.setting_keys() if k != "seed" and k not in varying]
        seeds = sorted({r.get("seed") for r in self.rows if r.get("seed") is not None})
        if seeds:
            parts.append("seeds " + ", ".join(str(s) for s in seeds))
        return ", ".join(parts)

    def to_markdown(self) -> str:
        """The summary as a Markdown table (best first) under a line naming the shared settings."""
        if not self.rows:
            return "(no runs)\n"
        header, rows = self.summary_rows()
        widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(header)]
        left = len(header) - (5 if "diverged" in header else 4)       # settings left-aligned, numbers right

        def line(cells: list[str]) -> str:
            pairs = enumerate(zip(cells, widths, strict=True))
            padded = [c.ljust(w) if j < left else c.rjust(w) for j, (c, w) in pairs]
            return "| " + " | ".join(padded) + " |"

        rule = "|" + "|".join(("-" * (w + 1) + ":") if j >= left else ("-" * (w + 2))
                              for j, w in enumerate(widths)) + "|"
        notes = (f"Mean ± std over seeds. Train loss: last epoch. Epochs to target: first epoch with validation "
                 f"accuracy ≥ {self.target_accuracy:g} (— never). Dead units: hidden units whose derivative is 0 on "
                 f"every probe sample after training.")
        return "\n".join([f"Shared settings: {self.shared_settings()}", "", line(header), rule,
                          *(line(r) for r in rows), "", notes]) + "\n"

    def __str__(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        n_runs = len(self.runs())
        return f"ResultTable({n_runs} runs, {len(self.rows)} rows)\n{self.to_markdown()}"

    def __len__(self) -> int:
        return len(self.rows)

    # --- files ----------------------------------------------------------------------------
    def to_csv(self, path: str | os.PathLike[str] | None = None, exclude: Sequence[str] = ()) -> str:
        """The rows as CSV text (one row per run and epoch, every column), also written to ``path`` if given.

        None is written as an empty cell; floats with full precision (``repr``), so reading the
        file back gives the same numbers. ``exclude`` drops columns (e.g. ``("seconds",)`` to
        compare two sweeps whose timings differ).
        """
        columns = [c for c in self.columns if c not in set(exclude)]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, restval="", extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        text = buffer.getvalue()
        if path is not None:
            from minnet.experiments.store import write_text_atomic
            write_text_atomic(path, text)
        return text

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], target_accuracy: float = 0.95) -> ResultTable:
        """Read a ``results.csv`` written by :meth:`to_csv` (numbers and booleans parsed; empty cells → None)."""
        with open(path, newline="", encoding="utf-8") as f:
            rows = [{k: _parse_cell(k, v) for k, v in row.items()} for row in csv.DictReader(f)]
        return cls(rows, target_accuracy=target_accuracy, out=os.path.dirname(os.fspath(path)) or ".")

    def plot(self, folder: str | os.PathLike[str]) -> list[str]:
        """Write the PNG plots of :mod:`minnet.experiments.plots` into ``folder``; return their paths.

        Raises ImportError (saying ``pip install "minnet[plot]"``) when matplotlib is not installed.
        """
        from minnet.experiments.plots import make_plots
        return make_plots(self, folder)


def _scale(value: float | None, factor: float = 100.0) -> float | None:
    return None if value is None else value * factor


def _pm(mean: float | None, std: float | None, fmt: str) -> str:
    """"mean ± std", just "mean" without a std, "—" without a mean."""
    if mean is None:
        return "—"
    return fmt.format(mean) if std is None else f"{fmt.format(mean)} ± {fmt.format(std)}"
