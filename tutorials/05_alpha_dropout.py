# %% [markdown]
# # Tutorial 5 — AlphaDropout versus Dropout in SELU networks, across depth
#
# SELU networks keep their activations at mean 0 and variance 1 (tutorial 4). Ordinary
# dropout breaks this: it zeroes units and rescales the others by 1/q, which raises the
# variance. The SNN paper (Klambauer, Unterthiner, Mayr & Hochreiter, "Self-Normalizing
# Neural Networks", arXiv:1706.02515, 2017) introduces **alpha dropout**, which sets dropped
# units to SELU's saturation value and then applies an affine correction so that mean and
# variance stay exactly 0 and 1.
#
# Run it from the repository root:
#
#     python tutorials/05_alpha_dropout.py            # full run
#     python tutorials/05_alpha_dropout.py --quick    # tiny settings (or MINNET_QUICK=1)
#
# or open it as a notebook (Jupyter / VS Code read the `# %%` cells). Figures are written to
# `tutorials/output/05_alpha_dropout/` **relative to the current directory** (set
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
import minnet.nn.models  # noqa: F401  (makes mn.models available)

QUICK = "--quick" in sys.argv or os.environ.get("MINNET_QUICK") == "1"
OUT = Path(os.environ.get("MINNET_TUTORIAL_OUT", "tutorials/output")) / "05_alpha_dropout"
OUT.mkdir(parents=True, exist_ok=True)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print('install the plot extra: pip install "minnet[plot]"  (figures are skipped)')

SEED = 0
P_VALUES = (0.05, 0.1, 0.2)
if QUICK:
    DEPTH, WIDTH, N_SAMPLES = 16, 64, 256
    TRAIN_EPOCHS, TRAIN_SEEDS, TRAIN_DEPTH, TRAIN_WIDTH = 3, 1, 4, 64
else:
    DEPTH, WIDTH, N_SAMPLES = 64, 256, 1024
    TRAIN_EPOCHS, TRAIN_SEEDS, TRAIN_DEPTH, TRAIN_WIDTH = 30, 3, 8, 128
CHECKPOINTS = [d for d in (1, 8, 16, 32, 64) if d <= DEPTH]
T0 = time.perf_counter()
print(f"quick mode: {QUICK}; depth {DEPTH}, width {WIDTH}, {N_SAMPLES} samples; figures go to {OUT}")

# %% [markdown]
# ## 1. The constants a and b
#
# Let x be a SELU activation with mean 0 and variance 1, d ~ Bernoulli(q) the keep-mask
# (q = 1 − p), and α' = −λα (printed below) the value SELU approaches for very negative inputs — the
# "off" state of a SELU unit. Alpha dropout sets dropped units to α' (not 0, which for SELU is
# an ordinary, *active* value) and then applies an affine map:
#
# y = a·(x·d + α'·(1 − d)) + b.
#
# Before the affine map, the mean is q·0 + (1 − q)·α' and the variance is
# q·1 + q(1 − q)·α'² (the law of total variance: the Bernoulli mixing of 0-mean x with the
# constant α'). Choosing a to rescale the variance back to 1 and b to shift the mean back to 0:
#
# a = (q + α'²·q·(1 − q))^(−1/2),  b = −a·(1 − q)·α'.
#
# Kept units become a·x + b, dropped units the constant a·α' + b. Compare ordinary inverted
# dropout, y = x·d/q: mean 0 but variance 1/q.

# %%
ALPHA_PRIME = -mn.SELU.scale * mn.SELU.alpha
REFERENCE = {0.05: (0.954844476005, 0.0839355721938), 0.1: (0.92128451615, 0.161970970058)}  # docs/conventions.md

print(f"α' = −λα = {ALPHA_PRIME:.16f}")
print("{:>5} {:>16} {:>16} {:>20} {:>20} {:>21} {:>28}".format(
    "p", "a (formula)", "b (formula)", "a (mn.AlphaDropout)", "b (mn.AlphaDropout)", "dropped value a·α'+b",
    "reference a, b (docs/conventions.md)"))
for p in P_VALUES:
    q = 1.0 - p
    a = 1.0 / math.sqrt(q + ALPHA_PRIME**2 * q * (1.0 - q))
    b = -a * (1.0 - q) * ALPHA_PRIME
    layer = mn.AlphaDropout(p)
    ref = f"{REFERENCE[p][0]:.12g}, {REFERENCE[p][1]:.12g}" if p in REFERENCE else "-"
    print(f"{p:>5} {a:>16.12f} {b:>16.12f} {layer.a:>20.12f} {layer.b:>20.12f} {a * ALPHA_PRIME + b:>21.6f}"
          f" {ref:>28}")

# %% [markdown]
# Check the claim empirically: take x = SELU(z) with z ~ N(0, 1) (mean 0, variance 1 by SELU's
# design), apply each layer in training mode, and measure. The last two columns measure how
# much *noise* each kind injects, E[(y − x)²]: for inverted dropout it is p/q; for alpha dropout
# a dropped unit jumps from x all the way to the constant a·α' + b, so at the same p it is larger.

# %%
rng = np.random.default_rng(SEED)
n_check = 200_000 if QUICK else 2_000_000
x = mn.SELU().function(rng.standard_normal(n_check))
print(f"input x = SELU(z), {n_check:,} draws: mean {x.mean():+.4f}, variance {x.var():.4f}")
print(f"{'p':>5} {'AlphaDropout mean':>18} {'var':>7} {'Dropout mean':>13} {'var':>7} {'1/q':>7}"
      f" {'noise, alpha':>13} {'noise, Dropout':>15} {'p/q':>7}")
for p in P_VALUES:
    y_alpha = mn.AlphaDropout(p, rng=SEED).forward(x, training=True)
    y_drop = mn.Dropout(p, rng=SEED).forward(x, training=True)
    print(f"{p:>5} {y_alpha.mean():>+18.4f} {y_alpha.var():>7.4f} {y_drop.mean():>+13.4f} {y_drop.var():>7.4f} "
          f"{1 / (1 - p):>7.4f} {np.mean((y_alpha - x) ** 2):>13.4f} {np.mean((y_drop - x) ** 2):>15.4f}"
          f" {p / (1 - p):>7.4f}")

# %% [markdown]
# ## 2. Through depth
#
# Now stack `Dense(width, width, LeCun normal) → SELU → dropout` many times and follow the mean
# and variance of the activations in **training mode** (dropout active) on N(0, 1) inputs. The
# same weights are used for every variant, so only the dropout layer differs. The variant
# without dropout is also what *both* dropout networks compute in evaluation mode (dropout is
# then the identity) — so any gap between a training-mode curve and the no-dropout curve is a
# mismatch between the statistics the next layers see in training and at test time.
#
# Why does ordinary dropout not just add 1/q once? Each layer's SELU + LeCun map pulls the
# variance back toward 1 (tutorial 4), while each dropout pushes it up by 1/q; the two balance
# at a new, higher fixed point, and the SELU's mean shifts with it.

# %%
X = mn.data.make_standard_normal(N_SAMPLES, WIDTH, seed=SEED)
dense_layers = [mn.Dense(WIDTH, WIDTH, init="lecun_normal", rng=np.random.default_rng(child))
                for child in np.random.SeedSequence(SEED).spawn(DEPTH)]


def network(kind: str, p: float) -> mn.Sequential:
    """The shared Dense layers, each followed by SELU and (unless kind == "none") a dropout layer."""
    streams = iter(np.random.SeedSequence(SEED + 1).spawn(DEPTH))
    layers = []
    for dense in dense_layers:
        layers += [dense, mn.SELU()]
        if kind == "AlphaDropout":
            layers.append(mn.AlphaDropout(p, rng=np.random.default_rng(next(streams))))
        elif kind == "Dropout":
            layers.append(mn.Dropout(p, rng=np.random.default_rng(next(streams))))
    return mn.Sequential(*layers)


def training_mode_stats(model: mn.Sequential, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance (over samples and units) of each block's output, forward in training mode."""
    means, variances = [], []
    h = X
    for i, layer in enumerate(model.layers):
        h = layer.forward(h, training=True)
        block_ends = i + 1 == len(model.layers) or isinstance(model.layers[i + 1], mn.Dense)
        if block_ends:
            means.append(float(h.mean(dtype=np.float64)))
            variances.append(float(h.var(dtype=np.float64)))
    return np.array(means), np.array(variances)


results = {("none", 0.0): training_mode_stats(network("none", 0.0), X)}
for p in P_VALUES:
    for kind in ("AlphaDropout", "Dropout"):
        results[(kind, p)] = training_mode_stats(network(kind, p), X)

print(f"Training-mode statistics after d blocks Dense → SELU → dropout (width {WIDTH}, {N_SAMPLES} samples)")
header = f"{'dropout':<13} {'p':>5}" + "".join(f"{'mean@' + str(d):>10}{'var@' + str(d):>9}" for d in CHECKPOINTS)
print(header)
print("-" * len(header))
for (kind, p), (means, variances) in results.items():
    print(f"{kind:<13} {p:>5}" + "".join(f"{means[d - 1]:>+10.4f}{variances[d - 1]:>9.4f}" for d in CHECKPOINTS))

print()
for p in P_VALUES:
    va = results[("AlphaDropout", p)][1][-1]
    vd = results[("Dropout", p)][1][-1]
    v_eval = results[("none", 0.0)][1][-1]
    print(f"p = {p}: after {DEPTH} blocks the variance is {va:.3f} with AlphaDropout and {vd:.3f} with Dropout "
          f"(1/q = {1 / (1 - p):.3f}); at initialisation, in evaluation mode, both networks see {v_eval:.3f}.")

if plt is not None:
    fig, axes = plt.subplots(2, len(P_VALUES), figsize=(4.2 * len(P_VALUES), 7), sharex=True, sharey="row")
    blocks = np.arange(1, DEPTH + 1)
    base_mean, base_var = results[("none", 0.0)]
    for col, p in enumerate(P_VALUES):
        ax_m, ax_v = axes[0, col], axes[1, col]
        for ax, values in ((ax_m, base_mean), (ax_v, base_var)):
            ax.plot(blocks, values, color="grey", lw=1.2, label="no dropout (= evaluation mode)")
        for kind, color in (("AlphaDropout", "tab:blue"), ("Dropout", "tab:red")):
            means, variances = results[(kind, p)]
            ax_m.plot(blocks, means, color=color, marker=".", ms=3, label=kind)
            ax_v.plot(blocks, variances, color=color, marker=".", ms=3, label=kind)
        ax_v.axhline(1 / (1 - p), color="tab:red", ls=":", lw=1, label="1/q")
        ax_m.set(title=f"p = {p}: mean", ylabel="mean" if col == 0 else None)
        ax_v.set(title=f"p = {p}: variance", xlabel="block (Dense → SELU → dropout)",
                 ylabel="variance" if col == 0 else None)
        for ax in (ax_m, ax_v):
            ax.grid(alpha=0.3)
    axes[1, 0].legend(fontsize=8)
    fig.suptitle(f"SELU + LeCun normal, training mode: AlphaDropout keeps (0, 1), Dropout does not (width {WIDTH})")
    fig.tight_layout()
    fig.savefig(OUT / "dropout_vs_alpha_dropout_depth.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "dropout_vs_alpha_dropout_depth.png")

# %% [markdown]
# ### Predicting where the statistics settle
#
# The settling point can be computed. With random LeCun-normal weights, a unit's pre-activation
# z = Σ wᵢxᵢ is (over units and samples) close to N(0, E[x²]): its variance is the *second
# moment* of the layer's input, not its variance. One block then maps the input moments
# (E[x], E[x²]) to
#
# - SELU: e₁ = E[SELU(z)], e₂ = E[SELU(z)²] with z ~ N(0, E[x²]) — one-dimensional Gaussian
#   integrals, computed by Gauss–Legendre quadrature split at SELU's kink (as in tutorial 4);
# - Dropout: mean e₁, second moment e₂/q;
# - AlphaDropout: with k₁ = q·e₁ + (1 − q)·α' and k₂ = q·e₂ + (1 − q)·α'², mean a·k₁ + b and
#   second moment a²·k₂ + 2ab·k₁ + b².
#
# Iterating this map until it stops moving gives the predicted fixed point; compare it with the
# network's statistics averaged over its last quarter of blocks.

# %%
selu = mn.SELU().function
LEGENDRE_NODES, LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(80)


def gaussian_expectation(f, s: float) -> float:
    """E[f(z)] for z ~ N(0, s²): Gauss–Legendre on [−12s, 0] and [0, 12s] (split at SELU's kink)."""
    total = 0.0
    for lo, hi in ((-12 * s, 0.0), (0.0, 12 * s)):
        z = 0.5 * (hi - lo) * LEGENDRE_NODES + 0.5 * (lo + hi)
        density = np.exp(-0.5 * (z / s) ** 2) / (s * np.sqrt(2 * np.pi))
        total += 0.5 * (hi - lo) * np.sum(LEGENDRE_WEIGHTS * f(z) * density)
    return float(total)


def block_moments(m1: float, m2: float, kind: str, p: float) -> tuple[float, float]:
    """(E[x], E[x²]) of a block's input → of its output, for Dense(LeCun) → SELU → dropout."""
    s = np.sqrt(m2)
    e1, e2 = gaussian_expectation(selu, s), gaussian_expectation(lambda z: selu(z) ** 2, s)
    q = 1.0 - p
    if kind == "Dropout":
        return e1, e2 / q
    layer = mn.AlphaDropout(p)
    a, b = layer.a, layer.b
    k1, k2 = q * e1 + (1 - q) * ALPHA_PRIME, q * e2 + (1 - q) * ALPHA_PRIME**2
    return a * k1 + b, a * a * k2 + 2 * a * b * k1 + b * b


tail = max(1, DEPTH // 4)
print(f"{'dropout':<13} {'p':>5} {'predicted mean':>15} {'measured mean':>14} {'predicted var':>14} "
      f"{'measured var':>13}   (measured: mean of the last {tail} blocks)")
for (kind, p), (means, variances) in results.items():
    if kind == "none":
        continue
    m1, m2 = 0.0, 1.0
    for _ in range(300):
        m1, m2 = block_moments(m1, m2, kind, p)
    print(f"{kind:<13} {p:>5} {round(m1, 4) + 0.0:>+15.4f} {means[-tail:].mean():>+14.4f} {m2 - m1**2:>14.4f} "
          f"{variances[-tail:].mean():>13.4f}")

# %% [markdown]
# ## 3. A small training comparison on digits
#
# Does it matter for learning? Train the same deep SELU network (LeCun normal, built with
# `mn.models.mlp`) on scikit-learn's 8×8 digits with no dropout, Dropout(p) and AlphaDropout(p),
# several seeds each, and compare validation and test accuracy. The digits set is small (the
# sizes are printed below), so differences between seeds may be as large as differences between methods — read
# the spread next to the mean before drawing conclusions. Remember also the noise columns of
# section 1: at the same p, alpha dropout perturbs the activations more than ordinary dropout.

# %%
X_all, y_all = mn.data.load_digits()
(X_tr, y_tr), (X_val, y_val), (X_te, y_te) = mn.data.train_val_test_split(X_all, y_all, val_size=0.15,
                                                                           test_size=0.2, seed=SEED)
scaler = mn.data.Standardizer().fit(X_tr)
X_tr, X_val, X_te = scaler.transform(X_tr), scaler.transform(X_val), scaler.transform(X_te)
P_TRAIN = 0.1
print(f"digits: {len(X_tr)} training, {len(X_val)} validation, {len(X_te)} test samples; "
      f"{TRAIN_DEPTH} hidden SELU layers of {TRAIN_WIDTH}, Adam lr 1e-3, {TRAIN_EPOCHS} epochs, p = {P_TRAIN}")

curves = {}
scores = {}
for label, kind in (("no dropout", None), (f"Dropout({P_TRAIN})", "dropout"), (f"AlphaDropout({P_TRAIN})", "alpha")):
    curves[label], scores[label] = [], []
    for seed in range(TRAIN_SEEDS):
        model = mn.models.mlp(64, 10, hidden=[TRAIN_WIDTH] * TRAIN_DEPTH, activation="selu", init="lecun_normal",
                              dropout=kind, dropout_rate=P_TRAIN if kind else 0.0, seed=seed)
        loss_fn = mn.CrossEntropyLoss()
        history = mn.fit(model, loss_fn, mn.Adam(model.parameters(), lr=1e-3), X_tr, y_tr,
                         epochs=TRAIN_EPOCHS, batch_size=64, validation_data=(X_val, y_val), seed=seed,
                         progress=False)
        curves[label].append(history["val_loss"])
        test = mn.evaluate(model, loss_fn, X_te, y_te)
        scores[label].append((history["val_accuracy"][-1], test["accuracy"], test["loss"]))

print(f"\n{'model':<20} {'val accuracy':>18} {'test accuracy':>18} {'test loss':>18}   (mean ± std over "
      f"{TRAIN_SEEDS} seed(s))")
for label, rows in scores.items():
    arr = np.array(rows)
    cells = "".join(f"{m:>11.4f} ± {s:<5.3f}" for m, s in zip(arr.mean(axis=0), arr.std(axis=0), strict=True))
    print(f"{label:<20}{cells}")

test_means = {label: np.mean([r[1] for r in rows]) for label, rows in scores.items()}
largest_std = max(np.std([r[1] for r in rows]) for rows in scores.values())
low, high = min(test_means, key=test_means.get), max(test_means, key=test_means.get)
spread = test_means[high] - test_means[low]
if np.isclose(spread, 0.0):
    print(f"\nAll three reach the same mean test accuracy, {test_means[high]:.4f}.", end=" ")
else:
    print(f"\nMean test accuracies range from {test_means[low]:.4f} ({low}) to {test_means[high]:.4f} ({high}), "
          f"a spread of {spread:.4f}.", end=" ")
print(f"Seed-to-seed standard deviations are up to {largest_std:.4f}." if TRAIN_SEEDS > 1
      else "(One seed only in quick mode: no seed-to-seed spread to compare with.)")

if plt is not None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for (label, runs), color in zip(curves.items(), ("grey", "tab:red", "tab:blue"), strict=True):
        runs = np.array(runs)
        epochs = np.arange(1, runs.shape[1] + 1)
        for run in runs:
            ax.plot(epochs, run, color=color, alpha=0.25, lw=1)
        ax.plot(epochs, runs.mean(axis=0), color=color, lw=2, label=f"{label} (mean of {len(runs)})")
    ax.set(title=f"digits, {TRAIN_DEPTH} hidden SELU layers: validation loss", xlabel="epoch",
           ylabel="validation cross-entropy")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "digits_validation_loss.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "digits_validation_loss.png")

# %% [markdown]
# ## Summary
#
# - Alpha dropout drops to SELU's "off" value −λα and corrects with a·(·) + b, so a SELU layer's
#   output keeps mean 0 and variance 1 in training mode — at any depth, for every p tried.
# - Ordinary (inverted) dropout multiplies the variance by 1/q per layer; through a deep SELU
#   network it settles at a higher variance and a shifted mean, and evaluation mode (no dropout)
#   then sees different statistics from training.
# - The paper recommends p between 0.05 and 0.1 for alpha dropout with SELU.

# %%
print(f"\ntotal time: {time.perf_counter() - T0:.1f} s")
