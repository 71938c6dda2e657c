"""Ready-made architectures: the multilayer perceptron every comparison in minnet uses.

``mlp`` builds, for each hidden layer,

    Dense(init) → [BatchNorm] → activation → [Dropout | AlphaDropout]

and a final Dense to the outputs (logits). One ``seed`` drives every random choice
(weights and dropout masks), each layer getting its own child stream, so the same
seed builds and trains the same network bit for bit.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from minnet.nn.activations import ACTIVATIONS, CUSTOMARY_INIT, LeakyReLU, PReLU, get_activation
from minnet.nn.dense import Dense
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.init import Initializer, get_initializer
from minnet.nn.layer import Layer
from minnet.nn.normalization import BatchNorm
from minnet.nn.sequential import Sequential

DROPOUT_KINDS = ("none", "dropout", "alpha")


def customary_init(activation: str) -> str:
    """The initialiser usually paired with ``activation``: LeCun normal for SELU, He for the ReLU family and ELU,
    Glorot for tanh/sigmoid."""
    key = str(activation).lower().replace("-", "_")
    if key not in CUSTOMARY_INIT:
        raise ValueError(f"unknown activation {activation!r}; valid names are: {', '.join(ACTIVATIONS)}")
    return CUSTOMARY_INIT[key]


HE_INITS = ("he_normal", "he_uniform", "he_normal_truncated")


def _negative_slope(activation: str, kwargs: dict[str, Any]) -> float:
    """The slope s of the activation's negative part at initialisation (0 for ReLU and the others)."""
    key = str(activation).lower().replace("-", "_")
    if key == "leaky_relu":
        return float(kwargs.get("negative_slope", LeakyReLU().negative_slope))
    if key == "prelu":
        return float(kwargs.get("init", PReLU().init))
    return 0.0


def _with_negative_slope(init: str | Initializer, activation: str, kwargs: dict[str, Any]) -> str | Initializer:
    """He initialisation for a LeakyReLU/PReLU of slope s: N(0, 2/((1 + s²)·fan_in)) (He et al., 2015, Eq. 15).

    A He initialiser named for a network of leaky units gets the slope bound to it; its name
    says so (e.g. ``he_normal(negative_slope=0.25)``). Other initialisers are returned unchanged.
    """
    slope = _negative_slope(activation, kwargs)
    if not (isinstance(init, str) and init in HE_INITS and slope != 0.0):
        return init
    bound = functools.partial(get_initializer(init), negative_slope=slope)
    bound.__name__ = f"{init}(negative_slope={slope:g})"
    return bound


def mlp(n_inputs: int, n_outputs: int, hidden: Sequence[int] = (128, 128), activation: str = "relu",
        init: str | Initializer | None = None, dropout: str | None = None, dropout_rate: float | None = None,
        batch_norm: bool = False, seed: int | None = None, dtype: np.dtype | type = np.float32,
        activation_kwargs: dict[str, Any] | None = None) -> Sequential:
    """A multilayer perceptron ``n_inputs → hidden[0] → … → hidden[-1] → n_outputs``.

    Parameters
    ----------
    activation : name from :data:`minnet.nn.activations.ACTIVATIONS` ("relu", "leaky_relu", "prelu", "elu", "selu", ...)
    init : initialiser name or callable; None picks :func:`customary_init` of the activation. A He
        initialiser with LeakyReLU or PReLU uses the activation's negative slope s (PReLU: its
        initial slope): N(0, 2/((1 + s²)·fan_in)), as docs/conventions.md and He et al. (2015) define it.
    dropout : None/"none", "dropout" (inverted dropout) or "alpha" (AlphaDropout, for SELU),
        applied after every hidden activation with drop probability ``dropout_rate`` (in [0, 1);
        None: the layer's default, 0.5 for Dropout and 0.05 for AlphaDropout; used only when
        ``dropout`` is set, as in scikit-learn-style estimators).
    batch_norm : insert BatchNorm between each hidden Dense and its activation.
    seed : seeds weights and dropout masks (None: unpredictable).
    activation_kwargs : passed to the activation's constructor (e.g. ``{"alpha": 0.5}``);
        for "prelu" the dtype is passed automatically.
    """
    hidden = [int(h) for h in hidden]
    if any(h < 1 for h in hidden):
        raise ValueError(f"mlp: hidden layer sizes must be positive integers, got {hidden}")
    dropout = "none" if dropout is None else str(dropout).lower()
    if dropout not in DROPOUT_KINDS:
        raise ValueError(f"mlp: unknown dropout kind {dropout!r}; valid kinds are: {', '.join(DROPOUT_KINDS)}")
    if dropout_rate is not None and not 0.0 <= dropout_rate < 1.0:
        raise ValueError(f"mlp: dropout_rate must be in [0, 1), got {dropout_rate!r}")
    init = customary_init(activation) if init is None else init
    get_initializer(init)                                   # fail early on an unknown name
    kwargs = dict(activation_kwargs or {})
    init = _with_negative_slope(init, activation, kwargs)
    if str(activation).lower() == "prelu":
        kwargs.setdefault("dtype", dtype)
    streams = iter(np.random.SeedSequence(seed).spawn(2 * len(hidden) + 1))

    layers: list[Layer] = []
    sizes = [int(n_inputs), *hidden]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers.append(Dense(fan_in, fan_out, init=init, rng=np.random.default_rng(next(streams)), dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm(fan_out, dtype=dtype))
        layers.append(get_activation(activation, **kwargs))
        dropout_rng = np.random.default_rng(next(streams))
        if dropout in ("dropout", "alpha"):
            kind = Dropout if dropout == "dropout" else AlphaDropout
            rate = {} if dropout_rate is None else {"p": dropout_rate}
            layers.append(kind(**rate, rng=dropout_rng))
    layers.append(Dense(sizes[-1], int(n_outputs), init=init, rng=np.random.default_rng(next(streams)), dtype=dtype))
    return Sequential(*layers)
