"""Section "scaling": minnet's epoch time at 10k, 30k and 60k samples, and the least-squares slope."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from minnet.bench.common import MNIST_LAYERS, interleaved, median
from minnet.bench.epochs import MinnetRun


def measure_scaling(X: np.ndarray, y: np.ndarray, sizes: Sequence[int], rounds: int,
                    warmup: int = 1) -> dict[str, Any]:
    """minnet's epoch time at each size (interleaved), and the least-squares line t = a + b·n."""
    runs = {n: MinnetRun(X[:n], y[:n], MNIST_LAYERS) for n in sizes}
    times = interleaved({str(n): run.epoch for n, run in runs.items()}, rounds=rounds, warmup=warmup)
    med = np.array([median(times[str(n)]) for n in sizes])
    ns = np.array(sizes, dtype=float)
    slope, intercept = np.polyfit(ns, med, 1)
    fitted = intercept + slope * ns
    return {"n_samples": list(sizes), "seconds": times, "median_s": med.tolist(),
            "us_per_sample": (med / ns * 1e6).tolist(), "slope_us_per_sample": slope * 1e6,
            "intercept_s": intercept, "max_relative_residual": float(np.max(np.abs(med - fitted) / med))}


def format_scaling(s: dict[str, Any], report: dict[str, Any]) -> list[str]:
    return ["Scaling: minnet seconds per epoch (median) by number of samples",
            "  " + "   ".join(f"{n}: {t:.3f} s ({u:.1f} µs/sample)"
                              for n, t, u in zip(s["n_samples"], s["median_s"], s["us_per_sample"], strict=True)),
            f"  slope {s['slope_us_per_sample']:.2f} µs/sample, intercept {s['intercept_s'] * 1e3:.1f} ms, "
            f"largest deviation from the line {s['max_relative_residual'] * 100:.1f} %"]
