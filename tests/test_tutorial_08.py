"""Tutorial 08 (ELU in CNNs) runs in quick mode and reports what it promises.

Quick mode needs no data files: without Fashion-MNIST or CIFAR-10 it falls back to scikit-learn's digits.
"""


from tutorial_runs import run_tutorial


def test_tutorial_08_quick_mode():
    run = run_tutorial("08_elu_cnn")
    run.check_ok()
    results = run.results
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
    assert (run.out / "test_error.png").is_file()
