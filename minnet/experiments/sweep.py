"""``compare``: run a grid of settings over seeds, in parallel if asked, resuming what is already done.

The sweep, step by step:

1. check every option (:class:`~minnet.experiments.config.ExperimentConfig`) — a bad value
   raises ValueError before anything runs;
2. give every run an id (a hash of its settings and data options) and, with an output folder,
   load the runs already finished there (``runs/<id>.json``): they are not run again;
3. load and split each data set once (:func:`~minnet.experiments.prepare.prepare_data`);
4. train the remaining runs — one after the other with ``jobs=1``, else through
   ``joblib.Parallel(n_jobs=jobs)``, which uses whatever joblib backend is active (processes
   by default; Dask or Ray inside ``joblib.parallel_backend("dask")`` / ``("ray")``);
   each finished run is written to disk at once;
5. collect every run's rows in grid order (so results do not depend on ``jobs`` or on which
   runs were resumed) into a :class:`~minnet.experiments.results.ResultTable`, and write
   ``results.csv``, ``summary.md`` and the plots.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from tqdm.auto import tqdm

from minnet.experiments.config import GRID_FIELDS, RUNTIME_KEYS, ExperimentConfig, config_kwargs, read_toml, run_id
from minnet.experiments.prepare import PreparedData, prepare_data
from minnet.experiments.results import ResultTable
from minnet.experiments.runner import run_one
from minnet.experiments.store import library_versions, load_run, save_run, write_json_atomic, write_text_atomic

#: Folder under which ``minnet compare`` puts its output when no ``--out`` is given.
DEFAULT_ROOT = "minnet-runs"


@dataclass
class SweepPlan:
    """The runs of a config: settings and ids in grid order, and the runs already finished in ``out``."""

    config: ExperimentConfig
    settings: list[dict[str, Any]]
    run_ids: list[str]
    finished: dict[str, dict[str, Any]]
    out: Path | None

    @property
    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """(run id, setting) of every run still to do, in grid order."""
        return [(rid, s) for rid, s in zip(self.run_ids, self.settings, strict=True) if rid not in self.finished]


def make_config(config: ExperimentConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
                **options: Any) -> tuple[ExperimentConfig, dict[str, Any]]:
    """An :class:`ExperimentConfig` from a config (object, mapping or TOML path) and overriding options.

    Options that are None are not given. Returns the config and the runtime options
    (``out``, ``jobs``, ``plots``, ``progress``) found in a mapping or TOML file.
    """
    if isinstance(config, (str, os.PathLike)):
        config = read_toml(config)
    if isinstance(config, ExperimentConfig):
        base, runtime = config.to_dict(), {}
    elif config is None:
        base, runtime = {}, {}
    elif isinstance(config, Mapping):
        base = config_kwargs(config)
        runtime = {k: v for k, v in config.items() if k in RUNTIME_KEYS}
    else:
        raise TypeError(f"compare: config must be an ExperimentConfig, a dict or a TOML file path, "
                        f"got {type(config).__name__}")
    base.update(config_kwargs({k: v for k, v in options.items() if v is not None}))
    return ExperimentConfig(**base), runtime


def default_out(config: ExperimentConfig, root: str | os.PathLike[str] = DEFAULT_ROOT) -> Path:
    """A folder name that depends only on the config: ``<root>/compare-<datasets>-<hash>``.

    Running the same command again therefore reuses the folder and skips the finished runs.
    """
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()[:8]
    return Path(root) / f"compare-{'-'.join(config.datasets)}-{digest}"


def plan(config: ExperimentConfig, out: str | os.PathLike[str] | None = None) -> SweepPlan:
    """The runs of ``config`` and which of them are already finished in ``out`` (None: nothing is)."""
    settings = config.settings()
    data_options = config.data_options()
    ids = [run_id(s, data_options) for s in settings]
    finished: dict[str, dict[str, Any]] = {}
    if out is not None:
        for rid, s in zip(ids, settings, strict=True):
            stored = load_run(out, rid, s, data_options)
            if stored is not None:
                finished[rid] = stored
    return SweepPlan(config, settings, ids, finished, None if out is None else Path(out))


def _parallel_results(tasks: list[tuple[Callable, tuple]], jobs: int | None) -> Iterable[dict[str, Any]]:
    """Run ``fn(*args)`` for each task through ``joblib.Parallel(n_jobs=jobs)``, yielding results as they finish."""
    from joblib import Parallel, delayed

    calls = [delayed(fn)(*args) for fn, args in tasks]
    for return_as in ("generator_unordered", "generator"):          # joblib ≥ 1.4, ≥ 1.3
        try:
            return Parallel(n_jobs=jobs, return_as=return_as)(calls)
        except (TypeError, ValueError):
            continue
    return Parallel(n_jobs=jobs)(calls)                               # older joblib: all at the end


def _label(setting: Mapping[str, Any], keys: list[str]) -> str:
    return " ".join(f"{setting[k]}" if isinstance(setting[k], str) else f"{k}={setting[k]}" for k in keys)


def _run_all(plan_: SweepPlan, data: dict[str, PreparedData], jobs: int | None,
             progress: bool) -> Iterator[dict[str, Any]]:
    """Yield the result of every pending run as it finishes (serially, with nested bars, or through joblib)."""
    pending = plan_.pending
    varying = [GRID_FIELDS[f] for f in GRID_FIELDS if len(getattr(plan_.config, f)) > 1] or ["activation"]
    bar = tqdm(total=len(plan_.settings), initial=len(plan_.settings) - len(pending), desc="runs", unit="run",
               position=0, disable=not progress, dynamic_ncols=True)
    try:
        if jobs == 1:
            for rid, s in pending:
                bar.set_postfix_str(_label(s, varying), refresh=True)
                yield run_one(s, data[s["dataset"]], rid, progress=_label(s, varying) if progress else False)
                bar.update(1)
        else:
            tasks = [(run_one, (s, data[s["dataset"]], rid)) for rid, s in pending]
            for result in _parallel_results(tasks, jobs):
                bar.set_postfix_str(_label(result["setting"], varying), refresh=False)
                bar.update(1)
                yield result
    finally:
        bar.close()


def _check_runtime(out: Any, jobs: Any, plots: Any, progress: Any) -> None:
    if isinstance(jobs, bool) or (jobs is not None and (not isinstance(jobs, int) or jobs == 0)):
        raise ValueError(f"compare: jobs must be a non-zero integer (-1 = all cores) or None, got {jobs!r}")
    for name, value in (("plots", plots), ("progress", progress)):
        if not isinstance(value, bool):
            raise ValueError(f"compare: {name} must be True or False, got {value!r}")
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise ValueError(f"compare: out must be a folder path or None, got {out!r}")


def compare(activations: Iterable[str] | str | None = None, *, datasets: Iterable[str] | str | None = None,
            inits: Iterable[str] | str | None = None, dropouts: Iterable[str] | str | None = None,
            dropout_rates: Iterable[float] | float | None = None, depths: Iterable[int] | int | None = None,
            widths: Iterable[int] | int | None = None, optimizers: Iterable[str] | str | None = None,
            lrs: Iterable[float] | float | None = None, weight_decays: Iterable[float] | float | None = None,
            batch_sizes: Iterable[int] | int | None = None, epochs: Iterable[int] | int | None = None,
            seeds: Iterable[int] | int | None = None, target_accuracy: float | None = None,
            val_size: float | None = None, test_size: float | None = None, split_seed: int | None = None,
            max_samples: int | None = None, probe_size: int | None = None,
            config: ExperimentConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
            out: str | os.PathLike[str] | None = None, jobs: int | None = None, progress: bool = True,
            plots: bool = True) -> ResultTable:
    """Train one MLP per setting of a grid and seed; return the results as a :class:`ResultTable`.

    Every grid argument takes one value or a list; the grid is their Cartesian product
    (see :class:`~minnet.experiments.config.ExperimentConfig` for each field and its default;
    None = the default, or the value in ``config``). With no arguments: ReLU, LeakyReLU, PReLU,
    ELU and SELU, each with its customary initializer, 8 hidden layers of 128 units, Adam
    (lr 1e-3), 20 epochs, batch 64, on digits, seeds 0, 1, 2.

    Each run trains ``mlp(n_features, n_classes, hidden=[width] * depth, activation, init,
    dropout, dropout_rate, seed=seed)`` with cross-entropy on a stratified training part of the
    data set (standardised with the training part's statistics), records the training and
    validation loss and accuracy, dead units and activation statistics per hidden layer after
    every epoch, and the test loss and accuracy after the last one (see
    :mod:`minnet.experiments.runner`).

    Parameters beyond the grid
    --------------------------
    config : an ExperimentConfig, a dict, or the path of a TOML file with the same keys
        (explicit arguments override it; the file may also set ``out``, ``jobs``, ``plots``).
    out : output folder (None: nothing is written). Finished runs are stored there one by one;
        running again with the same folder skips them (an interrupted sweep resumes).
        Also written: ``config.json``, ``results.csv``, ``summary.md`` and, with matplotlib, plots.
    jobs : 1 (default) runs in this process, with nested progress bars; any other value runs
        the settings through ``joblib.Parallel(n_jobs=jobs)`` (-1: all cores) with the active
        joblib backend, e.g. inside ``with joblib.parallel_backend("dask"):``. Results are
        identical to a serial sweep (only the ``seconds`` column differs).
    progress : show tqdm bars over runs and, with ``jobs=1``, over each run's epochs.
    plots : with ``out``, draw the PNG plots (skipped with a warning when matplotlib is missing).

    Raises ValueError (naming the bad value and the valid ones) before any run starts.
    A run whose loss becomes NaN or infinite is recorded as diverged and the sweep goes on.
    """
    cfg, runtime = make_config(
        config, datasets=datasets, activations=activations, inits=inits, dropouts=dropouts,
        dropout_rates=dropout_rates, depths=depths, widths=widths, optimizers=optimizers, lrs=lrs,
        weight_decays=weight_decays, batch_sizes=batch_sizes, epochs=epochs, seeds=seeds,
        target_accuracy=target_accuracy, val_size=val_size, test_size=test_size, split_seed=split_seed,
        max_samples=max_samples, probe_size=probe_size)
    out = runtime.get("out") if out is None else out
    jobs = runtime.get("jobs", 1) if jobs is None else jobs
    _check_runtime(out, jobs, plots, progress)
    return run_sweep(cfg, out=out, jobs=jobs, progress=progress, plots=plots)


def run_sweep(config: ExperimentConfig, out: str | os.PathLike[str] | None = None, jobs: int | None = 1,
              progress: bool = True, plots: bool = True, command: list[str] | None = None) -> ResultTable:
    """:func:`compare` for a ready :class:`ExperimentConfig` (``command`` is recorded in config.json)."""
    _check_runtime(out, jobs, plots, progress)
    plan_ = plan(config, out)
    data_options = config.data_options()
    needed = dict.fromkeys(s["dataset"] for _, s in plan_.pending)
    data = {name: prepare_data(name, **data_options) for name in needed}        # data errors before any run
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        write_json_atomic(Path(out) / "config.json", {
            "config": config.to_dict(), "data_options": data_options, "jobs": jobs,
            "command": command, "versions": library_versions(),
            "runs": [{"run_id": rid, **s} for rid, s in zip(plan_.run_ids, plan_.settings, strict=True)],
        })
    results = dict(plan_.finished)
    for result in _run_all(plan_, data, jobs, progress):
        if out is not None:
            save_run(out, result, data_options)
        results[result["run_id"]] = result
    rows = [row for rid in plan_.run_ids for row in results[rid]["rows"]]
    table = ResultTable(rows, target_accuracy=config.target_accuracy, out=out)
    table.skipped, table.computed = len(plan_.finished), len(plan_.pending)
    if out is not None:
        table.to_csv(Path(out) / "results.csv")
        write_text_atomic(Path(out) / "summary.md", "# minnet compare\n\n" + table.to_markdown())
        if plots:
            try:
                table.plot_files = table.plot(out)
            except ImportError as err:
                warnings.warn(str(err), stacklevel=2)
    return table
