"""The list of the benchmark's sections: what each measures, under which JSON key, and how it prints.

To add a section (a convolution benchmark, say): write a module in ``minnet/bench/`` with a function
``measure(context) -> dict`` and a function ``format(result, report) -> list of lines``, and append a
``Section`` to :data:`SECTIONS`. ``python -m minnet.bench`` runs the sections in this order, stores each
result under its key in the JSON report and prints its lines in the table; ``--quick`` sizes come from
``context.cfg`` (:data:`minnet.bench.common.SETTINGS`, where a new section adds its own entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from minnet.bench.activations import compare_kernels, format_kernels
from minnet.bench.bound import compare_with_bound, format_bound
from minnet.bench.common import DIGITS_LAYERS, MNIST_LAYERS
from minnet.bench.conv import format_section as format_conv
from minnet.bench.conv import measure as measure_conv
from minnet.bench.epochs import compare_epochs, format_epochs
from minnet.bench.memory import format_memory, measure_memory
from minnet.bench.scaling import format_scaling, measure_scaling


@dataclass
class Context:
    """What the sections share: the settings of this run, the data, and PyTorch when it is there."""

    cfg: dict[str, Any]
    mnist: tuple[np.ndarray, np.ndarray, str]
    digits: tuple[np.ndarray, np.ndarray, str]
    torch: Any | None = None

    @property
    def warmup(self) -> int:
        return int(self.cfg["warmup"])


@dataclass(frozen=True)
class Section:
    """One part of the benchmark: ``measure(context)`` gives the JSON under ``key``; ``format(result, report)``
    gives its lines of the printed table."""

    key: str
    measure: Callable[[Context], dict[str, Any]]
    format: Callable[[dict[str, Any], dict[str, Any]], list[str]]


def _epochs(c: Context) -> dict[str, Any]:
    (X, y, source), (Xd, yd, dsource) = c.mnist, c.digits
    return {"mnist": compare_epochs(X, y, source, MNIST_LAYERS, c.cfg["rounds"], c.torch, c.warmup),
            "digits": compare_epochs(Xd, yd, dsource, DIGITS_LAYERS, c.cfg["digits_rounds"], c.torch, c.warmup)}


def _bound(c: Context) -> dict[str, Any]:
    return {key: compare_with_bound(data[0], data[1], layers, c.cfg["bound_rounds"], c.cfg["bound_steps"], c.warmup)
            for key, data, layers in (("mnist", c.mnist, MNIST_LAYERS), ("digits", c.digits, DIGITS_LAYERS))}


def _kernels(c: Context) -> dict[str, Any]:
    return compare_kernels(c.cfg["kernel_n"], c.cfg["kernel_rounds"], c.warmup)


def _memory(c: Context) -> dict[str, Any]:
    return measure_memory(c.cfg["memory_n"])


def _scaling(c: Context) -> dict[str, Any]:
    X, y, _ = c.mnist
    return measure_scaling(X, y, c.cfg["scaling_n"], c.cfg["scaling_rounds"], c.warmup)


#: The sections, in the order they run and print. Append new ones here.
SECTIONS: list[Section] = [
    Section("epoch", _epochs, format_epochs),          # seconds per epoch: minnet (fast and textbook), sklearn, torch
    Section("bound", _bound, format_bound),            # a training step against its matrix products
    Section("kernels", _kernels, format_kernels),      # ELU/SELU kernels against their reference and a copy
    Section("memory", _memory, format_memory),         # peak RSS of an epoch, in a fresh process
    Section("scaling", _scaling, format_scaling),      # epoch time against the number of samples
    Section("conv", measure_conv, format_conv),        # Conv2D and MaxPool2D forward + backward, a CNN epoch
]
