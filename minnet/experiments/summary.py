"""The statistics of a comparison: one outcome per run, one summary entry per setting, pivots, paired tests.

**Model selection on validation, never on test.** Each run's outcome is read at one epoch:
``select="best-val"`` (default) the first epoch of highest validation accuracy, ``"last"`` the
last epoch. The test accuracy reported is the one measured with that epoch's weights
(:mod:`~minnet.experiments.runner` measures both); settings are **ranked by validation
accuracy**, within each data set, settings with a diverged or failed run after those
without, settings without any finished run last.

Per setting (all settings but the seed), over the finished runs — diverged (counted in
``diverged``) and failed (``failed``) runs left out:

- ``<stat>_mean`` and ``<stat>_std`` (sample standard deviation, ddof = 1; None for one
  value) and ``<stat>_ci`` — the half-width of the 95 % confidence interval of the mean,
  t_{0.975, n−1} · std / √n (Student's t over seeds) — for ``val_accuracy``,
  ``test_accuracy`` (finite values only; ``test_finite`` counts them: outputs that overflow
  give NaN), ``train_loss`` (last epoch), ``epochs_to_target`` (first epoch whose validation
  accuracy is ≥ the target; runs that never get there are left out and counted in
  ``reached``), ``dead_percent`` and ``numerically_dead_percent`` (all hidden layers, last epoch);
- with ``vs`` (a value of one setting, e.g. ``"relu"``, or a method label): ``p_wilcoxon``
  and ``p_ttest``, the two-sided p-values of the Wilcoxon signed-rank test and of the paired
  t-test (:func:`scipy.stats.wilcoxon`, :func:`scipy.stats.ttest_rel`) of the selected test
  accuracy, paired by seed, between the setting and its reference (the same setting with the
  ``vs`` value — matched on the settings in which the reference settings differ, so with one
  reference every setting is compared with it); 1.0 when every pair is equal, None with fewer
  than two pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Iterable, Mapping, Sequence

from minnet.experiments.grid import SETTING_KEYS
from minnet.validation import check_choice, check_positive_int, normalize_name

SELECTIONS = ("best-val", "last")
METRICS = ("test_accuracy", "val_accuracy", "train_loss", "epochs_to_target", "dead_percent",
           "numerically_dead_percent")
FORMATS = ("png", "pdf", "svg")
STATS = METRICS
WHERE = "compare"

#: Settings a method label encodes (see :func:`~minnet.experiments.grid.method_label`).
METHOD_PARTS = ("activation", "norm", "norm_position", "dropout", "dropout_rate")


def _names(value: Any, what: str, valid: Sequence[str]) -> tuple[str, ...]:
    """A comma-separated string or a list of names, each checked against ``valid``."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(check_choice(v.strip() if isinstance(v, str) else v, what, WHERE, valid) for v in items if v != "")


@dataclass(frozen=True)
class ReportOptions:
    """How results are summarised and drawn: ``select`` (best-val, last), ``vs`` (reference value for
    the paired tests), ``rows``/``cols`` (settings of a pivot table of ``metric``), ``facet`` (one
    panel per value of a setting in the figures), ``formats`` (png, pdf, svg) and ``dpi``."""

    select: str = "best-val"
    vs: str | None = None
    rows: str | Sequence[str] = ()
    cols: str | Sequence[str] = ()
    metric: str = "test_accuracy"
    facet: str | None = None
    formats: str | Sequence[str] = ("png",)
    dpi: int = 110

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.select, str) or normalize_name(self.select) not in ("best_val", "last"):
            raise ValueError(f"{WHERE}: unknown select {self.select!r}; expected one of {list(SELECTIONS)}")
        set_(self, "select", normalize_name(self.select).replace("_", "-"))
        if self.vs is not None and not isinstance(self.vs, str):
            raise TypeError(f"{WHERE}: vs must be a setting value such as 'relu', got {self.vs!r}")
        columns = (*SETTING_KEYS, "method")
        set_(self, "rows", _names(self.rows, "rows setting", columns))
        set_(self, "cols", _names(self.cols, "cols setting", columns))
        if bool(self.rows) != bool(self.cols):
            raise ValueError(f"{WHERE}: a pivot table needs both rows and cols, got rows={self.rows}, "
                             f"cols={self.cols}")
        set_(self, "metric", check_choice(self.metric, "metric", WHERE, METRICS))
        if self.facet is not None:
            set_(self, "facet", check_choice(self.facet, "facet setting", WHERE, columns))
        set_(self, "formats", _names(self.formats, "figure format", FORMATS) or ("png",))
        set_(self, "dpi", check_positive_int(self.dpi, "dpi", WHERE))

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> ReportOptions:
        """From keyword options; an unknown key raises ValueError listing the valid ones."""
        unknown = [k for k in options if k not in cls.keys()]
        if unknown:
            raise ValueError(f"{WHERE}: unknown option {unknown[0]!r}; valid report options are: "
                             f"{', '.join(cls.keys())}")
        return cls(**{k: v for k, v in options.items() if v is not None})


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def mean_std(values: Iterable[Any]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (ddof=1) of the finite values; (None, None) without any,
    std None for one value."""
    xs = [float(v) for v in values if is_number(v)]
    if not xs:
        return None, None
    mean = math.fsum(xs) / len(xs)
    if len(xs) < 2:
        return mean, None
    return mean, math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def t_quantile(n: int) -> float:
    """t_{0.975, n−1}: the two-sided 95 % quantile of Student's t with n − 1 degrees of freedom."""
    from scipy.stats import t
    return float(t.ppf(0.975, n - 1))


def mean_std_ci(values: Iterable[Any]) -> tuple[float | None, float | None, float | None]:
    """Mean, std (ddof=1) and the 95 % CI half-width t_{0.975, n−1}·std/√n of the finite values."""
    xs = [float(v) for v in values if is_number(v)]
    mean, std = mean_std(xs)
    ci = None if std is None else t_quantile(len(xs)) * std / math.sqrt(len(xs))
    return mean, std, ci


def _layer_percent(row: Mapping[str, Any], metric: str) -> float | None:
    fractions = [v for k, v in row.items() if k.startswith(metric + "/") and is_number(v)]
    return 100.0 * math.fsum(fractions) / len(fractions) if fractions else None


def run_outcome(rows: Sequence[Mapping[str, Any]], select: str, target: float) -> dict[str, Any]:
    """One run's numbers (rows sorted by epoch): status, the selected epoch and its metrics."""
    last = rows[-1]
    status = "failed" if last.get("failed") else "diverged" if last.get("diverged") else "finished"
    out: dict[str, Any] = {"status": status, "seed": last.get("seed"),
                           "diverged_epoch": last.get("diverged_epoch") if status == "diverged" else None,
                           "epochs_to_target": next((int(r["epoch"]) for r in rows if is_number(r.get("val_accuracy"))
                                                     and r["val_accuracy"] >= target), None)}
    if status != "finished":
        return out
    chosen = last
    if select == "best-val":
        best = -math.inf
        for r in rows:
            if is_number(r.get("val_accuracy")) and r["val_accuracy"] > best:
                best, chosen = r["val_accuracy"], r
        if chosen.get("test_accuracy") is None:           # a run stored before best-val testing
            chosen = last
    out.update(epoch=chosen.get("epoch"), val_accuracy=chosen.get("val_accuracy"),
               test_accuracy=chosen.get("test_accuracy"), train_loss=last.get("train_loss"),
               dead_percent=_layer_percent(last, "dead_fraction"),
               numerically_dead_percent=_layer_percent(last, "numerically_dead_fraction"))
    return out


def group_key(row: Mapping[str, Any], keys: Sequence[str]) -> tuple:
    return tuple(row.get(k) for k in keys)


def summarize(runs: Sequence[Sequence[Mapping[str, Any]]], keys: Sequence[str], select: str, target: float,
              vs: str | None = None) -> list[dict[str, Any]]:
    """One entry per setting (``keys``: the settings but the seed), ranked (see the module docstring)."""
    groups: dict[tuple, list[Sequence[Mapping[str, Any]]]] = {}
    for run in runs:
        groups.setdefault(group_key(run[0], keys), []).append(run)
    summary = []
    for key, members in groups.items():
        outcomes = [run_outcome(run, select, target) for run in members]
        done = [o for o in outcomes if o["status"] == "finished"]
        entry: dict[str, Any] = dict(zip(keys, key, strict=True))
        entry["method"] = members[0][0].get("method")
        entry.update(seeds=[o["seed"] for o in outcomes], runs=len(outcomes),
                     diverged=sum(o["status"] == "diverged" for o in outcomes),
                     failed=sum(o["status"] == "failed" for o in outcomes),
                     diverged_epochs=[o["diverged_epoch"] for o in outcomes if o["status"] == "diverged"],
                     reached=sum(o["epochs_to_target"] is not None for o in outcomes),
                     test_finite=sum(is_number(o.get("test_accuracy")) for o in done),
                     outcomes=outcomes)
        for stat in STATS:
            source = outcomes if stat == "epochs_to_target" else done
            entry[f"{stat}_mean"], entry[f"{stat}_std"], entry[f"{stat}_ci"] = mean_std_ci(
                o.get(stat) for o in source)
        summary.append(entry)
    datasets = list(dict.fromkeys(e.get("dataset") for e in summary))

    def rank(e: dict[str, Any]) -> tuple[int, int, float]:
        acc = e["val_accuracy_mean"]
        unstable = 2 if acc is None else int(e["diverged"] + e["failed"] > 0)
        return datasets.index(e.get("dataset")), unstable, (-acc if acc is not None else math.inf)

    summary.sort(key=rank)                                   # stable: ties keep grid order
    if vs is not None:
        paired_tests(summary, keys, vs)
    return summary


def _reference_field(summary: Sequence[Mapping[str, Any]], keys: Sequence[str], vs: str) -> str:
    for name in ("method", *keys):
        if any(str(e.get(name)) == vs for e in summary):
            return name
    values = sorted({str(e.get(k)) for e in summary for k in ("method", *keys)})
    raise ValueError(f"{WHERE}: vs {vs!r} is not a value of any setting; expected one of {values}")


def paired_tests(summary: list[dict[str, Any]], keys: Sequence[str], vs: str) -> None:
    """Add ``vs``, ``p_wilcoxon`` and ``p_ttest`` to every entry (see the module docstring)."""
    name = _reference_field(summary, keys, vs)
    ignore = {name, *(METHOD_PARTS if name == "method" else ("method",))}
    refs = [e for e in summary if str(e.get(name)) == vs]
    same = [k for k in keys if k not in ignore and len({r.get(k) for r in refs}) > 1]
    references = {group_key(e, same): e for e in refs}
    for e in summary:
        ref = references.get(group_key(e, same))
        e["vs"] = None if ref is None else f"{name}={vs}"
        e["p_wilcoxon"] = e["p_ttest"] = None
        if ref is None or ref is e:
            continue
        mine = {o["seed"]: o.get("test_accuracy") for o in e["outcomes"]}
        pairs = [(mine[o["seed"]], o.get("test_accuracy")) for o in ref["outcomes"]
                 if is_number(mine.get(o["seed"])) and is_number(o.get("test_accuracy"))]
        e["p_wilcoxon"], e["p_ttest"] = paired_p_values(pairs)


def paired_p_values(pairs: Sequence[tuple[float, float]]) -> tuple[float | None, float | None]:
    """(Wilcoxon signed-rank p, paired t-test p), two-sided; 1.0 when all pairs are equal; None below 2 pairs."""
    if len(pairs) < 2:
        return None, None
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    if all(x == y for x, y in pairs):
        return 1.0, 1.0
    from scipy.stats import ttest_rel, wilcoxon
    p_w = float(wilcoxon(a, b).pvalue)
    p_t = float(ttest_rel(a, b).pvalue) if len({x - y for x, y in pairs}) > 1 else 0.0
    return p_w, p_t


def pivot(summary: Sequence[Mapping[str, Any]], rows: Sequence[str], cols: Sequence[str],
          metric: str) -> tuple[list[tuple], list[tuple], dict[tuple[tuple, tuple], tuple]]:
    """A two-way table of ``metric``: (row keys, column keys, {(row, col): (mean, std, n)}) over the runs
    of the entries in each cell (settings not in ``rows``/``cols`` pooled)."""
    cells: dict[tuple[tuple, tuple], list[Any]] = {}
    for e in summary:
        r, c = group_key(e, rows), group_key(e, cols)
        source = e["outcomes"] if metric == "epochs_to_target" else [
            o for o in e["outcomes"] if o["status"] == "finished"]
        cells.setdefault((r, c), []).extend(o.get(metric) for o in source)
    row_keys = list(dict.fromkeys(r for r, _ in cells))
    col_keys = list(dict.fromkeys(c for _, c in cells))
    stats = {k: (*mean_std(v), sum(is_number(x) for x in v)) for k, v in cells.items()}
    return row_keys, col_keys, stats


