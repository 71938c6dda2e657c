"""The benchmark runs, reports every section and writes JSON with the expected keys (never a timing assert)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minnet as mn
from minnet import bench

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One ``python -m minnet.bench --quick`` in a subprocess, as a user would run it."""
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "minnet.bench", "--quick", "--json", str(out)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(out.read_text())


def test_quick_run_prints_every_section(quick_run):
    stdout, _ = quick_run
    for heading in ("Seconds per epoch", "Training step vs its matrix products", "ELU/SELU forward + backward",
                    "Peak memory", "Scaling", "Targets", "BLAS", "float32"):
        assert heading in stdout, f"{heading!r} missing from the report"
    for target in bench.TARGETS:
        assert target in stdout


def test_quick_run_json_has_the_expected_keys(quick_run):
    _, report = quick_run
    assert report["quick"] is True
    assert {"environment", "epoch", "bound", "kernels", "memory", "scaling", "targets"} <= set(report)
    env = report["environment"]
    assert env["dtype"] == "float32" and "blas" in env and "blas_threads" in env
    for key, layers in (("mnist", [784, 256, 128, 10]), ("digits", [64, 128, 128, 10])):
        epoch = report["epoch"][key]
        assert epoch["layers"] == layers and epoch["batch_size"] == 128
        assert {"minnet", "minnet_textbook", "readme_loop", "bare_loop", "sklearn"} <= set(epoch["median_s"])
        assert {"minnet/sklearn", "textbook/minnet", "fit/readme_loop", "fit/bare_loop"} <= set(epoch["ratio"])
        assert len(epoch["seconds"]["minnet"]) == len(epoch["seconds"]["minnet_textbook"]) == epoch["rounds"]
        bound = report["bound"][key]
        assert {"matmul", "adam", "sgd"} == set(bound["median_step_s"])
        assert set(bound["update_s"]) == {"adam_update", "sgd_update", "adam_update_per_parameter",
                                          "sgd_update_per_parameter", "adam_update_subnormal"}
        assert bound["steps_per_epoch"] == math.ceil(epoch["n_samples"] / 128)
    assert report["epoch"]["digits"]["n_samples"] == 1797
    kernels = report["kernels"]
    assert set(kernels["ns_per_element"]) == {"copyto", "floor", "elu_minnet", "elu_where", "selu_minnet",
                                              "selu_where"}
    for name in ("elu", "selu"):
        assert {"minnet_x_copy", "where_x_copy", "fp_warning_at_extremes"} <= set(kernels[name])
    memory = report["memory"]
    assert "error" not in memory, memory.get("error")
    assert {"peak_mb", "data_mb", "baseline_mb", "beyond_data_mb", "beyond_baseline_and_data_mb"} <= set(memory)
    assert memory["data_mb"] == pytest.approx(1000 * (784 * 4 + 8) / 2**20)
    scaling = report["scaling"]
    assert len(scaling["n_samples"]) == len(scaling["median_s"]) == len(scaling["us_per_sample"]) == 3
    assert "slope_us_per_sample" in scaling
    names = [t["name"] for t in report["targets"]]
    assert names == list(bench.TARGETS) + ["no_fp_warning", "textbook_epoch_reported"]
    for t in report["targets"]:
        assert t["met"] in (True, False, None)


def test_torch_is_compared_only_when_installed(quick_run):
    _, report = quick_run
    has_torch = bench.torch_module() is not None
    assert ("torch" in report["epoch"]["mnist"]["median_s"]) == has_torch
    assert (report["torch"] is not None) == has_torch


def test_no_torch_import_statement_in_the_benchmark():
    for path in Path(bench.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "import torch" not in source and "from torch" not in source, path.name


def test_every_module_of_the_benchmark_is_under_400_lines():
    for path in Path(bench.__file__).parent.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name


def test_every_section_is_measured_stored_and_printed(quick_run):
    stdout, report = quick_run
    keys = [section.key for section in bench.SECTIONS]
    assert keys == ["epoch", "bound", "kernels", "memory", "scaling", "conv"]
    for section in bench.SECTIONS:
        assert section.key in report
        for line in section.format(report[section.key], report):
            assert line in stdout


def test_a_new_section_is_one_entry_in_the_list(monkeypatch, tmp_path):
    """What a new section (e.g. convolutions) needs: a measure and a format function, appended to SECTIONS."""
    extra = bench.Section("extra", lambda context: {"n": context.cfg["kernel_n"]},
                          lambda result, report: [f"Extra section: n = {result['n']}"])
    monkeypatch.setattr(bench.sections, "SECTIONS", [extra])
    monkeypatch.setattr(bench.cli, "check_targets", lambda report: [])
    args = bench.parse_args(["--quick", "--no-torch", "--json", str(tmp_path / "b.json")])
    report = bench.run(args)
    assert report["extra"] == {"n": bench.SETTINGS["quick"]["kernel_n"]}
    assert "Extra section: n = 100000" in bench.format_report(report)


def test_textbook_epoch_runs_under_textbook_mode(monkeypatch):
    seen = []
    monkeypatch.setattr(bench.epochs.mn, "fit", lambda *args, **kwargs: seen.append(mn.is_textbook()))
    X, y = bench.synthetic_mnist(10)
    bench.MinnetRun(X, y, (784, 4, 10)).epoch()
    bench.MinnetRun(X, y, (784, 4, 10), textbook=True).epoch()
    assert seen == [False, True] and not mn.is_textbook()


def test_interleaved_runs_every_task_every_round_in_rotating_order():
    calls = []
    times = bench.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b"),
                               "c": lambda: calls.append("c")}, rounds=3, warmup=1)
    assert {k: len(v) for k, v in times.items()} == {"a": 3, "b": 3, "c": 3}
    assert calls == list("abc" "bca" "cab" "abc")


def test_matmul_step_computes_the_products_of_a_training_step():
    step = bench.MatmulStep((5, 4, 3), batch=2)
    step()
    x0, x1 = step.x
    w0, w1 = step.W
    np.testing.assert_allclose(step.z[0], x0 @ w0, rtol=1e-5)
    np.testing.assert_allclose(step.dW[1], x1.T @ step.z[1], rtol=1e-5)
    np.testing.assert_allclose(step.dx[1], step.z[1] @ w1.T, rtol=1e-5)   # the first layer's dx is skipped


def test_kernel_section_times_the_classes_own_reference(monkeypatch):
    """The reference column is ELU.reference and SELU.reference themselves, not a private copy."""
    calls = []
    for cls in (mn.ELU, mn.SELU):
        original = cls.reference

        def spy(self, x, original=original):
            calls.append(type(self).__name__)
            return original(self, x)

        monkeypatch.setattr(cls, "reference", spy)
    bench.compare_kernels(1000, rounds=2, warmup=0)
    assert calls.count("ELU") == 2 and calls.count("SELU") == 2


def test_reference_pass_is_forward_and_backward_of_the_layer():
    x = np.linspace(-5, 5, 101)
    dy = np.cos(x)
    for layer in (mn.ELU(), mn.SELU()):
        y, dx = bench.reference_pass(layer, x, dy)
        np.testing.assert_array_equal(y, layer.forward(x))
        np.testing.assert_array_equal(dx, layer.backward(dy))


def test_fp_warning_check_can_fail():
    class Careless(mn.ELU):
        def _forward(self, x):
            e = np.exp(x)                          # overflows for large x
            return np.where(x > 0, x, e - 1), np.where(x > 0, 1.0, e)

    assert bench.raises_fp_warning(Careless())
    assert not bench.raises_fp_warning(mn.ELU())
    assert not bench.raises_fp_warning(mn.SELU())


def test_synthetic_mnist_has_the_shape_of_mnist():
    X, y = bench.synthetic_mnist(300)
    assert X.shape == (300, 784) and X.dtype == np.float32 and y.dtype == np.int64
    assert 0 <= X.min() and X.max() < 1 and set(np.unique(y)) <= set(range(10))


def test_check_targets_marks_met_missed_and_unmeasured():
    report = {"epoch": {"mnist": {"ratio": {"minnet/sklearn": 0.4, "fit/readme_loop": 1.2, "textbook/minnet": 3.0}}},
              "bound": {"mnist": {"adam_vs_bound": 2.5, "sgd_vs_bound": 1.2},
                        "digits": {"adam_vs_bound": 1.9, "sgd_vs_bound": 2.1}},
              "kernels": {"elu": {"minnet_x_copy": 4.0, "fp_warning_at_extremes": False},
                          "selu": {"minnet_x_copy": 9.0, "fp_warning_at_extremes": True}},
              "memory": {"beyond_baseline_and_data_mb": 40.0}}
    met = {t["name"]: t["met"] for t in bench.check_targets(report)}
    assert met == {"epoch_vs_sklearn": True, "epoch_vs_torch": None, "adam_step_vs_bound": False,
                   "sgd_step_vs_bound": True, "adam_step_vs_bound_digits": True, "sgd_step_vs_bound_digits": False,
                   "fit_vs_readme_loop": False, "elu_vs_copy": True, "selu_vs_copy": False,
                   "memory_beyond_data_mb": False, "no_fp_warning": False, "textbook_epoch_reported": True}
    assert {t["name"]: t["met"] for t in bench.check_targets({})}["adam_step_vs_bound"] is None   # partial report


# --- the speed-ups the benchmark measures keep the layers' behaviour -----------------------------
REUSING = [mn.ReLU, mn.LeakyReLU, mn.PReLU, mn.ELU, lambda: mn.ELU(alpha=0.5), mn.SELU, mn.CELU, mn.Sigmoid]


@pytest.mark.parametrize("make", REUSING, ids=lambda m: repr(m()))
def test_recycled_derivative_memory_never_leaks_into_returned_arrays(make):
    """forward reuses the previous derivative's array: earlier outputs, derivative() results and
    the gradient of the latest forward must not change."""
    rng = np.random.default_rng(0)
    x1, x2, x3 = (rng.normal(0, 2, size=(6, 5)).astype(np.float32) for _ in range(3))
    dy = rng.normal(size=(6, 5)).astype(np.float32)
    reference = make()
    layer = make()
    y1 = layer.forward(x1)
    y1_copy = y1.copy()
    d3 = layer.derivative(x3)
    d3_copy = d3.copy()
    y2 = layer.forward(x2)                         # same shape: the first derivative's array is reused
    layer.function(x3)                             # neither of these may touch the cache
    layer.derivative(x1)
    dx = layer.backward(dy)
    np.testing.assert_array_equal(y1, y1_copy)
    np.testing.assert_array_equal(d3, d3_copy)
    np.testing.assert_array_equal(y2, reference.function(x2))
    np.testing.assert_array_equal(dx, dy * reference.derivative(x2))
    assert not np.shares_memory(dx, y2) and not np.shares_memory(y2, x2)


def test_a_different_shape_gets_a_new_derivative_array():
    layer = mn.SELU()
    a = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    layer.forward(a)
    layer.forward(a.reshape(4, 3))
    np.testing.assert_array_equal(layer.backward(np.ones((4, 3), np.float32)), layer.derivative(a.reshape(4, 3)))


@pytest.mark.parametrize("make", [mn.ReLU, mn.ELU, mn.SELU, mn.LeakyReLU])
def test_read_only_cached_arrays_are_not_written_and_scratch_is_not_pickled(make):
    """A model loaded from a read-only memory map has read-only caches: forward must allocate anew."""
    import pickle

    x = np.linspace(-2, 2, 20, dtype=np.float32).reshape(4, 5)
    layer = make()
    layer.forward(x)
    layer.forward(x)
    copy = pickle.loads(pickle.dumps(layer))
    assert copy._workspace.scratch == {} and copy._workspace.recyclable is None
    copy._slope.setflags(write=False)
    y = copy.forward(x[::-1].copy())
    np.testing.assert_array_equal(y, make().function(x[::-1].copy()))
    np.testing.assert_array_equal(copy.backward(np.ones_like(x)), make().derivative(x[::-1].copy()))
