"""What a comparison runs: the grid of settings, checked before anything starts.

An :class:`ExperimentConfig` holds one tuple of values per *grid field* (``activations``,
``norms``, ``lrs``, ``depths``, ``seeds``, ...) and a few fixed options (the model family,
the data split, the target accuracy). :meth:`ExperimentConfig.settings` expands the grid —
the Cartesian product of the tuples in the order of :data:`GRID_FIELDS`, or the union of
several such products (``sweeps``), minus the excluded combinations — into one plain dict
per run, e.g.::

    {"dataset": "digits", "model": "mlp", "activation": "relu", "norm": "none", "norm_position": None,
     "init": "he_normal", "dropout": "none", "dropout_rate": 0.0, "depth": 4, "width": 128,
     "channels": None, "kernel_size": None, "pool": None, "optimizer": "adam", "lr": 0.001,
     "weight_decay": 0.0, "batch_size": 64, "epochs": 20, "seed": 0}

Conventions:

- ``init="customary"`` resolves, per activation, to :func:`minnet.nn.models.customary_init`
  (He normal for the ReLU family and ELU, LeCun normal for SELU); aliases such as
  ``kaiming_normal`` resolve to their registry name.
- Dropout kind ``"none"`` has rate 0, and a rate of 0 means kind ``"none"``; with no rate
  given, each kind uses :data:`DEFAULT_DROPOUT_RATE`. Normalisation ``"none"`` has no
  position (None). An MLP has no ``channels``/``kernel_size``/``pool`` and a CNN no
  ``depth``/``width`` (None). Settings that coincide after this are run once.
- Every value is checked at construction (:mod:`minnet.validation`); a bad one raises
  ``ValueError`` or ``TypeError`` naming the field, the value and what is valid — before any
  run starts.

A run is identified by :func:`run_id`, a hash of its settings and of the data options
(split seed, sizes, fingerprints of your own data), so an interrupted sweep can skip the
runs it already finished.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable, Mapping

import minnet.data
from minnet.data.registry import DATASET_NAMES
from minnet.experiments.grid import GRID_FIELDS, RUNTIME_KEYS, SETTING_KEYS, method_label
from minnet.experiments.grid import read_toml as read_toml_file
from minnet.nn.activations import ACTIVATIONS
from minnet.nn.init import ALIASES as INIT_ALIASES
from minnet.nn.init import INITIALIZERS, initializer_name
from minnet.nn.models import DROPOUT_KINDS, customary_init
from minnet.train.optim import OPTIMIZERS
from minnet.validation import check_choice, check_int, check_positive_int, check_real, normalize_name

__all__ = ["DATASETS", "DEFAULT_DROPOUT_RATE", "ExperimentConfig", "GRID_FIELDS", "MODELS", "NORMS",
           "NORM_POSITIONS", "OPTIMIZERS", "POOLS", "RUNTIME_KEYS", "SETTING_KEYS", "config_kwargs",
           "method_label", "read_toml", "run_id"]

WHERE = "ExperimentConfig"

#: Data sets that :func:`minnet.experiments.compare` can load by name (:func:`minnet.data.load_dataset`;
#: CIFAR-10 through ``minnet.data.load_cifar10`` when this version of minnet has it).
DATASETS: tuple[str, ...] = DATASET_NAMES + (
    ("cifar10",) if "cifar10" not in DATASET_NAMES and hasattr(minnet.data, "load_cifar10") else ())

#: Built-in model families (``model=`` also takes a callable, see :mod:`minnet.experiments.models`).
MODELS: tuple[str, ...] = ("mlp", "cnn")

#: Normalisation layers of the grid, and where they sit relative to the activation.
NORMS: tuple[str, ...] = ("none", "batch", "layer")
NORM_POSITIONS: tuple[str, ...] = ("before", "after")

#: Pooling of the CNN's blocks.
POOLS: tuple[str, ...] = ("max", "avg", "none")

#: Drop probability used for a dropout kind when no rate is given.
DEFAULT_DROPOUT_RATE: dict[str, float] = {"none": 0.0, "dropout": 0.2, "alpha": 0.05}

#: Fields that only one model family uses (set to None in the other family's settings).
MLP_ONLY = ("depth", "width")
CNN_ONLY = ("channels", "kernel_size", "pool")


def _tuple(value: Any) -> tuple:
    """A scalar becomes a 1-tuple; a list/tuple/range a tuple; a string is a scalar."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return (value,)
    return tuple(value)


def _init_name(value: Any) -> str:
    key = check_choice(value, "initializer", WHERE, ("customary", "auto", *INITIALIZERS, *INIT_ALIASES))
    return "customary" if key in ("customary", "auto") else initializer_name(key)


def _channels(value: Any) -> str:
    """CNN channels per block as text, ``"32x64"`` (from ``"32x64"``, ``"32,64"``, ``[32, 64]`` or ``32``)."""
    items = value.replace("x", ",").split(",") if isinstance(value, str) else _tuple(value)
    try:
        sizes = [int(v) if isinstance(v, str) else v for v in items]
        return "x".join(str(check_positive_int(v, "channels", WHERE)) for v in sizes)
    except (TypeError, ValueError):
        raise ValueError(f"{WHERE}: channels must be positive integers per block such as '32x64', "
                         f"got {value!r}") from None


def _dropout_rate(v: Any) -> float:
    return check_real(v, "dropout_rate", WHERE, low=0.0, high=1.0, high_open=True)


#: Grid field → the check and normalisation of one of its values.
CHECKS: dict[str, Callable[[Any], Any]] = {
    "datasets": lambda v: v,                                  # checked against the known names in __post_init__
    "activations": lambda v: check_choice(v, "activation", WHERE, ACTIVATIONS),
    "norms": lambda v: check_choice(v, "norm", WHERE, NORMS),
    "norm_positions": lambda v: check_choice(v, "norm_position", WHERE, NORM_POSITIONS),
    "inits": _init_name,
    "dropouts": lambda v: check_choice(v, "dropout kind", WHERE, DROPOUT_KINDS),
    "dropout_rates": _dropout_rate,
    "depths": lambda v: check_positive_int(v, "depth", WHERE),
    "widths": lambda v: check_positive_int(v, "width", WHERE),
    "channels": _channels,
    "kernel_sizes": lambda v: check_positive_int(v, "kernel_size", WHERE),
    "pools": lambda v: check_choice(v, "pool", WHERE, POOLS),
    "optimizers": lambda v: check_choice(v, "optimizer", WHERE, OPTIMIZERS),
    "lrs": lambda v: check_real(v, "lr (learning rate)", WHERE, low=0.0, low_open=True),
    "weight_decays": lambda v: check_real(v, "weight_decay", WHERE, low=0.0),
    "batch_sizes": lambda v: check_positive_int(v, "batch_size", WHERE),
    "epochs": lambda v: check_positive_int(v, "epochs", WHERE),
    "seeds": lambda v: check_int(v, "seed", WHERE),
}


def _model_name(model: Any) -> str:
    if callable(model):
        return "custom:" + getattr(model, "__qualname__", type(model).__name__)
    return check_choice(model, "model", WHERE, MODELS)


def _conditions(value: Any, name: str) -> tuple[dict[str, tuple], ...]:
    """``exclude``/``only``: a list of partial settings ({setting: value or list of values})."""
    entries = [value] if isinstance(value, Mapping) else list(_tuple(value))
    out = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise TypeError(f"{WHERE}: {name} must be a list of tables such as {{activation = 'relu'}}, "
                            f"got {entry!r}")
        keys = {k: GRID_FIELDS.get(normalize_name(k), normalize_name(k)) for k in entry}
        unknown = [k for k, s in keys.items() if s not in SETTING_KEYS]
        if unknown:
            raise ValueError(f"{WHERE}: {name} names unknown setting {unknown[0]!r}; expected one of "
                             f"{list(SETTING_KEYS)}")
        out.append({keys[k]: _tuple(v) for k, v in entry.items()})
    return tuple(out)


def _matches(setting: Mapping[str, Any], condition: Mapping[str, tuple]) -> bool:
    return all(setting.get(k) in values for k, values in condition.items())


@dataclass(frozen=True)
class ExperimentConfig:
    """A grid of training runs and the options shared by all of them.

    Grid fields — each a tuple (a scalar is accepted and wrapped); the defaults are what
    ``minnet compare`` runs with no options:

    - ``datasets``: names from :data:`DATASETS` (or of your own data, ``compare(data=...)``) — ``("digits",)``
    - ``activations``: names from :data:`minnet.nn.activations.ACTIVATIONS` —
      ``("relu", "leaky_relu", "prelu", "elu", "selu")``
    - ``norms``: ``"none"``, ``"batch"`` (BatchNorm) or ``"layer"`` (LayerNorm) — ``("none",)``;
      ``norm_positions``: ``"before"`` or ``"after"`` the activation — ``("before",)``
    - ``inits``: initializer names (:data:`minnet.nn.init.INITIALIZERS`, aliases ``kaiming_*``,
      ``xavier_*``) or ``"customary"`` — ``("customary",)``
    - ``dropouts``: ``"none"``, ``"dropout"`` (inverted) or ``"alpha"`` (AlphaDropout) — ``("none",)``
    - ``dropout_rates``: drop probabilities in [0, 1); empty = :data:`DEFAULT_DROPOUT_RATE` per kind — ``()``
    - ``depths``: hidden layers, ≥ 1 — ``(8,)``;  ``widths``: units per hidden layer, ≥ 1 — ``(128,)``
    - CNN only: ``channels`` (per block, ``"32x64"``), ``kernel_sizes`` (3), ``pools`` (max, avg, none)
    - ``optimizers``: keys of :data:`minnet.train.optim.OPTIMIZERS` — ``("adam",)``
    - ``lrs``: learning rates, > 0 — ``(0.001,)``;  ``weight_decays``: λ ≥ 0 — ``(0.0,)``
    - ``batch_sizes``: ≥ 1 — ``(64,)``;  ``epochs``: ≥ 1 — ``(20,)``
    - ``seeds``: ≥ 0, seed the weights, the dropout masks and the batch order — ``(0, 1, 2)``

    Study shape: ``sweeps`` — partial grids (dicts of grid fields) whose runs are unioned, each
    filling the fields it does not give from this config (e.g. the plain activations, plus
    ``{"activations": "selu", "dropouts": "alpha"}``, plus ``{"activations": "relu", "norms":
    "batch"}``); ``exclude`` / ``only`` — partial settings (``{"activation": "relu", "dropout":
    "alpha"}``, a value may be a list) whose matching runs are dropped / kept.

    Fixed options: ``model`` ("mlp", "cnn" or a callable, :mod:`minnet.experiments.models`),
    ``target_accuracy`` (validation accuracy whose first epoch is reported, 0.95),
    ``val_size`` and ``test_size`` (fractions of the data set, 0.15 and 0.2; MNIST and
    Fashion-MNIST use their official test files instead of ``test_size``), ``split_seed``
    (seed of the stratified split, 0), ``max_samples`` (a stratified subset of this many
    training samples; None = all), ``probe_size`` (training samples on which dead units and
    activation statistics are measured each epoch, 1000), ``data_fingerprints`` (name →
    hash of your own data, set by :func:`~minnet.experiments.compare`).
    """

    datasets: tuple[str, ...] = ("digits",)
    activations: tuple[str, ...] = ("relu", "leaky_relu", "prelu", "elu", "selu")
    norms: tuple[str, ...] = ("none",)
    norm_positions: tuple[str, ...] = ("before",)
    inits: tuple[str, ...] = ("customary",)
    dropouts: tuple[str, ...] = ("none",)
    dropout_rates: tuple[float, ...] = ()
    depths: tuple[int, ...] = (8,)
    widths: tuple[int, ...] = (128,)
    channels: tuple[str, ...] = ("32x64",)
    kernel_sizes: tuple[int, ...] = (3,)
    pools: tuple[str, ...] = ("max",)
    optimizers: tuple[str, ...] = ("adam",)
    lrs: tuple[float, ...] = (1e-3,)
    weight_decays: tuple[float, ...] = (0.0,)
    batch_sizes: tuple[int, ...] = (64,)
    epochs: tuple[int, ...] = (20,)
    seeds: tuple[int, ...] = (0, 1, 2)
    model: Any = "mlp"
    sweeps: tuple[Mapping[str, Any], ...] = ()
    exclude: tuple[Mapping[str, Any], ...] = ()
    only: tuple[Mapping[str, Any], ...] = ()
    target_accuracy: float = 0.95
    val_size: float = 0.15
    test_size: float = 0.2
    split_seed: int = 0
    max_samples: int | None = None
    probe_size: int = 1000
    data_fingerprints: tuple[tuple[str, str], ...] = ()
    _settings: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__                               # frozen dataclass: normalise in place once
        set_(self, "data_fingerprints", tuple((str(n), str(h)) for n, h in dict(self.data_fingerprints).items()))
        own = dict(self.data_fingerprints)
        for name in GRID_FIELDS:
            values = _tuple(getattr(self, name))
            if not values and name != "dropout_rates":
                raise ValueError(f"{WHERE}: {name} is empty; give at least one value")
            if name == "datasets":                               # your own data sets keep their names
                values = tuple(v if v in own else check_choice(v, "data set", WHERE, (*DATASETS, *own))
                               for v in values)
            set_(self, name, tuple(CHECKS[name](v) for v in values))
        _model_name(self.model)
        set_(self, "target_accuracy", check_real(self.target_accuracy, "target_accuracy", WHERE, low=0.0,
                                                 low_open=True, high=1.0))
        for name in ("val_size", "test_size"):
            set_(self, name, check_real(getattr(self, name), name, WHERE, low=0.0, low_open=True, high=1.0,
                                        high_open=True))
        if self.val_size + self.test_size >= 1.0:
            raise ValueError(f"{WHERE}: val_size + test_size must be < 1 to leave training data, "
                             f"got {self.val_size} + {self.test_size}")
        set_(self, "split_seed", check_int(self.split_seed, "split_seed", WHERE))
        if self.max_samples is not None:
            set_(self, "max_samples", check_int(self.max_samples, "max_samples", WHERE, low=10))
        set_(self, "probe_size", check_positive_int(self.probe_size, "probe_size", WHERE))
        set_(self, "sweeps", tuple(self._sweep(s) for s in _tuple(self.sweeps)))
        set_(self, "exclude", _conditions(self.exclude, "exclude"))
        set_(self, "only", _conditions(self.only, "only"))
        set_(self, "_settings", tuple(self._expand()))
        if not self._settings:
            raise ValueError(f"{WHERE}: the conditions (exclude/only) leave no run to do")

    def _sweep(self, sweep: Any) -> dict[str, Any]:
        if not isinstance(sweep, Mapping):
            raise TypeError(f"{WHERE}: each sweep must be a table of grid fields, got {sweep!r}")
        kwargs = config_kwargs(sweep)
        bad = [k for k in kwargs if k not in GRID_FIELDS]
        if bad:
            raise ValueError(f"{WHERE}: a sweep may only set grid fields ({', '.join(GRID_FIELDS)}), got {bad[0]!r}")
        return {k: list(getattr(self._with(kwargs), k)) for k in kwargs}

    def _with(self, grid: Mapping[str, Any]) -> ExperimentConfig:
        """This config (without sweeps or conditions) with some grid fields replaced."""
        base = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        base.update(sweeps=(), exclude=(), only=(), **grid)
        return ExperimentConfig(**base)

    # --- the grid -------------------------------------------------------------------------
    def _product(self) -> Iterable[dict[str, Any]]:
        grid = [getattr(self, name) for name in GRID_FIELDS]
        grid[list(GRID_FIELDS).index("dropout_rates")] = self.dropout_rates or (None,)
        model = _model_name(self.model)
        for values in itertools.product(*grid):
            s = dict(zip(GRID_FIELDS.values(), values, strict=True))
            s["model"] = model
            if s["init"] == "customary":
                s["init"] = customary_init(s["activation"])
            if s["dropout_rate"] is None:
                s["dropout_rate"] = DEFAULT_DROPOUT_RATE[s["dropout"]]
            if s["dropout"] == "none" or s["dropout_rate"] == 0.0:
                s["dropout"], s["dropout_rate"] = "none", 0.0
            if s["norm"] == "none":
                s["norm_position"] = None
            elif model == "cnn" and (s["norm"], s["norm_position"]) != ("batch", "before"):
                raise ValueError(f"{WHERE}: the CNN normalises with BatchNorm before each activation only; got "
                                 f"norm {s['norm']!r} {s['norm_position']!r}")
            for key in (MLP_ONLY if model == "cnn" else CNN_ONLY):
                s[key] = None
            yield {k: s[k] for k in SETTING_KEYS}

    def _expand(self) -> list[dict[str, Any]]:
        parts = [self._with(sweep) for sweep in self.sweeps] if self.sweeps else [self]
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for part in parts:
            for s in part._product():
                if any(_matches(s, c) for c in self.exclude) or (self.only and not any(
                        _matches(s, c) for c in self.only)):
                    continue
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
        options: dict[str, Any] = {"val_size": self.val_size, "test_size": self.test_size,
                                   "split_seed": self.split_seed, "max_samples": self.max_samples,
                                   "probe_size": self.probe_size}
        if self.data_fingerprints:
            options["data_fingerprints"] = dict(self.data_fingerprints)
        return options

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready lists and numbers (what config.json records; a callable model by name)."""
        out = {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
               for f in fields(self) if f.init}
        out["model"] = _model_name(self.model)
        out["exclude"] = [{k: list(v) for k, v in c.items()} for c in self.exclude]
        out["only"] = [{k: list(v) for k, v in c.items()} for c in self.only]
        out["data_fingerprints"] = [list(p) for p in self.data_fingerprints]
        return out

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

    Runtime keys (:data:`RUNTIME_KEYS`) are dropped; the TOML table array ``sweep`` becomes
    ``sweeps``; an unknown key raises ValueError listing the valid ones.
    """
    names = {f.name for f in fields(ExperimentConfig) if f.init}
    singular = {v: k for k, v in GRID_FIELDS.items()} | {"sweep": "sweeps", "kernel_size": "kernel_sizes",
                                                          "pool": "pools", "norm": "norms"}
    out: dict[str, Any] = {}
    for key, value in options.items():
        k = str(key).replace("-", "_")
        k = singular.get(k, k) if k not in names else k
        if k in RUNTIME_KEYS:
            continue
        if k not in names or k in ("_settings", "data_fingerprints"):
            valid = sorted((names - {"data_fingerprints"}) | set(RUNTIME_KEYS))
            raise ValueError(f"{WHERE}: unknown option {key!r}; valid options are: {', '.join(valid)}")
        if k in out:
            raise ValueError(f"{WHERE}: option {k!r} is given twice (as {key!r} and another spelling)")
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
    """A sweep description from a TOML file (:func:`minnet.experiments.grid.read_toml`), its keys checked.

    An unknown key fails here, naming the file's key; values are checked when the config is built.
    """
    data = read_toml_file(path)
    config_kwargs(data)
    return data
