"""Ready-made architectures: the multilayer perceptron every comparison in minnet uses.

``mlp`` builds, for each hidden layer,

    Dense(init) → [BatchNorm] → activation → [Dropout | AlphaDropout]

and a final Dense to the outputs (logits). One ``rng`` (a seed or a Generator; ``seed=`` is an alias, see
:mod:`minnet.rng`) drives every random choice (weights and dropout masks), each layer getting its own
child stream, so the same seed builds and trains the same network bit for bit.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any, Sequence

import numpy as np

from minnet.nn.activations import ACTIVATIONS, CUSTOMARY_INIT, LeakyReLU, PReLU, get_activation
from minnet.nn.dense import Dense
from minnet.nn.dropout import AlphaDropout, Dropout
from minnet.nn.init import Initializer, get_initializer
from minnet.nn.layer import Layer
from minnet.nn.normalization import BatchNorm
from minnet.nn.sequential import Sequential
from minnet.rng import RNGLike, check_rng, make_rng, rng_or_seed
from minnet.validation import check_choice, check_positive_int, check_real, normalize_name

DROPOUT_KINDS = ("none", "dropout", "alpha")


def customary_init(activation: str) -> str:
    """The initialiser usually paired with ``activation``: LeCun normal for SELU, He for the ReLU family and ELU,
    Glorot for tanh/sigmoid."""
    key = normalize_name(activation)
    if key not in CUSTOMARY_INIT:
        raise ValueError(f"unknown activation {activation!r}; valid names are: {', '.join(ACTIVATIONS)}")
    return CUSTOMARY_INIT[key]


HE_INITS = ("he_normal", "he_uniform", "he_normal_truncated")


def _negative_slope(activation: str, kwargs: dict[str, Any]) -> float:
    """The slope s of the activation's negative part at initialisation (0 for ReLU and the others)."""
    key = normalize_name(activation)
    if key == "leaky_relu":
        return float(kwargs.get("negative_slope", LeakyReLU().negative_slope))
    if key == "prelu":
        return float(kwargs.get("initial_slope", kwargs.get("init", PReLU().initial_slope)))
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
    bound.__name__ = f"{init}(negative_slope={slope:g})"  # type: ignore[attr-defined]
    return bound


def hidden_sizes(hidden: Any, where: str = "mlp") -> list[int]:
    """The hidden layer sizes as a list of positive ints: a bare int n means one layer of n units.

    Strings, floats, booleans and anything else that is not a sequence of positive integers raise a
    TypeError or ValueError naming ``hidden`` (a string such as "128" would otherwise iterate character by
    character into layers of 1, 2 and 8 units).
    """
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        return [check_positive_int(hidden, "hidden", where)]
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"{where}: hidden must be a positive integer or a sequence of them (e.g. (128, 128)), "
                        f"got {hidden!r}")
    return [check_positive_int(h, f"hidden[{i}]", where) for i, h in enumerate(hidden)]


def _child_streams(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """``n`` independent generators: children of ``SeedSequence(seed)`` for a seed (or None), or seeded from
    the given Generator's next draws."""
    if isinstance(rng, np.random.Generator):
        entropy = [int(v) for v in make_rng(rng).integers(0, 2**63, size=4)]
        seq = np.random.SeedSequence(entropy)
    else:
        seq = np.random.SeedSequence(rng)
    return [np.random.default_rng(child) for child in seq.spawn(n)]


def mlp(n_inputs: int, n_outputs: int, hidden: int | Sequence[int] = (128, 128), activation: str = "relu",
        init: str | Initializer | None = None, dropout: str | None = None, dropout_rate: float | None = None,
        batch_norm: bool = False, rng: RNGLike = None, dtype: np.dtype | type = np.float32,
        activation_kwargs: dict[str, Any] | None = None, *, seed: RNGLike = None) -> Sequential:
    """A multilayer perceptron ``n_inputs → hidden[0] → … → hidden[-1] → n_outputs``.

    Parameters
    ----------
    n_inputs, n_outputs : positive integers.
    hidden : the hidden layer sizes, a sequence of positive integers; a bare int n means one hidden layer
        of n units (``hidden=5`` is ``hidden=(5,)``).
    activation : name from :data:`minnet.nn.activations.ACTIVATIONS` ("relu", "leaky_relu", "prelu", "elu",
        "selu", ...); case, spaces and "-" do not matter ("SeLU " is "selu").
    init : initialiser name or callable; None picks :func:`customary_init` of the activation. A He
        initialiser with LeakyReLU or PReLU uses the activation's negative slope s (PReLU: its
        initial slope): N(0, 2/((1 + s²)·fan_in)), as docs/conventions.md and He et al. (2015) define it.
    dropout : None/"none", "dropout" (inverted dropout) or "alpha" (AlphaDropout, for SELU),
        applied after every hidden activation with drop probability ``dropout_rate`` (in [0, 1);
        None: the layer's default, 0.5 for Dropout and 0.05 for AlphaDropout; used only when
        ``dropout`` is set, as in scikit-learn-style estimators).
    batch_norm : insert BatchNorm between each hidden Dense and its activation.
    rng : seed (non-negative int) or ``numpy.random.Generator`` for weights and dropout masks (None:
        unpredictable). ``seed=`` is an alias (see :mod:`minnet.rng`); passing both is a TypeError.
    activation_kwargs : passed to the activation's constructor (e.g. ``{"alpha": 0.5}``);
        for "prelu" the dtype is passed automatically.
    """
    rng = check_rng(rng_or_seed(rng, seed, "mlp"), "mlp", "rng" if seed is None else "seed")
    n_inputs = check_positive_int(n_inputs, "n_inputs", "mlp")
    n_outputs = check_positive_int(n_outputs, "n_outputs", "mlp")
    sizes = hidden_sizes(hidden)
    activation = check_choice(activation, "activation", "mlp", ACTIVATIONS)
    dropout = "none" if dropout is None else check_choice(dropout, "dropout kind", "mlp", DROPOUT_KINDS)
    if dropout_rate is not None:
        dropout_rate = check_real(dropout_rate, "dropout_rate", "mlp", low=0.0, high=1.0, high_open=True)
    init = customary_init(activation) if init is None else init
    get_initializer(init)                                   # fail early on an unknown name
    kwargs = dict(activation_kwargs or {})
    init = _with_negative_slope(init, activation, kwargs)
    if activation == "prelu":
        kwargs.setdefault("dtype", dtype)
    streams = iter(_child_streams(rng, 2 * len(sizes) + 1))

    layers: list[Layer] = []
    widths = [n_inputs, *sizes]
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers.append(Dense(fan_in, fan_out, init=init, rng=next(streams), dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm(fan_out, dtype=dtype))
        layers.append(get_activation(activation, **kwargs))
        dropout_rng = next(streams)
        if dropout in ("dropout", "alpha"):
            kind = Dropout if dropout == "dropout" else AlphaDropout
            rate = {} if dropout_rate is None else {"p": dropout_rate}
            layers.append(kind(**rate, rng=dropout_rng))
    layers.append(Dense(widths[-1], n_outputs, init=init, rng=next(streams), dtype=dtype))
    return Sequential(*layers)
