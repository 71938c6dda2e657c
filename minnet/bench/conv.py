"""The convolution benchmark: ``python -m minnet.bench.conv [--repeats N] [--json PATH]``.

It measures, in one process:

- ``conv2d``: Conv2D forward + backward (dx, dW, db) on x (128, 3, 32, 32) → 32 channels, 3×3, padding 1, float32;
- ``conv_bound``: the three matrix products of that forward + backward alone, what im2col reduces it to;
- ``maxpool2d``: MaxPool2D 2×2 forward + backward on the convolution's output (128, 32, 32, 32);
- ``cnn_epoch``: one training epoch (SGD with momentum, batch 64) of tutorial 08's CNN (``mn.cnn`` with channels
  (8, 16), ReLU, max pooling) on 10 000 Fashion-MNIST images — random images of that shape when the files are
  absent (the row says which).

Each is timed ``repeats`` times after one warm-up run; the table shows the median wall-clock time and, in
brackets, the median CPU time of the process (closer to an idle machine's wall-clock time when others share
it). When PyTorch happens to be installed (it is never a dependency), the same convolution and pooling run
through PyTorch's eager CPU kernels in the same process, with the same number of threads, and the ratio
minnet / PyTorch is printed; the target for the convolution is ≤ 3.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import time
from typing import Any, Callable

import numpy as np

from minnet.data.errors import DataNotFoundError
from minnet.data.mnist import load_fashion_mnist
from minnet.nn.cnn import cnn
from minnet.nn.conv import Conv2D
from minnet.nn.losses import CrossEntropyLoss
from minnet.nn.pooling import MaxPool2D
from minnet.train.loop import fit
from minnet.train.optim import SGD

CONV_SHAPE = (128, 3, 32, 32)
CONV_TARGET = 3.0
"""Conv2D forward + backward may take at most this many times PyTorch eager's time."""


def median_seconds(step: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """The median wall-clock and CPU (process) time of ``step()`` over ``repeats`` runs, after one warm-up run.

    On a machine shared with other jobs the wall-clock time grows with the load; the CPU time much less.
    """
    step()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def torch_module() -> Any | None:
    """PyTorch if it is installed (imported by name, so minnet never depends on it), else None."""
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    return torch


def _minnet_conv_step(x: np.ndarray) -> tuple[Callable[[], Any], np.ndarray]:
    layer = Conv2D(3, 32, 3, padding=1, rng=0)
    y = layer.forward(x)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)

    def step() -> None:
        layer.zero_grad()
        layer.forward(x, training=True)
        layer.backward(dy)

    return step, y


def _matmul_bound_step(x: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    """The three matrix products of Conv2D's forward and backward alone (im2col, col2im and the rest left out)."""
    rng = np.random.default_rng(2)
    n, k, positions = x.shape[0], x.shape[1] * 9, y.shape[2] * y.shape[3]
    cols = rng.standard_normal((n, k, positions), dtype=np.float32)
    w2 = rng.standard_normal((y.shape[1], k), dtype=np.float32)
    dy = rng.standard_normal((n, y.shape[1], positions), dtype=np.float32)

    def step() -> None:
        np.matmul(w2, cols)                                         # y = W₂ @ cols
        np.matmul(dy, cols.transpose(0, 2, 1)).sum(axis=0)          # dW₂ = Σ_n dy_n @ cols_nᵀ
        np.matmul(w2.T, dy)                                         # dcols = W₂ᵀ @ dy_n

    return step


def _minnet_pool_step(y: np.ndarray) -> Callable[[], Any]:
    pool = MaxPool2D(2)
    dz = np.ones((y.shape[0], y.shape[1], y.shape[2] // 2, y.shape[3] // 2), dtype=np.float32)

    def step() -> None:
        pool.forward(y, training=True)
        pool.backward(dz)

    return step


def _torch_steps(torch: Any, x: np.ndarray, y: np.ndarray) -> tuple[Callable[[], Any], Callable[[], Any]]:
    functional = torch.nn.functional
    xt = torch.from_numpy(x).requires_grad_(True)
    weight = torch.randn(32, 3, 3, 3, requires_grad=True)
    bias = torch.zeros(32, requires_grad=True)
    dy = torch.randn(*y.shape)
    yt = torch.from_numpy(y.copy()).requires_grad_(True)

    def conv() -> None:
        for t in (xt, weight, bias):
            t.grad = None
        functional.conv2d(xt, weight, bias, padding=1).backward(dy)

    def pool() -> None:
        yt.grad = None
        out = functional.max_pool2d(yt, 2)
        out.backward(torch.ones_like(out))

    return conv, pool


def _fashion_subset(n: int) -> tuple[np.ndarray, np.ndarray, str]:
    try:
        X, y = load_fashion_mnist("train", image=True)
        return X[:n], y[:n], f"Fashion-MNIST, {n} images"
    except DataNotFoundError:
        rng = np.random.default_rng(0)
        return (rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n),
                f"random 28×28 images (Fashion-MNIST not found), {n} images")


def _epoch_step(X: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    model = cnn((1, 28, 28), 10, channels=(8, 16), activation="relu", seed=0)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        fit(model, CrossEntropyLoss(), optimizer, X, y, epochs=1, batch_size=64, seed=0, progress=False)

    return step


def run(repeats: int = 5, epoch_samples: int = 10_000) -> list[dict[str, Any]]:
    """Time the three rows; each dict has ``name``, ``what``, ``minnet_s`` and, with PyTorch, ``torch_s`` and
    ``ratio`` (minnet / PyTorch), plus ``target`` where one applies."""
    x = np.random.default_rng(0).standard_normal(CONV_SHAPE).astype(np.float32)
    conv_step, y = _minnet_conv_step(x)
    rows: list[dict[str, Any]] = [
        {"name": "conv2d", "what": "Conv2D 3→32, 3×3, padding 1, forward + backward, x (128, 3, 32, 32)",
         "step": conv_step, "target": CONV_TARGET},
        {"name": "maxpool2d", "what": "MaxPool2D 2×2 forward + backward on (128, 32, 32, 32)",
         "step": _minnet_pool_step(y)},
    ]
    torch = torch_module()
    torch_steps = _torch_steps(torch, x, y) if torch is not None else (None, None)
    for row, torch_step in zip(rows, torch_steps):
        row["minnet_s"], row["minnet_cpu_s"] = median_seconds(row.pop("step"), repeats)
        if torch_step is not None:
            row["torch_s"], row["torch_cpu_s"] = median_seconds(torch_step, repeats)
            row["ratio"] = row["minnet_s"] / row["torch_s"]
    wall, cpu = median_seconds(_matmul_bound_step(x, y), repeats)
    rows.insert(1, {"name": "conv_bound", "what": "the three matrix products of the conv2d row alone "
                    f"(conv2d / bound = {rows[0]['minnet_s'] / wall:.2f})", "minnet_s": wall, "minnet_cpu_s": cpu})
    X, labels, what = _fashion_subset(epoch_samples)
    wall, cpu = median_seconds(_epoch_step(X, labels), max(1, repeats // 2))
    rows.append({"name": "cnn_epoch", "what": f"one epoch of tutorial 08's CNN (8, 16 channels, ReLU), {what}",
                 "minnet_s": wall, "minnet_cpu_s": cpu})
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    torch = torch_module()
    lines = ["minnet convolution benchmark (median seconds, float32)",
             f"  threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, numpy {np.__version__}, "
             f"PyTorch {getattr(torch, '__version__', 'not installed')}",
             f"  {'row':<11}{'minnet':>10}{'(cpu)':>9}{'torch':>10}{'ratio':>8}  what"]
    for r in rows:
        torch_s = f"{r['torch_s']:.4f}" if "torch_s" in r else "—"
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "—"
        target = ""
        if "target" in r and "ratio" in r:
            target = f"  (target ≤ {r['target']:g}: {'met' if r['ratio'] <= r['target'] else 'MISSED'})"
        lines.append(f"  {r['name']:<11}{r['minnet_s']:>10.4f}{r['minnet_cpu_s']:>9.4f}{torch_s:>10}{ratio:>8}  "
                     f"{r['what']}{target}")
    return "\n".join(lines)


def measure(context: Any) -> dict[str, Any]:
    """The section of ``python -m minnet.bench``: the rows of :func:`run` at the run's sizes."""
    return {"rows": run(int(context.cfg["conv_repeats"]), int(context.cfg["conv_epoch_n"]))}


def format_section(result: dict[str, Any], report: dict[str, Any]) -> list[str]:
    """The section's lines in the benchmark's printed table."""
    return ["", *format_table(result["rows"]).splitlines()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m minnet.bench.conv", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per row (median reported)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows = run(args.repeats)
    print(format_table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
