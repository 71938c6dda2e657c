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
   runs were resumed) — after the runs of earlier sweeps into the same folder, which stay
   part of it — into a :class:`~minnet.experiments.results.ResultTable`, and write
   ``results.csv``, the plots and the summaries (:mod:`~minnet.experiments.exports`).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from tqdm.auto import tqdm

from minnet.experiments.cluster import check_scheduler, cluster_results, connect
from minnet.experiments.config import RUNTIME_KEYS, SETTING_KEYS, ExperimentConfig, config_kwargs, read_toml, run_id
from minnet.experiments.exports import write_reports
from minnet.experiments.grid import method_label
from minnet.experiments.prepare import PreparedData, check_user_data, fingerprint, prepare_data
from minnet.experiments.results import ResultTable
from minnet.experiments.runner import run_one
from minnet.experiments.store import (
    check_folder,
    folder_run_ids,
    library_versions,
    load_run,
    save_run,
    write_json_atomic,
)
from minnet.experiments.summary import ReportOptions
from minnet.experiments.workers import run_in_worker
from minnet.validation import normalize_name

#: Folder under which ``minnet compare`` puts its output when no ``--out`` is given.
DEFAULT_ROOT = "minnet-runs"


@dataclass
class SweepPlan:
    """The runs of a config: settings and ids in grid order, the runs already finished in ``out``,
    and the run files found there that are not finished runs (id → why; they are run again)."""

    config: ExperimentConfig
    settings: list[dict[str, Any]]
    run_ids: list[str]
    finished: dict[str, dict[str, Any]]
    out: Path | None
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """(run id, setting) of every run still to do, in grid order."""
        return [(rid, s) for rid, s in zip(self.run_ids, self.settings, strict=True) if rid not in self.finished]


def make_config(config: ExperimentConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
                **options: Any) -> tuple[ExperimentConfig, dict[str, Any]]:
    """An :class:`ExperimentConfig` from a config (object, mapping or TOML path) and overriding options.

    Options that are None are not given. Returns the config and the runtime options
    (:data:`~minnet.experiments.grid.RUNTIME_KEYS`) found in a mapping or TOML file.
    """
    fingerprints = options.pop("data_fingerprints", None)
    if isinstance(config, (str, os.PathLike)):
        config = read_toml(config)
    runtime: dict[str, Any]
    if isinstance(config, ExperimentConfig):
        base, runtime = {f.name: getattr(config, f.name) for f in fields(config) if f.init}, {}
    elif config is None:
        base, runtime = {}, {}
    elif isinstance(config, Mapping):
        base = config_kwargs(config)
        runtime = {k: v for k, v in config.items() if k in RUNTIME_KEYS}
    else:
        raise TypeError(f"compare: config must be an ExperimentConfig, a dict or a TOML file path, "
                        f"got {type(config).__name__}")
    base.update(config_kwargs({k: v for k, v in options.items() if v is not None}))
    if fingerprints:
        base["data_fingerprints"] = fingerprints
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
    rejected: dict[str, str] = {}
    if out is not None:
        for rid, s in zip(ids, settings, strict=True):
            stored, problem = load_run(out, rid, s, data_options)
            if stored is not None:
                finished[rid] = stored
            elif problem is not None:
                rejected[rid] = problem
    return SweepPlan(config, settings, ids, finished, None if out is None else Path(out), rejected)


def _parallel_results(tasks: list[tuple[Callable, tuple]], jobs: int | None) -> Iterable[dict[str, Any]]:
    """Run ``fn(*args)`` for each task through ``joblib.Parallel(n_jobs=jobs)``, yielding results as they finish.

    Each task goes through :func:`~minnet.experiments.workers.run_in_worker`, so local worker
    processes exit soon after this process dies.
    """
    from joblib import Parallel, delayed

    parent = os.getpid()
    calls = [delayed(run_in_worker)(parent, fn, *args) for fn, args in tasks]
    for return_as in ("generator_unordered", "generator"):          # joblib ≥ 1.4, ≥ 1.3
        try:
            return Parallel(n_jobs=jobs, return_as=return_as)(calls)
        except (TypeError, ValueError):
            continue
    return Parallel(n_jobs=jobs)(calls)                               # older joblib: all at the end


def _label(setting: Mapping[str, Any], keys: list[str]) -> str:
    return " ".join(f"{setting[k]}" if isinstance(setting[k], str) else f"{k}={setting[k]}" for k in keys)


def _cluster_runs(pending: list[tuple[str, dict[str, Any]]], data: dict[str, PreparedData], factory: Any,
                  scheduler: str) -> Iterator[dict[str, Any]]:
    """Yield every pending run's result from a Dask cluster as it arrives (:mod:`minnet.experiments.cluster`)."""
    with connect(scheduler) as client:
        yield from cluster_results(run_one, pending, data, client, extra=(False, factory))


def _run_all(plan_: SweepPlan, data: dict[str, PreparedData], jobs: int | None,
             progress: bool, scheduler: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the result of every pending run as it finishes (serially, with nested bars, through joblib, or on a
    Dask cluster)."""
    pending = plan_.pending
    factory = plan_.config.model if callable(plan_.config.model) else None
    varying = [k for k in SETTING_KEYS if k != "seed" and len({s[k] for s in plan_.settings}) > 1] or ["activation"]
    bar = tqdm(total=len(plan_.settings), initial=len(plan_.settings) - len(pending), desc="runs", unit="run",
               position=0, disable=not progress, dynamic_ncols=True)
    try:
        if scheduler is not None:
            for result in _cluster_runs(pending, data, factory, scheduler):
                bar.set_postfix_str(_label(result["setting"], varying), refresh=False)
                bar.update(1)
                yield result
        elif jobs == 1:
            for rid, s in pending:
                bar.set_postfix_str(_label(s, varying), refresh=True)
                yield run_one(s, data[s["dataset"]], rid, progress=_label(s, varying) if progress else False,
                              factory=factory)
                bar.update(1)
        else:
            tasks = [(run_one, (s, data[s["dataset"]], rid, False, factory)) for rid, s in pending]
            for result in _parallel_results(tasks, jobs):
                bar.set_postfix_str(_label(result["setting"], varying), refresh=False)
                bar.update(1)
                yield result
    finally:
        bar.close()


def check_runtime(out: Any, jobs: Any, plots: Any, progress: Any) -> None:
    """Refuse bad runtime options (ValueError naming the option): out, jobs, plots, progress."""
    if isinstance(jobs, bool) or (jobs is not None and (not isinstance(jobs, int) or jobs == 0)):
        raise ValueError(f"compare: jobs must be a non-zero integer (-1 = all cores) or None, got {jobs!r}")
    for name, value in (("plots", plots), ("progress", progress)):
        if not isinstance(value, bool):
            raise ValueError(f"compare: {name} must be true or false, got {value!r}")
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise ValueError(f"compare: out must be a folder path, got {out!r}")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"compare: out {os.fspath(out)!r} is a file, not a folder; name a folder")


def user_data(data: Any) -> dict[str, tuple[Any, Any]]:
    """``data=(X, y)`` → ``{"data": (X, y)}``; a dict of name → (X, y) is checked and kept."""
    if data is None:
        return {}
    if isinstance(data, Mapping):
        named = {normalize_name(k): v for k, v in data.items()}
    else:
        named = {"data": data}
    if not named:
        raise ValueError("compare: data is an empty dict; give name → (X, y)")
    return {name: check_user_data(name, pair) for name, pair in named.items()}


def compare(activations: Iterable[str] | str | None = None, *, datasets: Iterable[str] | str | None = None,
            norms: Iterable[str] | str | None = None, norm_positions: Iterable[str] | str | None = None,
            inits: Iterable[str] | str | None = None, dropouts: Iterable[str] | str | None = None,
            dropout_rates: Iterable[float] | float | None = None, depths: Iterable[int] | int | None = None,
            widths: Iterable[int] | int | None = None, channels: Iterable[Any] | str | None = None,
            kernel_sizes: Iterable[int] | int | None = None, pools: Iterable[str] | str | None = None,
            optimizers: Iterable[str] | str | None = None, lrs: Iterable[float] | float | None = None,
            weight_decays: Iterable[float] | float | None = None, batch_sizes: Iterable[int] | int | None = None,
            epochs: Iterable[int] | int | None = None, seeds: Iterable[int] | int | None = None,
            model: str | Callable[..., Any] | None = None, data: Any = None,
            sweeps: Iterable[Mapping[str, Any]] | None = None, exclude: Any = None, only: Any = None,
            target_accuracy: float | None = None, val_size: float | None = None, test_size: float | None = None,
            split_seed: int | None = None, max_samples: int | None = None, probe_size: int | None = None,
            config: ExperimentConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
            out: str | os.PathLike[str] | None = None, jobs: int | None = None, progress: bool = True,
            plots: bool = True, select: str | None = None, vs: str | None = None, scheduler: str | None = None,
            **report: Any) -> ResultTable:
    """Train one network per setting of a grid and seed; return the results as a :class:`ResultTable`.

    Every grid argument takes one value or a list; the grid is their Cartesian product, or the
    union of the partial grids in ``sweeps``, minus ``exclude`` (see
    :class:`~minnet.experiments.config.ExperimentConfig` for each field and its default;
    None = the default, or the value in ``config``). With no arguments: ReLU, LeakyReLU, PReLU,
    ELU and SELU, each with its customary initializer, 8 hidden layers of 128 units, Adam
    (lr 1e-3), 20 epochs, batch 64, on digits, seeds 0, 1, 2.

    Each run trains the setting's network (:mod:`minnet.experiments.models`: ``model="mlp"``,
    ``"cnn"`` or a callable ``model(setting, n_inputs, n_outputs, rng) -> Sequential``) with
    cross-entropy on a stratified training part of the data set (standardised with the training
    part's statistics), records the training and validation loss and accuracy and per-layer
    diagnostics after every epoch, and the test loss and accuracy (see :mod:`minnet.experiments.runner`).

    Parameters beyond the grid
    --------------------------
    data : your own data, ``(X, y)`` (named "data") or ``{"name": (X, y), ...}``; the data sets
        of the grid default to these names.
    config : an ExperimentConfig, a dict, or the path of a TOML file with the same keys
        (explicit arguments override it; the file may also set the runtime options below).
    out : output folder (None: nothing is written). Finished runs are stored there one by one;
        running again with the same folder skips them (an interrupted sweep resumes), and a
        second sweep into it adds its runs: the folder's results and reports cover every
        finished run written there. Also written: ``config.json``, ``results.csv``, the
        summaries (``summary.md/.csv/.tex``, ``report.html``) and, with matplotlib, plots.
    jobs : 1 (default) runs in this process, with nested progress bars; any other value runs
        the settings through ``joblib.Parallel(n_jobs=jobs)`` (-1: all cores) with the active
        joblib backend, e.g. inside ``with joblib.parallel_backend("dask"):``. Results are
        identical to a serial sweep (only the ``seconds`` column differs).
    scheduler : run the runs on a Dask distributed cluster instead: a scheduler address
        (``"tcp://host:8786"``) or ``"local"`` for a LocalCluster on this machine (the ``cluster``
        extra). The data are scattered to the workers once; each finished run is written here as it
        arrives; results are identical to a serial sweep (see :mod:`minnet.experiments.cluster`).
    progress : show tqdm bars over runs and, with ``jobs=1``, over each run's epochs.
    plots : with ``out``, draw the plots (skipped with a warning when matplotlib is missing).
    select, vs, and ``rows``, ``cols``, ``metric``, ``facet``, ``formats``, ``dpi`` : how the
        summary and the figures are made (:class:`~minnet.experiments.summary.ReportOptions`).

    Raises ValueError or TypeError (naming the bad value and the valid ones) before any run
    starts. A run whose loss diverges is recorded as diverged and the sweep goes on.
    """
    own = user_data(data)
    cfg, runtime = make_config(
        config, datasets=datasets if datasets is not None or not own else list(own), activations=activations,
        norms=norms, norm_positions=norm_positions, inits=inits, dropouts=dropouts, dropout_rates=dropout_rates,
        depths=depths, widths=widths, channels=channels, kernel_sizes=kernel_sizes, pools=pools,
        optimizers=optimizers, lrs=lrs, weight_decays=weight_decays, batch_sizes=batch_sizes, epochs=epochs,
        seeds=seeds, model=model, sweeps=sweeps, exclude=exclude, only=only, target_accuracy=target_accuracy,
        val_size=val_size, test_size=test_size, split_seed=split_seed, max_samples=max_samples,
        probe_size=probe_size,
        data_fingerprints=tuple((name, fingerprint(*pair)) for name, pair in own.items()) or None)
    out = runtime.get("out") if out is None else out
    jobs = runtime.get("jobs", 1) if jobs is None else jobs
    options = ReportOptions.from_mapping({**{k: v for k, v in runtime.items() if k in ReportOptions.keys()},
                                          **({"select": select} if select is not None else {}),
                                          **({"vs": vs} if vs is not None else {}), **report})
    check_runtime(out, jobs, plots, progress)
    return run_sweep(cfg, out=out, jobs=jobs, progress=progress, plots=plots, report=options, data=own,
                     scheduler=scheduler)


def _record_sweep(out: Path, config: ExperimentConfig, plan_: SweepPlan, stored: dict[str, Any] | None,
                  jobs: int | None, command: list[str] | None) -> None:
    sweeps = list((stored or {}).get("sweeps", []))
    if sweeps and sweeps[-1].get("config") == config.to_dict():
        sweeps.pop()                                        # the same sweep again (a resume): recorded once
    sweeps.append({"config": config.to_dict(), "jobs": jobs, "command": command, "versions": library_versions(),
                   "runs": [{"run_id": rid, **s} for rid, s in zip(plan_.run_ids, plan_.settings, strict=True)]})
    write_json_atomic(out / "config.json", {"data_options": config.data_options(), "sweeps": sweeps})


def _folder_results(out: Path, stored: dict[str, Any] | None, data_options: Mapping[str, Any],
                    known: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The finished runs of earlier sweeps into ``out`` that are not among ``known``."""
    extra = {}
    for rid in folder_run_ids(stored):
        if rid not in set(known):
            run, _ = load_run(out, rid, None, data_options)
            if run is not None:
                extra[rid] = run
    return extra


def run_sweep(config: ExperimentConfig, out: str | os.PathLike[str] | None = None, jobs: int | None = 1,
              progress: bool = True, plots: bool = True, command: list[str] | None = None,
              report: ReportOptions | None = None, data: Mapping[str, tuple[Any, Any]] | None = None,
              scheduler: str | None = None) -> ResultTable:
    """:func:`compare` for a ready :class:`ExperimentConfig` (``command`` is recorded in config.json).

    When every run is already finished in ``out`` and the folder cannot be written (read-only),
    the results are returned without writing (``table.written`` is False).
    """
    check_runtime(out, jobs, plots, progress)
    scheduler = check_scheduler(scheduler)
    report = report or ReportOptions()
    data_options = config.data_options()
    stored = check_folder(out, data_options) if out is not None else None
    plan_ = plan(config, out)
    _check_vs(report.vs, [*plan_.settings, *(r for sw in (stored or {}).get("sweeps", []) for r in sw.get("runs", []))])
    if plan_.rejected:
        warnings.warn(f"{len(plan_.rejected)} run file(s) are not finished runs of this minnet version and are run "
                      f"again: {'; '.join(list(plan_.rejected.values())[:3])}", stacklevel=2)
    needed = dict.fromkeys(s["dataset"] for _, s in plan_.pending)
    own = dict(data or {})
    prepared = {name: prepare_data(name, **data_options, data=own.get(name)) for name in needed}
    writable = out is not None and (bool(plan_.pending) or _writable(Path(out)))
    if writable:
        assert out is not None
        Path(out).mkdir(parents=True, exist_ok=True)
        _record_sweep(Path(out), config, plan_, stored, jobs, command)
    results = dict(plan_.finished)
    for result in _run_all(plan_, prepared, jobs, progress, scheduler):
        if out is not None and not result.get("failed"):
            save_run(out, result, data_options)
        results[result["run_id"]] = result
    if out is not None:
        results.update(_folder_results(Path(out), stored, data_options, results))
    order = [*folder_run_ids(stored), *plan_.run_ids]
    rows = [row for rid in dict.fromkeys(order) if rid in results for row in results[rid]["rows"]]
    table = ResultTable(rows, target_accuracy=config.target_accuracy, out=out, select=report.select, vs=report.vs)
    table.skipped, table.computed, table.rejected = len(plan_.finished), len(plan_.pending), dict(plan_.rejected)
    table.written = writable
    if writable:
        assert out is not None
        if plots:
            try:
                table.plot_files = table.plot(out, report)
            except ImportError as err:
                warnings.warn(str(err), stacklevel=2)
        table.written_files = write_reports(table, Path(out), report, table.plot_files)
    return table


def _check_vs(vs: str | None, settings: Iterable[Mapping[str, Any]]) -> None:
    """Refuse, before any run, a ``vs`` that is no setting's value nor a method label."""
    if vs is None:
        return
    values = {str(v) for s in settings for k, v in s.items() if k in SETTING_KEYS and k != "seed"}
    values |= {method_label(s) for s in settings if "activation" in s}
    if vs not in values:
        raise ValueError(f"compare: vs {vs!r} is not a value of any setting of this study; expected one of "
                         f"{sorted(values)}")


def _writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (or in the first existing folder above it)."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return os.access(folder, os.W_OK | os.X_OK)
