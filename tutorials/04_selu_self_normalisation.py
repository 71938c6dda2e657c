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
# 1. follows the mean and variance of real minnet networks through many layers, at initialisation,
# 2. computes the paper's mean/variance map, its Jacobian at (0, 1) and its fixed points, and
#    tests Theorem 1's prediction in real networks whose weights are moved off ω = 0, τ = 1,
# 3. trains SELU networks (SGD and Adam, 8 and 32 layers) and checks whether the activations
#    and the weights stay where the theory needs them *during learning*,
# 4. counts dead ReLU units at initialisation against depth.
#
# Run it from the repository root (`pip install -e ".[plot]"` in a clone of minnet for the
# figures):
#
#     python tutorials/04_selu_self_normalisation.py            # full run
#     python tutorials/04_selu_self_normalisation.py --quick    # tiny settings (or MINNET_QUICK=1)
#
# or open it as a notebook (set `QUICK = True` in the next cell for a quick run). Files go to
# `tutorials/output/04_selu_self_normalisation/` (or `$MINNET_TUTORIAL_OUT/04_selu_self_normalisation/`),
# with the key numbers in `results.json`. Definitions: docs/conventions.md; standard deviations
# over seeds use ddof = 1.

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

import math
import time

import numpy as np

import minnet as mn

QUICK = None          # None: --quick or MINNET_QUICK=1 decide; True or False: decide here
tut = mn.tutorial.setup("04_selu_self_normalisation", quick=QUICK)
plt = tut.plt

SEED = 0
TRAIN_SEEDS: tuple[int, ...]
if tut.quick:
    DEPTH, WIDTH, N_SAMPLES = 32, 64, 256            # section 1
    DEAD_DEPTH, DEAD_WIDTH, DEAD_SAMPLES, DEAD_SEEDS = 16, 64, 256, 1
    TRAIN_DEPTHS, TRAIN_SEEDS, TRAIN_EPOCHS, TRAIN_WIDTH = (8, 32), (0,), 2, 64
else:
    DEPTH, WIDTH, N_SAMPLES = 64, 512, 1024
    DEAD_DEPTH, DEAD_WIDTH, DEAD_SAMPLES, DEAD_SEEDS = 64, 1024, 1024, 2
    TRAIN_DEPTHS, TRAIN_SEEDS, TRAIN_EPOCHS, TRAIN_WIDTH = (8, 32), (0, 1, 2), 15, 64
CHECKPOINTS = [d for d in (8, 16, 32, 64) if d <= DEPTH]
T0 = time.perf_counter()
print(f"depth {DEPTH}, width {WIDTH}, {N_SAMPLES} samples")

# %% [markdown]
# ## 1. Mean and variance through depth at initialisation, in real networks
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
    tut.savefig(fig, "mean_variance_through_depth.png")

# %% [markdown]
# What to read from the table and the figure (all at initialisation):
#
# - **SELU + LeCun normal** stays at mean ≈ 0, variance ≈ 1 at every depth, at initialisation.
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
N_ITER = 40 if tut.quick else 60
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
spectral_norm = float(np.linalg.norm(jacobian, 2))
PAPER_JACOBIAN = np.array([[0.0, 0.088834], [0.0, 0.782648]])     # SNN paper, Eq. (6)
PAPER_SPECTRAL_NORM = 0.7877                                        # SNN paper, text after Eq. (6)
print("\nJacobian of g at (0, 1) (rows μ̃, ν̃; columns ∂/∂μ, ∂/∂ν)")
print(f"  computed (central differences): {np.array2string(jacobian, precision=6)}")
print(f"  SNN paper, Eq. (6):              {np.array2string(PAPER_JACOBIAN, precision=6)}")
print(f"spectral norm (largest singular value): computed {spectral_norm:.4f}, paper {PAPER_SPECTRAL_NORM}")
print(f"largest |eigenvalue| (spectral radius): {rate:.4f}")
print(f"near the fixed point each layer multiplies the distance to (0, 1) by about {rate:.2f} (in the long run), "
      f"so about {np.log(0.1) / np.log(rate):.1f} layers shrink it tenfold.")

# %% [markdown]
# **Norm or eigenvalue?** The two numbers answer different questions. The paper's proof uses
# the Banach fixed-point theorem, which needs g to be a *contraction*: one step must shrink
# every distance, ‖g(a) − g(b)‖ ≤ c·‖a − b‖ with c < 1. Near (0, 1) the best such c is the
# **spectral norm** of the Jacobian (its largest singular value), 0.7877 < 1: one layer shrinks
# every small disturbance, in every direction, by at least that factor. The **eigenvalues**
# (here 0 and 0.7826: the matrix is triangular, its first column is 0 because with ω = 0 the
# new mean does not depend on the old one) give the *rate* over many layers: the distance
# eventually shrinks by 0.7826 per layer. Norm ≥ |eigenvalue| always; here they are close.

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
# ### How many units does Theorem 1 cover at initialisation?
#
# Theorem 1 of the paper proves the attracting fixed point for weights with ω ∈ [−0.1, 0.1] and
# τ ∈ [0.95, 1.1] (and inputs with μ ∈ [−0.1, 0.1], ν ∈ [0.8, 1.5]). ω and τ belong to *one unit*:
# its n incoming weights. LeCun normal draws each weight from N(0, 1/n), so **at initialisation**
# each unit's ω = Σwᵢ is itself N(0, 1) — n times the variance 1/n — and only the units with
# |ω| ≤ 0.1 (P = 2Φ(0.1) − 1 ≈ 8 %) lie in the theorem's ω range; τ = Σwᵢ² has mean 1 and standard
# deviation √(2/n). The theorem is a statement about the map of the *averages*, which only holds
# approximately in a given network; that the networks of section 1 still normalise shows how
# much slack there is: with inputs of mean ≈ 0, a unit's ω hardly matters (E[z] = μ·ω).

# %%
OMEGA_RANGE, TAU_RANGE = (-0.1, 0.1), (0.95, 1.1)      # SNN paper, Theorem 1


def omega_tau(dense: mn.Dense) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's ω = Σᵢ wᵢ and τ = Σᵢ wᵢ² (W has shape (fan_in, units): one column per unit)."""
    W = dense.weight.data.astype(np.float64)
    return W.sum(axis=0), (W**2).sum(axis=0)


def in_theorem_range(omega: np.ndarray, tau: np.ndarray) -> np.ndarray:
    return ((omega >= OMEGA_RANGE[0]) & (omega <= OMEGA_RANGE[1]) & (tau >= TAU_RANGE[0]) & (tau <= TAU_RANGE[1]))


dense_layers = [layer for layer in selu_model.layers if isinstance(layer, mn.Dense)]
omega_all, tau_all = map(np.concatenate, zip(*(omega_tau(d) for d in dense_layers), strict=True))
p_omega = math.erf(0.1 / math.sqrt(2))
init_fraction_omega = float(np.mean(np.abs(omega_all) <= 0.1))
init_fraction_both = float(np.mean(in_theorem_range(omega_all, tau_all)))
print(f"SELU + LeCun network of section 1, at initialisation ({omega_all.size} units, fan-in {WIDTH}):")
print(f"  ω: mean {omega_all.mean():+.3f}, standard deviation {omega_all.std(ddof=1):.3f} (N(0, 1) predicts 0, 1)")
print(f"  τ: mean {tau_all.mean():.3f}, standard deviation {tau_all.std(ddof=1):.3f} "
      f"(predicted 1, √(2/n) = {math.sqrt(2 / WIDTH):.3f})")
print(f"  units with |ω| ≤ 0.1: {init_fraction_omega:.1%} (predicted 2Φ(0.1) − 1 = {p_omega:.1%}); "
      f"with ω and τ both in Theorem 1's range: {init_fraction_both:.1%}")

# %% [markdown]
# ### Theorem 1 in real networks: weights moved off ω = 0, τ = 1
#
# To test the theorem's prediction itself, build networks in which *every* unit has exactly
# the same ω and τ: draw a random column, remove its mean, scale it so that Σwᵢ² = τ − ω²/n,
# and add ω/n to every entry (then Σwᵢ = ω and Σwᵢ² = τ exactly). Feed N(μ₀, ν₀) inputs and
# compare the measured mean and variance per layer with the iterates of the map g(·; ω, τ).
# Theorem 1 says that for these ω, τ the fixed point stays in μ ∈ [−0.03106, 0.06773],
# ν ∈ [0.80009, 1.48617] and attracts every start in its domain.

# %%
def fixed_omega_tau_net(omega: float, tau: float, depth: int, width: int, seed: int) -> mn.Sequential:
    """depth × [Dense(width, width) → SELU], every unit's incoming weights with Σw = ω and Σw² = τ exactly."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        V = rng.standard_normal((width, width))
        V -= V.mean(axis=0)
        V *= np.sqrt((tau - omega**2 / width) / (V**2).sum(axis=0))
        dense = mn.Dense(width, width, init="lecun_normal", rng=rng, dtype=np.float64)
        dense.weight.data[...] = V + omega / width
        layers += [dense, mn.SELU()]
    return mn.Sequential(*layers)


THEOREM_DEPTH = 12
THEOREM_WIDTH = 256 if tut.quick else 512
START = (0.1, 1.4)                                   # input mean and variance: inside the theorem's domain
N_THEOREM = 1024 if tut.quick else 2048
X_theorem = START[0] + math.sqrt(START[1]) * mn.data.make_standard_normal(N_THEOREM, THEOREM_WIDTH,
                                                                          seed=3).astype(np.float64)
theorem_rows = {}
print(f"inputs with mean {START[0]}, variance {START[1]}; width {THEOREM_WIDTH}, {N_THEOREM} samples")
print(f"{'weights':<20} {'layer':>5} {'network mean':>13} {'map μ':>9} {'network var':>12} {'map ν':>9}")
for label, omega, tau in [("ω = 0, τ = 1", 0.0, 1.0), ("ω = 0.1, τ = 1.1", 0.1, 1.1),
                          ("ω = 0.1, τ = 0.95", 0.1, 0.95), ("ω = −0.1, τ = 0.95", -0.1, 0.95)]:
    net_m, net_v = per_layer_stats(fixed_omega_tau_net(omega, tau, THEOREM_DEPTH, THEOREM_WIDTH, seed=5), X_theorem)
    iterates = [START]
    for _ in range(THEOREM_DEPTH):
        iterates.append(selu_map(*iterates[-1], omega=omega, tau=tau))
    g_path = np.array(iterates[1:])
    theorem_rows[label] = {"network_mean": net_m, "network_var": net_v, "map_mean": g_path[:, 0],
                           "map_var": g_path[:, 1]}
    for k in (0, 1, 2, THEOREM_DEPTH - 1):
        print(f"{label:<20} {k + 1:>5} {net_m[k]:>+13.4f} {g_path[k, 0]:>+9.4f} {net_v[k]:>12.4f} "
              f"{g_path[k, 1]:>9.4f}")
theorem_max_error = max(float(np.max(np.abs(r["network_var"] - r["map_var"]))) for r in theorem_rows.values())
theorem_max_mean_error = max(float(np.max(np.abs(r["network_mean"] - r["map_mean"]))) for r in theorem_rows.values())
print(f"largest difference network − map over all layers: mean {theorem_max_mean_error:.4f}, "
      f"variance {theorem_max_error:.4f}")

# %% [markdown]
# The map predicts the network's per-layer mean and variance closely, for weights away from
# ω = 0, τ = 1 as well: the fixed point moves (τ = 1.1 raises the variance, τ = 0.95 lowers
# it, ω shifts the mean), stays inside the range Theorem 1 gives, and is reached within a few
# layers. The small remaining differences come from the finite width (the central-limit
# approximation z ~ N) and from correlations between units that the map ignores.

# %% [markdown]
# ### The map predicts the network (at initialisation)
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
    tut.savefig(fig, "selu_mean_variance_map.png")

# %% [markdown]
# ## 3. During learning: do the activations stay in the normalising domain?
#
# Everything above is **at initialisation**. The SNN paper's claim goes further (§"Stable and
# Attracting Fixed Points for Unnormalized Weights"): "In all experiments, we observed that
# self-normalizing neural networks push the mean and variance of activations into the domain Ω"
# (μ ∈ [−0.1, 0.1], ν ∈ [0.8, 1.5]). Measure it: train SELU + LeCun networks of width 64 on the
# standardised 8×8 digits with plain SGD (lr 0.01) and with Adam (lr 1e-3), 8 and 32 hidden
# layers, several seeds, and compare before and after training
#
# - each hidden layer's mean and variance of the activations over the training data, and whether
#   the pair lies in Ω;
# - each unit's ω = Σwᵢ and τ = Σwᵢ² of its incoming weights, and the fraction of units inside
#   Theorem 1's range ω ∈ [−0.1, 0.1], τ ∈ [0.95, 1.1].

# %%
X_digits, y_digits = mn.data.load_digits()
X_dtr, y_dtr = mn.data.train_val_test_split(X_digits, y_digits, val_size=0.0, test_size=0.2, seed=0)[0]
X_dtr = mn.data.Standardizer().fit(X_dtr).transform(X_dtr)
OPTIMISERS = {"SGD": lambda params: mn.SGD(params, lr=0.01), "Adam": lambda params: mn.Adam(params, lr=1e-3)}
MU_RANGE, NU_RANGE = (-0.1, 0.1), (0.8, 1.5)                # SNN paper, Theorem 1: the domain Ω


def snapshot(model: mn.Sequential) -> dict[str, np.ndarray]:
    """Per hidden layer: mean and variance of the SELU outputs on the training data; per unit: ω and τ."""
    means, variances = per_layer_stats(model, X_dtr)
    hidden_dense = [layer for layer in model.layers if isinstance(layer, mn.Dense)][1:-1]   # fan-in = width
    omega, tau = map(np.concatenate, zip(*(omega_tau(d) for d in hidden_dense), strict=True))
    return {"mean": means, "var": variances, "omega": omega, "tau": tau}


def summary(snap: dict[str, np.ndarray]) -> dict[str, float]:
    in_omega = (snap["mean"] >= MU_RANGE[0]) & (snap["mean"] <= MU_RANGE[1]) & \
        (snap["var"] >= NU_RANGE[0]) & (snap["var"] <= NU_RANGE[1])
    return {"layers_in_domain": float(np.mean(in_omega)), "max_abs_mean": float(np.max(np.abs(snap["mean"]))),
            "min_var": float(np.min(snap["var"])), "max_var": float(np.max(snap["var"])),
            "units_in_theorem_range": float(np.mean(in_theorem_range(snap["omega"], snap["tau"]))),
            "median_abs_omega": float(np.median(np.abs(snap["omega"]))), "median_tau": float(np.median(snap["tau"])),
            "sd_tau": float(np.std(snap["tau"], ddof=1))}


training = {}
for depth in TRAIN_DEPTHS:
    for opt_name, make_optimiser in OPTIMISERS.items():
        for seed in TRAIN_SEEDS:
            model = mn.mlp(64, 10, hidden=[TRAIN_WIDTH] * depth, activation="selu", init="lecun_normal", seed=seed)
            before = snapshot(model)
            history = mn.fit(model, mn.CrossEntropyLoss(), make_optimiser(model.parameters()), X_dtr, y_dtr,
                             epochs=TRAIN_EPOCHS, batch_size=64, seed=seed, progress=False)
            training[(depth, opt_name, seed)] = {"before": before, "after": snapshot(model),
                                                 "loss": history["loss"][-1],
                                                 "accuracy": float(np.mean(mn.predict(model, X_dtr) == y_dtr))}

print(f"digits ({len(X_dtr)} training images, standardised), width {TRAIN_WIDTH}, {TRAIN_EPOCHS} epochs, "
      f"seeds {TRAIN_SEEDS}; before → after training (mean over seeds)")
print(f"{'depth':>5} {'optimiser':<9} {'train acc.':>10} {'layers in Ω':>16} {'max |mean|':>16} "
      f"{'variance range':>26} {'units in ω,τ range':>20} {'median |ω|':>16} {'median τ':>16}")
train_summary = {}
for depth in TRAIN_DEPTHS:
    for opt_name in OPTIMISERS:
        rows = [training[(depth, opt_name, seed)] for seed in TRAIN_SEEDS]
        b = {k: np.mean([summary(r["before"])[k] for r in rows]) for k in summary(rows[0]["before"])}
        a = {k: np.mean([summary(r["after"])[k] for r in rows]) for k in summary(rows[0]["after"])}
        acc = float(np.mean([r["accuracy"] for r in rows]))
        train_summary[f"depth{depth}_{opt_name}"] = {"before": b, "after": a, "train_accuracy": acc}
        print(f"{depth:>5} {opt_name:<9} {acc:>10.3f} {b['layers_in_domain']:>6.0%} → {a['layers_in_domain']:>6.0%} "
              f"{b['max_abs_mean']:>6.3f} → {a['max_abs_mean']:>6.3f} "
              f"{b['min_var']:>5.2f}–{b['max_var']:<5.2f} → {a['min_var']:>5.2f}–{a['max_var']:<5.2f} "
              f"{b['units_in_theorem_range']:>7.1%} → {a['units_in_theorem_range']:>6.1%} "
              f"{b['median_abs_omega']:>6.3f} → {a['median_abs_omega']:>6.3f} "
              f"{b['median_tau']:>6.3f} → {a['median_tau']:>6.3f}")

if plt is not None:
    fig, axes = plt.subplots(2, len(TRAIN_DEPTHS), figsize=(6 * len(TRAIN_DEPTHS), 7), squeeze=False)
    colors = {"SGD": "tab:blue", "Adam": "tab:red"}
    for col, depth in enumerate(TRAIN_DEPTHS):
        ax_m, ax_v = axes[0, col], axes[1, col]
        layers_axis = np.arange(1, depth + 1)
        first = training[(depth, "SGD", TRAIN_SEEDS[0])]["before"]
        ax_m.plot(layers_axis, first["mean"], color="grey", ls="--", label="at initialisation (seed 0)")
        ax_v.plot(layers_axis, first["var"], color="grey", ls="--")
        for opt_name in OPTIMISERS:
            for i, seed in enumerate(TRAIN_SEEDS):
                after = training[(depth, opt_name, seed)]["after"]
                legend = f"after training, {opt_name}" if i == 0 else None
                ax_m.plot(layers_axis, after["mean"], color=colors[opt_name], alpha=0.7, marker=".", label=legend)
                ax_v.plot(layers_axis, after["var"], color=colors[opt_name], alpha=0.7, marker=".")
        ax_m.axhspan(*MU_RANGE, color="tab:green", alpha=0.12, label="Ω: μ ∈ [−0.1, 0.1]")
        ax_v.axhspan(*NU_RANGE, color="tab:green", alpha=0.12, label="Ω: ν ∈ [0.8, 1.5]")
        ax_m.set(title=f"{depth} hidden layers: mean of the activations", xlabel="hidden layer", ylabel="mean")
        ax_v.set(title=f"{depth} hidden layers: variance of the activations", xlabel="hidden layer",
                 ylabel="variance", yscale="log")
        for ax in (ax_m, ax_v):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle(f"SELU + LeCun on digits, before and after {TRAIN_EPOCHS} epochs of SGD (lr 0.01) and Adam "
                 f"(lr 1e-3); one line per seed")
    fig.tight_layout()
    tut.savefig(fig, "during_training_mean_variance.png")

# %% [markdown]
# What holds and what does not. The full run (15 epochs, 3 seeds; numbers in tutorials/README.md)
# gave, and the quick run shows the same pattern more weakly:
#
# - **Variance — bounded, but not in Ω.** No layer's variance vanishes or explodes during
#   training (every layer stayed between about 0.9 and 5), so the networks stay trainable at
#   32 layers. But many layers leave Ω's [0.8, 1.5]: after SGD about two thirds of the layers
#   are still inside, after Adam only between a tenth and two fifths.
# - **Mean — drifts.** The per-layer mean moves from |μ| ≤ 0.05 at initialisation to about
#   0.15 with SGD and 0.4–0.55 with Adam: outside Ω's [−0.1, 0.1].
# - **Weights — not in Theorem 1's range, before or after.** About 2–3 % of the units have
#   ω ∈ [−0.1, 0.1] and τ ∈ [0.95, 1.1] at initialisation and still after training; ω keeps
#   its N(0, 1) spread (median |ω| ≈ 0.69 = the median of |N(0, 1)|).
# - So the SNN paper's observation that "in all experiments" the activations are pushed into Ω
#   **does not hold here during learning**, most clearly with Adam; what holds is the weaker
#   property that the variance stays bounded. The measure here is per layer, over all units
#   and training samples; the data set is small and the training short, and the paper's
#   experiments are larger — a reason to rerun this with more data, not a reason to believe
#   either result beyond its setting.

# %% [markdown]
# ## 4. Dead ReLU units at initialisation
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
# SELU and ELU units are never dead by the exact-arithmetic definition (their derivative is positive
# everywhere; tutorial 2 shows how they can still be *numerically* dead after a divergence).

# %%
QUOTED = {8: 7, 16: 19, 32: 32, 64: 41}     # docs/conventions.md, "Reference numbers": about, last layer, width 1024
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
    ax.axhline(0, color="tab:green", lw=2, ls="--", label="SELU / ELU: no dead units (exact arithmetic)")
    ax.set(title=f"Dead ReLU units at initialisation (width {DEAD_WIDTH}, {DEAD_SAMPLES} samples)",
           xlabel="hidden layer (depth)", ylabel="dead units (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tut.savefig(fig, "dead_relu_units_vs_depth.png")

# %% [markdown]
# ## Summary
#
# - At initialisation, with LeCun-normal weights, SELU networks keep mean ≈ 0 and variance ≈ 1
#   through depth; the paper's map g explains why: (0, 1) is an attracting fixed point (the
#   Jacobian's spectral norm 0.7877 < 1 makes g a contraction; its eigenvalue 0.7826 is the rate).
# - Theorem 1's prediction holds in real networks whose units all have the same ω, τ off (0, 1);
#   but LeCun initialisation gives each unit ω ~ N(0, 1), so few units of a real network satisfy
#   the theorem's conditions, at initialisation or after training.
# - During training (section 3) the variance stays bounded but leaves Ω in some layers, more with
#   Adam than with SGD, and the means drift from 0: the paper's "in all experiments" observation
#   holds only approximately here.
# - The fixed point belongs to the *pair* activation + initialisation: SELU with τ = 1/3 (PyTorch's
#   default Linear init) or 9/16 (gain 3/4) collapses; ReLU with LeCun loses half its variance per
#   layer; ELU with He grows.
# - ReLU networks lose units before training even starts; SELU/ELU units have no dead units by
#   the exact-arithmetic definition (docs/conventions.md, "Dead and never-active units").

# %%
results = {
    "quick": tut.quick, "depth": DEPTH, "width": WIDTH,
    "final_var": {label: float(v[-1]) for label, (_, v) in stats.items()},
    "final_mean": {label: float(m[-1]) for label, (m, _) in stats.items()},
    "var_at_depth": {label: {str(d): float(v[d - 1]) for d in CHECKPOINTS} for label, (_, v) in stats.items()},
    "jacobian": jacobian, "paper_jacobian": PAPER_JACOBIAN, "spectral_norm": spectral_norm,
    "paper_spectral_norm": PAPER_SPECTRAL_NORM, "spectral_radius": float(rate),
    "init_fraction_abs_omega_le_0_1": init_fraction_omega, "init_fraction_in_theorem_range": init_fraction_both,
    "init_omega_sd": float(omega_all.std(ddof=1)),
    "theorem_network_vs_map_max_mean_error": theorem_max_mean_error,
    "theorem_network_vs_map_max_var_error": theorem_max_error,
    "theorem_final": {label: {"network_mean": float(r["network_mean"][-1]), "network_var": float(r["network_var"][-1]),
                              "map_mean": float(r["map_mean"][-1]), "map_var": float(r["map_var"][-1])}
                      for label, r in theorem_rows.items()},
    "training": train_summary, "train_epochs": TRAIN_EPOCHS, "train_seeds": list(TRAIN_SEEDS),
    "selu_dead_units": int(sum(r["dead"] for r in selu_dead)),
    "relu_he_dead_fraction_last_layer": float(dead[:, -1].mean()),
}
print("wrote", tut.write_results(results))
print(f"\ntotal time: {time.perf_counter() - T0:.1f} s")
