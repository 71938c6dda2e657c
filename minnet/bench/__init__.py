"""How fast is minnet? ``python -m minnet.bench`` measures it on this machine, in one process.

What it measures (every contender interleaved with the others, round after round, so that
machine drift — other programs, clock changes — hits all of them alike; medians reported):

1. **Epoch time** of the same network trained the same way (ReLU, Adam lr 1e-3, batch 128,
   float32, one epoch per call, no early stopping) by minnet (``mn.fit(..., epochs=1)``; and the
   same epoch under ``mn.textbook()``, every component through its reference path),
   scikit-learn's ``MLPClassifier.partial_fit`` and, when it happens to be installed,
   PyTorch eager on the CPU — on MNIST 784-256-128-10 (real MNIST when it can be loaded,
   else synthetic data of the same shape) and on digits 64-128-128-10.
2. **The lower bound**: the matrix products of one training step alone (forward x @ W of
   every layer; backward dW = xᵀ @ dz of every layer and dx = dz @ Wᵀ of all but the first), times the steps of
   an epoch, and minnet's training step (Adam; SGD with momentum) as a multiple of it.
3. **ELU and SELU kernels**: forward + backward in ns per element on 10⁶ float32 values,
   against the class's own ``reference`` (``ELU.reference``, the ``np.where`` code textbook mode runs)
   and against one ``np.copyto`` of the same array; and whether any floating-point warning is
   raised at extreme inputs.
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

The package: :mod:`~minnet.bench.common` (settings, the interleaved timer), :mod:`~minnet.bench.data`,
one module per section (:mod:`~minnet.bench.epochs`, :mod:`~minnet.bench.bound`,
:mod:`~minnet.bench.activations`, :mod:`~minnet.bench.memory`, :mod:`~minnet.bench.scaling`), the list
of sections (:mod:`~minnet.bench.sections`, where a new section is added), :mod:`~minnet.bench.targets`
and the command line (:mod:`~minnet.bench.cli`).
"""

from minnet.bench.activations import compare_kernels, kernel_extremes, raises_fp_warning, reference_pass
from minnet.bench.bound import MatmulStep, compare_with_bound
from minnet.bench.cli import format_report, main, parse_args, run
from minnet.bench.common import (
    BATCH,
    DIGITS_LAYERS,
    DTYPE,
    LR,
    MNIST_LAYERS,
    SETTINGS,
    blas_info,
    blas_threads,
    environment,
    interleaved,
    torch_module,
)
from minnet.bench.data import digits_data, mnist_data, synthetic_mnist
from minnet.bench.epochs import MinnetRun, SklearnRun, TorchRun, compare_epochs
from minnet.bench.memory import measure_memory, memory_child
from minnet.bench.scaling import measure_scaling
from minnet.bench.sections import SECTIONS, Context, Section
from minnet.bench.targets import TARGETS, check_targets

__all__ = [
    "BATCH", "DIGITS_LAYERS", "DTYPE", "LR", "MNIST_LAYERS", "SETTINGS", "SECTIONS", "TARGETS", "Context", "Section",
    "MatmulStep", "MinnetRun", "SklearnRun", "TorchRun", "blas_info", "blas_threads", "check_targets",
    "compare_epochs", "compare_kernels", "compare_with_bound", "digits_data", "environment", "format_report",
    "interleaved", "kernel_extremes", "main", "measure_memory", "measure_scaling", "memory_child", "mnist_data",
    "parse_args", "raises_fp_warning", "reference_pass", "run", "synthetic_mnist", "torch_module",
]
