"""The results of a comparison: a tidy table (one row per run and epoch) and its summary.

:class:`ResultTable` is a thin wrapper around a list of dicts — no pandas needed::

    table = mn.experiments.compare(activations=["relu", "selu"], seeds=[0, 1])
    table.rows[0]              # {"run_id": ..., "activation": "relu", ..., "epoch": 1, "train_loss": ...}
    table.summary()            # one dict per setting: mean, std, 95 % CI over seeds, ranked on validation
    print(table)               # the summary as a Markdown table
    table.to_csv("results.csv")

If you do have pandas: ``pandas.DataFrame(table.rows)``. The statistics are defined in
:mod:`~minnet.experiments.summary`, the text and file formats in :mod:`~minnet.experiments.exports`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from typing import Any, Callable, Sequence

from minnet.experiments import exports
from minnet.experiments.grid import SETTING_KEYS, TEXT_SETTINGS, method_label
from minnet.experiments.runner import LAYER_METRICS, RUN_COLUMNS
from minnet.experiments.summary import ReportOptions, mean_std, summarize

__all__ = ["ResultTable", "TEXT_COLUMNS", "mean_std"]

#: Columns whose values are always text (a CSV reader must not turn "000123" into a number).
TEXT_COLUMNS = frozenset({"run_id", "method", "failed", *TEXT_SETTINGS})

_LAYER_COLUMN = re.compile(r"^(?P<metric>[a-z_]+)/(?P<layer>\d+)$")


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
    target_accuracy : float — the validation accuracy whose first epoch the summary reports
        (None: the ``target_accuracy`` column of the rows, else 0.95).
    out : the folder the results were written to, or None.
    select : "best-val" (default) or "last" — the epoch whose accuracies the summary reports.
    vs : a setting value (e.g. "relu") to compare every setting with by paired tests, or None.

    Attributes ``skipped`` and ``computed`` count the runs that a sweep loaded from disk and
    the runs it trained, ``plot_files`` lists the plots it drew (set by :func:`minnet.experiments.compare`).
    """

    def __init__(self, rows: Sequence[dict[str, Any]], target_accuracy: float | None = None,
                 out: str | os.PathLike[str] | None = None, select: str = "best-val", vs: str | None = None) -> None:
        self.rows: list[dict[str, Any]] = [dict(r) for r in rows]
        for row in self.rows:
            if "method" not in row and "activation" in row:
                row["method"] = method_label(row)
        stored = next((r["target_accuracy"] for r in self.rows if r.get("target_accuracy") is not None), None)
        for row in self.rows:
            row.pop("target_accuracy", None)                  # a property of the table, stored in each CSV row
        self.target_accuracy = float(target_accuracy if target_accuracy is not None else stored or 0.95)
        options = ReportOptions(select=select, vs=vs)
        self.select, self.vs = options.select, options.vs
        self.out = out
        self.skipped = 0
        self.computed = 0
        self.rejected: dict[str, str] = {}
        self.written = out is not None
        self.written_files: list[str] = []
        self.plot_files: list[str] = []
        self._cache: dict[str, Any] = {}

    # --- columns and runs -----------------------------------------------------------------
    def _cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered until the rows, the selection, ``vs`` or the target change.

        A summary is read several times per report (Markdown, CSV, LaTeX, HTML, plots); for a
        sweep of 1000 runs recomputing it each time would dominate the time to write them.
        """
        key = (id(self.rows), len(self.rows), self.select, self.vs, self.target_accuracy)
        if self._cache.get("key") != key:
            self._cache = {"key": key}
        if name not in self._cache:
            self._cache[name] = compute()
        return self._cache[name]

    @property
    def columns(self) -> list[str]:
        """Every column, in a fixed order: run_id, settings, metrics, per-layer metrics by layer, seconds."""
        return list(self._cached("columns", self._columns))

    def _columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        head = [c for c in ("run_id", *SETTING_KEYS, "method", *RUN_COLUMNS) if c in seen]
        layered = sorted((c for c in seen if _LAYER_COLUMN.match(c)), key=self._layer_order)
        tail = [c for c in seen if c not in head and c not in layered and c != "seconds"]
        return head + layered + tail + (["seconds"] if "seconds" in seen else [])

    @staticmethod
    def _layer_order(column: str) -> tuple[int, str, int]:
        m = _LAYER_COLUMN.match(column)
        assert m is not None                          # called for layer columns only
        metric = m["metric"]
        rank = LAYER_METRICS.index(metric) if metric in LAYER_METRICS else len(LAYER_METRICS)
        return rank, metric, int(m["layer"])

    def runs(self) -> list[list[dict[str, Any]]]:
        """The rows grouped by run (in first-seen order), each run's rows sorted by epoch."""
        return list(self._cached("runs", self._runs))

    def _runs(self) -> list[list[dict[str, Any]]]:
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
        return list(self._cached("varying", lambda: [k for k in self.setting_keys()
                                                     if k != "seed" and len({r.get(k) for r in self.rows}) > 1]))

    # --- summary --------------------------------------------------------------------------
    def summary(self) -> list[dict[str, Any]]:
        """One dict per setting (all settings but the seed), ranked by validation accuracy (per data set).

        Keys: every setting but ``seed``; ``method``, ``seeds`` (list), ``runs``, ``diverged``,
        ``failed`` (counts), ``diverged_epochs`` (list), ``reached`` (runs that reached the
        target), ``test_finite``, ``outcomes`` (one dict per run), ``<stat>_mean`` /
        ``<stat>_std`` / ``<stat>_ci`` for the statistics of :mod:`~minnet.experiments.summary`,
        and with ``vs`` the paired tests' ``p_wilcoxon`` and ``p_ttest``.
        """
        keys = [k for k in self.setting_keys() if k != "seed"]
        return self._cached("summary", lambda: summarize(self.runs(), keys, self.select, self.target_accuracy,
                                                          self.vs))

    # --- text -----------------------------------------------------------------------------
    def summary_rows(self) -> tuple[list[str], list[list[str]]]:
        """The summary as text cells: (header, rows) — what :meth:`to_markdown` lays out."""
        return exports.summary_cells(self)

    def shared_settings(self) -> str:
        """The settings every run shares, e.g. ``"dataset=digits, depth=4, ..., seeds 0, 1, 2"``."""
        varying = set(self.varying_settings())
        first = self.rows[0] if self.rows else {}
        parts = [f"{k}={first.get(k)}" for k in self.setting_keys()
                 if k != "seed" and k not in varying and first.get(k) is not None]
        seeds = sorted({r["seed"] for r in self.rows if isinstance(r.get("seed"), int)})
        if seeds:
            parts.append("seeds " + ", ".join(str(s) for s in seeds))
        return ", ".join(parts)

    def to_markdown(self) -> str:
        """The summary as a Markdown table (best first) under a line naming the shared settings."""
        return exports.to_markdown(self)

    def to_latex(self) -> str:
        """The summary as a booktabs LaTeX table."""
        return exports.to_latex(self)

    def pivot(self, rows: str | Sequence[str], cols: str | Sequence[str], metric: str = "test_accuracy") -> str:
        """A two-way Markdown table of ``metric`` (e.g. ``rows="activation", cols="depth,lr"``)."""
        return exports.pivot_markdown(self, ReportOptions(rows=rows, cols=cols, metric=metric))

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
        file back gives the same numbers. A ``target_accuracy`` column stores what the summary
        needs. ``exclude`` drops columns (e.g. ``("seconds",)`` to
        compare two sweeps whose timings differ).
        """
        columns = [c for c in [*self.columns, "target_accuracy"] if c not in set(exclude)]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(columns)), restval="", extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        target = {"target_accuracy": self.target_accuracy}
        writer.writerows({**row, **target} for row in self.rows)
        text = buffer.getvalue()
        if path is not None:
            from minnet.experiments.store import write_text_atomic
            write_text_atomic(path, text)
        return text

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], target_accuracy: float | None = None,
                 select: str = "best-val", vs: str | None = None) -> ResultTable:
        """Read a ``results.csv`` written by :meth:`to_csv` (numbers and booleans parsed; empty cells → None;
        the target accuracy from its column unless given)."""
        with open(path, newline="", encoding="utf-8") as f:
            rows = [{k: _parse_cell(k, v) for k, v in row.items()} for row in csv.DictReader(f)]
        return cls(rows, target_accuracy=target_accuracy, out=os.path.dirname(os.fspath(path)) or ".",
                   select=select, vs=vs)

    def plot(self, folder: str | os.PathLike[str], options: ReportOptions | None = None) -> list[str]:
        """Write the figures of :mod:`minnet.experiments.plots` into ``folder``; return their paths.

        Raises ImportError (saying ``pip install -e ".[plot]"``) when matplotlib is not installed.
        """
        from minnet.experiments.plots import make_plots
        return make_plots(self, folder, options or ReportOptions())
