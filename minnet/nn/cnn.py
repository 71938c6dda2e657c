"""``cnn``: the small convolutional network of minnet's comparisons, built like :func:`minnet.nn.models.mlp`.

For each entry of ``channels`` it stacks one block

    Conv2D(k×k, padding "same", init) → [BatchNorm] → activation → [Dropout2D(p)] → [MaxPool2D(2) | AvgPool2D(2)]

and then ``Flatten → Dense(n_outputs)`` (logits). One ``seed`` drives every random choice (weights and dropout
masks), each layer getting its own child stream, so the same seed builds and trains the same network bit for bit.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from minnet.nn.activations import ACTIVATIONS, get_activation
from minnet.nn.channel_dropout import Dropout2D
from minnet.nn.conv import Conv2D
from minnet.nn.dense import Dense
from minnet.nn.init import Initializer, get_initializer
from minnet.nn.layer import Layer
from minnet.nn.models import _with_negative_slope, customary_init
from minnet.nn.normalization import BatchNorm
from minnet.nn.pooling import AvgPool2D, MaxPool2D
from minnet.nn.reshape import Flatten
from minnet.nn.sequential import Sequential
from minnet.validation import check_choice, check_positive_int, check_real, normalize_name

POOLS: dict[str, type[MaxPool2D] | type[AvgPool2D] | None] = {"max": MaxPool2D, "avg": AvgPool2D, "none": None}


def _check_input_shape(input_shape: Any) -> tuple[int, int, int]:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"cnn: input_shape must be (channels, height, width), got {input_shape!r}")
    c, h, w = (check_positive_int(v, f"input_shape[{i}]", "cnn") for i, v in enumerate(input_shape))
    return c, h, w


def cnn(input_shape: Sequence[int], n_outputs: int, channels: Sequence[int] = (32, 64), kernel_size: int = 3,
        pool: str = "max", activation: str = "relu", init: str | Initializer = "customary",
        batch_norm: bool = False, dropout: float | None = None, seed: int | None = None,
        dtype: np.dtype | type = np.float32, activation_kwargs: dict[str, Any] | None = None) -> Sequential:
    """A convolutional network for images of ``input_shape`` = (C, H, W) with ``n_outputs`` logits.

    Parameters
    ----------
    channels : output channels of each convolution block (at least one block).
    kernel_size : side k of every (square) convolution kernel; padding "same" keeps the spatial size.
    pool : "max" (MaxPool2D 2×2), "avg" (AvgPool2D 2×2) or "none", after every block; each pooling halves
        (rounding down) the height and width, which must stay ≥ 1.
    activation : a name from :data:`minnet.nn.activations.ACTIVATIONS` ("relu", "leaky_relu", "prelu", "elu",
        "selu", ...).
    init : "customary" (He normal for the ReLU family and ELU, with the negative slope for LeakyReLU and PReLU;
        LeCun normal for SELU — as :func:`minnet.mlp`), or an initialiser name or callable. A convolution's
        fan_in is in_channels·k·k.
    batch_norm : insert BatchNorm (per channel) between each convolution and its activation.
    dropout : None, or a drop probability p in [0, 1): Dropout2D(p) (whole channels) after each activation.
    seed : seeds weights and dropout masks (None: unpredictable).
    activation_kwargs : passed to the activation's constructor (e.g. ``{"alpha": 0.5}``); for "prelu" the dtype
        is passed automatically.
    """
    c, h, w = _check_input_shape(input_shape)
    n_outputs = check_positive_int(n_outputs, "n_outputs", "cnn")
    if isinstance(channels, (int, np.integer)) or len(channels) == 0:
        raise ValueError(f"cnn: channels must be a non-empty sequence of positive integers, got {channels!r}")
    widths = [check_positive_int(ch, "channels", "cnn") for ch in channels]
    k = check_positive_int(kernel_size, "kernel_size", "cnn")
    pool_key = check_choice(pool, "pool", "cnn", POOLS)
    act_key = check_choice(activation, "activation", "cnn", ACTIVATIONS)
    p = None if dropout is None else check_real(dropout, "dropout", "cnn", low=0.0, high=1.0, high_open=True)
    if pool_key != "none" and min(h, w) >> len(widths) < 1:
        raise ValueError(f"cnn: {len(widths)} poolings of 2×2 need images of at least {2 ** len(widths)}×"
                         f"{2 ** len(widths)} pixels, got {h}×{w}")
    init_name = customary_init(act_key) if isinstance(init, str) and normalize_name(init) == "customary" else init
    get_initializer(init_name)                                  # fail early on an unknown name
    kwargs = dict(activation_kwargs or {})
    init_fn = _with_negative_slope(init_name, act_key, kwargs)
    if act_key == "prelu":
        kwargs.setdefault("dtype", dtype)
    streams = iter(np.random.SeedSequence(seed).spawn(2 * len(widths) + 1))

    layers: list[Layer] = []
    for fan_in, width in zip([c, *widths[:-1]], widths):
        layers.append(Conv2D(fan_in, width, k, padding="same", init=init_fn,
                             rng=np.random.default_rng(next(streams)), dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm(width, dtype=dtype))
        layers.append(get_activation(act_key, **kwargs))
        dropout_rng = np.random.default_rng(next(streams))
        if p is not None:
            layers.append(Dropout2D(p, rng=dropout_rng))
        pool_class = POOLS[pool_key]
        if pool_class is not None:
            layers.append(pool_class(2))
            h, w = h // 2, w // 2
    layers += [Flatten(), Dense(widths[-1] * h * w, n_outputs, init=init_fn,
                                rng=np.random.default_rng(next(streams)), dtype=dtype)]
    return Sequential(*layers)
