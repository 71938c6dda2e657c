"""Diagnostics: dead units, activation statistics and gradient flow, measured without changing the model.

Three measurements of a :class:`~minnet.Sequential` on a data set X, one record per layer:

- :func:`dead_units` — how many units of each activation layer are **dead** (f'(z) = 0 for
  every sample, so no gradient ever reaches their incoming weights), **numerically dead**
  (the derivative computed in the model's dtype is exactly 0 for every sample) and
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

**Never silently.** A layer the diagnostics cannot measure — one that is neither an
``mn.Activation`` nor one of minnet's layers, such as an activation function written as a
plain ``mn.Layer`` subclass — gets an :class:`UnmeasuredLayerWarning` naming it and its position.

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

The package, one concept per module: :mod:`~minnet.diagnostics.walk` (walking a model without changing it),
:mod:`~minnet.diagnostics.units` (dead units), :mod:`~minnet.diagnostics.moments` (activation statistics),
:mod:`~minnet.diagnostics.gradients` (gradient flow) and :mod:`~minnet.diagnostics.table` (the text report).
"""

from minnet.diagnostics.gradients import gradient_stats
from minnet.diagnostics.moments import activation_stats
from minnet.diagnostics.table import format_table, report
from minnet.diagnostics.units import dead_units
from minnet.diagnostics.walk import Record, UnmeasuredLayerWarning

__all__ = ["Record", "UnmeasuredLayerWarning", "activation_stats", "dead_units", "format_table", "gradient_stats",
           "report"]
