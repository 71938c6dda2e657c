"""The network of one setting: the built-in MLP (with any normalisation), the CNN, or your own factory.

``model=`` of :func:`~minnet.experiments.compare` chooses the family:

- ``"mlp"`` (default): :func:`minnet.nn.models.mlp` — for each hidden layer
  ``Dense(init) → activation → [Dropout | AlphaDropout]`` — with the setting's normalisation
  inserted in every hidden block: ``norm="batch"`` (BatchNorm) or ``"layer"`` (LayerNorm),
  ``norm_position="before"`` the activation (``Dense → norm → activation``, the placement of
  Ioffe & Szegedy 2015) or ``"after"`` it (``Dense → activation → norm``). The Dense layers
  and dropout masks are those of ``mlp`` with the same seed, so a setting without
  normalisation trains exactly the network ``mlp`` builds.
- ``"cnn"``: ``minnet.nn.cnn.cnn(input_shape, n_outputs, channels, kernel_size, pool,
  activation, init, batch_norm=(norm == "batch"), dropout, seed)`` on image data sets
  (MNIST and Fashion-MNIST as (N, 1, 28, 28), CIFAR-10 as (N, 3, 32, 32)).
- a callable ``model(setting, n_inputs, n_outputs, rng) -> Sequential`` for anything the
  grid cannot express; ``rng`` is a ``numpy.random.Generator`` seeded by the setting's seed.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from minnet.nn.activations import Activation
from minnet.nn.cnn import cnn
from minnet.nn.dense import Dense
from minnet.nn.layer import Layer
from minnet.nn.models import mlp
from minnet.nn.normalization import BatchNorm, LayerNorm
from minnet.nn.sequential import Sequential

ModelFactory = Callable[[Mapping[str, Any], int, int, np.random.Generator], Sequential]


def _norm_layer(norm: str, width: int) -> Layer:
    return BatchNorm(width) if norm == "batch" else LayerNorm(width)


def build_mlp(setting: Mapping[str, Any], n_inputs: int, n_outputs: int) -> Sequential:
    """The MLP of a setting: ``mlp(...)`` with ``norm`` inserted before or after each hidden activation."""
    net = mlp(n_inputs, n_outputs, hidden=[setting["width"]] * setting["depth"],
              activation=setting["activation"], init=setting["init"], dropout=setting["dropout"],
              dropout_rate=setting["dropout_rate"], seed=setting["seed"])
    norm = setting.get("norm", "none")
    if norm in (None, "none"):
        return net
    after = setting.get("norm_position") == "after"
    layers: list[Layer] = []
    for layer in net.layers:
        layers.append(layer)
        hidden_dense = isinstance(layer, Dense) and layer is not net.layers[-1]
        if (isinstance(layer, Activation) if after else hidden_dense):
            layers.append(_norm_layer(norm, setting["width"]))
    return Sequential(*layers)


def build_cnn(setting: Mapping[str, Any], input_shape: tuple[int, ...], n_outputs: int) -> Sequential:
    """The CNN of a setting (see the module docstring)."""
    channels = tuple(int(c) for c in str(setting["channels"]).split("x"))
    kwargs: dict[str, Any] = {}
    if setting["dropout"] == "dropout":                     # Dropout2D: whole channels, at the setting's rate
        kwargs["dropout"] = setting["dropout_rate"]
    elif setting["dropout"] != "none":
        raise ValueError(f"compare: model 'cnn' takes dropout 'none' or 'dropout' (channel dropout, Dropout2D), "
                         f"got {setting['dropout']!r}")
    return cnn(tuple(input_shape), n_outputs, channels=channels, kernel_size=setting["kernel_size"],
               pool=setting["pool"], activation=setting["activation"], init=setting["init"],
               batch_norm=setting.get("norm") == "batch", seed=setting["seed"], **kwargs)


def build_model(setting: Mapping[str, Any], n_inputs: int, n_outputs: int, *,
                input_shape: tuple[int, ...] | None = None, factory: ModelFactory | None = None) -> Sequential:
    """The network of a setting: ``factory`` if given, else the built-in family named by ``setting["model"]``."""
    if factory is not None:
        net = factory(dict(setting), n_inputs, n_outputs, np.random.default_rng(setting["seed"]))
        if not hasattr(net, "forward") or not hasattr(net, "parameters"):
            raise TypeError(f"compare: the model factory must return a Sequential (a model with forward and "
                            f"parameters), got {type(net).__name__}")
        return net
    if setting.get("model") == "cnn":
        if input_shape is None or len(input_shape) != 3:
            raise ValueError(f"compare: model 'cnn' needs image data (C, H, W); data set {setting['dataset']!r} "
                             "has flat features only")
        return build_cnn(setting, input_shape, n_outputs)
    return build_mlp(setting, n_inputs, n_outputs)
