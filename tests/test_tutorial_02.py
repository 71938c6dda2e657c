"""Tutorial 02 (dying ReLU) in quick mode: its headline claims, read from its results.json.

Quick mode trains 2 epochs on 300 digits with one seed, so the assertions below are the claims
that already hold at that size. The full run's SELU collapse at lr 0.3 (units numerically dead
at pre-activations of thousands below 0, with 0 dead units reported) needs the full 15 epochs
and three seeds; the quick test checks what the quick run can show: the definition of
numerically dead on hand-made pre-activations and its relation to dead in every run.
"""

import math

import pytest
from tutorial_runs import run_tutorial


@pytest.fixture(scope="module")
def results():
    run = run_tutorial("02_dying_relu")
    run.check_ok()
    data = run.results
    assert data["quick"] is True
    return data


def test_elu_and_selu_are_numerically_dead_where_float32_underflows_but_never_dead(results):
    demo = results["demo"]          # unit 0 has z in [-300, -150] for all 3 samples: e^z is 0 in float32
    assert math.exp(-150.0) < 1.4e-45                                   # below float32's smallest subnormal
    for name in ("ELU", "SELU"):
        assert demo[name] == {"dead": 0, "numerically_dead": 1, "never_active": 2}
    assert demo["ReLU"] == {"dead": 2, "numerically_dead": 2, "never_active": 2}    # dead ⇒ numerically dead
    assert demo["LeakyReLU(0.01)"] == {"dead": 0, "numerically_dead": 0, "never_active": 2}
    assert -105 < results["float32_underflow_z"] < -103                 # ln(1.4e-45) ≈ -103.3


def test_large_learning_rates_kill_relu_units_and_make_every_activation_diverge(results):
    sweep = results["lr_sweep"]
    relu = [v for v in sweep["dead_pct"]["relu"] if v != "nan"]
    assert relu[0] < 5 and max(relu) > relu[0] + 10            # quick: 0.0 % at lr 0.01, 31.6 % at lr 1
    for act, counts in sweep["diverged"].items():
        assert counts[0] == 0, act                              # lr 0.01: nothing diverges
    # at lr 1.0 the three activations with the steepest negative branch diverge in every seed (full run: 3 of 3)
    assert all(sweep["diverged"][a][-1] == len(sweep["seeds"]) for a in ("prelu", "elu", "selu"))
    for act in sweep["dead_pct"]:
        for dead, numdead in zip(sweep["dead_pct"][act], sweep["numerically_dead_pct"][act], strict=True):
            assert dead == "nan" or numdead >= dead, act         # every dead unit is numerically dead
            if act != "relu":
                assert dead in (0.0, "nan"), act                 # by construction


def test_negative_bias_relu_units_stay_dead_while_elu_units_come_back(results):
    bias = results["bias"]
    relu_init, relu_final = bias["init_dead_pct"]["relu"][-1], bias["final_dead_pct"]["relu"][-1]
    assert relu_init > 20 and relu_final >= 0.9 * relu_init             # quick: 52.7 % → 52.7 %
    elu_init, elu_final = bias["init_never_pct"]["elu"][-1], bias["final_never_pct"]["elu"][-1]
    assert elu_final < 0.6 * elu_init                                    # quick: 10.4 % → 3.3 %
    assert bias["final_dead_pct"]["elu"][-1] == 0.0 and bias["final_numdead_pct"]["elu"][-1] == 0.0


def test_deep_relu_nets_have_more_dead_units_in_their_deeper_layers_at_initialisation(results):
    layers = results["depth"]["relu_init_dead_pct_per_layer_deepest"]
    half = len(layers) // 2
    assert sum(layers[half:]) / half > sum(layers[:half]) / half + 2    # quick (8 layers): 0.0 % vs 5.9 %
