"""Tutorial 05 (AlphaDropout versus Dropout) asserts what its quick run shows, from its results.json.

Expected values are computed here from the SNN paper's formulas (docs/conventions.md, "Dropout and
AlphaDropout"), not copied from the tutorial. One claim holds only at full size and is marked so.
"""


import pytest
from tutorial_runs import run_tutorial

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@pytest.fixture(scope="module")
def results():
    run = run_tutorial("05_alpha_dropout")
    run.check_ok()
    return run.results


def test_at_initialisation_alpha_dropout_keeps_variance_1_and_dropout_inflates_it(results):
    variance = results["depth_var_last"]
    for p in (0.05, 0.1, 0.2):
        assert abs(variance[f"AlphaDropout({p:g})"] - 1.0) < 0.1, p
        assert variance[f"Dropout({p:g})"] > 1.2, p
        assert variance[f"Dropout({p:g})"] > 1 / (1 - p)          # more than one layer's 1/q: it accumulates


def test_the_moment_map_predicts_dropouts_inflated_fixed_point(results):
    predicted = results["predicted_fixed_point"]
    for p in (0.05, 0.1, 0.2):
        assert predicted[f"AlphaDropout({p:g})"]["var"] == pytest.approx(1.0, abs=1e-6)
        assert predicted[f"Dropout({p:g})"]["var"] > 1 / (1 - p)


def test_training_mode_unit_means_are_a_q_times_the_evaluation_mode_ones(results):
    q = 1 - results["p_train"]
    alpha_prime = -SELU_SCALE * SELU_ALPHA
    a = (q + alpha_prime**2 * q * (1 - q)) ** -0.5
    assert results["alpha_a_times_q"] == pytest.approx(a * q, rel=1e-9)
    assert results["alpha_unit_mean_ratio_train_over_eval"] == pytest.approx(a * q, abs=0.02)


def test_during_training_alpha_dropout_stays_closer_to_variance_1_and_its_evaluation_mode_differs(results):
    train, evaluation = results["var_last_block_train_mode"], results["var_last_block_eval_mode"]
    assert abs(train["alpha"] - 1) < abs(train["dropout"] - 1)
    assert evaluation["alpha"] / train["alpha"] > 1.5 > evaluation["dropout"] / train["dropout"]
    assert results["test_loss"]["alpha"] > results["test_loss"]["none"]


def test_averaging_dropout_passes_reduces_the_test_loss(results):
    mc = results["mc_test_loss"]
    k_first, k_last = (str(k) for k in (results["mc_passes"][0], results["mc_passes"][-1]))
    for kind in ("dropout", "alpha"):
        assert mc[kind][k_last] < mc[kind][k_first], kind
    if not results["quick"]:
        # Full size only (30 epochs): the average of many passes beats AlphaDropout's evaluation-mode loss.
        assert mc["alpha"][k_last] < results["test_loss"]["alpha"]
