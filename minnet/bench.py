"""How fast is minnet? ``python -m minnet.bench`` measures it on this machine, in one process.

What it measures (every contender interleaved with the others, round after round, so that
machine drift — other programs, clock changes — hits all of them alike; medians reported):

1. **Epoch time** of the same network trained the same way (ReLU, Adam lr 1e-3, batch 128,
   float32, one epoch per call, no early stopping) by minnet (``mn.fit(..., epochs=1)``),
   scikit-learn's ``MLPClassifier.partial_fit`` and, when it happens to be installed,
   PyTorch eager on the CPU — on MNIST 784-256-128-10 (real MNIST when it can be loaded,
   else synthetic data of the same shape) and on digits 64-128-128-10.
2. **The lower bound**: the matrix products of one training step alone (forward x @ W of
   every layer; backward dW = xᵀ @ dz of every layer and dx = dz @ Wᵀ of all but the first), times the steps of
   an epoch, and minnet's training step (Adam; SGD with momentum) as a multiple of it.
3. **ELU and SELU kernels**: forward + backward in ns per element on 10⁶ float32 values,
   against a plain ``np.where`` version and against one ``np.copyto`` of the same array;
   and whether any floating-point warning is raised at extreme inputs.
4. **Peak memory** (RSS) of a one-epoch run on 60 000 × 784 float32, in a fresh subprocess,
   next to the size of the data set and the bare import baseline.
5. **Scaling**: time per epoch at 10k, 30k and 60k samples, and the slope.

It prints a table and writes everything (every single timing too) as JSON::

    python -m minnet.bench                          # full run, writes bench.json
    python -m minnet.bench --json results.json      # or --out results.json
    python -m minnet.bench --quick                  # seconds; for tests (timings meaningless)
    MINNET_DATA_DIR=/path/to/data python -m minnet.bench   # use real MNIST (see minnet.data)

The thread count is whatever the BLAS library uses (``--threads N`` limits it, for numpy and
PyTorch alike); the table's header names the library, its thread count and the dtype.
On a busy machine the numbers are noisy: compare ratios measured in the same run, and repeat.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from contextlib import nullcontext
from pathlib import Path
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
             "scaling_rounds": 5, "warmup": 1},
    "quick": {"mnist_n": 1000, "rounds": 1, "digits_rounds": 1, "bound_rounds": 2, "bound_steps": 3,
              "kernel_n": 10**5, "kernel_rounds": 2, "memory_n": 1000, "scaling_n": (250, 500, 1000),
              "scaling_rounds": 1, "warmup": 0},
}

#: The targets: name -> (limit, what the value is).
TARGETS = {
    "epoch_vs_sklearn": (0.5, "minnet epoch / scikit-learn epoch, MNIST shape"),
    "epoch_vs_torch": (0.8, "minnet epoch / PyTorch eager epoch, MNIST shape"),
    "adam_step_vs_bound": (2.0, "minnet Adam step / its matrix products, MNIST shape"),
    "sgd_step_vs_bound": (1.5, "minnet SGD+momentum step / its matrix products, MNIST shape"),
    "elu_vs_copy": (8.0, "ELU forward+backward / np.copyto of the same array"),
    "selu_vs_copy": (8.0, "SELU forward+backward / np.copyto of the same array"),
    "memory_beyond_data_mb": (64.0, "peak RSS − import baseline − data set, MB"),
}


# --- small helpers ---------------------------------------------------------------------------
def _median(values: Sequence[float]) -> float:
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
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
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


# --- data ------------------------------------------------------------------------------------
def synthetic_mnist(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped data: X (n, 784) float32 in [0, 1), y (n,) int64 from a random linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, MNIST_LAYERS[0]), dtype=DTYPE)
    w = rng.standard_normal((MNIST_LAYERS[0], N_CLASSES)).astype(DTYPE)
    # in slices: one product over all of X would make BLAS touch tens of MB of work buffers,
    # which the memory measurement would then charge to training
    y = np.concatenate([(X[i:i + 1024] @ w).argmax(axis=1) for i in range(0, n, 1024)]).astype(np.int64)
    return X, y


def mnist_data(n: int | None, data_dir: str | None, allow_real: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """(X, y, source): real MNIST training images when they can be loaded, else synthetic ones."""
    if allow_real:
        try:
            X, y = mn.data.load_mnist("train", data_dir=data_dir)
            if n is not None:
                X, y = X[:n], y[:n]
            return np.ascontiguousarray(X, dtype=DTYPE), y.astype(np.int64), "MNIST"
        except (mn.data.DataNotFoundError, mn.data.DataError) as exc:     # not there, or damaged
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"real MNIST not used ({reason}); synthetic data of the same shape instead", file=sys.stderr)
    X, y = synthetic_mnist(60_000 if n is None else n)
    return X, y, "synthetic"


def digits_data() -> tuple[np.ndarray, np.ndarray, str]:
    X, y = mn.data.load_digits()
    return (X / 16).astype(DTYPE), y.astype(np.int64), "digits"


# --- contenders: one epoch each --------------------------------------------------------------
class MinnetRun:
    """minnet: ``mn.fit(model, CrossEntropyLoss, optimizer, X, y, epochs=1)`` per call."""

    def __init__(self, X: np.ndarray, y: np.ndarray, layers: Sequence[int], optimizer: str = "adam",
                 seed: int = 0) -> None:
        self.X, self.y = X, y
        self.model = mn.mlp(layers[0], layers[-1], hidden=layers[1:-1], activation="relu", seed=seed, dtype=DTYPE)
        if optimizer == "adam":
            self.optimizer = mn.Adam(self.model.parameters(), lr=LR)
        else:
            self.optimizer = mn.SGD(self.model.parameters(), lr=LR, momentum=0.9)
        self.loss = mn.CrossEntropyLoss()
        self.rng = np.random.default_rng(seed)

    def epoch(self) -> None:
        mn.fit(self.model, self.loss, self.optimizer, self.X, self.y, epochs=1, batch_size=BATCH,
               seed=self.rng, progress=False)

    def step_on(self, xb: np.ndarray, yb: np.ndarray) -> None:
        """One training step on a given batch (the body of fit's loop, without its bookkeeping)."""
        self.optimizer.zero_grad()
        self.loss.forward(self.model.forward(xb, training=True), yb)
        self.model.backward_to_parameters(self.loss.backward())     # what mn.fit does
        self.optimizer.step()


class SklearnRun:
    """scikit-learn: ``MLPClassifier(...).partial_fit(X, y)`` per call (one epoch of Adam updates).

    ``alpha=0`` (no L2 penalty) so that it optimises the same loss as the minnet network.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, layers: Sequence[int], seed: int = 0) -> None:
        from sklearn.neural_network import MLPClassifier

        self.X, self.y = X, y
        self.classes = np.arange(layers[-1])
        self.model = MLPClassifier(hidden_layer_sizes=tuple(layers[1:-1]), activation="relu", solver="adam",
                                   learning_rate_init=LR, batch_size=BATCH, alpha=0.0, early_stopping=False,
                                   shuffle=True, random_state=seed)

    def epoch(self) -> None:
        self.model.partial_fit(self.X, self.y, classes=self.classes)

    def dtype(self) -> str:
        coefs = getattr(self.model, "coefs_", None)
        return coefs[0].dtype.name if coefs else "?"


class TorchRun:
    """PyTorch eager on the CPU: the textbook loop (randperm, index, zero_grad, backward, step)."""

    def __init__(self, torch: Any, X: np.ndarray, y: np.ndarray, layers: Sequence[int], seed: int = 0) -> None:
        self.torch = torch
        torch.manual_seed(seed)
        nn = torch.nn
        modules: list[Any] = []
        for i, (a, b) in enumerate(zip(layers[:-1], layers[1:], strict=True)):
            modules.append(nn.Linear(a, b))
            if i < len(layers) - 2:
                modules.append(nn.ReLU())
        self.model = nn.Sequential(*modules)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss = nn.CrossEntropyLoss()
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.generator = torch.Generator().manual_seed(seed)

    def epoch(self) -> None:
        torch = self.torch
        n = len(self.X)
        order = torch.randperm(n, generator=self.generator)
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            self.optimizer.zero_grad()
            loss = self.loss(self.model(self.X[idx]), self.y[idx])
            loss.backward()
            self.optimizer.step()


def compare_epochs(X: np.ndarray, y: np.ndarray, source: str, layers: Sequence[int], rounds: int,
                   torch: Any | None, warmup: int = 1) -> dict[str, Any]:
    """Median seconds per epoch of every contender on (X, y), interleaved round by round."""
    runs: dict[str, Any] = {"minnet": MinnetRun(X, y, layers), "sklearn": SklearnRun(X, y, layers)}
    if torch is not None:
        runs["torch"] = TorchRun(torch, X, y, layers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                   # sklearn's convergence chatter
        times = interleaved({name: run.epoch for name, run in runs.items()}, rounds=rounds, warmup=warmup)
    median = {name: _median(t) for name, t in times.items()}
    ratio = {f"minnet/{name}": median["minnet"] / median[name] for name in median if name != "minnet"}
    return {"data": source, "n_samples": len(X), "layers": list(layers), "batch_size": BATCH, "optimizer": "adam",
            "lr": LR, "rounds": rounds, "seconds": times, "median_s": median, "ratio": ratio,
            "sklearn_dtype": runs["sklearn"].dtype()}


# --- the matrix-product bound ----------------------------------------------------------------
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

    def block(fn: Callable[..., None], with_batch: bool) -> Callable[[], None]:
        def run() -> None:
            for k in range(steps):
                if with_batch:
                    fn(*data[k % len(data)])
                else:
                    fn()
        return run

    times = interleaved({"matmul": block(bound, False), "adam": block(adam.step_on, True),
                         "sgd": block(sgd.step_on, True)}, rounds=rounds, warmup=warmup)
    per_step = {name: [t / steps for t in ts] for name, ts in times.items()}
    med = {name: _median(ts) for name, ts in per_step.items()}
    steps_per_epoch = math.ceil(len(X) / BATCH)
    return {"layers": list(layers), "batch_size": BATCH, "steps_per_epoch": steps_per_epoch,
            "step_s": per_step, "median_step_s": med,
            "matmul_epoch_s": med["matmul"] * steps_per_epoch,
            "adam_vs_bound": med["adam"] / med["matmul"], "sgd_vs_bound": med["sgd"] / med["matmul"]}


# --- ELU and SELU kernels --------------------------------------------------------------------
def where_elu(x: np.ndarray, dy: np.ndarray, alpha: float, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The plain version: f = scale·where(x > 0, x, α(eˣ − 1)), dx = dy·scale·where(x > 0, 1, α eˣ)."""
    positive = x > 0
    y = scale * np.where(positive, x, alpha * np.expm1(x))
    dx = dy * (scale * np.where(positive, 1.0, alpha * np.exp(x)))
    return y, dx


def kernel_extremes(dtype: type = DTYPE) -> np.ndarray:
    """Finite inputs from −max to max/2 (SELU(max) = λ·max genuinely overflows), subnormals and ±0."""
    info = np.finfo(dtype)
    return np.array([-info.max, -1e4, -88.0, -50.0, -1.0, -info.tiny, -info.smallest_subnormal, -0.0, 0.0,
                     info.smallest_subnormal, info.tiny, 1.0, 50.0, 88.0, 1e4, info.max / 2], dtype=dtype)


def raises_fp_warning(layer: mn.Activation) -> bool:
    """True if forward or backward at extreme inputs raises a floating-point warning."""
    x = kernel_extremes()
    try:          # underflow is not a warning under NumPy's defaults (and e^−10⁴ must underflow)
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error")
            layer.forward(x, training=True)
            layer.backward(np.ones_like(x))
    except (FloatingPointError, RuntimeWarning):
        return True
    return False


def compare_kernels(n: int, rounds: int, warmup: int = 1) -> dict[str, Any]:
    """ns per element of ELU/SELU forward + backward (minnet and np.where) and of one np.copyto."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(n, dtype=DTYPE)
    dy = rng.standard_normal(n, dtype=DTYPE)
    out = np.empty_like(x)
    elu, selu = mn.ELU(), mn.SELU()

    def minnet_pass(layer: mn.Activation) -> Callable[[], None]:
        def run() -> None:
            layer.forward(x, training=True)
            layer.backward(dy)
        return run

    tasks = {
        "copyto": lambda: np.copyto(out, x),
        "elu_minnet": minnet_pass(elu),
        "elu_where": lambda: where_elu(x, dy, 1.0),
        "selu_minnet": minnet_pass(selu),
        "selu_where": lambda: where_elu(x, dy, mn.activations.SELU_ALPHA, mn.activations.SELU_SCALE),
    }
    with np.errstate(all="ignore"):
        times = interleaved(tasks, rounds=rounds, warmup=warmup)
    ns = {name: _median(ts) / n * 1e9 for name, ts in times.items()}
    result: dict[str, Any] = {"n": n, "dtype": np.dtype(DTYPE).name, "rounds": rounds, "ns_per_element": ns,
                              "seconds": times}
    for name, layer in (("elu", elu), ("selu", selu)):
        result[name] = {"minnet_x_copy": ns[f"{name}_minnet"] / ns["copyto"],
                        "where_x_copy": ns[f"{name}_where"] / ns["copyto"],
                        "fp_warning_at_extremes": raises_fp_warning(type(layer)())}
    return result


# --- peak memory, in a fresh process ---------------------------------------------------------
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


# --- scaling with the number of samples ------------------------------------------------------
def measure_scaling(X: np.ndarray, y: np.ndarray, sizes: Sequence[int], rounds: int,
                    warmup: int = 1) -> dict[str, Any]:
    """minnet's epoch time at each size (interleaved), and the least-squares line t = a + b·n."""
    runs = {n: MinnetRun(X[:n], y[:n], MNIST_LAYERS) for n in sizes}
    times = interleaved({str(n): run.epoch for n, run in runs.items()}, rounds=rounds, warmup=warmup)
    med = np.array([_median(times[str(n)]) for n in sizes])
    ns = np.array(sizes, dtype=float)
    slope, intercept = np.polyfit(ns, med, 1)
    fitted = intercept + slope * ns
    return {"n_samples": list(sizes), "seconds": times, "median_s": med.tolist(),
            "us_per_sample": (med / ns * 1e6).tolist(), "slope_us_per_sample": slope * 1e6,
            "intercept_s": intercept, "max_relative_residual": float(np.max(np.abs(med - fitted) / med))}


# --- targets and the table -------------------------------------------------------------------
def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    values: dict[str, float | None] = {
        "epoch_vs_sklearn": report["epoch"]["mnist"]["ratio"].get("minnet/sklearn"),
        "epoch_vs_torch": report["epoch"]["mnist"]["ratio"].get("minnet/torch"),
        "adam_step_vs_bound": report["bound"]["mnist"]["adam_vs_bound"],
        "sgd_step_vs_bound": report["bound"]["mnist"]["sgd_vs_bound"],
        "elu_vs_copy": report["kernels"]["elu"]["minnet_x_copy"],
        "selu_vs_copy": report["kernels"]["selu"]["minnet_x_copy"],
        "memory_beyond_data_mb": report["memory"].get("beyond_baseline_and_data_mb"),
    }
    targets = []
    for name, (limit, what) in TARGETS.items():
        value = values[name]
        targets.append({"name": name, "what": what, "value": value, "limit": limit,
                        "met": None if value is None else bool(value <= limit)})
    fp = [k for k in ("elu", "selu") if report["kernels"][k]["fp_warning_at_extremes"]]
    targets.append({"name": "no_fp_warning", "what": "ELU/SELU raise no floating-point warning at extreme inputs",
                    "value": ", ".join(fp) or "none", "limit": "none", "met": not fp})
    return targets


def _fmt(v: Any, spec: str = ".3f") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return format(v, spec) if isinstance(v, (int, float)) else str(v)


def format_report(report: dict[str, Any]) -> str:
    env = report["environment"]
    quick = " (--quick: sizes too small for the timings to mean anything)" if report["quick"] else ""
    load = env["load_average"], env.get("load_average_end")
    lines = [f"minnet benchmark{quick}",
             f"  {env['dtype']}, BLAS {env['blas']} with {env['blas_threads']} thread(s), numpy {env['numpy']}, "
             f"Python {env['python']}, {env['cpu_count']} CPUs, PyTorch {report['torch'] or 'not installed'}",
             f"  load average {_fmt(load[0] and load[0][0], '.1f')} at start, {_fmt(load[1] and load[1][0], '.1f')} "
             "at the end (other programs running make every timing noisy)", ""]

    lines.append("Seconds per epoch (median; Adam lr 1e-3, batch 128, ReLU)   minnet  sklearn    torch  "
                 "minnet/sklearn  minnet/torch")
    for key, e in report["epoch"].items():
        m, r = e["median_s"], e["ratio"]
        label = f"  {key} {'-'.join(map(str, e['layers']))}, {e['n_samples']} samples ({e['data']})"
        lines.append(f"{label:<62}{_fmt(m['minnet']):>7}  {_fmt(m['sklearn']):>7}  {_fmt(m.get('torch')):>7}  "
                     f"{_fmt(r.get('minnet/sklearn'), '.2f'):>14}  {_fmt(r.get('minnet/torch'), '.2f'):>12}")
    lines.append("")

    lines.append("Training step vs its matrix products (ms per step, median)   matmul     Adam  SGD+mom   "
                 "Adam/bound  SGD/bound  bound/epoch s")
    for key, b in report["bound"].items():
        m = b["median_step_s"]
        label = f"  {key} {'-'.join(map(str, b['layers']))}, {b['steps_per_epoch']} steps/epoch"
        lines.append(f"{label:<62}{m['matmul'] * 1e3:>7.3f}  {m['adam'] * 1e3:>7.3f}  {m['sgd'] * 1e3:>7.3f}  "
                     f"{b['adam_vs_bound']:>10.2f}  {b['sgd_vs_bound']:>9.2f}  {b['matmul_epoch_s']:>13.3f}")
    e = report["epoch"]["mnist"]
    b = report["bound"]["mnist"]
    fit_step = e["median_s"]["minnet"] / b["steps_per_epoch"]
    lines.append(f"  minnet's mn.fit epoch per step: {fit_step * 1e3:.3f} ms = "
                 f"{fit_step / b['median_step_s']['matmul']:.2f} × the matrix products (includes fit's bookkeeping)")
    lines.append("")

    k = report["kernels"]
    ns = k["ns_per_element"]
    lines.append(f"ELU/SELU forward + backward, {k['n']:.0e} {k['dtype']} values (ns/element, median)")
    lines.append(f"  np.copyto of the same array: {ns['copyto']:.3f}")
    for name in ("elu", "selu"):
        lines.append(f"  {name.upper():<5} minnet {ns[f'{name}_minnet']:7.3f} ({k[name]['minnet_x_copy']:5.1f} × copy)"
                     f"   np.where {ns[f'{name}_where']:7.3f} ({k[name]['where_x_copy']:5.1f} × copy)"
                     f"   fp warning at extremes: {'YES' if k[name]['fp_warning_at_extremes'] else 'no'}")
    lines.append("")

    mem = report["memory"]
    if "error" in mem:
        lines.append(f"Peak memory: the subprocess failed: {mem['error'][-300:]}")
    else:
        lines.append(f"Peak memory of one epoch on {mem['n_samples']} x 784 float32 (fresh process, VmHWM)")
        lines.append(f"  peak {mem['peak_mb']:.0f} MB = import baseline {_fmt(mem['baseline_mb'], '.0f')} MB"
                     f" + data {mem['data_mb']:.0f} MB + {mem['beyond_baseline_and_data_mb']:.0f} MB"
                     f"  (beyond the data alone: {mem['beyond_data_mb']:.0f} MB)")
    lines.append("")

    s = report["scaling"]
    lines.append("Scaling: minnet seconds per epoch (median) by number of samples")
    lines.append("  " + "   ".join(f"{n}: {t:.3f} s ({u:.1f} µs/sample)"
                                   for n, t, u in zip(s["n_samples"], s["median_s"], s["us_per_sample"], strict=True)))
    lines.append(f"  slope {s['slope_us_per_sample']:.2f} µs/sample, intercept {s['intercept_s'] * 1e3:.1f} ms, "
                 f"largest deviation from the line {s['max_relative_residual'] * 100:.1f} %")
    lines.append("")

    lines.append("Targets")
    for t in report["targets"]:
        status = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        value = _fmt(t["value"], ".2f") if not isinstance(t["value"], str) else t["value"]
        lines.append(f"  {t['name']:<24} {value:>8}  (limit {t['limit']})  {status:<12} {t['what']}")
    return "\n".join(lines)


# --- command line ----------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m minnet.bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny sizes, runs in seconds (for tests)")
    p.add_argument("--json", "--out", dest="json", default="bench.json", metavar="PATH",
                   help="where to write the JSON report (default: bench.json)")
    p.add_argument("--rounds", type=int, default=None, help="epochs timed per contender on MNIST (default 5)")
    p.add_argument("--threads", type=int, default=None, help="limit BLAS (and PyTorch) to this many threads")
    p.add_argument("--data-dir", default=None, help="folder holding mnist/ (default: $MINNET_DATA_DIR)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    p.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    cfg = dict(SETTINGS["quick" if quick else "full"])
    if args.rounds:
        cfg.update(rounds=args.rounds, digits_rounds=4 * args.rounds, scaling_rounds=args.rounds)
    warmup = cfg["warmup"]
    torch = None if args.no_torch else torch_module()
    threads = args.threads or blas_threads()
    if torch is not None and threads:
        torch.set_num_threads(threads)
    report: dict[str, Any] = {"quick": quick, "argv": sys.argv[1:], "settings": cfg, "environment": environment(),
                              "torch": getattr(torch, "__version__", None)}

    X, y, source = mnist_data(cfg["mnist_n"], args.data_dir, allow_real=not quick)
    Xd, yd, dsource = digits_data()
    report["epoch"] = {
        "mnist": compare_epochs(X, y, source, MNIST_LAYERS, cfg["rounds"], torch, warmup),
        "digits": compare_epochs(Xd, yd, dsource, DIGITS_LAYERS, cfg["digits_rounds"], torch, warmup),
    }
    report["bound"] = {
        key: compare_with_bound(data[0], data[1], layers, cfg["bound_rounds"], cfg["bound_steps"], warmup)
        for key, data, layers in (("mnist", (X, y), MNIST_LAYERS), ("digits", (Xd, yd), DIGITS_LAYERS))
    }
    report["kernels"] = compare_kernels(cfg["kernel_n"], cfg["kernel_rounds"], warmup)
    report["memory"] = measure_memory(cfg["memory_n"])
    report["scaling"] = measure_scaling(X, y, cfg["scaling_n"], cfg["scaling_rounds"], warmup)
    report["targets"] = check_targets(report)
    report["environment"]["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child)))
        return 0
    limit: Any = nullcontext()
    if args.threads:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(args.threads)
    with limit:
        report = run(args)
    print(format_report(report))
    path = Path(args.json)
    path.write_text(json.dumps(report, indent=1, default=float) + "\n")
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
