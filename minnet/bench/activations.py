"""Section "kernels": ELU and SELU forward + backward, the fast kernel against the class's own ``reference``.

On 10⁶ float32 values, in ns per element: the layer's ``forward`` + ``backward`` (the kernels of
:mod:`minnet.nn.kernels`), the same through ``ELU.reference`` / ``SELU.reference`` (the textbook
``np.where`` code, exactly what ``mn.textbook()`` runs: y, f' = reference(x), dx = dy·f'), and one
``np.copyto`` of the same array as the unit; and whether any floating-point warning is raised at
extreme inputs.

Beside them, the floor of any ELU kernel that is bit-identical to ``ELU.reference``: the passes it cannot
avoid — one ``np.exp`` (the derivative αeᵐ), one ``np.expm1`` (the value α(eᵐ − 1), m = min(x, 0)) and the
backward product dy·f′ — timed on the same array, into preallocated outputs.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

import minnet as mn
from minnet.bench.common import DTYPE, interleaved, median, spread


def reference_pass(layer: mn.Activation, x: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward by the class's ``reference``: (y, dx = dy·f'(x))."""
    y, dydx = layer.reference(x)
    return y, dy * dydx


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
    """ns per element of ELU/SELU forward + backward (kernel and reference) and of one np.copyto.

    The JSON keys keep their first names: ``*_where`` is the reference (it is written with np.where).
    """
    rng = np.random.default_rng(2)
    x = rng.standard_normal(n, dtype=DTYPE)
    dy = rng.standard_normal(n, dtype=DTYPE)
    out = np.empty_like(x)
    negative = np.minimum(x, 0)
    elu, selu = mn.ELU(), mn.SELU()

    def floor() -> None:
        np.exp(negative, out=out)
        np.expm1(negative, out=out)
        np.multiply(dy, out, out=out)

    def minnet_pass(layer: mn.Activation) -> Callable[[], None]:
        def run() -> None:
            layer.forward(x, training=True)
            layer.backward(dy)
        return run

    tasks = {
        "copyto": lambda: np.copyto(out, x),
        "floor": floor,
        "elu_minnet": minnet_pass(elu),
        "elu_where": lambda: reference_pass(elu, x, dy),
        "selu_minnet": minnet_pass(selu),
        "selu_where": lambda: reference_pass(selu, x, dy),
    }
    with np.errstate(all="ignore"):
        times = interleaved(tasks, rounds=rounds, warmup=warmup)
    ns = {name: median(ts) / n * 1e9 for name, ts in times.items()}
    result: dict[str, Any] = {"n": n, "dtype": np.dtype(DTYPE).name, "rounds": rounds, "ns_per_element": ns,
                              "seconds": times, "floor_x_copy": ns["floor"] / ns["copyto"]}
    for name, layer in (("elu", elu), ("selu", selu)):
        result[name] = {"minnet_x_copy": ns[f"{name}_minnet"] / ns["copyto"],
                        "where_x_copy": ns[f"{name}_where"] / ns["copyto"],
                        "fp_warning_at_extremes": raises_fp_warning(type(layer)())}
    return result


def format_kernels(section: dict[str, Any], report: dict[str, Any]) -> list[str]:
    ns = section["ns_per_element"]
    lines = [f"ELU/SELU forward + backward, {section['n']:.0e} {section['dtype']} values (ns/element, median)",
             f"  np.copyto of the same array: {ns['copyto']:.3f}"]
    for name in ("elu", "selu"):
        k = section[name]
        lines.append(f"  {name.upper():<5} minnet {ns[f'{name}_minnet']:7.3f} ({k['minnet_x_copy']:5.1f} × copy)"
                     f"   {name.upper()}.reference {ns[f'{name}_where']:7.3f} ({k['where_x_copy']:5.1f} × copy)"
                     f"   fp warning at extremes: {'YES' if k['fp_warning_at_extremes'] else 'no'}")
    lines.append(f"  floor (np.exp + np.expm1 + dy·f′, preallocated): {ns['floor']:7.3f} "
                 f"({section['floor_x_copy']:5.1f} × copy): no kernel equal to the reference bit for bit goes below it")
    n = section["n"]
    lines.append("  spread (min–max ns/element): " + ",  ".join(
        f"{name} {spread(t, 1e9 / n)}" for name, t in section["seconds"].items()))
    return lines
