"""The names of a comparison's grid: fields, setting columns, runtime keys, method labels, TOML files.

Kept apart from :mod:`~minnet.experiments.config` (which checks values) so that the result
table, the plots and the command can name columns without building a configuration.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping

#: Grid field (plural, as in the Python API and TOML) → the setting it sets (singular, a CSV column).
#: Their order is the order of the columns and of the nested loops of the grid (seed innermost).
GRID_FIELDS: dict[str, str] = {
    "datasets": "dataset", "activations": "activation", "norms": "norm", "norm_positions": "norm_position",
    "inits": "init", "dropouts": "dropout", "dropout_rates": "dropout_rate", "depths": "depth",
    "widths": "width", "channels": "channels", "kernel_sizes": "kernel_size", "pools": "pool",
    "optimizers": "optimizer", "lrs": "lr", "weight_decays": "weight_decay", "batch_sizes": "batch_size",
    "epochs": "epochs", "seeds": "seed",
}

#: The settings of one run, in column order (``model`` is the model family, one per study).
SETTING_KEYS: tuple[str, ...] = ("dataset", "model", *list(GRID_FIELDS.values())[1:])

#: Setting columns whose values are text.
TEXT_SETTINGS = frozenset({"dataset", "model", "activation", "norm", "norm_position", "init", "dropout",
                           "channels", "pool", "optimizer"})

#: Options that are not grid fields and do not change results (accepted in a TOML file too).
RUNTIME_KEYS: tuple[str, ...] = ("out", "jobs", "scheduler", "plots", "progress", "select", "vs", "rows", "cols",
                                 "metric", "facet", "formats", "dpi")

_NORM_TAGS = {"batch": "bn", "layer": "ln"}


def method_label(setting: Mapping[str, Any]) -> str:
    """A short name of a variant for tables and legends: activation, then its additions.

    ``relu``, ``relu+bn`` (BatchNorm before the activation), ``relu+ln-after`` (LayerNorm after
    it), ``selu+alpha0.05`` (AlphaDropout, p = 0.05), ``relu+drop0.2`` (dropout). The
    initializer is not part of it (a column of its own).
    """
    label = str(setting.get("activation"))
    norm = setting.get("norm")
    if norm in _NORM_TAGS:
        label += "+" + _NORM_TAGS[norm] + ("-after" if setting.get("norm_position") == "after" else "")
    dropout = setting.get("dropout")
    if dropout in ("dropout", "alpha"):
        label += f"+{'drop' if dropout == 'dropout' else 'alpha'}{setting.get('dropout_rate'):g}"
    return label


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a sweep description from a TOML file (flat keys, as :class:`ExperimentConfig` fields).

    Uses :mod:`tomllib` (Python ≥ 3.11) or the ``tomli`` package on Python 3.10. Example::

        activations = ["relu", "elu", "selu"]
        depths = [4, 8]
        seeds = [0, 1, 2]
        out = "minnet-runs/depth-sweep"

        [[sweep]]                      # the grid above ...
        [[sweep]]                      # ... plus SELU with AlphaDropout
        activations = "selu"
        dropouts = "alpha"

    A bad file raises ValueError naming it.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:                                                       # pragma: no cover - Python 3.10 only
        try:
            import tomli as tomllib
        except ImportError:
            raise ImportError("reading a TOML config on Python 3.10 needs the 'tomli' package: "
                              "pip install tomli (Python 3.11+ has tomllib built in)") from None
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{os.fspath(path)}: not a valid TOML file: {err}") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"{os.fspath(path)}: not a valid TOML file: {err}") from err
