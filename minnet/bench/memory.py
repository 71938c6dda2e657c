"""Section "memory": the peak memory (RSS) of a one-epoch run, in a fresh subprocess.

On 60 000 × 784 float32, next to the size of the data set and the bare import baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import minnet as mn
from minnet.bench.common import MNIST_LAYERS, fmt
from minnet.bench.data import synthetic_mnist
from minnet.bench.epochs import MinnetRun


def _status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def memory_child(n: int) -> dict[str, Any]:
    """Run in the subprocess: import baseline, data, one epoch; RSS figures in MB."""
    baseline = _status_mb("VmRSS")
    X, y = synthetic_mnist(n)
    data_mb = (X.nbytes + y.nbytes) / 2**20
    run = MinnetRun(X, y, MNIST_LAYERS)
    run.epoch()
    peak = _status_mb("VmHWM")
    if peak is None:                               # not Linux: ru_maxrss (KB on Linux, bytes on macOS)
        import resource
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = rss / 2**20 if sys.platform == "darwin" else rss / 1024
    return {"n_samples": n, "baseline_mb": baseline, "data_mb": data_mb, "peak_mb": peak}


def measure_memory(n: int) -> dict[str, Any]:
    """Peak RSS of ``python -m minnet.bench --memory-child n`` and how much of it the data set explains."""
    env = dict(os.environ)
    root = str(Path(mn.__file__).resolve().parents[1])          # so the child imports this very minnet
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "minnet.bench", "--memory-child", str(n)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-2000:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    try:
        import resource
        result["ru_maxrss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    except ImportError:
        pass
    peak, data, base = result["peak_mb"], result["data_mb"], result["baseline_mb"]
    result["beyond_data_mb"] = peak - data
    result["beyond_baseline_and_data_mb"] = peak - data - (base or 0.0)
    return result


def format_memory(mem: dict[str, Any], report: dict[str, Any]) -> list[str]:
    if "error" in mem:
        return [f"Peak memory: the subprocess failed: {mem['error'][-300:]}"]
    return [f"Peak memory of one epoch on {mem['n_samples']} x 784 float32 (fresh process, VmHWM)",
            f"  peak {mem['peak_mb']:.0f} MB = import baseline {fmt(mem['baseline_mb'], '.0f')} MB"
            f" + data {mem['data_mb']:.0f} MB + {mem['beyond_baseline_and_data_mb']:.0f} MB"
            f"  (beyond the data alone: {mem['beyond_data_mb']:.0f} MB)"]
