"""Tutorial 08 (ELU in CNNs) runs in quick mode and reports what it promises.

Quick mode needs no data files: without Fashion-MNIST or CIFAR-10 it falls back to scikit-learn's digits.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tutorials" / "08_elu_cnn.py"
PASSED_ON = ("PYTHONPATH", "MINNET_DATA_DIR", "PATH", "HOME")


def test_tutorial_08_quick_mode(tmp_path):
    env = {k: os.environ[k] for k in PASSED_ON if k in os.environ}
    env.update(MINNET_QUICK="1", MINNET_TUTORIAL_OUT=str(tmp_path), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=240, env=env,
                         cwd=tmp_path)
    assert out.returncode == 0, f"tutorial 08 failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    results = json.loads((tmp_path / "08_elu_cnn" / "results.json").read_text())
    summary = results["summary"]
    configurations = {f"{a}{bn}" for a in ("elu", "relu", "leaky_relu", "selu") for bn in ("", "+bn")}
    assert set(summary) == configurations
    # ELU and SELU channels cannot be dead: their derivative is positive everywhere.
    assert results["dead_channels"]["elu"] == 0 and results["dead_channels"]["selu"] == 0
    assert all(0 <= summary[c]["dead_channels_mean"] <= summary[c]["channels"] for c in configurations)
    # Every network learned something: the best configuration is well below chance (90 % error for 10 classes).
    assert min(s["test_error_mean"] for s in summary.values()) < 80
    assert all(0 <= s["test_error_mean"] <= 100 and s["test_error_std"] >= 0 for s in summary.values())
    elu_gap = summary["relu"]["test_error_mean"] - summary["elu"]["test_error_mean"]
    assert abs(results["elu_minus_relu_test_error_points"] + elu_gap) < 1e-9
    assert results["paper"]["cifar100_elu_test_error"] == 28.75
    assert results["paper"]["cifar100_relu_test_error"] == 31.56
    assert (tmp_path / "08_elu_cnn" / "test_error.png").is_file()
