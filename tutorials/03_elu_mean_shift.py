# %% [markdown]
# # Tutorial 3 — ELU and the mean shift: the ELU paper's MNIST experiment at classroom scale
#
# Clevert, Unterthiner & Hochreiter ("Fast and Accurate Deep Network Learning by
# Exponential Linear Units (ELUs)", arXiv:1511.07289, 2015) argue that activations whose
# mean is close to zero make gradient descent faster, and that ELU gets there by allowing
# negative outputs. Their first experiment (§4.1, Fig. 1) trains deep fully connected
# networks on MNIST with ELU, ReLU and LeakyReLU and tracks, after every epoch, the
# **median over all hidden units of each unit's mean activation**, together with the
# training cross-entropy. This tutorial repeats that experiment with minnet on a budget:
# the same network, the same optimiser, a subset of the data and a few epochs.
#
# Run it as a script from the repository root:
#
#     python tutorials/03_elu_mean_shift.py            # full run (about two minutes)
#     python tutorials/03_elu_mean_shift.py --quick    # tiny settings (or MINNET_QUICK=1)
#
# or open it as a notebook (Jupyter / VS Code read the `# %%` cells). Figures are written
# to `tutorials/output/03_elu_mean_shift/` relative to the current directory (set
# `MINNET_TUTORIAL_OUT` to choose another parent folder). Plots need matplotlib:
# `pip install "minnet[plot]"`.
#
# Data: real MNIST when its files are found (`mn.data.load_mnist` looks in the folder named
# by `$MINNET_DATA_DIR`, then in `~/.minnet/data`; see the data catalog), otherwise the
# 8×8 digits that ship with scikit-learn, with a printed note.

# %%
import math
import os
import sys
from pathlib import Path

import numpy as np

import minnet as mn
from minnet import models

QUICK = "--quick" in sys.argv or os.environ.get("MINNET_QUICK") == "1"
OUT = Path(os.environ.get("MINNET_TUTORIAL_OUT", "tutorials/output")) / "03_elu_mean_shift"
OUT.mkdir(parents=True, exist_ok=True)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print('install the plot extra: pip install "minnet[plot]"  (figures are skipped)')

print(f"quick mode: {QUICK}; figures go to {OUT}")

# %% [markdown]
# ## 1. Why the mean of an activation matters: the bias shift
#
# A unit of the next layer computes z = Σᵢ wᵢ aᵢ + b from the activations aᵢ below it.
# For one sample, SGD changes its weights by Δwᵢ = −η · δ · aᵢ (η the learning rate,
# δ = ∂L/∂z). Split each activation into its mean and the rest, aᵢ = μᵢ + ãᵢ:
#
#     Δwᵢ = −η δ μᵢ  −  η δ ãᵢ
#
# If the means μᵢ are all positive — as they are for ReLU, whose outputs are never
# negative — the first term moves *all* weights the same way, and the change of z it causes
# on average, Σᵢ (−η δ μᵢ) μᵢ = −η δ Σᵢ μᵢ², is a change of the unit's bias in disguise: every weight update
# carries an unwanted **bias shift**. The paper shows that the natural gradient (the
# steepest descent under the Fisher metric, Amari 1998) corrects exactly this term, and
# that the correction vanishes when the incoming activations have mean zero. So: the closer
# the activations' means are to zero, the closer plain SGD is to the natural gradient, and
# the faster it learns (the paper's §3; batch normalisation centres activations for the
# same reason).
#
# ELU, f(z) = z for z > 0 and α(eᶻ − 1) for z ≤ 0 with α = 1, has negative outputs down to
# −α. LeakyReLU has negative outputs too, but small ones (s·z with s = 0.1 here), and they
# are unbounded — no "off" state. The exact mean outputs for a standard normal input
# z ~ N(0, 1), with φ and Φ the normal density and distribution function:
#
#     E[ReLU(z)]      = φ(0) = 1/√(2π)
#     E[LeakyReLU(z)] = (1 − s)·φ(0)
#     E[ELU(z)]       = φ(0) + α·(e^{1/2}·Φ(−1) − 1/2)
#
# computed here, and checked against a sample of a million draws:

# %%
LEAKY_SLOPE = 0.1
phi0 = 1.0 / math.sqrt(2.0 * math.pi)
Phi_minus1 = 0.5 * (1.0 + math.erf(-1.0 / math.sqrt(2.0)))
exact = {"ReLU": phi0, f"LeakyReLU({LEAKY_SLOPE:g})": (1 - LEAKY_SLOPE) * phi0,
         "ELU": phi0 + (math.exp(0.5) * Phi_minus1 - 0.5)}
layers = {"ReLU": mn.ReLU(), f"LeakyReLU({LEAKY_SLOPE:g})": mn.LeakyReLU(LEAKY_SLOPE), "ELU": mn.ELU()}
sample = np.random.default_rng(0).standard_normal(1_000_000)
print(f"{'activation':<16} {'exact E[f(z)]':>14} {'sample mean':>12}")
for name, layer in layers.items():
    print(f"{name:<16} {exact[name]:>14.4f} {layer.function(sample).mean():>12.4f}")
print(f"\nFor z ~ N(0, 1), ELU's mean output is {exact['ELU']:.3f}, "
      f"{exact['ELU'] / exact['ReLU']:.0%} of ReLU's {exact['ReLU']:.3f}.")

# %% [markdown]
# ## 2. The experiment
#
# What the paper used, as its §4.1 describes it: eight hidden layers of 128 units,
# SGD with learning rate 0.01 and mini-batches of 64, weights initialised after He et al.
# (2015), ELU with α = 1, LeakyReLU with slope 0.1, 300 epochs on all 60 000 MNIST training
# images; the mean activation of every unit measured after each epoch on a fixed subset of
# the training data.
#
# What we use: the same network (`mn.models.mlp` with `init="he_normal"`, N(0, 2/fan_in),
# for all three activations), plain SGD with lr 0.01, no momentum, no weight decay, no
# dropout, mini-batches of 64, pixels scaled to [0, 1] — but a random subset of the training
# images, a few epochs, and several seeds so that we can see how much of a difference is
# noise. Each seed fixes the weights and the shuffling; the same seed is used for all three
# activations.

# %%
SEEDS = (0, 1) if QUICK else (0, 1, 2, 3, 4)
EPOCHS = 2 if QUICK else 6
N_TRAIN = 1_000 if QUICK else 10_000
N_PROBE = 500 if QUICK else 2_000
HIDDEN = [128] * 8
LR, BATCH = 0.01, 64
ACTIVATIONS = {"elu": ("ELU", {}), "relu": ("ReLU", {}),
               "leaky_relu": (f"LeakyReLU({LEAKY_SLOPE:g})", {"negative_slope": LEAKY_SLOPE})}
COLORS = {"elu": "tab:red", "relu": "tab:blue", "leaky_relu": "tab:orange"}

try:
    X_all, y_all = mn.data.load_mnist("train")
    X_test, y_test = mn.data.load_mnist("test")
    DATA = "MNIST"
except mn.data.DataNotFoundError as exc:
    print(f"note: MNIST files not found ({exc}).\nFalling back to the 8×8 digits bundled with scikit-learn "
          "(1797 images; pixels 0..16 scaled to [0, 1]). Put the MNIST files where the message above says, "
          "or set MINNET_DATA_DIR, to run the real experiment.")
    X, y = mn.data.load_digits()
    (X_all, y_all), _, (X_test, y_test) = mn.data.train_val_test_split(X / 16.0, y, val_size=0, test_size=0.2,
                                                                        seed=0)
    DATA = "digits (fallback)"
    if not QUICK:
        EPOCHS = 30          # 1437 images give ~23 SGD steps per epoch: more epochs for a comparable number of steps

pick = np.random.default_rng(0).permutation(len(X_all))[:N_TRAIN]
X_train, y_train = X_all[pick], y_all[pick]
X_probe, y_probe = X_train[:N_PROBE], y_train[:N_PROBE]      # a fixed subset of the training data
print(f"data: {DATA}; training subset {X_train.shape} (values {X_train.min():.0f}..{X_train.max():.0f}), "
      f"probe set {X_probe.shape}, test set {X_test.shape}")
print(f"network: {X_train.shape[1]} → {' → '.join(map(str, HIDDEN))} → 10; SGD lr {LR}, batch {BATCH}, "
      f"{EPOCHS} epochs, seeds {SEEDS}")

# %% [markdown]
# ## 3. Measuring the median activation
#
# After every epoch (and once before training, "epoch 0") a small callback runs the probe
# set through the network in evaluation mode, layer by layer. At every activation layer it
# takes each unit's **mean activation over the probe samples** — 8 × 128 = 1024 numbers —
# and the loss of the network's output on the probe samples. From those we report
#
# - the **median over all 1024 hidden units** of the unit means (the paper's Fig. 1, left),
#   and the median within each layer;
# - the **training cross-entropy** on the probe set, a fixed subset of the training data
#   (the paper's Fig. 1, right, plots the training loss).
#
# The median, unlike the mean over units, is not pulled around by a few units with a very
# large mean.

# %%
class MeanActivationProbe(mn.Callback):
    """Per-unit mean activation of every activation layer on a probe set, before training and after each epoch.

    ``self.unit_means[e]`` is an array (hidden layers, units) for epoch e (0 = before training);
    ``self.loss[e]`` the mean cross-entropy on the probe set.
    """

    def __init__(self, X_probe, y_probe):
        self.X_probe, self.y_probe = X_probe, y_probe
        self.unit_means, self.loss = [], []

    def measure(self, model):
        x, means = self.X_probe, []
        for layer in model.layers:
            x = layer.forward(x, training=False)
            if isinstance(layer, mn.Activation):
                means.append(x.mean(axis=0, dtype=np.float64))     # (units,): mean over the probe samples
        self.unit_means.append(np.array(means))
        self.loss.append(mn.CrossEntropyLoss().forward(x, self.y_probe))

    def on_train_begin(self, state):
        self.measure(state.model)

    def on_epoch_end(self, state):
        self.measure(state.model)


def train(activation, seed):
    name, kwargs = ACTIVATIONS[activation]
    model = models.mlp(X_train.shape[1], 10, hidden=HIDDEN, activation=activation, init="he_normal", seed=seed,
                       activation_kwargs=kwargs)
    probe = MeanActivationProbe(X_probe, y_probe)
    mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=LR), X_train, y_train, epochs=EPOCHS,
           batch_size=BATCH, seed=seed, callbacks=[probe], progress=False)
    means = np.array(probe.unit_means)                       # (epochs + 1, layers, units)
    return {"median": np.median(means.reshape(len(means), -1), axis=1),     # over all hidden units
            "median_layer": np.median(means, axis=2),                      # (epochs + 1, layers)
            "loss": np.array(probe.loss),
            "test_accuracy": float(np.mean(mn.predict(model, X_test) == y_test))}


results = {}
for activation, (name, _) in ACTIVATIONS.items():
    results[activation] = [train(activation, seed) for seed in SEEDS]
    print(f"trained {name} for seeds {SEEDS}")


def stack(activation, key):
    """(seeds, ...) array of one result across the seeds."""
    return np.array([r[key] for r in results[activation]])


# %% [markdown]
# ## 4. Results
#
# Mean ± standard deviation over the seeds (the standard deviation with ddof = 1, i.e. the
# spread of single runs, not the error of the mean).

# %%
def pm(values, digits=3):
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if values.size > 1 else 0.0
    return f"{values.mean():.{digits}f} ± {sd:.{digits}f}"


print(f"\nAfter {EPOCHS} epochs ({DATA}, {len(X_train)} training images, {len(SEEDS)} seeds, mean ± std over seeds)")
print(f"{'activation':<16} {'training loss':>17} {'median activation':>19} {'test accuracy':>17}")
for activation, (name, _) in ACTIVATIONS.items():
    print(f"{name:<16} {pm(stack(activation, 'loss')[:, -1]):>17} {pm(stack(activation, 'median')[:, -1]):>19} "
          f"{pm(stack(activation, 'test_accuracy')):>17}")

print("\nMedian over all hidden units of the unit mean activations, per epoch (mean over seeds; 0 = initialisation)")
print(f"{'activation':<16}" + "".join(f"{e:>8}" for e in range(EPOCHS + 1)))
for activation, (name, _) in ACTIVATIONS.items():
    print(f"{name:<16}" + "".join(f"{v:>8.3f}" for v in stack(activation, "median").mean(axis=0)))

print("\nTraining cross-entropy on the probe set, per epoch (mean over seeds)")
print(f"{'activation':<16}" + "".join(f"{e:>8}" for e in range(EPOCHS + 1)))
for activation, (name, _) in ACTIVATIONS.items():
    print(f"{name:<16}" + "".join(f"{v:>8.3f}" for v in stack(activation, "loss").mean(axis=0)))

print("\nMedian unit mean activation per hidden layer after the last epoch (mean over seeds)")
print(f"{'activation':<16}" + "".join(f"{'layer ' + str(i + 1):>9}" for i in range(len(HIDDEN))))
for activation, (name, _) in ACTIVATIONS.items():
    print(f"{name:<16}" + "".join(f"{v:>9.3f}" for v in stack(activation, "median_layer")[:, -1].mean(axis=0)))

# %% [markdown]
# What to look for: in the paper's Fig. 1 the ELU network's median stays below the ReLU
# and LeakyReLU networks' all through training, and its training loss falls faster. The
# sentences below compare our measurements, seed by seed.

# %%
final_median = {a: stack(a, "median")[:, -1] for a in ACTIVATIONS}
final_loss = {a: stack(a, "loss")[:, -1] for a in ACTIVATIONS}
for other in ("relu", "leaky_relu"):
    name = ACTIVATIONS[other][0]
    lower_median = int(np.sum(final_median["elu"] < final_median[other]))
    lower_loss = int(np.sum(final_loss["elu"] < final_loss[other]))
    below_all = int(np.sum(np.all(stack("elu", "median") < stack(other, "median"), axis=1)))
    print(f"ELU vs {name}: median activation after epoch {EPOCHS} {final_median['elu'].mean():.3f} vs "
          f"{final_median[other].mean():.3f} (ELU lower in {lower_median} of {len(SEEDS)} seeds; lower at every "
          f"epoch in {below_all}); training loss {final_loss['elu'].mean():.3f} vs {final_loss[other].mean():.3f} "
          f"(ELU lower in {lower_loss} of {len(SEEDS)} seeds).")
e1 = min(1, EPOCHS)
print(f"After {e1} epoch(s) the training loss was "
      + ", ".join(f"{ACTIVATIONS[a][0]} {stack(a, 'loss')[:, e1].mean():.3f}" for a in ACTIVATIONS) + ".")

# %%
if plt is not None:
    epochs = np.arange(EPOCHS + 1)
    stack_min_loss = min(stack(a, "loss").min() for a in ACTIVATIONS)
    stack_max_loss = max(stack(a, "loss").max() for a in ACTIVATIONS)
    fig, (ax_m, ax_l) = plt.subplots(1, 2, figsize=(11, 4.2))
    for activation, (name, _) in ACTIVATIONS.items():
        for ax, key in ((ax_m, "median"), (ax_l, "loss")):
            values = stack(activation, key)
            mean = values.mean(axis=0)
            sd = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(mean)
            ax.plot(epochs, mean, "-o", color=COLORS[activation], lw=1.8, ms=3, label=name)
            ax.fill_between(epochs, mean - sd, mean + sd, color=COLORS[activation], alpha=0.2, lw=0)
    ax_m.axhline(0, color="grey", lw=0.6)
    ax_m.set(title="median over hidden units of the unit mean activation", xlabel="epoch (0 = initialisation)",
             ylabel="median activation")
    ax_l.set(title="training cross-entropy (probe subset)", xlabel="epoch (0 = initialisation)",
             ylabel="cross-entropy (log scale)", yscale="log")
    ax_l.set_yticks([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5])
    ax_l.set_ylim(0.8 * stack_min_loss, 1.2 * stack_max_loss)
    ax_l.yaxis.set_major_formatter("{x:g}")
    ax_l.yaxis.set_minor_formatter("")
    for ax in (ax_m, ax_l):
        ax.locator_params(axis="x", integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"ELU paper §4.1 at classroom scale — {DATA}, {len(X_train)} training images, "
                 f"{len(HIDDEN)}×{HIDDEN[0]}, SGD lr {LR}; "
                 f"mean ± std over {len(SEEDS)} seeds")
    fig.tight_layout()
    fig.savefig(OUT / "median_activation_and_loss.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "median_activation_and_loss.png")

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    layers_axis = np.arange(1, len(HIDDEN) + 1)
    for activation, (name, _) in ACTIVATIONS.items():
        per_layer = stack(activation, "median_layer")                # (seeds, epochs + 1, layers)
        ax.plot(layers_axis, per_layer[:, 0].mean(axis=0), "--", color=COLORS[activation], lw=1.2)
        final = per_layer[:, -1]
        sd = final.std(axis=0, ddof=1) if len(final) > 1 else np.zeros(final.shape[1])
        ax.errorbar(layers_axis, final.mean(axis=0), yerr=sd, fmt="-o", color=COLORS[activation], ms=3,
                    capsize=3, label=f"{name}, after epoch {EPOCHS}")
    ax.plot([], [], "--", color="grey", label="at initialisation")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set(title=f"median unit mean activation per hidden layer\n{DATA}, mean ± std over {len(SEEDS)} seeds",
           xlabel="hidden layer", ylabel="median activation")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "median_activation_per_layer.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "median_activation_per_layer.png")

# %% [markdown]
# ## 5. What to take away
#
# - ELU's negative outputs pull each unit's mean toward zero; ReLU's cannot, and
#   LeakyReLU's small negative slope helps only a little.
# - Mean activations near zero reduce the bias shift of the next layer's weight updates,
#   which is the paper's explanation for ELU's faster decrease of the training loss.
# - This is a small version of the experiment: a subset of MNIST and a few epochs instead
#   of 300. Compare the seed-to-seed spread (the bands) with the differences between the
#   activations before drawing conclusions, and run longer (raise `EPOCHS`, `N_TRAIN`) to
#   see whether they hold.
# - Tutorial 4 takes the idea further: SELU is built so that mean 0 and variance 1 are a
#   fixed point of every layer.
