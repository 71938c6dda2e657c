"""The targets the numbers are held against, and whether this run met them."""

from __future__ import annotations

from typing import Any

from minnet.bench.common import fmt

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


def format_targets(targets: list[dict[str, Any]]) -> list[str]:
    lines = ["Targets"]
    for t in targets:
        status = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        value = fmt(t["value"], ".2f") if not isinstance(t["value"], str) else t["value"]
        lines.append(f"  {t['name']:<24} {value:>8}  (limit {t['limit']})  {status:<12} {t['what']}")
    return lines
