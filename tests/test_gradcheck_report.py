"""gradcheck's verdict line: passed or failed at its tolerance, and failures that come from a kink."""

import numpy as np

import minnet as mn
from minnet.gradcheck import GradcheckResult


class DoubledReLU(mn.ReLU):
    """A wrong backward: twice the gradient."""

    def backward(self, dy):
        return 2 * super().backward(dy)


def away_from_zero(shape, seed=0):
    x = np.random.default_rng(seed).normal(size=shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)


def test_a_correct_backward_prints_passed_with_its_tolerance():
    result = mn.gradcheck(mn.ELU(), away_from_zero((4, 5)), tol=1e-8)
    assert result.passed()
    assert str(result).splitlines()[-1].startswith("passed: max relative error")
    assert "<= tolerance 1e-08" in result.verdict


def test_a_wrong_backward_prints_failed_and_no_kink():
    result = mn.gradcheck(DoubledReLU(), away_from_zero((4, 5)))
    assert not result.passed()
    lines = str(result).splitlines()
    assert lines[-1].startswith("FAILED: max relative error 5.0e-01 > tolerance 1e-07 (worst: input)")
    assert "kink" not in str(result)
    assert result.failing["input"] > 0 and result.at_kink["input"] == 0


def test_a_point_within_h_of_relus_kink_is_named_as_the_cause():
    x = away_from_zero((3, 4))
    x[0, 1], x[2, 3] = 4e-6, -3e-6            # |x| < h = 1e-5: the central difference straddles the kink
    result = mn.gradcheck(mn.ReLU(), x)
    assert not result.passed()
    assert result.failing == {"input": 2} and result.at_kink == {"input": 2}
    assert "the failure comes from sample points within h = 1e-05 of a kink (input: 2 of 2" in result.verdict


def test_kink_inside_a_model_is_found_through_the_parameters_too():
    model = mn.Sequential(mn.Dense(3, 2, rng=0, dtype=np.float64), mn.ReLU())
    x = away_from_zero((4, 3), seed=1)
    z = x @ model.layers[0].weight.data
    model.layers[0].bias.data[0] = -z[0, 0] + 2e-6      # sample 0, unit 0 sits 2e-6 above ReLU's kink
    result = mn.gradcheck(model, x)
    assert not result.passed()
    assert result.at_kink and sum(result.at_kink.values()) == sum(result.failing.values())
    assert "of a kink" in result.verdict


def test_a_mix_of_wrong_backward_and_kink_says_part():
    x = away_from_zero((3, 4))
    x[1, 1] = 1e-6
    result = mn.gradcheck(DoubledReLU(), x)
    assert "part of it comes from sample points within h = 1e-05 of a kink (input: 1 of" in result.verdict


def test_passed_uses_the_checks_tolerance_unless_given():
    result = GradcheckResult({"input": 1e-6}, tol=1e-5)
    assert result.passed() and not result.passed(1e-7)
    assert "FAILED" in GradcheckResult({"input": 1e-6}).verdict


def test_gradcheck_rng_and_its_seed_alias():
    x = away_from_zero((3, 4))
    by_rng, by_seed = mn.gradcheck(mn.Tanh(), x, rng=3), mn.gradcheck(mn.Tanh(), x, seed=3)
    assert by_rng.errors == by_seed.errors
    assert mn.gradcheck(mn.Tanh(), x).errors == mn.gradcheck(mn.Tanh(), x, rng=0).errors   # default: seed 0
    try:
        mn.gradcheck(mn.Tanh(), x, rng=1, seed=1)
    except TypeError as exc:
        assert "gradcheck: got both rng=1 and seed=1" in str(exc)
    else:
        raise AssertionError("rng and seed together must raise")
