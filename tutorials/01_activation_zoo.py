# %% [markdown]
# # Tutorial 1 — The activation zoo: ReLU, LeakyReLU, PReLU, ELU, SELU
#
# Five activations, their derivatives, the conventions at exactly 0, a numerical trap
# (the exponential of a large number), the SELU constants, and a gradient check of
# every backward pass.
#
# Run it as a script from the repository root:
#
#     python tutorials/01_activation_zoo.py            # full run
#     python tutorials/01_activation_zoo.py --quick    # tiny settings (or MINNET_QUICK=1)
#
# or open it as a notebook (Jupyter / VS Code read the `# %%` cells; set `QUICK = True` in the first
# cell for a fast run). Figures and `results.json` go to `tutorials/output/01_activation_zoo/` relative
# to the current directory (`MINNET_TUTORIAL_OUT` chooses another parent folder). Plots need matplotlib:
# `pip install -e ".[plot]"` in a clone of minnet.
#
# Papers: ELU — Clevert, Unterthiner & Hochreiter, arXiv:1511.07289 (2015).
# SELU — Klambauer, Unterthiner, Mayr & Hochreiter, "Self-Normalizing Neural Networks",
# arXiv:1706.02515 (2017). PReLU — He, Zhang, Ren & Sun, arXiv:1502.01852 (2015).
# Definitions and constants: docs/conventions.md, "Activations".

# %% [markdown]
# The first cell sets everything a run depends on: `QUICK` (`True` for a run of seconds, `None` to let
# `--quick` or `MINNET_QUICK=1` decide) and where files go (`mn.tutorial.setup`). In a notebook on a hosted
# service (Colab, Binder, a JupyterHub) without minnet, it first installs it: minnet's distribution name is
# `minnet-nn` (`minnet` on PyPI is an unrelated package); from a clone, `python -m pip install -e ".[notebook]"`.

# %%
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("minnet") is None:     # a hosted notebook without minnet: install it first
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "minnet-nn[plot]"], check=True)

import inspect
import math
import warnings

import numpy as np

import minnet as mn

QUICK = None                       # None: --quick or MINNET_QUICK=1 decide; True or False: decide here
tut = mn.tutorial.setup("01_activation_zoo", quick=QUICK)
plt = tut.plt
SEED = 0
results = {}

# %% [markdown]
# ## 1. The five activations
#
# | name | f(x) for x > 0 | f(x) for x ≤ 0 | f'(x) for x ≤ 0 |
# |---|---|---|---|
# | ReLU | x | 0 | 0 |
# | LeakyReLU | x | s·x (s = 0.01) | s |
# | PReLU | x | a·x (a learned, starts at 0.25) | a |
# | ELU | x | α(eˣ − 1) (α = 1) | α·eˣ = f(x) + α |
# | SELU | λx | λα(eˣ − 1) | λα·eˣ |
#
# For x > 0 every one is the identity (SELU: times λ), so the derivative there is 1 (SELU: λ).
# They differ only on the negative side:
#
# - **ReLU** outputs 0 and passes *no gradient*: a unit whose input is negative for every
#   sample is **dead** — its incoming weights never change again.
# - **LeakyReLU / PReLU** keep a small slope, so gradient flows, but the outputs are still
#   mostly positive: the mean activation is shifted away from 0 ("bias shift").
# - **ELU** saturates smoothly to −α. Negative outputs pull the mean toward 0, the
#   derivative α·eˣ is positive everywhere (never dead), and the saturation makes the unit
#   insensitive to *how* negative its input is — a noise-robust "off" state.
# - **SELU** is ELU scaled by λ with α chosen so that, with suitably initialised weights,
#   mean 0 and variance 1 are a stable fixed point from layer to layer (tutorial 4).
#
# ### The formula, as code
#
# Every minnet activation class starts with its formula: the docstring states f(x), f'(x), f'(0) and the
# paper, and the first method, `reference(x) -> (y, dydx)`, writes the same formula in plain NumPy, line for
# line — `np.where(x > 0, …, …)` for the two branches, and the exponential taken of `np.minimum(x, 0)`
# only (section 3 shows why). Here are the five, printed from the library's source:

# %%
ZOO = {
    "ReLU": mn.ReLU(),
    "LeakyReLU": mn.LeakyReLU(),          # s = 0.01, PyTorch's default
    "PReLU": mn.PReLU(dtype=np.float64),  # a = 0.25 at initialisation, learned afterwards
    "ELU": mn.ELU(),                      # α = 1
    "SELU": mn.SELU(),
}
for layer in ZOO.values():
    print(f"# {layer!r}: {type(layer).__doc__.splitlines()[0]}")
    print(inspect.getsource(type(layer).reference))

# %% [markdown]
# Training does not run these lines: each class also has a fast kernel (in `minnet/nn/kernels.py`: no
# `np.where`, no temporary arrays, buffers reused between batches) that computes **the same numbers, bit for
# bit** — the test suite checks it on float32 and float64 inputs including ±0, subnormals, ±inf and the
# kink. Inside `with mn.textbook():` every layer runs its `reference` instead. `layer.function(x)` and
# `layer.derivative(x)` give f and f' (through whichever path is active) without caching anything;
# `forward`/`backward` are what a network uses. We check the "bit for bit" claim here on a grid:

# %%
x_grid = np.concatenate([np.linspace(-30, 30, 6001), [-0.0, 0.0, -1e-300, 1e-300, -800.0, 800.0]])
reference_equals_fast = {}
for name, layer in ZOO.items():
    y_ref, d_ref = layer.reference(x_grid)
    same = np.array_equal(layer.function(x_grid), y_ref) and np.array_equal(layer.derivative(x_grid), d_ref)
    with mn.textbook():
        same = same and np.array_equal(layer.function(x_grid), y_ref)
    reference_equals_fast[name] = bool(same)
    print(f"{name:<10} fast kernel == reference on {x_grid.size} points: {same}")
results["reference_equals_fast"] = reference_equals_fast

# %%
x = np.linspace(-4.0, 3.0, 701)
if plt is not None:
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4.2))
    style = {"ReLU": dict(lw=3.5, alpha=0.6), "LeakyReLU": dict(lw=1.5, ls="--")}  # keep both visible
    for name, layer in ZOO.items():
        ax_f.plot(x, layer.function(x), label=name, **style.get(name, dict(lw=1.8)))
        ax_d.plot(x, layer.derivative(x), label=name, **style.get(name, dict(lw=1.8)))
    ax_f.set(title="activations f(x)", xlabel="x", ylabel="f(x)", ylim=(-2.0, 3.2))
    ax_d.set(title="derivatives f'(x)", xlabel="x", ylabel="f'(x)", ylim=(-0.1, 1.9))
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="grey", lw=0.6)
        ax.axvline(0, color="grey", lw=0.6)
        ax.grid(alpha=0.3)
        ax.legend()
    ax_f.axhline(-1.0, color="tab:red", lw=0.6, ls=":")
    ax_f.axhline(-mn.SELU.scale * mn.SELU.alpha, color="tab:purple", lw=0.6, ls=":")
    ax_f.annotate("ELU → −α", (-4, -1.0), xytext=(-3.9, -0.75), fontsize=8, color="tab:red")
    ax_f.annotate("SELU → −λα", (-4, -1.76), xytext=(-3.9, -1.55), fontsize=8, color="tab:purple")
    fig.suptitle("The activation zoo (minnet's layer.function and layer.derivative)")
    fig.tight_layout()
    print("wrote", tut.savefig(fig, "activations_and_derivatives.png"))

# %% [markdown]
# ## 2. What happens at exactly 0?
#
# At x = 0 the two branches meet, so f is continuous, but f' jumps for ReLU, LeakyReLU,
# PReLU and SELU (and for ELU with α ≠ 1): the derivative at 0 does not exist in the
# ordinary sense. An implementation still has to return *some* number there, and inputs of
# exactly 0 do occur (ReLU outputs are often exactly 0, and sparse data is full of zeros).
#
# minnet follows **PyTorch's documented convention**: the test is `x > 0`, so x = 0 takes
# the *negative* branch. Hence ReLU'(0) = 0, LeakyReLU'(0) = s, PReLU'(0) = a, ELU'(0) = α,
# SELU'(0) = λα — the left-hand limit. Any value between the one-sided limits is a valid
# subgradient; following one framework's choice makes numbers comparable with it.
#
# The table shows f(0), the one-sided limits of f' (evaluated at ±1e-12) and f'(0).

# %%
zero = np.zeros(1)
eps = 1e-12
print("{:<10} {:>6} {:>12} {:>11} {:>12}  {}".format("activation", "f(0)", "f'(0-)", "f'(0)", "f'(0+)", "f'(0) is"))
results["derivative_at_zero"] = {}
for name, layer in ZOO.items():
    f0 = layer.function(zero)[0]
    left, at0, right = (layer.derivative(np.array([v]))[0] for v in (-eps, 0.0, eps))
    side = "the left limit" if np.isclose(at0, left, rtol=1e-9) else "NOT the left limit"
    print(f"{name:<10} {f0:>6.3g} {left:>12.6f} {at0:>11.6f} {right:>12.6f}  {side}")
    results["derivative_at_zero"][name] = float(at0)

# %% [markdown]
# ## 3. Why the exponential is taken only of the negative part
#
# The textbook one-liner for ELU is `np.where(x > 0, x, alpha * (np.exp(x) - 1))`.
# `np.where` picks the right value, but **both branches are computed for every element**:
# for x = 1000, `np.exp(1000)` overflows to inf (eˣ overflows once x exceeds the logarithm of the
# largest float — printed below for float64 and float32) and NumPy raises a `RuntimeWarning`. The answer happens to
# be right, but the warning is noise in every training log — and as soon as the thrown-away
# branch is *multiplied* instead of selected, inf · 0 = nan poisons the result (see the naive
# derivative below).
#
# minnet evaluates the exponential on m = min(x, 0) only — `np.expm1(np.minimum(x, 0))` — so
# the argument is never positive; that is the first line of `ELU.reference` printed in section 1.
# `expm1` (= eˣ − 1 without cancellation) also keeps full precision for small negative x, where
# `exp(x) - 1` loses digits.

# %%
for dtype in (np.float64, np.float32):
    print(f"{np.dtype(dtype).name}: exp(x) overflows for x > ln(max) = {np.log(np.finfo(dtype).max):.2f}")

alpha = 1.0
x_big = np.array([-2.0, 0.5, 1000.0])


def naive_elu(x):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def naive_elu_derivative(x):
    return (x > 0) * 1.0 + (x <= 0) * alpha * np.exp(x)   # selects by multiplying: 0 * inf = nan


for label, fn in [("naive np.where ELU", naive_elu), ("naive ELU derivative", naive_elu_derivative),
                  ("mn.ELU().reference", mn.ELU().reference),
                  ("mn.ELU().function", mn.ELU().function), ("mn.ELU().derivative", mn.ELU().derivative)]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            result = fn(x_big)
    shown = [part.tolist() for part in result] if isinstance(result, tuple) else result.tolist()
    print(f"{label:<22} f({x_big.tolist()}) = {shown}")
    if caught:
        for w in caught:
            print(f"{'':<22}   -> {w.category.__name__}: {w.message}")
    else:
        print(f"{'':<22}   -> no warning")

x_small = np.array([-1e-10])
print(f"\nprecision near 0 at x = {x_small[0]:g}: exp(x) - 1 = {float(np.exp(x_small[0]) - 1)!r}, "
      f"expm1(x) = {float(np.expm1(x_small[0]))!r} (Taylor x + x²/2: {-1e-10 + 5e-21!r})")

# %% [markdown]
# ## 4. The SELU constants
#
# SELU(x) = λ·x for x > 0 and λα(eˣ − 1) for x ≤ 0. The SNN paper chooses α and λ so that if
# the pre-activation z is N(0, 1), then SELU(z) again has **mean 0 and variance 1** — the
# fixed point (μ, ν) = (0, 1). Solving the two equations gives the closed forms of the paper's
# Eq. 14 (with erfc the complementary error function):
#
# α₀₁ = −√(2/π) / (erfc(1/√2)·e^{1/2} − 1)
#
# λ₀₁ = (1 − erfc(1/√2)·√e)·√(2π) · (2·erfc(√2)·e² + π·erfc(1/√2)²·e − 2(2 + π)·erfc(1/√2)·√e + π + 2)^{−1/2}
#
# The paper reports α ≈ 1.6733 and λ ≈ 1.0507. We evaluate the closed forms with `math.erfc`,
# compare them with the constants minnet uses, and check the fixed point by Monte Carlo.

# %%
e = math.e
c = math.erfc(1 / math.sqrt(2))
alpha01 = -math.sqrt(2 / math.pi) / (c * math.exp(0.5) - 1)
lambda01 = ((1 - c * math.sqrt(e)) * math.sqrt(2 * math.pi)
            * (2 * math.erfc(math.sqrt(2)) * e**2 + math.pi * c**2 * e
               - 2 * (2 + math.pi) * c * math.sqrt(e) + math.pi + 2) ** -0.5)

print(f"{'constant':<8} {'closed form (Eq. 14)':>22} {'minnet':>22} {'relative difference':>20}")
for label, closed, used in [("α", alpha01, mn.SELU.alpha), ("λ", lambda01, mn.SELU.scale),
                            ("λα", alpha01 * lambda01, mn.activations.SELU_SCALE_ALPHA)]:
    print(f"{label:<8} {closed:>22.16f} {used:>22.16f} {abs(closed - used) / used:>20.1e}")
print("(minnet stores the constants correctly rounded from the paper's 31-digit values; evaluating the "
      "closed forms in float64 costs a few units in the last place.)")
print("λα is SELU's limit for x → −∞ and SELU'(0) (PyTorch's convention); AlphaDropout (tutorial 5) "
      "sets dropped units to −λα.")

rng = np.random.default_rng(SEED)
n_mc = 200_000 if tut.quick else 4_000_000
z = rng.standard_normal(n_mc)
s = mn.SELU().function(z)
print(f"\nMonte Carlo with {n_mc:,} draws z ~ N(0, 1): mean SELU(z) = {s.mean():+.4f}, "
      f"var SELU(z) = {s.var():.4f} (standard error of the mean ≈ {s.std() / math.sqrt(n_mc):.4f})")
results["selu_constants"] = {"alpha_closed_form": alpha01, "lambda_closed_form": lambda01,
                             "alpha": mn.SELU.alpha, "lambda": mn.SELU.scale}
results["selu_fixed_point"] = {"n": n_mc, "mean": float(s.mean()), "var": float(s.var())}

# %% [markdown]
# ## 5. The mean shift, side by side
#
# Feed z ~ N(0, 1) through each activation. ReLU's outputs are never negative, so their mean
# is far from 0; the next layer then sees inputs with a nonzero mean, which acts like a bias
# that the weights must first undo (the ELU paper's "bias shift"). LeakyReLU and PReLU barely
# help; ELU's negative saturation pulls the mean toward 0; SELU puts it at 0 and keeps the
# variance at 1.

# %%
print("{:<10} {:>10} {:>9} {:>12} {:>13}".format("activation", "mean f(z)", "var f(z)", "P(f(z) < 0)", "P(f'(z) = 0)"))
results["mean_of_f_of_standard_normal"] = {}
for name, layer in ZOO.items():
    fz = layer.function(z)
    dead_fraction = np.mean(layer.derivative_is_zero(z))
    print(f"{name:<10} {fz.mean():>10.4f} {fz.var():>9.4f} {np.mean(fz < 0):>12.4f} {dead_fraction:>18.4f}")
    results["mean_of_f_of_standard_normal"][name] = float(fz.mean())

if plt is not None:
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(-2.0, 4.0, 121)
    for name, layer in ZOO.items():
        ax.hist(layer.function(z[:200_000]), bins=bins, histtype="step", density=True, lw=1.5,
                label=f"{name} (mean {layer.function(z).mean():+.3f})")
    ax.set(title="distribution of f(z) for z ~ N(0, 1)", xlabel="f(z)", ylabel="density", yscale="log")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    print("wrote", tut.savefig(fig, "output_distributions.png"))

# %% [markdown]
# ## 6. Checking every backward pass numerically
#
# `mn.gradcheck(layer, x)` takes the scalar L = Σ f(x)·r for a fixed random r, computes
# dL/dx (and dL/da for PReLU's slope) with the layer's `backward`, and compares with central
# differences (L(u + h) − L(u − h)) / 2h in float64. A correct backward gives a relative
# error at the level of rounding and truncation errors; a wrong one gives an error of order one.
#
# The points are kept **away from the kink at 0** (|x| ≥ 0.1): a central difference that
# straddles the kink returns the *mean* of the two one-sided slopes, not either convention —
# the last line shows what that looks like for ReLU at x = 0.

# %%
rng = np.random.default_rng(SEED)
shape = (4, 3) if tut.quick else (16, 3)
x_check = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 3.0, size=shape)
checks = dict(ZOO)
checks["PReLU (3 slopes)"] = mn.PReLU(num_parameters=3, dtype=np.float64)

print(f"{'activation':<17} {'dL/dx error':>12} {'dL/da error':>12}  passed (tol 1e-7)")
results["gradcheck_largest_error"] = {}
for name, layer in checks.items():
    result = mn.gradcheck(layer, x_check)
    slope_error = f"{result['weight']:.2e}" if "weight" in result.errors else "-"
    print(f"{name:<17} {result['input']:>12.2e} {slope_error:>12}  {result.passed(1e-7)}")
    results["gradcheck_largest_error"][name] = max(result.errors.values())

at_kink = x_check.copy()
at_kink[0, 0] = 0.0
kink = mn.gradcheck(mn.ReLU(), at_kink)
print(f"{'ReLU, one x = 0':<17} {kink['input']:>12.2e} {'-':>12}  {kink.passed(1e-7)}"
      "   <- the central difference at 0 is (0 + 1)/2, ReLU'(0) is 0")

print("\nfull gradcheck table for PReLU with 3 slopes:")
print(mn.gradcheck(checks["PReLU (3 slopes)"], x_check))
print("\nkey numbers written to", tut.write_results(results))

# %% [markdown]
# ## Summary
#
# - All five are the identity for x > 0; they differ in what they do with negative inputs.
# - ReLU's zero derivative on the negative side is what kills units (tutorial 2); leaky
#   slopes keep gradients alive but not the mean near 0; ELU and SELU do both.
# - Each class shows its formula twice: in the docstring and as `reference`, plain NumPy that
#   training replaces by a fast kernel giving the same numbers bit for bit (`mn.textbook()` runs it).
# - At exactly 0 minnet takes PyTorch's convention: the negative branch.
# - Evaluate exponentials on min(x, 0) only: the thrown-away branch must not overflow.
# - SELU's α and λ make (mean 0, variance 1) a fixed point — tutorial 4 follows it through
#   64 layers, tutorial 5 shows how AlphaDropout keeps it under dropout.
