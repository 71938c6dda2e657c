"""Section "bound": a training step against the matrix products it needs, the time no framework can beat.

The matrix products of one training step (forward x @ W of every layer; backward dW = xᵀ @ dz of
every layer and dx = dz @ Wᵀ of all but the first), times the steps of an epoch, and minnet's
training step (Adam; SGD with momentum) as a multiple of it; and the optimizer's update alone (``opt.step()``
without forward or backward), the part of the step that is neither a matrix product nor a layer: Adam's is
12 elementwise passes over every parameter (the fewest NumPy's one- and two-operand calls allow for its three
formulas; NumPy has no fused multiply-add), SGD with momentum's 4 — fused over one flat buffer per dtype, and
beside it the same update run parameter by parameter (what ``step`` did before the flat buffers), and the
same fused Adam update with 1 % of m left at the smallest subnormal number (what an always-zero input does
to m when nothing flushes it: the processor computes subnormals many times slower, which is why ``step``
sets them to 0 every ``Optimizer.FLUSH_EVERY`` steps).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from minnet.bench.common import BATCH, DTYPE, interleaved, median, spread
from minnet.bench.epochs import MinnetRun
from minnet.nn.parameter import Parameter
from minnet.train.optimizer import Optimizer


class MatmulStep:
    """Just the matrix products of one training step of a ``layers`` MLP on a batch, into preallocated arrays.

    Forward z = x @ W per layer; backward dW = xᵀ @ dz per layer and dx = dz @ Wᵀ for every
    layer but the first (nobody needs the gradient with respect to the data; mn.fit skips it
    too). Nothing else: no bias, activation, loss or update. Its time is what no framework
    calling this BLAS can beat.
    """

    def __init__(self, layers: Sequence[int], batch: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        pairs = list(zip(layers[:-1], layers[1:], strict=True))
        self.W = [rng.standard_normal((a, b), dtype=DTYPE) / np.sqrt(a).astype(DTYPE) for a, b in pairs]
        self.x = [rng.standard_normal((batch, a), dtype=DTYPE) for a, _ in pairs]
        self.z = [np.empty((batch, b), dtype=DTYPE) for _, b in pairs]
        self.dW = [np.empty_like(w) for w in self.W]
        self.dx = [np.empty_like(x) for x in self.x]

    def __call__(self) -> None:
        for x, w, z in zip(self.x, self.W, self.z, strict=True):
            np.matmul(x, w, out=z)
        for i, (x, w, dz, dw, dx) in enumerate(zip(self.x, self.W, self.z, self.dW, self.dx, strict=True)):
            np.matmul(x.T, dz, out=dw)
            if i > 0:
                np.matmul(dz, w.T, out=dx)


def compare_with_bound(X: np.ndarray, y: np.ndarray, layers: Sequence[int], rounds: int,
                       steps: int, warmup: int = 1) -> dict[str, Any]:
    """Seconds per step of the bare matrix products and of minnet's Adam and SGD+momentum steps.

    Measured in blocks of ``steps`` steps, the three kinds interleaved block by block; the
    medians of the per-step block means are reported.
    """
    rng = np.random.default_rng(1)
    batches = [rng.choice(len(X), BATCH, replace=False) for _ in range(8)]
    data = [(X[i], y[i]) for i in batches]
    bound = MatmulStep(layers, BATCH)
    adam, sgd = MinnetRun(X, y, layers, "adam"), MinnetRun(X, y, layers, "sgd")
    fused = {name: MinnetRun(X, y, layers, name).optimizer for name in ("adam", "sgd")}
    for opt in fused.values():
        fill_gradients(opt)
    separate = {name: per_parameter(opt) for name, opt in fused.items()}
    stale = with_subnormal_state(MinnetRun(X, y, layers, "adam").optimizer)

    def block(fn: Callable[..., None], with_batch: bool) -> Callable[[], None]:
        def run() -> None:
            for k in range(steps):
                if with_batch:
                    fn(*data[k % len(data)])
                else:
                    fn()
        return run

    times = interleaved({"matmul": block(bound, False), "adam": block(adam.step_on, True),
                         "sgd": block(sgd.step_on, True), "adam_update": block(fused["adam"].step, False),
                         "sgd_update": block(fused["sgd"].step, False),
                         "adam_update_per_parameter": block(separate["adam"].step, False),
                         "sgd_update_per_parameter": block(separate["sgd"].step, False),
                         "adam_update_subnormal": block(stale, False)}, rounds=rounds, warmup=warmup)
    per_step = {name: [t / steps for t in ts] for name, ts in times.items() if "_update" not in name}
    med = {name: median(ts) for name, ts in per_step.items()}
    update = {name: median([t / steps for t in ts]) for name, ts in times.items() if "_update" in name}
    steps_per_epoch = math.ceil(len(X) / BATCH)
    return {"layers": list(layers), "batch_size": BATCH, "steps_per_epoch": steps_per_epoch,
            "step_s": per_step, "median_step_s": med,
            "matmul_epoch_s": med["matmul"] * steps_per_epoch,
            "adam_vs_bound": med["adam"] / med["matmul"], "sgd_vs_bound": med["sgd"] / med["matmul"],
            "update_s": update, "update_vs_bound": {name: t / med["matmul"] for name, t in update.items()},
            "update_spread_s": {name: [t / steps for t in ts] for name, ts in times.items() if "_update" in name}}


def fill_gradients(optimizer: Optimizer, seed: int = 3) -> None:
    """Standard normal gradients, none of them 0, for timing the update alone: repeated steps on them keep m and v
    away from 0. (A gradient that stays 0 lets Adam's m decay by β1 per step into subnormal numbers, which the
    processor handles many times slower; training meets that for inputs that are always 0, and ``step`` flushes
    them to 0 every ``Optimizer.FLUSH_EVERY`` steps: see :mod:`minnet.train.optim`.)"""
    rng = np.random.default_rng(seed)
    for p in optimizer.params:
        p.grad[...] = rng.standard_normal(p.grad.shape)


#: the share of Adam's m that :func:`with_subnormal_state` holds at the smallest subnormal number
SUBNORMAL_SHARE = 0.01


def with_subnormal_state(optimizer: Optimizer) -> Callable[[], None]:
    """An Adam update in the state an always-zero input leaves when nothing flushes it: the first 1 % of the
    parameters (``SUBNORMAL_SHARE``) have gradient 0 and m at the smallest subnormal number (where β1·m rounds
    back to it), v at a small normal value; the others have standard normal gradients. The returned function
    runs one fused update with the periodic flush switched off, then puts those m values back."""
    fill_gradients(optimizer)
    optimizer.FLUSH_EVERY = 1 << 62                               # never, for this instance
    optimizer.step()                                              # builds the state's flat buffers
    group = optimizer._fused_groups()
    assert group is not None, "the bench's optimizer takes the fused path"
    count = int(SUBNORMAL_SHARE * group[0].flat.data.size)
    smallest = np.finfo(group[0].flat.dtype).smallest_subnormal
    group[0].flat.grad[:count] = 0
    m, v = group[0].state["exp_avg"], group[0].state["exp_avg_sq"]
    v[:count] = 1e-8

    def step() -> None:
        m[:count] = smallest
        optimizer.step()
    return step


def per_parameter(optimizer: Optimizer) -> Optimizer:
    """A fresh copy of ``optimizer`` (same hyperparameters, a copy of its parameters and gradients, new state) with
    the fused step switched off: its ``step`` runs the per-parameter kernel (the same arithmetic, one parameter at
    a time), for comparison."""
    params = [Parameter(p.data.copy(), p.name, weight_decay=p.weight_decay) for p in optimizer.params]
    for p, q in zip(params, optimizer.params, strict=True):
        p.grad[...] = q.grad
    cls = type(optimizer)
    separate = type(f"PerParameter{cls.__name__}", (cls,), {"_fused_applies": lambda self: False})
    return separate(params, **optimizer.get_config())


def format_bound(section: dict[str, Any], report: dict[str, Any]) -> list[str]:
    lines = ["Training step vs its matrix products (ms per step, median)   matmul     Adam  SGD+mom   "
             "Adam/bound  SGD/bound  bound/epoch s"]
    for key, b in section.items():
        m = b["median_step_s"]
        label = f"  {key} {'-'.join(map(str, b['layers']))}, {b['steps_per_epoch']} steps/epoch"
        lines.append(f"{label:<62}{m['matmul'] * 1e3:>7.3f}  {m['adam'] * 1e3:>7.3f}  {m['sgd'] * 1e3:>7.3f}  "
                     f"{b['adam_vs_bound']:>10.2f}  {b['sgd_vs_bound']:>9.2f}  {b['matmul_epoch_s']:>13.3f}")
    for key, b in section.items():
        u = b["update_vs_bound"]
        lines.append(f"  {key}: the optimizer's update alone (opt.step) = Adam {u['adam_update']:.2f} "
                     f"(per parameter {u['adam_update_per_parameter']:.2f}), SGD+momentum {u['sgd_update']:.2f} "
                     f"(per parameter {u['sgd_update_per_parameter']:.2f}) × the matrix products")
        lines.append(f"  {key}: Adam's update with {SUBNORMAL_SHARE:.0%} of m subnormal and left there (an always-zero "
                     f"input without the periodic flush) = {u['adam_update_subnormal']:.2f} × the matrix products")
    for key, b in section.items():
        lines.append(f"  spread (min–max ms per step) {key}: " + ",  ".join(
            f"{name} {spread(t, 1e3)}" for name, t in b["step_s"].items()))
    epoch = report.get("epoch", {}).get("mnist")
    b = section["mnist"]
    if epoch is not None:
        fit_step = epoch["median_s"]["minnet"] / b["steps_per_epoch"]
        lines.append(f"  minnet's mn.fit epoch per step: {fit_step * 1e3:.3f} ms = "
                     f"{fit_step / b['median_step_s']['matmul']:.2f} × the matrix products "
                     "(includes fit's bookkeeping)")
    return lines
