"""Tutorial 06 (the SNN paper's Figure 1 at classroom scale) in quick mode: its headline claims, from results.json.

Quick mode trains depth 8 only, for 12 epochs, with the same learning-rate grid and 3 seeds. The claims about
depths 16 and 32 (SELU keeps training while both ReLU networks stall at 32 layers) need the full run and are
not asserted here; what the quick run can show at depth 8 is asserted, with margins it meets comfortably.
"""


import pytest
from tutorial_runs import run_tutorial


@pytest.fixture(scope="module")
def results():
    run = run_tutorial("06_deep_networks")
    run.check_ok()
    return run.results, run.out


def test_quick_run_is_quick_and_uses_the_grid_and_three_seeds(results):
    res, _ = results
    assert res["quick"] is True and res["depths"] == [8]
    assert len(res["seeds"]) >= 3
    assert set(res["chosen_lr"].values()) <= set(res["learning_rates"])


def test_no_run_at_a_chosen_learning_rate_diverged(results):
    res, _ = results
    for key, row in res["summary"].items():
        assert row["diverged"] == 0 and row["seeds"] == 3, key


def test_selu_trains_a_depth_8_network_well(results):
    """Quick run: test accuracy 0.96 (full run 0.958); the loss falls far below its start ln 10 ≈ 2.3."""
    res, _ = results
    selu = res["summary"]["SELU/8"]
    assert selu["test_accuracy"][0] > 0.90
    assert selu["train_loss"][0] < 0.1 * res["initial_loss"]


def test_selu_ends_below_relu_with_batchnorm_at_depth_8(results):
    """Quick run: 0.017 against 0.069 (full run: 2.6e-3 against 1.2e-2); asserted with a factor-2 margin."""
    res, _ = results
    selu, bn = res["summary"]["SELU/8"], res["summary"]["ReLU + BN/8"]
    assert selu["train_loss"][0] < 0.5 * bn["train_loss"][0]
    assert max(selu["train_loss_per_seed"]) < min(bn["train_loss_per_seed"])


def test_noise_is_a_positive_number_per_method(results):
    res, folder = results
    for key, row in res["summary"].items():
        assert row["noise"][0] > 0 and row["noise"][1] >= 0, key
    assert (folder / "training_loss.png").is_file()
