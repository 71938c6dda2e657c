# %% [markdown]
# # Tutorial 4 — SELU self-normalisation: mean and variance through depth
#
# A deep network at initialisation is a repeated map: each layer takes activations with some
# mean and variance and produces the next layer's. For most activation/initialisation pairs
# the variance drifts — it shrinks to 0 or grows — and the mean moves away from 0. SELU with
# LeCun-normal weights has (mean, variance) = (0, 1) as an *attracting fixed point*
# (Klambauer, Unterthiner, Mayr & Hochreiter, "Self-Normalizing Neural Networks",
# arXiv:1706.02515, 2017). This tutorial
#
# 1. follows the mean and variance of real minnet networks through many layers,
# 2. computes the paper's mean/variance map numerically and iterates it to the fixed point,
# 3. counts dead ReLU units at initialisation against depth (SELU has none).
#
# Run it from the repository root:
#
#     python tutorials/04_selu_self_normalisation.py            # full run
#     python tutorials/04_selu_self_normalisation.py --quick    # tiny settings (or MINNET_QUICK=1)
#
# or open it as a notebook (Jupyter / VS Code read the `# %%` cells). Figures are written to
# `tutorials/output/04_selu_self_normalisation/` **relative to the current directory** (set
# `MINNET_TUTORIAL_OUT` to choose another parent folder). Plots need matplotlib:
# `pip install "minnet[plot]"`.

# %%
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

import minnet as mn
import minnet.data  # noqa: F401  (makes mn.data available)
import minnet.diagnostics  # noqa: F401  (makes mn.diagnostics available)

QUICK = "--quick" in sys.argv or os.environ.get("MINNET_QUICK") == "1"
OUT = Path(os.environ.get("MINNET_TUTORIAL_OUT", "tutorials/output")) / "04_selu_self_normalisation"
OUT.mkdir(parents=True, exist_ok=True)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print('install the plot extra: pip install "minnet[plot]"  (figures are skipped)')

SEED = 0
if QUICK:
    DEPTH, WIDTH, N_SAMPLES = 16, 64, 256            # section 1
    DEAD_DEPTH, DEAD_WIDTH, DEAD_SAMPLES, DEAD_SEEDS = 16, 64, 256, 1
else:
    DEPTH, WIDTH, N_SAMPLES = 64, 512, 1024
    DEAD_DEPTH, DEAD_WIDTH, DEAD_SAMPLES, DEAD_SEEDS = 64, 1024, 1024, 2
CHECKPOINTS = [d for d in (8, 16, 32, 64) if d <= DEPTH]
T0 = time.perf_counter()
print(f"quick mode: {QUICK}; depth {DEPTH}, width {WIDTH}, {N_SAMPLES} samples; figures go to {OUT}")

# %% [markdown]
# ## 1. Mean and variance through depth, in real networks
#
# Each hidden layer is `Dense(width, width, init) → activation`, with zero biases, and the
# input is X ~ N(0, 1) (every feature mean 0, variance 1). For one unit, z = Σᵢ wᵢ xᵢ. If the
# inputs xᵢ are independent with mean μ and variance ν, then
#
# E[z] = μ·ω and Var[z] = ν·τ, with ω = Σᵢ wᵢ and τ = Σᵢ wᵢ².
#
# An initialiser fixes τ on average: τ ≈ fan_in · Var[w]. LeCun normal, Var[w] = 1/fan_in,
# gives τ ≈ 1 and ω ≈ 0 on average — what SELU's fixed point was designed for. He normal
# (2/fan_in) gives τ ≈ 2, which exactly compensates ReLU zeroing half of its inputs.
# PyTorch's default `nn.Linear` initialisation, U(−1/√fan_in, 1/√fan_in), has variance
# 1/(3·fan_in), so τ ≈ 1/3 — too small for SELU.
#
# `mn.diagnostics.activation_stats(model, X)` runs the model in evaluation mode and returns,
# for every layer, the mean and variance of its output over all samples and units.

# %%
SETTINGS = [
    # label,                    activation, initialiser
    ("SELU + LeCun normal",     "selu", "lecun_normal"),
    ("SELU + PyTorch default",  "selu", "pytorch_default"),
    ("ReLU + He normal",        "relu", "he_normal"),
    ("ReLU + LeCun normal",     "relu", "lecun_normal"),
    ("ELU + He normal",         "elu",  "he_normal"),
]


def deep_net(activation: str, init: str, depth: int, width: int, seed: int) -> mn.Sequential:
    """depth × [Dense(width, width, init) → activation]; one child seed per Dense."""
    layers = []
    for child in np.random.SeedSequence(seed).spawn(depth):
        layers += [mn.Dense(width, width, init=init, rng=np.random.default_rng(child)),
                   mn.get_activation(activation)]
    return mn.Sequential(*layers)


def per_layer_stats(model: mn.Sequential, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of every activation layer's output (index 0 = after hidden layer 1)."""
    records = [r for r in mn.diagnostics.activation_stats(model, X, batch_size=1024) if r["z_mean"] is not None]
    return np.array([r["mean"] for r in records]), np.array([r["var"] for r in records])


X = mn.data.make_standard_normal(N_SAMPLES, WIDTH, seed=SEED)
print(f"input: mean {X.mean():+.4f}, variance {X.var():.4f}")
stats = {}
for label, activation, init in SETTINGS:
    model = deep_net(activation, init, DEPTH, WIDTH, SEED)
    stats[label] = per_layer_stats(model, X)
    if label == "SELU + LeCun normal":
        selu_model = model          # kept for sections 2 and 3
    del model

print(f"\nMean and variance of the activations after d hidden layers (width {WIDTH}, {N_SAMPLES} N(0,1) samples)")
header = f"{'setting':<24}" + "".join(f"{'mean@' + str(d):>11}{'var@' + str(d):>11}" for d in CHECKPOINTS)
print(header)
print("-" * len(header))
for label, (means, variances) in stats.items():
    print(f"{label:<24}" + "".join(f"{means[d - 1]:>+11.4f}{variances[d - 1]:>11.3g}" for d in CHECKPOINTS))

print(f"\nFinal layer (depth {DEPTH}):")
for label, (means, variances) in stats.items():
    print(f"  {label:<24} mean {means[-1]:+.4f}   variance {variances[-1]:.3g}")

if plt is not None:
    fig, (ax_m, ax_v) = plt.subplots(1, 2, figsize=(12, 4.5))
    layers = np.arange(1, DEPTH + 1)
    for (label, (means, variances)), marker in zip(stats.items(), "osD^v", strict=True):
        ax_m.plot(layers, means, marker=marker, ms=3, label=label)
        ax_v.plot(layers, variances, marker=marker, ms=3, label=label)
    ax_m.axhline(0, color="black", lw=0.8, ls="--")
    ax_v.axhline(1, color="black", lw=0.8, ls="--")
    ax_m.set(title="mean of the activations", xlabel="hidden layer", ylabel="mean")
    ax_v.set(title="variance of the activations (log scale)", xlabel="hidden layer", ylabel="variance",
             yscale="log")
    for ax in (ax_m, ax_v):
        ax.grid(alpha=0.3)
    ax_v.legend(fontsize=8)
    fig.suptitle(f"Activation statistics through depth at initialisation (width {WIDTH}, N(0, 1) inputs)")
    fig.tight_layout()
    fig.savefig(OUT / "mean_variance_through_depth.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "mean_variance_through_depth.png")

# %% [markdown]
# What to read from the table and the figure:
#
# - **SELU + LeCun normal** stays at mean ≈ 0, variance ≈ 1 at every depth.
# - **SELU + PyTorch default** (τ ≈ 1/3) loses variance layer after layer: the signal dies.
#   PyTorch's `calculate_gain('selu') = 3/4` has the same problem (τ = 9/16, see section 2).
# - **ReLU + He** keeps the *second moment* roughly constant but not the mean: ReLU outputs
#   are never negative, so the mean is far from 0, and the variance wanders from layer to layer.
# - **ReLU + LeCun** halves the second moment at every layer (ReLU drops half of it and
#   nothing compensates): after d layers the variance is about 2⁻ᵈ of where it started.
# - **ELU + He** grows: τ ≈ 2 is too much for an activation that does not zero half its inputs.

# %% [markdown]
# ## 2. The mean/variance map of the SNN paper
#
# Suppose the inputs of a layer have mean μ and variance ν, and z ~ N(μω, ντ) (the central
# limit theorem for wide layers). The next layer's activations y = SELU(z) have
#
# μ̃ = E[SELU(z)],  ν̃ = E[SELU(z)²] − μ̃²,
#
# which defines the map g: (μ, ν) → (μ̃, ν̃). The paper studies g for weights with ω = Σwᵢ = 0
# and τ = Σwᵢ² = 1 (what LeCun normal gives on average) and proves with the Banach fixed-point
# theorem that (0, 1) is a stable, attracting fixed point (Theorem 1 extends this to ω and τ
# near 0 and 1). Note that with ω = 0, z does not depend on μ at all, so μ̃ depends on ν only:
# the mean is reset in one step, and the variance then converges.
#
# **Computing the expectations.** E[f(z)] for z ~ N(m, s²) is a one-dimensional Gaussian
# integral. Gauss–Hermite quadrature (`np.polynomial.hermite_e.hermegauss`, nodes and weights
# for the weight function e^{−t²/2}) is exact for polynomials, but SELU has a kink at 0, and
# near a kink the error only falls like 1/n. Splitting the integral at the kink and using
# Gauss–Legendre on each smooth piece (over m ± 12s; the Gaussian mass beyond is printed below)
# gives float64 accuracy with a few dozen nodes. The code prints both at the fixed point,
# where the exact answer is (0, 1).

# %%
selu = mn.SELU().function
LEGENDRE_NODES, LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(80)


def gaussian_expectation(f, m: float, s: float) -> float:
    """E[f(z)] for z ~ N(m, s²): Gauss–Legendre on [m − 12s, 0] and [0, m + 12s] (split at SELU's kink)."""
    lo, hi = m - 12 * s, m + 12 * s
    total = 0.0
    for a, b in ((lo, min(0.0, hi)), (max(0.0, lo), hi)):
        if a < b:
            z = 0.5 * (b - a) * LEGENDRE_NODES + 0.5 * (a + b)
            density = np.exp(-0.5 * ((z - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
            total += 0.5 * (b - a) * np.sum(LEGENDRE_WEIGHTS * f(z) * density)
    return float(total)


def selu_map(mu: float, nu: float, omega: float = 0.0, tau: float = 1.0) -> tuple[float, float]:
    """The SNN paper's map g: (μ, ν) → (μ̃, ν̃) with z ~ N(μω, ντ) and y = SELU(z)."""
    m, s = mu * omega, np.sqrt(nu * tau)
    first = gaussian_expectation(selu, m, s)
    second = gaussian_expectation(lambda z: selu(z) ** 2, m, s)
    return first, second - first**2


print(f"Gaussian mass beyond ±12 standard deviations, ignored by the integration range: "
      f"{math.erfc(12 / math.sqrt(2)):.1e}")
for n_nodes in (50, 100, 200):
    t, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    w = w / w.sum()                                       # weights of N(0, 1)
    mean_h = float(w @ selu(t))
    print(f"Gauss–Hermite, {n_nodes:>3} nodes:    g(0, 1) = ({mean_h:+.2e}, {float(w @ selu(t) ** 2) - mean_h**2:.9f})")
mu_1, nu_1 = selu_map(0.0, 1.0)
print(f"split Gauss–Legendre, 2×80:  g(0, 1) = ({mu_1:+.2e}, {nu_1:.15f})   <- (0, 1) is a fixed point")

# %% [markdown]
# ### Iterating the map from several starting points
#
# Each iterate is one more layer. How fast do we approach (0, 1)? Near the fixed point g is
# close to its linearisation, so the distance shrinks by the largest |eigenvalue| of the
# Jacobian of g at (0, 1) per layer; the code estimates the Jacobian by central differences.

# %%
STARTS = [(0.0, 0.2), (0.6, 3.0), (-0.6, 2.0), (0.5, 0.5), (-0.3, 1.3)]
N_ITER = 40 if QUICK else 60
trajectories = {}
for start in STARTS:
    path = [start]
    for _ in range(N_ITER):
        path.append(selu_map(*path[-1]))
    trajectories[start] = np.array(path)

show = [0, 1, 2, 5, 10, 20, N_ITER]
print("(μ, ν) after k applications of g (ω = 0, τ = 1)")
print(f"{'start':<14}" + "".join(f"{'k=' + str(k):>17}" for k in show[1:]) + "  layers to |Δ| < 1e-3")
for start, path in trajectories.items():
    distance = np.hypot(path[:, 0], path[:, 1] - 1)
    reached = np.flatnonzero(distance < 1e-3)
    steps = str(reached[0]) if reached.size else f"> {N_ITER}"
    print(f"{str(start):<14}" + "".join(f"  ({path[k, 0]:+.3f}, {path[k, 1]:.3f})" for k in show[1:])
          + f"  {steps:>6}")

h = 1e-5
jacobian = np.column_stack([
    (np.array(selu_map(h, 1.0)) - np.array(selu_map(-h, 1.0))) / (2 * h),       # ∂g/∂μ
    (np.array(selu_map(0.0, 1.0 + h)) - np.array(selu_map(0.0, 1.0 - h))) / (2 * h),  # ∂g/∂ν
])
rate = max(abs(np.linalg.eigvals(jacobian)))
print(f"\nJacobian of g at (0, 1) (rows μ̃, ν̃; columns ∂/∂μ, ∂/∂ν):\n{np.array2string(jacobian, precision=4)}")
print(f"largest |eigenvalue| = {rate:.4f}: near the fixed point each layer multiplies the distance to (0, 1) "
      f"by about {rate:.2f}, so it takes about {np.log(0.1) / np.log(rate):.1f} layers to shrink it tenfold.")

# %% [markdown]
# ### Where the fixed point goes when τ is wrong
#
# The fixed point depends on the weights' (ω, τ). Iterating g long enough from (0, 1) finds it.
# τ = 9/16 is what PyTorch's `calculate_gain('selu') = 3/4` gives (Var[w] = (3/4)²/fan_in),
# τ = 1/3 is PyTorch's default Linear initialisation.

# %%
print(f"{'weights':<40} {'μ after 400 layers':>19} {'ν after 400 layers':>19}")
for label, omega, tau in [("LeCun normal (ω = 0, τ = 1)", 0.0, 1.0),
                          ("ω = 0.1, τ = 1.1", 0.1, 1.1),
                          ("ω = -0.1, τ = 0.95", -0.1, 0.95),
                          ("gain 3/4 (ω = 0, τ = 9/16)", 0.0, 9 / 16),
                          ("PyTorch default (ω = 0, τ = 1/3)", 0.0, 1 / 3)]:
    mu, nu = 0.0, 1.0
    for _ in range(400):
        mu, nu = selu_map(mu, nu, omega, tau)
    print(f"{label:<40} {round(mu, 5) + 0.0:>+19.5f} {nu:>19.3g}")

# %% [markdown]
# ### The map predicts the network
#
# Feed the SELU + LeCun network from section 1 with inputs of variance 3 instead of 1
# (X·√3) and compare the measured per-layer mean and variance with the iterates of g from
# (0, 3). The network's weights are random, so ω and τ are only 0 and 1 on average, and the
# layer is finite — yet the two columns agree closely.

# %%
n_compare = min(10, DEPTH)
net_means, net_vars = per_layer_stats(selu_model, np.sqrt(3.0) * X)
predicted = [(0.0, 3.0)]
for _ in range(n_compare):
    predicted.append(selu_map(*predicted[-1]))
predicted = np.array(predicted)
print(f"{'layer':>5} {'network mean':>13} {'map μ':>8} {'network var':>12} {'map ν':>8}")
for k in range(1, n_compare + 1):
    print(f"{k:>5} {net_means[k - 1]:>+13.4f} {predicted[k, 0]:>+8.4f} "
          f"{net_vars[k - 1]:>12.4f} {predicted[k, 1]:>8.4f}")

if plt is not None:
    fig, ax = plt.subplots(figsize=(8, 6))
    mu_grid, nu_grid = np.meshgrid(np.linspace(-0.7, 0.7, 15), np.linspace(0.2, 3.2, 16))
    flow = np.array([[selu_map(m, v) for m, v in zip(row_m, row_v, strict=True)]
                     for row_m, row_v in zip(mu_grid, nu_grid, strict=True)])
    ax.quiver(mu_grid, nu_grid, flow[..., 0] - mu_grid, flow[..., 1] - nu_grid, angles="xy",
              scale_units="xy", scale=4, color="silver", width=0.003)    # drawn at 1/4 of the step
    for start, path in trajectories.items():
        ax.plot(path[:, 0], path[:, 1], marker="o", ms=3, lw=1, label=f"g iterates from {start}")
    ax.plot(net_means[:n_compare], net_vars[:n_compare], "k*", ms=9,
            label=f"SELU network, input variance 3 (layers 1-{n_compare})")
    ax.plot([0], [1], marker="X", color="red", ms=12, ls="none", label="fixed point (0, 1)")
    ax.set(title="SNN mean/variance map g for SELU (ω = 0, τ = 1)\narrows: one layer's step (drawn at 1/4 length)",
           xlabel="mean μ", ylabel="variance ν", xlim=(-0.75, 0.75), ylim=(0.1, 3.3))
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "selu_mean_variance_map.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "selu_mean_variance_map.png")

# %% [markdown]
# ## 3. Dead ReLU units at initialisation
#
# A ReLU unit is **dead** on a data set when its pre-activation z ≤ 0 for every sample: its
# derivative is then 0 everywhere, no gradient reaches its incoming weights, and it can never
# recover. One might think that needs a bad learning rate — but deep ReLU networks already have
# many dead units *at initialisation*, and more the deeper the layer. Two things conspire:
# ReLU's outputs all have a positive mean, so every unit of the next layer gets a fixed offset
# μ·ω (positive or negative, depending on its weights); and with depth the representations of
# different inputs become more and more alike (the mean cosine similarity between samples,
# printed below, creeps toward 1). A unit whose offset is negative and whose input barely varies
# between samples is negative for all of them.
#
# `mn.diagnostics.dead_units(model, X)` counts them per activation layer. Whether a unit is dead
# depends on the data set: with more samples, fewer units are negative for *all* of them.
# SELU and ELU units are never dead (their derivative is positive everywhere).

# %%
QUOTED = {8: 6, 16: 17, 32: 28, 64: 37}     # docs/conventions.md: "about", for width 1024 on N(0, 1) inputs
dead_checkpoints = [d for d in (8, 16, 32, 64) if d <= DEAD_DEPTH]
dead = np.zeros((DEAD_SEEDS, DEAD_DEPTH))
cosine = {}
for seed in range(DEAD_SEEDS):
    model = deep_net("relu", "he_normal", DEAD_DEPTH, DEAD_WIDTH, seed=100 + seed)
    X_dead = mn.data.make_standard_normal(DEAD_SAMPLES, DEAD_WIDTH, seed=200 + seed)
    records = mn.diagnostics.dead_units(model, X_dead, batch_size=1024)
    dead[seed] = [r["dead_fraction"] for r in records]
    if seed == 0:                       # how alike are the samples' representations, layer by layer?
        h = X_dead[:256]
        for i, layer in enumerate(model.layers):
            h = layer.forward(h)
            depth = (i + 1) // 2
            if isinstance(layer, mn.ReLU) and depth in dead_checkpoints:
                unit = h / np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-30)
                similarity = unit @ unit.T
                cosine[depth] = (similarity.sum() - np.trace(similarity)) / (len(h) * (len(h) - 1))
    del model

print(f"Dead ReLU units at initialisation: ReLU + He normal, width {DEAD_WIDTH}, {DEAD_SAMPLES} N(0, 1) samples, "
      f"{DEAD_SEEDS} network(s)")
print(f"{'layer':>5} " + "".join(f"{'seed ' + str(s):>9}" for s in range(DEAD_SEEDS))
      + f"{'mean':>9} {'quoted (about, width 1024)':>25} {'mean cos(x_i, x_j), network 0':>30}")
for d in dead_checkpoints:
    print(f"{d:>5} " + "".join(f"{100 * dead[s, d - 1]:>8.1f}%" for s in range(DEAD_SEEDS))
          + f"{100 * dead[:, d - 1].mean():>8.1f}% {QUOTED[d]:>24}% {cosine[d]:>30.3f}")

selu_dead = mn.diagnostics.dead_units(selu_model, X, batch_size=1024)
print(f"\nSELU + LeCun network of section 1 ({DEPTH} layers): "
      f"{sum(r['dead'] for r in selu_dead)} dead units out of {sum(r['units'] for r in selu_dead)}; "
      f"never-active units (z <= 0 for every sample, but still learning): {sum(r['never_active'] for r in selu_dead)}")

if plt is not None:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    layers = np.arange(1, DEAD_DEPTH + 1)
    for s in range(DEAD_SEEDS):
        ax.plot(layers, 100 * dead[s], lw=1, alpha=0.6, label=f"ReLU + He, network {s}")
    if DEAD_SEEDS > 1:
        ax.plot(layers, 100 * dead.mean(axis=0), color="black", lw=2, label="mean over networks")
    quoted_depths = [d for d in QUOTED if d <= DEAD_DEPTH]
    ax.plot(quoted_depths, [QUOTED[d] for d in quoted_depths], "rs", ms=8, label="quoted (width 1024)")
    ax.axhline(0, color="tab:green", lw=2, ls="--", label="SELU / ELU: never dead")
    ax.set(title=f"Dead ReLU units at initialisation (width {DEAD_WIDTH}, {DEAD_SAMPLES} samples)",
           xlabel="hidden layer (depth)", ylabel="dead units (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "dead_relu_units_vs_depth.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "dead_relu_units_vs_depth.png")

# %% [markdown]
# ## Summary
#
# - With LeCun-normal weights SELU networks keep mean ≈ 0 and variance ≈ 1 through depth; the
#   paper's map g explains why: (0, 1) is an attracting fixed point, and its Jacobian tells how
#   fast a disturbance dies out.
# - The fixed point belongs to the *pair* activation + initialisation: SELU with τ = 1/3 (PyTorch's
#   default Linear init) or 9/16 (gain 3/4) collapses; ReLU with LeCun loses half its variance per
#   layer; ELU with He grows.
# - ReLU networks lose units before training even starts; SELU/ELU units cannot die.

# %%
print(f"\ntotal time: {time.perf_counter() - T0:.1f} s")
