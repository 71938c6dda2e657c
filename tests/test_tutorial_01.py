"""Tutorial 01 (the activation zoo) runs in quick mode, and the numbers it reports are right.

The expected values are computed here from the formulas (docs/conventions.md, "Activations") with
Python's ``math`` and ``decimal`` modules, not taken from minnet.
"""

import math
from decimal import Decimal, getcontext

import pytest
from tutorial_runs import run_tutorial

# SELU constants typed in from the SNN paper (Eq. 14), 31 digits.
ALPHA_STR, LAMBDA_STR = "1.6732632423543772848170429916717", "1.0507009873554804934193349852946"


@pytest.fixture(scope="module")
def run():
    """(stdout, results.json) of the session's one quick run (tests/tutorial_runs.py)."""
    tutorial = run_tutorial("01_activation_zoo")
    tutorial.check_ok()
    return tutorial.stdout, tutorial.results


def test_derivatives_at_zero_follow_pytorchs_convention(run):
    _, results = run
    getcontext().prec = 50
    scale_alpha = float(Decimal(ALPHA_STR) * Decimal(LAMBDA_STR))
    assert results["derivative_at_zero"] == {"ReLU": 0.0, "LeakyReLU": 0.01, "PReLU": 0.25, "ELU": 1.0,
                                             "SELU": scale_alpha}


def test_selu_fixed_point_mean_zero_variance_one(run):
    """E SELU(z) = 0 and Var SELU(z) = 1 for z ~ N(0, 1), within the Monte Carlo error of the run's draws."""
    _, results = run
    mc = results["selu_fixed_point"]
    n = mc["n"]
    assert abs(mc["mean"]) < 5 / math.sqrt(n)
    assert abs(mc["var"] - 1) < 7 * math.sqrt(2 / n)      # sd of a sample variance ≈ √((μ₄ − 1)/n), μ₄ < 3


def test_mean_shift_of_each_activation(run):
    """E f(z) for z ~ N(0, 1): ReLU 1/√(2π), LeakyReLU (1 − s)/√(2π), PReLU (1 − a)/√(2π),
    ELU 1/√(2π) + √e·Φ(−1) − 1/2 (from ∫ (eᶻ − 1) φ(z) dz over z < 0)."""
    _, results = run
    n = results["selu_fixed_point"]["n"]
    phi = 1 / math.sqrt(2 * math.pi)
    cdf_minus_one = 0.5 * math.erfc(1 / math.sqrt(2))
    expected = {"ReLU": phi, "LeakyReLU": 0.99 * phi, "PReLU": 0.75 * phi,
                "ELU": phi + math.exp(0.5) * cdf_minus_one - 0.5, "SELU": 0.0}
    for name, want in expected.items():
        assert abs(results["mean_of_f_of_standard_normal"][name] - want) < 5 * math.sqrt(1.1 / n), name


def test_selu_constants_from_the_closed_forms(run):
    _, results = run
    constants = results["selu_constants"]
    assert constants["alpha"] == float(ALPHA_STR) and constants["lambda"] == float(LAMBDA_STR)
    assert constants["alpha_closed_form"] == pytest.approx(float(ALPHA_STR), rel=1e-14)
    assert constants["lambda_closed_form"] == pytest.approx(float(LAMBDA_STR), rel=1e-14)


def test_reference_equals_the_fast_kernel_and_every_backward_passes_gradcheck(run):
    stdout, results = run
    assert results["reference_equals_fast"] == {name: True for name in ("ReLU", "LeakyReLU", "PReLU", "ELU", "SELU")}
    assert all(error < 1e-7 for error in results["gradcheck_largest_error"].values())
    assert "def reference(self, x" in stdout                     # the tutorial shows the code
