"""The targets the numbers are held against, and whether this run met them."""

from __future__ import annotations

from typing import Any

from minnet.bench.common import fmt

#: The targets of issue 18 ("speed, second round"): name -> (limit, what the value is). Every value is a ratio
#: measured within one run (interleaved), except the memory, in MB.
TARGETS = {
    "epoch_vs_sklearn": (0.5, "minnet epoch / scikit-learn epoch, MNIST shape"),
    "epoch_vs_torch": (0.6, "minnet epoch / PyTorch eager epoch, MNIST shape"),
    "adam_step_vs_bound": (1.6, "minnet Adam step / its matrix products, MNIST shape"),
    "sgd_step_vs_bound": (1.3, "minnet SGD+momentum step / its matrix products, MNIST shape"),
    "adam_step_vs_bound_digits": (2.0, "minnet Adam step / its matrix products, digits shape"),
    "sgd_step_vs_bound_digits": (2.0, "minnet SGD+momentum step / its matrix products, digits shape"),
    "fit_vs_readme_loop": (1.1, "mn.fit epoch / the README's hand-written loop, MNIST shape"),
    "elu_vs_copy": (5.0, "ELU forward+backward / np.copyto of the same array"),
    "selu_vs_copy": (5.0, "SELU forward+backward / np.copyto of the same array"),
    "memory_beyond_data_mb": (32.0, "peak RSS − import baseline − data set, MB, one MNIST epoch"),
}


def _get(report: dict[str, Any], *keys: str) -> Any:
    """report[k1][k2]... or None when a section or key is absent (a partial report, a skipped contender)."""
    value: Any = report
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    values: dict[str, float | None] = {
        "epoch_vs_sklearn": _get(report, "epoch", "mnist", "ratio", "minnet/sklearn"),
        "epoch_vs_torch": _get(report, "epoch", "mnist", "ratio", "minnet/torch"),
        "adam_step_vs_bound": _get(report, "bound", "mnist", "adam_vs_bound"),
        "sgd_step_vs_bound": _get(report, "bound", "mnist", "sgd_vs_bound"),
        "adam_step_vs_bound_digits": _get(report, "bound", "digits", "adam_vs_bound"),
        "sgd_step_vs_bound_digits": _get(report, "bound", "digits", "sgd_vs_bound"),
        "fit_vs_readme_loop": _get(report, "epoch", "mnist", "ratio", "fit/readme_loop"),
        "elu_vs_copy": _get(report, "kernels", "elu", "minnet_x_copy"),
        "selu_vs_copy": _get(report, "kernels", "selu", "minnet_x_copy"),
        "memory_beyond_data_mb": _get(report, "memory", "beyond_baseline_and_data_mb"),
    }
    targets = []
    for name, (limit, what) in TARGETS.items():
        value = values[name]
        targets.append({"name": name, "what": what, "value": value, "limit": limit,
                        "met": None if value is None else bool(value <= limit)})
    fp = [k for k in ("elu", "selu") if _get(report, "kernels", k, "fp_warning_at_extremes")]
    targets.append({"name": "no_fp_warning", "what": "ELU/SELU raise no floating-point warning at extreme inputs",
                    "value": ", ".join(fp) or "none", "limit": "none", "met": not fp})
    textbook = _get(report, "epoch", "mnist", "ratio", "textbook/minnet")
    targets.append({"name": "textbook_epoch_reported", "what": "textbook (reference) epoch / fast epoch, MNIST shape",
                    "value": textbook, "limit": "reported", "met": None if textbook is None else True})
    return targets


def format_targets(targets: list[dict[str, Any]]) -> list[str]:
    lines = ["Targets"]
    for t in targets:
        status = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        value = fmt(t["value"], ".2f") if not isinstance(t["value"], str) else t["value"]
        lines.append(f"  {t['name']:<26} {value:>8}  (limit {t['limit']})  {status:<12} {t['what']}")
    return lines
