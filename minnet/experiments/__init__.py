"""Comparisons of activations (and any other setting) over seeds: minnet's main job.

    import minnet as mn
    table = mn.experiments.compare(activations=["relu", "elu", "selu"], seeds=[0, 1, 2], out="runs/act")
    print(table)                 # mean ± std over seeds per setting, best first
    table.rows                   # one dict per run and epoch

The same from the shell: ``minnet compare --activations relu elu selu --out runs/act``.

Modules, one concept each:

- :mod:`~minnet.experiments.grid` — the names: grid fields, setting columns, method labels, TOML files;
- :mod:`~minnet.experiments.config` — the grid of settings and its checks (:class:`ExperimentConfig`);
- :mod:`~minnet.experiments.prepare` — loading, splitting and standardising the data once;
- :mod:`~minnet.experiments.models` — the network of a setting (MLP with normalisation, CNN, your factory);
- :mod:`~minnet.experiments.runner` — one training run and its per-epoch measurements;
- :mod:`~minnet.experiments.store` — the output folder, written atomically, run by run;
- :mod:`~minnet.experiments.workers` — joblib workers that exit when the sweep dies;
- :mod:`~minnet.experiments.sweep` — :func:`compare`: the whole grid, in parallel, resumable;
- :mod:`~minnet.experiments.results` — :class:`ResultTable`: runs, summary, CSV;
- :mod:`~minnet.experiments.summary` — selection on validation, confidence intervals, paired tests, pivots;
- :mod:`~minnet.experiments.exports` — Markdown, CSV, LaTeX and self-contained HTML reports;
- :mod:`~minnet.experiments.plots` — figures (optional matplotlib).
"""

from minnet.experiments.config import (
    DATASETS,
    GRID_FIELDS,
    OPTIMIZERS,
    SETTING_KEYS,
    ExperimentConfig,
    read_toml,
    run_id,
)
from minnet.experiments.grid import method_label
from minnet.experiments.prepare import PreparedData, prepare_data
from minnet.experiments.results import ResultTable
from minnet.experiments.runner import run_one
from minnet.experiments.summary import ReportOptions
from minnet.experiments.sweep import compare, default_out, make_config, plan, run_sweep

__all__ = [
    "DATASETS", "ExperimentConfig", "GRID_FIELDS", "OPTIMIZERS", "PreparedData", "ReportOptions", "ResultTable",
    "SETTING_KEYS", "compare", "default_out", "make_config", "method_label", "plan", "prepare_data", "read_toml",
    "run_id", "run_one", "run_sweep",
]
