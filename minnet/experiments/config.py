"""What a comparison runs: the grid of settings, checked before anything starts.

An :class:`ExperimentConfig` holds one tuple of values per *grid field* (``activations``,
``lrs``, ``depths``, ``seeds``, ...) and a few fixed options (the data split, the target
accuracy). :meth:`ExperimentConfig.settings` expands the grid, the Cartesian product of the
tuples in the order of :data:`GRID_FIELDS`, into one plain dict per run, e.g.::

    {"dataset": "digits", "activation": "relu", "init": "he_normal", "dropout": "none",
     "dropout_rate": 0.0, "depth": 4, "width": 128, "optimizer": "adam", "lr": 0.001,
     "weight_decay": 0.0, "batch_size": 64, "epochs": 20, "seed": 0}

Conventions:

- ``init="customary"`` resolves, per activation, to :func:`minnet.nn.models.customary_init`
  (He normal for the ReLU family and ELU, LeCun normal for SELU); aliases such as
  ``kaiming_normal`` resolve to their registry name.
- Dropout kind ``"none"`` has rate 0, and a rate of 0 means kind ``"none"``; with no rate
  given, each kind uses :data:`DEFAULT_DROPOUT_RATE` (0.2 for dropout, 0.05 for alpha
  dropout, the SNN paper's recommendation for SELU). Settings that coincide after this are
  run once.
- Every value is checked at construction; a bad one raises ``ValueError`` naming the field,
  the value and what is valid — before any run starts.

A run is identified by :func:`run_id`, a hash of its settings and of the data options
(split seed, sizes), so an interrupted sweep can skip the runs it already finished.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
import os
import sys
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Mapping

from minnet.data.registry import DATASET_NAMES
from minnet.nn.activations import ACTIVATIONS
from minnet.nn.init import ALIASES as INIT_ALIASES
from minnet.nn.init import INITIALIZERS, initializer_name
from minnet.nn.models import DROPOUT_KINDS, customary_init
from minnet.train.optim import OPTIMIZERS as OPTIMIZER_CLASSES

#: Data sets that :func:`minnet.experiments.compare` can load by name (:func:`minnet.data.load_dataset`).
DATASETS: tuple[str, ...] = DATASET_NAMES

#: Optimizer names accepted by :func:`minnet.train.optim.get_optimizer`.
OPTIMIZERS: tuple[str, ...] = tuple(OPTIMIZER_CLASSES)

#: Drop probability used for a dropout kind when no rate is given.
DEFAULT_DROPOUT_RATE: dict[str, float] = {"none": 0.0, "dropout": 0.2, "alpha": 0.05}

#: Grid field (plural, as in the Python API and TOML) → the setting it sets (singular, a CSV column).
#: Their order is the order of the columns and of the nested loops of the grid (seed innermost).
GRID_FIELDS: dict[str, str] = {
    "datasets": "dataset", "activations": "activation", "inits": "init", "dropouts": "dropout",
    "dropout_rates": "dropout_rate", "depths": "depth", "widths": "width", "optimizers": "optimizer",
    "lrs": "lr", "weight_decays": "weight_decay", "batch_sizes": "batch_size", "epochs": "epochs",
    "seeds": "seed",
}

#: The settings of one run, in column order.
SETTING_KEYS: tuple[str, ...] = tuple(GRID_FIELDS.values())

#: Options that are not grid fields and do not change results (accepted in a TOML file too).
RUNTIME_KEYS: tuple[str, ...] = ("out", "jobs", "plots", "progress")


def _tuple(value: Any) -> tuple:
    """A scalar becomes a 1-tuple; a list/tuple/range a tuple; a string is a scalar."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return (value,)
    return tuple(value)


def _name(value: Any, what: str, valid: Iterable[str]) -> str:
    key = str(value).strip().lower().replace("-", "_")
    valid = tuple(valid)
    if key not in valid:
        raise ValueError(f"ExperimentConfig: unknown {what} {value!r}; valid {what}s are: {', '.join(valid)}")
    return key


def _number(value: Any, what: str, *, integer: bool, low: float, low_open: bool = False,
            high: float = math.inf, high_open: bool = False) -> float | int:
    """``value`` as an int/float inside the range, or a ValueError naming ``what`` and the range."""
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            pass
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
            integer and not isinstance(value, numbers.Integral)):
        raise ValueError(f"ExperimentConfig: {what} must be {kind}, got {value!r}")
    value = int(value) if integer else float(value)
    inside = ((low < value if low_open else low <= value) and (value < high if high_open else value <= high))
    if not inside:                                        # also rejects NaN
        left = "(" if low_open else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"ExperimentConfig: {what} must be {kind} in {left}{low}, {high}{right}, got {value!r}")
    return value


def _init_name(value: Any) -> str:
    key = str(value).strip().lower()
    if key in ("customary", "auto"):
        return "customary"
    valid = ("customary", *INITIALIZERS, *INIT_ALIASES)
    if key not in valid:
        raise ValueError(f"ExperimentConfig: unknown initializer {value!r}; valid initializers are: "
                         f"{', '.join(valid)}")
    return initializer_name(key)


@dataclass(frozen=True)
class ExperimentConfig:
    """A grid of training runs and the options shared by all of them.

    Grid fields — each a tuple (a scalar is accepted and wrapped); the defaults are what
    ``minnet compare`` runs with no options:

    - ``datasets``: names from :data:`DATASETS` — ``("digits",)``
    - ``activations``: names from :data:`minnet.nn.activations.ACTIVATIONS` —
      ``("relu", "leaky_relu", "prelu", "elu", "selu")``
    - ``inits``: initializer names (:data:`minnet.nn.init.INITIALIZERS`, aliases ``kaiming_*``,
      ``xavier_*``) or ``"customary"`` — ``("customary",)``
    - ``dropouts``: ``"none"``, ``"dropout"`` (inverted) or ``"alpha"`` (AlphaDropout) — ``("none",)``
    - ``dropout_rates``: drop probabilities in [0, 1); empty = :data:`DEFAULT_DROPOUT_RATE` per kind — ``()``
    - ``depths``: hidden layers, ≥ 1 — ``(8,)``;  ``widths``: units per hidden layer, ≥ 1 — ``(128,)``
    - ``optimizers``: sgd, adam, adamw, rmsprop — ``("adam",)``
    - ``lrs``: learning rates, > 0 — ``(0.001,)``;  ``weight_decays``: λ ≥ 0 — ``(0.0,)``
    - ``batch_sizes``: ≥ 1 — ``(64,)``;  ``epochs``: ≥ 1 — ``(20,)``
    - ``seeds``: ≥ 0, seed the weights, the dropout masks and the batch order — ``(0, 1, 2)``

    Fixed options: ``target_accuracy`` (validation accuracy whose first epoch is reported,
    default 0.95), ``val_size`` and ``test_size`` (fractions of the data set, 0.15 and 0.2),
    ``split_seed`` (seed of the stratified split, 0), ``max_samples`` (use a stratified subset
    of this many samples; None = all), ``probe_size`` (training samples on which dead units
    and activation statistics are measured each epoch, 1000).
    """

    datasets: tuple[str, ...] = ("digits",)
    activations: tuple[str, ...] = ("relu", "leaky_relu", "prelu", "elu", "selu")
    inits: tuple[str, ...] = ("customary",)
    dropouts: tuple[str, ...] = ("none",)
    dropout_rates: tuple[float, ...] = ()
    depths: tuple[int, ...] = (8,)
    widths: tuple[int, ...] = (128,)
    optimizers: tuple[str, ...] = ("adam",)
    lrs: tuple[float, ...] = (1e-3,)
    weight_decays: tuple[float, ...] = (0.0,)
    batch_sizes: tuple[int, ...] = (64,)
    epochs: tuple[int, ...] = (20,)
    seeds: tuple[int, ...] = (0, 1, 2)
    target_accuracy: float = 0.95
    val_size: float = 0.15
    test_size: float = 0.2
    split_seed: int = 0
    max_samples: int | None = None
    probe_size: int = 1000
    _settings: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__                               # frozen dataclass: normalise in place once
        for name in GRID_FIELDS:
            values = _tuple(getattr(self, name))
            if not values and name != "dropout_rates":
                raise ValueError(f"ExperimentConfig: {name} is empty; give at least one value")
            set_(self, name, values)
        set_(self, "datasets", tuple(_name(v, "data set", DATASETS) for v in self.datasets))
        set_(self, "activations", tuple(_name(v, "activation", ACTIVATIONS) for v in self.activations))
        set_(self, "inits", tuple(_init_name(v) for v in self.inits))
        set_(self, "dropouts", tuple(_name(v, "dropout kind", DROPOUT_KINDS) for v in self.dropouts))
        set_(self, "dropout_rates", tuple(_number(v, "dropout_rate", integer=False, low=0.0, high=1.0,
                                                  high_open=True) for v in self.dropout_rates))
        set_(self, "depths", tuple(_number(v, "depth", integer=True, low=1) for v in self.depths))
        set_(self, "widths", tuple(_number(v, "width", integer=True, low=1) for v in self.widths))
        set_(self, "optimizers", tuple(_name(v, "optimizer", OPTIMIZERS) for v in self.optimizers))
        set_(self, "lrs", tuple(_number(v, "lr (learning rate)", integer=False, low=0.0, low_open=True)
                                for v in self.lrs))
        set_(self, "weight_decays", tuple(_number(v, "weight_decay", integer=False, low=0.0)
                                          for v in self.weight_decays))
        set_(self, "batch_sizes", tuple(_number(v, "batch_size", integer=True, low=1) for v in self.batch_sizes))
        set_(self, "epochs", tuple(_number(v, "epochs", integer=True, low=1) for v in self.epochs))
        set_(self, "seeds", tuple(_number(v, "seed", integer=True, low=0) for v in self.seeds))
        for name in GRID_FIELDS:
            if any(isinstance(v, float) and not math.isfinite(v) for v in getattr(self, name)):
                raise ValueError(f"ExperimentConfig: {name} must be finite, got {getattr(self, name)}")
        set_(self, "target_accuracy", _number(self.target_accuracy, "target_accuracy", integer=False,
                                              low=0.0, low_open=True, high=1.0))
        set_(self, "val_size", _number(self.val_size, "val_size", integer=False, low=0.0, low_open=True,
                                       high=1.0, high_open=True))
        set_(self, "test_size", _number(self.test_size, "test_size", integer=False, low=0.0, low_open=True,
                                        high=1.0, high_open=True))
        if self.val_size + self.test_size >= 1.0:
            raise ValueError(f"ExperimentConfig: val_size + test_size must be < 1 to leave training data, "
                             f"got {self.val_size} + {self.test_size}")
        set_(self, "split_seed", _number(self.split_seed, "split_seed", integer=True, low=0))
        if self.max_samples is not None:
            set_(self, "max_samples", _number(self.max_samples, "max_samples", integer=True, low=10))
        set_(self, "probe_size", _number(self.probe_size, "probe_size", integer=True, low=1))
        set_(self, "_settings", tuple(self._expand()))

    # --- the grid -------------------------------------------------------------------------
    def _expand(self) -> list[dict[str, Any]]:
        grid = [getattr(self, name) for name in GRID_FIELDS]
        grid[list(GRID_FIELDS).index("dropout_rates")] = self.dropout_rates or (None,)
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for values in itertools.product(*grid):
            s = dict(zip(SETTING_KEYS, values, strict=True))
            if s["init"] == "customary":
                s["init"] = customary_init(s["activation"])
            if s["dropout_rate"] is None:
                s["dropout_rate"] = DEFAULT_DROPOUT_RATE[s["dropout"]]
            if s["dropout"] == "none" or s["dropout_rate"] == 0.0:
                s["dropout"], s["dropout_rate"] = "none", 0.0
            key = json.dumps(s, sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append(s)
        return out

    def settings(self) -> list[dict[str, Any]]:
        """One dict per run (keys :data:`SETTING_KEYS`), in grid order, duplicates removed."""
        return [dict(s) for s in self._settings]

    def data_options(self) -> dict[str, Any]:
        """The options that decide which samples each run sees (part of every run's identity)."""
        return {"val_size": self.val_size, "test_size": self.test_size, "split_seed": self.split_seed,
                "max_samples": self.max_samples, "probe_size": self.probe_size}

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready lists and numbers (what config.json records)."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self) if f.init}

    @classmethod
    def from_dict(cls, options: Mapping[str, Any]) -> ExperimentConfig:
        """Build from a mapping of field names; singular names (``activation``, ``lr``) are accepted too.

        Keys in :data:`RUNTIME_KEYS` are ignored here. An unknown key raises ValueError listing the valid ones.
        """
        return cls(**config_kwargs(options))

    def __len__(self) -> int:
        return len(self._settings)


def config_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """Map user keys (plural or singular, dashes or underscores) to :class:`ExperimentConfig` field names.

    Runtime keys (:data:`RUNTIME_KEYS`) are dropped; an unknown key raises ValueError listing the valid ones.
    """
    names = {f.name for f in fields(ExperimentConfig) if f.init}
    singular = {v: k for k, v in GRID_FIELDS.items()}
    out: dict[str, Any] = {}
    for key, value in options.items():
        k = str(key).replace("-", "_")
        k = singular.get(k, k) if k not in names else k
        if k in RUNTIME_KEYS:
            continue
        if k not in names:
            valid = sorted(names | set(RUNTIME_KEYS))
            raise ValueError(f"ExperimentConfig: unknown option {key!r}; valid options are: {', '.join(valid)}")
        if k in out:
            raise ValueError(f"ExperimentConfig: option {k!r} is given twice (as {key!r} and another spelling)")
        out[k] = value
    return out


def run_id(setting: Mapping[str, Any], data_options: Mapping[str, Any]) -> str:
    """A 12-hex-digit id of one run: SHA-256 of its settings and data options as sorted JSON.

    Equal settings give equal ids in any process and on any machine, so a rerun finds the
    runs it already finished; any change (another lr, another split seed) gives another id.
    """
    blob = json.dumps({"setting": dict(setting), "data": dict(data_options)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a sweep description from a TOML file (flat keys, as :class:`ExperimentConfig` fields).

    Uses :mod:`tomllib` (Python ≥ 3.11) or the ``tomli`` package on Python 3.10. Example::

        activations = ["relu", "elu", "selu"]
        lrs = [1e-3, 1e-2]
        depths = [4, 8]
        seeds = [0, 1, 2]
        epochs = 20
        target_accuracy = 0.95
        out = "minnet-runs/depth-sweep"
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
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{os.fspath(path)}: not a valid TOML file: {err}") from err
    config_kwargs(data)                                          # unknown keys fail here, naming the file's key
    return data
