"""Tutorial 03 (ELU and the mean shift) asserts what its quick run shows, from its results.json.

The quick run uses the 8×8 digits (2 seeds, 2 epochs); the full run uses MNIST. The claims below hold at
both sizes; expected values are computed here from the formulas, not copied from the tutorial.
"""

import math

import numpy as np
import pytest
from tutorial_runs import run_tutorial


@pytest.fixture(scope="module")
def results():
    run = run_tutorial("03_elu_mean_shift")
    run.check_ok()
    return run.results


def phi(t):
    return math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)


def Phi(t):
    return 0.5 * (1 + math.erf(t / math.sqrt(2)))


def test_sample_means_match_the_closed_forms_for_a_standard_normal_input(results):
    expected = {"ReLU": phi(0), "LeakyReLU(0.1)": 0.9 * phi(0), "ELU": phi(0) + math.exp(0.5) * Phi(-1) - 0.5,
                "SReLU": phi(1) - Phi(-1)}
    sample = results["sample_mean_standard_normal"]
    for name, value in expected.items():
        assert sample[name] == pytest.approx(value, abs=0.005), name      # 10⁶ draws: standard error < 0.001
    assert expected["SReLU"] < expected["ELU"] < expected["LeakyReLU(0.1)"] < expected["ReLU"]


def test_leaky_relu_gets_the_slope_corrected_he_variance(results):
    # Same seed, same draws: LeakyReLU's He weights are ReLU's scaled by 1/sqrt(1 + s²), LeCun's by 1/sqrt(2).
    variance = results["first_layer_weight_variance_times_fan_in"]
    assert variance["leaky_he"] / variance["relu_he"] == pytest.approx(1 / (1 + 0.1**2), rel=1e-4)
    assert variance["relu_lecun"] / variance["relu_he"] == pytest.approx(0.5, rel=1e-4)


def test_figure_2a_elu_median_stays_below_relu_and_leaky_relu_in_every_seed(results):
    median = {k: np.array(v) for k, v in results["median_per_seed"].items()}
    assert median["elu_he"].shape == (len(results["seeds"]), results["epochs"] + 1)
    for other in ("relu_he", "leaky_he"):
        assert np.all(median["elu_he"] < median[other]), other


def test_figure_2b_elu_training_loss_falls_faster_than_relu_in_every_seed(results):
    loss = {k: np.array(v) for k, v in results["train_loss_per_seed"].items()}
    for other in ("relu_he", "leaky_he"):
        assert np.all(loss["elu_he"][:, 1] < loss[other][:, 1]), other
    for key, values in loss.items():
        assert np.all(values[:, -1] < values[:, 0]), f"{key} did not learn"


def test_the_lecun_control_breaks_the_link_between_mean_and_speed(results):
    # ELU with LeCun initialisation has a lower median than ReLU with He, yet a higher loss after epoch 1
    # (in the quick run and, by a wider margin, in the full MNIST run).
    median, loss = results["median"], results["train_loss"]
    assert median["elu_lecun"][1] < median["relu_he"][1]
    assert loss["elu_lecun"][1] > loss["relu_he"][1]
    assert results["spearman_median_vs_loss_epoch_1"] < 0.5
