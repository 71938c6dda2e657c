"""Tutorial 04 (SELU self-normalisation) asserts what its quick run shows, from its results.json.

Reference numbers come from the SNN paper (Klambauer et al. 2017): the Jacobian of the mean/variance map at
(0, 1), Eq. (6), and its spectral norm; they are typed here from the paper, not from the tutorial's output.
"""

import math

import numpy as np
import pytest
from tutorial_runs import run_tutorial


@pytest.fixture(scope="module")
def results():
    run = run_tutorial("04_selu_self_normalisation")
    run.check_ok()
    return run.results


def test_at_initialisation_selu_keeps_the_variance_at_depth_32_and_relu_lecun_loses_it(results):
    variance = results["var_at_depth"]
    assert 0.8 <= variance["SELU + LeCun normal"]["32"] <= 1.25
    assert variance["ReLU + LeCun normal"]["32"] < 1e-3
    assert variance["SELU + PyTorch default"]["32"] < 0.1


def test_jacobian_at_the_fixed_point_matches_the_paper(results):
    paper = np.array([[0.0, 0.088834], [0.0, 0.782648]])           # SNN paper, Eq. (6)
    assert np.allclose(np.array(results["jacobian"]), paper, atol=2e-6)
    assert results["spectral_norm"] == pytest.approx(0.7877, abs=5e-5)
    assert results["spectral_radius"] == pytest.approx(0.782648, abs=2e-6)
    assert results["spectral_radius"] < results["spectral_norm"] < 1


def test_lecun_initialisation_gives_each_unit_omega_of_unit_variance(results):
    assert results["init_omega_sd"] == pytest.approx(1.0, abs=0.1)                 # 2048 units
    p_inside = math.erf(0.1 / math.sqrt(2))                                         # P(|N(0, 1)| <= 0.1)
    assert abs(results["init_fraction_abs_omega_le_0_1"] - p_inside) < 0.04
    assert results["init_fraction_in_theorem_range"] < p_inside


def test_theorem_1_map_predicts_networks_with_weights_off_omega_0_tau_1(results):
    assert results["theorem_network_vs_map_max_var_error"] < 0.1
    assert results["theorem_network_vs_map_max_mean_error"] < 0.03
    final = results["theorem_final"]
    for row in final.values():                     # Theorem 1: the fixed point lies in this (μ, ν) box
        assert -0.03106 - 0.01 <= row["map_mean"] <= 0.06773 + 0.01
        assert 0.80009 - 0.01 <= row["map_var"] <= 1.48617 + 0.01
    assert final["ω = 0.1, τ = 1.1"]["network_var"] > 1.2 > 1.0 > final["ω = 0.1, τ = 0.95"]["network_var"]


def test_during_training_the_variance_stays_bounded_and_adam_leaves_omega_more_than_sgd(results):
    # Quick run: 2 epochs, one seed; the full run (15 epochs, 3 seeds) shows the same pattern more strongly.
    for depth in (8, 32):
        sgd, adam = results["training"][f"depth{depth}_SGD"], results["training"][f"depth{depth}_Adam"]
        for row in (sgd, adam):
            assert 0.3 < row["after"]["min_var"] and row["after"]["max_var"] < 5.0
            assert row["after"]["units_in_theorem_range"] < 0.1
        assert adam["after"]["layers_in_domain"] <= sgd["after"]["layers_in_domain"]
        assert adam["after"]["max_abs_mean"] > sgd["after"]["max_abs_mean"]
