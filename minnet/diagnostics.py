"""Diagnostics: dead units, activation statistics and gradient flow, measured without changing the model.

Three measurements of a :class:`~minnet.Sequential` on a data set X, one record per layer:

- :func:`dead_units` — how many units of each activation layer are **dead** (f'(z) = 0 for
  every sample, so no gradient ever reaches their incoming weights) and how many are
  **never active** (z ≤ 0 for every sample);
- :func:`activation_stats` — mean, variance, fraction of negative outputs and of exact
  zeros of every layer's output (and of the pre-activation z feeding each activation),
  overall and (mean, variance) per unit:
  the numbers behind "SELU keeps activations at mean 0, variance 1";
- :func:`gradient_stats` — the norm of dL/d(input) and of dL/d(parameters) of every
  layer: how the gradient flows (vanishes, explodes) through depth.

Every record is a plain ``dict``; a list of them prints as an aligned table with
:func:`report` (or :func:`format_table`, which returns the text)::

    records = mn.diagnostics.dead_units(model, X_train)
    mn.diagnostics.report(records)
    records[1]["dead_fraction"]

**Positions.** ``record["layer"]`` is the layer's index in ``model.layers`` (an int).
Layers inside a nested Sequential get a dotted path, ``"2.1"`` for ``model.layers[2].layers[1]``,
as in ``model.named_parameters()``. A model that is a single layer (e.g. one Activation)
is position 0.

**Units.** For an (N, D) array a unit is a feature (a column). For (N, C, H, W) — or any
(N, C, ...) — a unit is a channel: the statistics of a unit run over the N samples and
every spatial position. A 1-D (N,) array is one unit. So a channel of a convolutional
layer is dead when its derivative is 0 at every position for every sample, and ``units`` is
the number of channels (docs/conventions.md, "Dead and never-active units").

**Nothing changes.** The model is run with ``training=False`` only (dropout off,
BatchNorm uses its running statistics and leaves them alone). Parameters, their
``.grad`` arrays (same objects, same values), buffers, every layer's random generator
(``layer.rng``; its bit-generator state is restored) and the optimizer are as before the
call. Layers overwrite their forward caches (``Dense._x``, ``Activation._slope``), but
the next training step recomputes those, so it is bit-identical to a step taken without
the call.

**Streaming.** X is processed in batches of ``batch_size`` rows, so the memory needed is
that of one batch (60 000 × 784 MNIST fits easily), and the results do not depend on
``batch_size`` (up to float64 rounding for the means and variances).
"""

from __future__ import annotations

import math
import numbers
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from minnet.nn.activations import Activation
from minnet.nn.layer import Layer
from minnet.nn.sequential import Sequential
from minnet.validation import check_features_array, check_positive_int, check_same_length

Record = dict[str, Any]
Position = int | str


# --- walking the model ----------------------------------------------------------------------
def _leaves(model: Any, where: str) -> list[tuple[Position, Layer]]:
    """(position, layer) for every layer of the model in forward order; nested Sequentials are expanded.

    Positions are indices in ``model.layers`` (ints); inside a nested Sequential they are
    dotted paths such as ``"2.1"``. A model that is not a Sequential is one layer at position 0.
    """
    if not isinstance(model, Layer):
        raise TypeError(
            f"{where}: expected a minnet model (a Sequential or another minnet Layer), got {type(model).__name__}"
        )
    if not isinstance(model, Sequential):
        return [(0, model)]

    def walk(seq: Sequential, prefix: str) -> Iterator[tuple[Position, Layer]]:
        for i, layer in enumerate(seq.layers):
            pos: Position = i if not prefix else f"{prefix}{i}"
            if isinstance(layer, Sequential):
                yield from walk(layer, f"{pos}.")
            else:
                yield pos, layer

    leaves = list(walk(model, ""))
    if not leaves:
        raise ValueError(f"{where}: the model {model!r} has no layers")
    return leaves


def _batches(X: np.ndarray, batch_size: int, *others: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
    """Consecutive row slices (views, no copies) of X and of each array in ``others``."""
    for start in range(0, len(X), batch_size):
        stop = start + batch_size
        yield (X[start:stop], *(a[start:stop] for a in others))


def _forward(leaves: list[tuple[Position, Layer]], x: np.ndarray,
             visit: Callable[[Position, Layer, np.ndarray, np.ndarray], None] | None = None) -> np.ndarray:
    """Run one batch through the layers with training=False, calling ``visit(pos, layer, x_in, y_out)``."""
    for pos, layer in leaves:
        y = layer.forward(x, training=False)
        if visit is not None:
            visit(pos, layer, x, y)
        x = y
    return x


def _layer_name(layer: Layer) -> str:
    return type(layer).__name__


def _units(a: np.ndarray) -> int:
    """Number of units: size of axis 1 (features or channels); a 1-D array is one unit."""
    return int(a.shape[1]) if a.ndim >= 2 else 1


def _any_per_unit(mask: np.ndarray) -> np.ndarray:
    """mask (N, C, ...) → (C,): True where the unit is True for at least one sample/position."""
    if mask.ndim == 1:
        return np.array([mask.any()])
    return np.asarray(mask.any(axis=(0,) + tuple(range(2, mask.ndim))))


@contextmanager
def _untouched(model: Any, leaves: list[tuple[Position, Layer]], grads: bool = False) -> Iterator[None]:
    """Restore every layer's ``rng`` state and (with ``grads``) every parameter's ``.grad`` on exit.

    The ``.grad`` arrays are restored in place and re-attached, so references held by an
    optimizer stay valid.
    """
    generators: dict[int, tuple[np.random.Generator, Mapping[str, Any]]] = {}
    for _, layer in leaves:
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.Generator):
            generators[id(rng)] = (rng, rng.bit_generator.state)      # .state returns a fresh dict
    saved = [(p, p.grad, p.grad.copy()) for p in model.parameters()] if grads else []
    try:
        yield
    finally:
        for rng, state in generators.values():
            rng.bit_generator.state = state
        for p, array, values in saved:
            p.grad = array
            array[...] = values


def _check_inputs(model: Any, X: Any, batch_size: Any, where: str) -> tuple[list[tuple[Position, Layer]],
                                                                            np.ndarray, int]:
    leaves = _leaves(model, where)
    X = check_features_array(X, where)   # one pass, no N·D temporary
    batch_size = check_positive_int(batch_size, "batch_size", where)
    return leaves, X, batch_size


# --- dead units -----------------------------------------------------------------------------
def dead_units(model: Any, X: np.ndarray, batch_size: int = 1024) -> list[Record]:
    """Count the dead and the never-active units of every activation layer on the data X.

    Definitions (docs/conventions.md, "Dead and never-active units"), with z the pre-activation
    (the activation layer's input)
    of a unit over all N samples (and all positions, for channels):

    - **dead**: f'(z) = 0 for every sample, *in exact arithmetic* — decided by
      ``layer.derivative_is_zero(z)``, never by floating-point zeros of the computed slope.
      ReLU: z ≤ 0 everywhere (ReLU'(0) = 0, PyTorch's convention); LeakyReLU/PReLU only
      when the slope is 0; ELU and SELU never (f' > 0 even where α·eᶻ underflows to 0).
      No gradient reaches a dead unit's incoming weights, so it cannot recover.
    - **never active**: z ≤ 0 for every sample. For ReLU this is the same as dead; a
      LeakyReLU, PReLU, ELU or SELU unit can be never active and still learn.

    Parameters
    ----------
    model : Sequential (or a single layer)
        Activation layers are the instances of :class:`minnet.nn.activations.Activation`.
    X : array (N, ...)
        The data, e.g. (N, D) features or (N, C, H, W) images.
    batch_size : int, default 1024
        Rows per forward pass; only per-unit boolean accumulators are kept between
        batches, so memory is one batch. The result does not depend on it.

    Returns
    -------
    list of dict, one per activation layer, in forward order, with keys
    ``layer`` (position), ``name`` (class name), ``units`` (features or channels),
    ``dead``, ``never_active`` (counts), ``dead_fraction``, ``never_active_fraction``
    (count / units), and the per-unit boolean arrays ``dead_mask`` and
    ``never_active_mask`` of shape (units,) (not shown by :func:`report`).
    An empty list when the model has no activation layer.
    """
    leaves, X, batch_size = _check_inputs(model, X, batch_size, "dead_units")
    slope_nonzero: dict[Position, np.ndarray] = {}   # some sample has f'(z) ≠ 0
    positive: dict[Position, np.ndarray] = {}        # some sample has z > 0 (i.e. not z ≤ 0)

    def visit(pos: Position, layer: Layer, z: np.ndarray, y: np.ndarray) -> None:
        if not isinstance(layer, Activation):
            return
        z = np.asarray(z)
        alive = _any_per_unit(~np.asarray(layer.derivative_is_zero(z), dtype=bool))
        active = _any_per_unit(~(z <= 0))
        if pos in slope_nonzero:
            slope_nonzero[pos] |= alive
            positive[pos] |= active
        else:
            slope_nonzero[pos], positive[pos] = alive, active

    with _untouched(model, leaves):
        for (xb,) in _batches(X, batch_size):
            _forward(leaves, xb, visit)

    records = []
    for pos, layer in leaves:
        if pos not in slope_nonzero:
            continue
        dead_mask, never_mask = ~slope_nonzero[pos], ~positive[pos]
        units = dead_mask.size
        dead, never = int(dead_mask.sum()), int(never_mask.sum())
        records.append({
            "layer": pos, "name": _layer_name(layer), "units": units,
            "dead": dead, "never_active": never,
            "dead_fraction": dead / units, "never_active_fraction": never / units,
            "dead_mask": dead_mask, "never_active_mask": never_mask,
        })
    return records


# --- activation statistics ------------------------------------------------------------------
class _RunningMoments:
    """Exact streaming mean and variance in float64 (Chan, Golub & LeVeque, 1979), overall and per unit.

    Each batch contributes its count n_b, mean m_b and M2_b = Σ(x − m_b)² (a two-pass,
    numerically sound computation). Two parts combine as
        δ = m_b − m_a,  n = n_a + n_b,  m = m_a + δ·n_b/n,  M2 = M2_a + M2_b + δ²·n_a·n_b/n,
    and var = M2/n at the end. Unlike Σx² − n·m², nothing cancels catastrophically when
    the mean is large compared with the spread. The same formula runs elementwise on the
    per-unit means and M2s (a unit: a feature of (N, D), a channel of (N, C, H, W)).
    """

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.negative = 0
        self.zero = 0
        self.unit_n = 0
        self.unit_mean: np.ndarray = np.zeros(0)
        self.unit_m2: np.ndarray = np.zeros(0)

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64)
        nb = x.size
        if nb == 0:
            return
        mb = float(x.mean())
        m2b = float(np.square(x - mb).sum())
        self.negative += int(np.count_nonzero(x < 0))
        self.zero += int(np.count_nonzero(x == 0))
        self.n, self.mean, self.m2 = _combine(self.n, self.mean, self.m2, nb, mb, m2b)
        self._update_units(x)

    def _update_units(self, x: np.ndarray) -> None:
        """Per-unit moments: reduce over every axis but 1 (a 1-D x is a single unit)."""
        if x.ndim < 2:
            x = x.reshape(-1, 1)
        axes = (0,) + tuple(range(2, x.ndim))
        nb = x.size // x.shape[1]
        mb = x.mean(axis=axes)
        m2b = np.square(x - np.expand_dims(mb, axes)).sum(axis=axes)
        if self.unit_n == 0:
            self.unit_n, self.unit_mean, self.unit_m2 = nb, mb, m2b
        else:
            self.unit_n, self.unit_mean, self.unit_m2 = _combine(self.unit_n, self.unit_mean, self.unit_m2,
                                                                 nb, mb, m2b)

    @property
    def var(self) -> float:
        return self.m2 / self.n if self.n else math.nan

    @property
    def unit_var(self) -> np.ndarray:
        return self.unit_m2 / self.unit_n if self.unit_n else np.full(self.unit_m2.shape, math.nan)


def _combine(na: int, ma: Any, m2a: Any, nb: int, mb: Any, m2b: Any) -> tuple[int, Any, Any]:
    """Chan's update of (count, mean, M2) with a second part (scalars or per-unit arrays)."""
    n = na + nb
    delta = mb - ma
    return n, ma + delta * nb / n, m2a + m2b + delta * delta * (na * nb / n)


def activation_stats(model: Any, X: np.ndarray, batch_size: int = 1024) -> list[Record]:
    """Mean, variance and sign statistics of every layer's output on the data X.

    For the output a of a layer, over all N samples and all its units (every element)::

        mean = Σ a / M,   var = Σ (a − mean)² / M      (population variance, as np.var; M = a.size)
        neg_fraction = #{a < 0} / M,   zero_fraction = #{a == 0} / M   (exact zeros, e.g. ReLU's)

    For an activation layer the same mean and variance of its input, the pre-activation z,
    are reported as ``z_mean`` and ``z_var``. Per unit (a feature of an (N, D) output, a channel
    of an (N, C, H, W) one: over the N samples and every position), the arrays ``unit_mean`` and
    ``unit_var`` of shape (units,) give the same mean and population variance. Self-normalising
    networks (SELU with LeCun-normal weights, Klambauer et al. 2017, arXiv:1706.02515) keep
    mean ≈ 0 and var ≈ 1 at every depth.

    The values are exact, not estimated from a subsample: batches are accumulated in float64
    with Chan's parallel formula (see ``_RunningMoments``), so the result equals a direct
    float64 computation over the whole data set to about 1e-12 relative, for any ``batch_size``.

    Parameters
    ----------
    model : Sequential (or a single layer)
    X : array (N, ...)
    batch_size : int, default 1024 — rows per forward pass; memory is one batch.

    Returns
    -------
    list of dict, one per layer in forward order, with keys ``layer`` (position), ``name``,
    ``units`` (size of the output's axis 1), ``mean``, ``var``, ``neg_fraction``,
    ``zero_fraction``, ``z_mean``, ``z_var`` (None for layers that are not activations), and
    the per-unit arrays ``unit_mean`` and ``unit_var`` (not shown by :func:`report`).
    """
    leaves, X, batch_size = _check_inputs(model, X, batch_size, "activation_stats")
    outputs = {pos: _RunningMoments() for pos, _ in leaves}
    inputs = {pos: _RunningMoments() for pos, layer in leaves if isinstance(layer, Activation)}
    units: dict[Position, int] = {}

    def visit(pos: Position, layer: Layer, x: np.ndarray, y: np.ndarray) -> None:
        outputs[pos].update(y)
        if pos in inputs:
            inputs[pos].update(x)
        units[pos] = _units(np.asarray(y))

    with _untouched(model, leaves):
        for (xb,) in _batches(X, batch_size):
            _forward(leaves, xb, visit)

    records = []
    for pos, layer in leaves:
        out, z = outputs[pos], inputs.get(pos)
        records.append({
            "layer": pos, "name": _layer_name(layer), "units": units[pos],
            "mean": out.mean, "var": out.var,
            "neg_fraction": out.negative / out.n, "zero_fraction": out.zero / out.n,
            "z_mean": None if z is None else z.mean, "z_var": None if z is None else z.var,
            "unit_mean": out.unit_mean, "unit_var": out.unit_var,
        })
    return records


# --- gradient flow --------------------------------------------------------------------------
def gradient_stats(model: Any, loss_fn: Any, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> list[Record]:
    """Norms of the gradients of the mean loss over (X, y), layer by layer.

    One forward pass (``training=False``) and one backward pass of L = (1/N) Σᵢ loss(xᵢ, yᵢ)
    (the loss functions are batch means, so each batch of n_b rows enters with weight n_b/N):

    - ``input_grad_norm`` = ‖∂L/∂x‖₂, x the layer's input over all N samples (Frobenius norm
      of the (N, ...) array; for the first layer, the gradient w.r.t. the data). Its decay or
      growth from the last layer to the first is the gradient flow through depth.
      Batches combine exactly: ‖∂L/∂x‖² = Σ_b (n_b/N)²·‖∂L_b/∂x_b‖².
    - ``param_grad_norm`` = ‖∂L/∂θ‖₂ over all of the layer's parameters together
      (weight and bias), accumulated over batches in float64; None for layers without parameters.

    The parameters' ``.grad`` arrays are used as scratch space and then restored (same
    arrays, same values), so calling this in the middle of training changes nothing.

    Parameters
    ----------
    model : Sequential (or a single layer)
    loss_fn : a minnet loss, e.g. ``CrossEntropyLoss()`` (``forward(pred, y) -> float``,
        ``backward() -> dpred``, the gradient of the batch mean).
    X : array (N, ...); y : targets with N rows.
    batch_size : int, default 1024 — rows per forward/backward pass.

    Returns
    -------
    list of dict, one per layer in forward order, with keys ``layer`` (position), ``name``,
    ``input_grad_norm`` (float) and ``param_grad_norm`` (float or None).
    """
    leaves, X, batch_size = _check_inputs(model, X, batch_size, "gradient_stats")
    y = check_same_length(X, y, "gradient_stats")
    if not (callable(getattr(loss_fn, "forward", None)) and callable(getattr(loss_fn, "backward", None))):
        raise TypeError(
            f"gradient_stats: loss_fn must be a minnet loss with forward(pred, y) and backward(), "
            f"got {type(loss_fn).__name__}"
        )
    n_total = len(X)
    input_sq = {pos: 0.0 for pos, _ in leaves}
    param_grads = {pos: [np.zeros(p.data.shape, dtype=np.float64) for p in layer.parameters()]
                   for pos, layer in leaves}

    with _untouched(model, leaves, grads=True):
        for xb, yb in _batches(X, batch_size, y):
            weight = len(xb) / n_total
            for _, layer in leaves:
                layer.zero_grad()
            pred = _forward(leaves, xb)
            loss_fn.forward(pred, yb)
            dy = loss_fn.backward()
            for pos, layer in reversed(leaves):
                dy = layer.backward(dy)
                d = np.asarray(dy, dtype=np.float64).ravel()
                input_sq[pos] += weight * weight * float(np.dot(d, d))
                for acc, p in zip(param_grads[pos], layer.parameters(), strict=True):
                    acc += np.asarray(p.grad, dtype=np.float64) * weight

    records = []
    for pos, layer in leaves:
        grads = param_grads[pos]
        param_norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads)) if grads else None
        records.append({"layer": pos, "name": _layer_name(layer),
                        "input_grad_norm": math.sqrt(input_sq[pos]), "param_grad_norm": param_norm})
    return records


# --- text report ----------------------------------------------------------------------------
def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, numbers.Number, np.generic))


def _format_value(value: Any, precision: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):.{precision}g}"
    return str(value)


def format_table(records: Sequence[Record], columns: Sequence[str] | None = None, precision: int = 4) -> str:
    """The records as an aligned text table: a header, a rule, one row per record.

    ``columns`` picks and orders the columns (default: every key of the records whose
    values are scalars, in first-seen order — per-unit arrays such as ``dead_mask`` are
    left out). Numbers are right-aligned; floats are shown with ``precision`` significant
    digits; None (a value that does not apply, e.g. ``z_mean`` of a Dense layer) as "-".
    """
    records = list(records)
    if not records:
        return "(no records)"
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise TypeError(f"format_table: record {i} is a {type(r).__name__}, expected a dict")
    if columns is None:
        seen: dict[str, None] = {}
        for r in records:
            seen.update({k: None for k, v in r.items() if _is_scalar(v)})
        columns = list(seen)
    else:
        columns = list(columns)
        missing = [c for c in columns if all(c not in r for r in records)]
        if missing:
            raise ValueError(f"format_table: no record has the column(s) {missing}; available: {sorted(records[0])}")
    cells = [[_format_value(r.get(c), precision) for c in columns] for r in records]
    numeric = [all(r.get(c) is None or (isinstance(r.get(c), (numbers.Number, np.generic))
                                        and not isinstance(r.get(c), (bool, np.bool_))) for r in records)
               for c in columns]
    widths = [max(len(c), *(len(row[j]) for row in cells)) for j, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)


def report(records: Sequence[Record], columns: Sequence[str] | None = None, precision: int = 4) -> None:
    """Print :func:`format_table` of the records (for a terminal or a notebook)."""
    print(format_table(records, columns=columns, precision=precision))


__all__ = ["activation_stats", "dead_units", "format_table", "gradient_stats", "report"]
