# %% [markdown]
# # Tutorial 2 — Dying ReLU: dead units, and why ELU and SELU units cannot die (in exact arithmetic)
#
# A ReLU unit whose pre-activation is negative for every training sample outputs 0 for
# every sample and passes no gradient back: its incoming weights stop learning. This
# tutorial counts such **dead units** in small networks trained on the 8×8 digits, and
# shows the three usual ways to get many of them — a large learning rate, a negative bias
# initialisation, depth — for ReLU, LeakyReLU, PReLU, ELU and SELU side by side. It also
# counts **numerically dead** units: ELU and SELU units cannot die by the definition, but
# in floating point their derivative can be exactly 0 too, and one of the runs below shows it.
#
# Run it as a script from the repository root:
#
#     python tutorials/02_dying_relu.py            # full run (about a minute or two)
#     python tutorials/02_dying_relu.py --quick    # tiny settings (or MINNET_QUICK=1)
#
# or open it as a notebook (Jupyter / VS Code read the `# %%` cells; set `QUICK = True` in
# the first code cell for the tiny settings). Figures and `results.json` (the key numbers)
# are written to `tutorials/output/02_dying_relu/` relative to the current directory (set
# `MINNET_TUTORIAL_OUT` to choose another parent folder). Plots need matplotlib: in a clone
# of minnet, `pip install -e ".[plot]"`.
#
# The definitions used here — dead, numerically dead, never active — are those of
# docs/conventions.md, section "Dead and never-active units".
#
# Papers: ELU — Clevert, Unterthiner & Hochreiter, arXiv:1511.07289 (2015). SELU —
# Klambauer, Unterthiner, Mayr & Hochreiter, arXiv:1706.02515 (2017). PReLU — He, Zhang,
# Ren & Sun, arXiv:1502.01852 (2015). LeakyReLU — Maas, Hannun & Ng (2013).

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

import numpy as np

import minnet as mn
from minnet import diagnostics, models, monitors

QUICK = None        # None: --quick or MINNET_QUICK=1 decide; set True or False here in a notebook
tut = mn.tutorial.setup("02_dying_relu", quick=QUICK)
QUICK, plt = tut.quick, tut.plt
RESULTS = {"quick": QUICK}

ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "prelu": "PReLU", "elu": "ELU", "selu": "SELU"}
COLORS = {"relu": "tab:blue", "leaky_relu": "tab:orange", "prelu": "tab:green", "elu": "tab:red",
          "selu": "tab:purple"}

# %% [markdown]
# ## 1. What counts as a dead unit
#
# Take hidden unit j of a layer with input a (the previous layer's output), weights w_j
# and bias b_j. For sample n its pre-activation is z_nj = a_n · w_j + b_j and its output
# f(z_nj). Backpropagation gives the gradient of the mean loss L over N samples
#
#     ∂L/∂w_j = (1/N) Σ_n  δ_nj · f'(z_nj) · a_n,      ∂L/∂b_j = (1/N) Σ_n δ_nj · f'(z_nj)
#
# where δ_nj = ∂L/∂f(z_nj) comes from the layers above. If **f'(z_nj) = 0 for every
# sample n**, both sums are 0 whatever δ is: the unit's weights never move again.
# docs/conventions.md ("Dead and never-active units") calls such a unit **dead** on that data set:
#
# - **ReLU**: f'(z) = 0 for z ≤ 0 (ReLU'(0) = 0, PyTorch's convention), so a ReLU unit is
#   dead when z ≤ 0 for every sample. A LeakyReLU or PReLU with slope 0 is a ReLU.
# - **LeakyReLU / PReLU** (slope ≠ 0): f'(z) = s for z ≤ 0 — never dead, by construction.
# - **ELU / SELU**: f'(z) = α·eᶻ (SELU: λα·eᶻ) > 0 for every real z — never dead, by
#   construction. `dead_units` decides with each activation's `derivative_is_zero(z)`, which
#   is about exact arithmetic, so its "0 dead" for ELU and SELU is true by definition, not a
#   measurement.
#
# In floating point, though, α·eᶻ *underflows* to exactly 0 for very negative z (below about
# −104 in float32, −745 in float64). A unit whose computed derivative is exactly 0 for every
# sample gets no gradient in this arithmetic either: it is **numerically dead**. Every dead
# unit is numerically dead; an ELU or SELU unit can be numerically dead without being dead.
# The records of `dead_units` carry both counts (`dead`, `numerically_dead`).
#
# Long before the underflow, the negative branch passes little gradient: ELU's slope α·eᶻ
# (α = 1) falls below LeakyReLU's constant slope 0.01 once z < ln 0.01 ≈ −4.6 (SELU's λα·eᶻ
# once z < ln(0.01/λα) ≈ −5.2), and it keeps shrinking exponentially from there.
#
# A third, weaker notion: a unit is **never active** when z ≤ 0 for every sample. For
# ReLU this *is* dead. A never-active LeakyReLU, PReLU, ELU or SELU unit still receives a
# gradient through its negative branch, so it can move back into the active range.
#
# One more detail: "dead" is a statement about *this data set and these weights*. A dead
# unit in the first hidden layer stays dead (its inputs are the fixed data), but a dead unit
# deeper in the network can come back to life when the layers below it change its inputs.
#
# `mn.diagnostics.dead_units(model, X)` returns one record per activation layer with the
# three counts. Here it is on hand-made pre-activations (one column = one unit), fed straight
# into single activation layers:

# %%
z = np.array([[-200.0, -1.0, 2.0],
              [-150.0, -3.0, 0.0],
              [-300.0, -0.5, -1.0]], dtype=np.float32)
print("pre-activations z (float32), 3 samples × 3 units:")
print(z)
print("\nunit 0: very negative for every sample; unit 1: negative for every sample; unit 2: positive once")
DEMO = {"ReLU": mn.ReLU(), "LeakyReLU(0.01)": mn.LeakyReLU(), "LeakyReLU(0)": mn.LeakyReLU(negative_slope=0.0),
        "PReLU(a=0.25)": mn.PReLU(), "ELU": mn.ELU(), "SELU": mn.SELU()}
print(f"\n{'activation':<16} {'computed f_prime(z), unit 0':>28} {'dead':>5} {'numerically dead':>17} "
      f"{'never active':>13}")
RESULTS["demo"] = {}
for name, layer in DEMO.items():
    (record,) = diagnostics.dead_units(layer, z)
    slope = np.array2string(layer.derivative(z)[:, 0], precision=3)
    print(f"{name:<16} {slope:>28} {record['dead']:>5} {record['numerically_dead']:>17} "
          f"{record['never_active']:>13}")
    RESULTS["demo"][name] = {k: record[k] for k in ("dead", "numerically_dead", "never_active")}
grid = np.arange(-90.0, -110.0, -0.01).astype(np.float32)
underflow = float(grid[np.argmax(mn.ELU().derivative(grid) == 0)])
print(f"\nIn float32, ELU's computed derivative e^z is exactly 0 from z ≈ {underflow:.2f} on; the exact value at "
      f"z = -200 is e^-200 ≈ {np.exp(np.float64(-200.0)):.3g} > 0. So unit 0 is numerically dead for ELU and SELU, "
      "but not dead.")
crossover = math.log(0.01)
print(f"ELU's slope e^z equals LeakyReLU's 0.01 at z = ln 0.01 = {crossover:.2f}; SELU's λα·e^z at "
      f"z = {math.log(0.01 / mn.activations.SELU_SCALE_ALPHA):.2f}.")
RESULTS["float32_underflow_z"] = underflow

# %% [markdown]
# ## 2. Data and the experiment
#
# The 8×8 digits (1797 images, 64 pixels, 10 classes), split 70/10/20 into training,
# validation and test sets and standardised with the training set's mean and standard
# deviation. Every network is an `mn.models.mlp` (float32) with hidden layers of 64 units,
# the customary initialisation (He normal for the ReLU family and ELU, LeCun normal for
# SELU), trained with plain SGD (no momentum) on mini-batches of 32.
#
# After training we count, on the **training set**, the dead, the numerically dead and the
# never-active units over all hidden layers, and measure the test accuracy. A run can also
# **diverge** (the loss becomes inf/NaN); `mn.fit(..., on_divergence="stop")` then stops and
# leaves the model at its last finite state, and the tables mark the run "div". A run that
# does not diverge but ends at chance level (test accuracy below 0.2 with 10 classes) is
# called **collapsed** below.

# %%
SEED = 0                                      # bias and depth experiments
LR_SEEDS = (0,) if QUICK else (0, 1, 2)       # the learning-rate sweep, where divergence depends on the seed
EPOCHS = 2 if QUICK else 15
WIDTH = 64
BATCH = 32
CHANCE = 0.2                                  # "collapsed": test accuracy below this, 10 classes

X, y = mn.data.load_digits()
(X_train, y_train), (X_val, y_val), (X_test, y_test) = mn.data.train_val_test_split(X, y, seed=0)
if QUICK:
    X_train, y_train = X_train[:300], y_train[:300]
scaler = mn.data.Standardizer().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
print(f"training set {X_train.shape}, test set {X_test.shape}; {EPOCHS} epochs")


def mean(values):
    return float(np.mean(values))


def build(activation, depth, seed, bias=None):
    """An MLP with `depth` hidden layers of WIDTH units; `bias` overwrites every hidden bias."""
    model = models.mlp(X_train.shape[1], 10, hidden=[WIDTH] * depth, activation=activation, seed=seed)
    if bias is not None:
        for layer in model.layers[:-1]:              # the hidden Dense layers, not the output layer
            if isinstance(layer, mn.Dense):
                layer.bias.data[:] = bias
    return model


def count(model):
    """On the training set: dead, numerically dead and never-active units (% of all hidden units, and %
    per layer), the % of (sample, unit) pairs that are switched off, z ≤ 0 (the output is then ≤ 0 for
    all five), the mean pre-activation of each numerically dead unit, and whether every layer's outputs are
    finite (the last finite weights of a diverged run can still overflow on the data: then the counts are void)."""
    records = diagnostics.dead_units(model, X_train)
    units = sum(r["units"] for r in records)
    stats = diagnostics.activation_stats(model, X_train)
    by_layer = {r["layer"]: r for r in stats}
    # in an mlp the Dense layer feeding activation k sits at k - 1: its per-unit output means are the z means
    numdead_z = np.concatenate([by_layer[r["layer"] - 1]["unit_mean"][r["numerically_dead_mask"]] for r in records])
    act_stats = [r for r in stats if r["z_mean"] is not None]
    finite = all(math.isfinite(r["mean"]) and math.isfinite(r["var"]) for r in stats)
    return {"finite": finite,
            "dead": 100 * sum(r["dead"] for r in records) / units,
            "numdead": 100 * sum(r["numerically_dead"] for r in records) / units,
            "numdead_units": sum(r["numerically_dead"] for r in records), "units": units,
            "numdead_z": numdead_z,
            "never": 100 * sum(r["never_active"] for r in records) / units,
            "dead_layers": [100 * r["dead_fraction"] for r in records],
            "never_layers": [100 * r["never_active_fraction"] for r in records],
            "off": 100 * mean([r["neg_fraction"] + r["zero_fraction"] for r in act_stats])}


def accuracy(model, X, y):
    """Test accuracy; NaN when the (diverged) model's outputs are not finite."""
    logits = mn.infer(model, X)
    return float(np.mean(logits.argmax(axis=1) == y)) if np.all(np.isfinite(logits)) else float("nan")


def run(activation, depth, lr, seed, bias=None, monitor=False):
    """Build, count at initialisation, train, count again. Returns a dict of results."""
    model = build(activation, depth, seed, bias)
    before = count(model)
    callbacks = [monitors.DeadUnitMonitor(X_train)] if monitor else []
    optimizer = mn.SGD(model.parameters(), lr=lr)
    with np.errstate(over="ignore", invalid="ignore"):   # a diverging run overflows; it is reported below
        history = mn.fit(model, mn.CrossEntropyLoss(), optimizer, X_train, y_train, epochs=EPOCHS,
                         batch_size=BATCH, seed=seed, progress=False, on_divergence="stop", callbacks=callbacks)
        acc = accuracy(model, X_test, y_test)
        after = count(model)
    return {"init": before, "final": after, "acc": acc, "diverged": history.diverged, "history": history,
            "monitor": callbacks[0] if monitor else None, "seed": seed}


def measured(runs, key):
    """Mean of ``final[key]`` over the runs whose outputs are finite on the training set; NaN if there is none."""
    values = [r["final"][key] for r in runs if r["final"]["finite"]]
    return mean(values) if values else float("nan")


def collapsed(r):
    return not r["diverged"] and r["acc"] < CHANCE


def acc_cell(runs):
    """Mean test accuracy over the runs that did not diverge, with 'div k' when k of them diverged."""
    bad = sum(r["diverged"] for r in runs)
    if bad == len(runs):
        return f"div {bad}/{len(runs)}"
    text = f"{mean([r['acc'] for r in runs if not r['diverged']]):.3f}"
    return text + (f" div {bad}" if bad else "")


def print_table(title, row_label, rows):
    """rows: list of (label, {activation: cell text})."""
    print(f"\n{title}")
    print(f"{row_label:<8}" + "".join(f"{ACTIVATIONS[a]:>16}" for a in ACTIVATIONS))
    for label, row in rows:
        print(f"{label:<8}" + "".join(f"{row[a]:>16}" for a in ACTIVATIONS))


# %% [markdown]
# ## 3. Large learning rates kill ReLU units
#
# One SGD step changes the bias by −lr·∂L/∂b_j. A large step can push b_j (and w_j) so far
# that z_nj ≤ 0 for every sample: the ReLU unit is dead from then on, however useful it was.
# LeakyReLU, PReLU, ELU and SELU have no dead units *by construction* (their derivative on the
# negative side is never 0 in exact arithmetic), so their "0 dead" below is not a finding.
# What is measured is whether they become *numerically* dead, whether they *diverge* — a
# different failure that kills the whole network, not single units — and whether they
# collapse to chance level. For a run that diverged, the counts are those of its last finite
# state (the weights before the failing step), and the figure marks it with a cross.
#
# Four hidden layers (256 hidden units), learning rates from 0.01 to 1.0, every activation,
# three seeds. The weights a diverged run stops at are finite, but on the training data its
# activations can still overflow to inf or NaN; such runs are counted as diverged and left out
# of the unit counts (the printout says how many).
#
# Watch the SELU column at lr 0.3. In the full run, two of the three seeds did not diverge but
# ended at chance level (test accuracy 0.100 and 0.103), with 78 and 33 of their 256 hidden
# units at pre-activations of thousands below zero (medians about −58 000 and −3 600) — where
# λα·eᶻ is exactly 0 in float32 — and `dead_units` reports 0 dead units for them, correctly by
# the definition. The numerically dead count is the one that shows what happened: no gradient
# reaches those units. (The printout below lists such runs for whatever settings you run.)

# %%
LRS = [0.01, 0.3, 1.0] if QUICK else [0.01, 0.1, 0.3, 0.5, 0.7, 1.0]
LR_DEPTH = 4
lr_runs = {(act, lr): [run(act, LR_DEPTH, lr, seed) for seed in LR_SEEDS] for lr in LRS for act in ACTIVATIONS}

void = {a: sum(not r["final"]["finite"] for lr in LRS for r in lr_runs[a, lr]) for a in ACTIVATIONS}
print("Runs whose last finite weights still overflow on the training data, left out of the unit counts: "
      + ", ".join(f"{ACTIVATIONS[a]} {n}" for a, n in void.items()))
print_table(f"Dead % / numerically dead % of hidden units after training ({LR_DEPTH} hidden layers × {WIDTH}, SGD, "
            f"{EPOCHS} epochs, mean over seeds {LR_SEEDS} whose outputs are finite, nan if none; 0 dead for all but "
            "ReLU by construction)",
            "lr", [(f"{lr:g}", {a: f"{measured(lr_runs[a, lr], 'dead'):.1f} / "
                                   f"{measured(lr_runs[a, lr], 'numdead'):.1f}"
                                for a in ACTIVATIONS}) for lr in LRS])
print_table("Never-active % of hidden units after training (mean over the same runs)",
            "lr", [(f"{lr:g}", {a: f"{measured(lr_runs[a, lr], 'never'):.1f}"
                                for a in ACTIVATIONS}) for lr in LRS])
print_table(f"Test accuracy (mean over the seeds that did not diverge; 'div k' = k of {len(LR_SEEDS)} diverged)",
            "lr", [(f"{lr:g}", {a: acc_cell(lr_runs[a, lr]) for a in ACTIVATIONS}) for lr in LRS])
print_table(f"Diverged / collapsed runs (of {len(LR_SEEDS)}; collapsed = finite but test accuracy < {CHANCE})",
            "lr", [(f"{lr:g}", {a: f"{sum(r['diverged'] for r in lr_runs[a, lr])} / "
                                   f"{sum(collapsed(r) for r in lr_runs[a, lr])}"
                                for a in ACTIVATIONS}) for lr in LRS])

relu_dead = {lr: measured(lr_runs["relu", lr], "dead") for lr in LRS}
worst_lr = max((lr for lr in LRS if not math.isnan(relu_dead[lr])), key=lambda lr: relu_dead[lr])
print(f"\nReLU: {relu_dead[LRS[0]]:.1f} % dead at lr {LRS[0]:g}, {relu_dead[worst_lr]:.1f} % at lr {worst_lr:g} "
      "(the most).")
diverged = {a: sum(r["diverged"] for lr in LRS for r in lr_runs[a, lr]) for a in ACTIVATIONS}
print(f"Diverged runs per activation (of {len(LRS) * len(LR_SEEDS)}): "
      + ", ".join(f"{ACTIVATIONS[a]} {n}" for a, n in diverged.items()))

numerically_dead_runs = []
for (act, lr), runs in lr_runs.items():
    for r in runs:
        if r["final"]["numdead_units"] > 0 and act != "relu" and r["final"]["finite"]:
            numerically_dead_runs.append({"activation": act, "lr": lr, "seed": r["seed"], "diverged": r["diverged"],
                                          "accuracy": r["acc"], "numerically_dead": r["final"]["numdead_units"],
                                          "units": r["final"]["units"], "dead": r["final"]["dead"],
                                          "median_z": float(np.median(r["final"]["numdead_z"]))})
print("\nRuns of LeakyReLU, PReLU, ELU or SELU with numerically dead units after training (finite outputs):")
if not numerically_dead_runs:
    print("  none in this run")
for n in numerically_dead_runs:
    print(f"  {ACTIVATIONS[n['activation']]:<10} lr {n['lr']:<4g} seed {n['seed']}: {n['numerically_dead']} of "
          f"{n['units']} units numerically dead (median pre-activation {n['median_z']:.4g}), dead "
          f"{n['dead']:.0f} %, " + ("diverged" if n["diverged"] else f"test accuracy {n['accuracy']:.3f}"))
print("At such pre-activations e^z is exactly 0 in float32 (and in float64 below about -745): no gradient "
      "reaches these units, although the definition calls them alive.")

RESULTS["lr_sweep"] = {
    "depth": LR_DEPTH, "width": WIDTH, "epochs": EPOCHS, "seeds": list(LR_SEEDS), "lrs": LRS,
    "dead_pct": {a: [measured(lr_runs[a, lr], "dead") for lr in LRS] for a in ACTIVATIONS},
    "numerically_dead_pct": {a: [measured(lr_runs[a, lr], "numdead") for lr in LRS]
                             for a in ACTIVATIONS},
    "never_active_pct": {a: [measured(lr_runs[a, lr], "never") for lr in LRS] for a in ACTIVATIONS},
    "diverged": {a: [sum(r["diverged"] for r in lr_runs[a, lr]) for lr in LRS] for a in ACTIVATIONS},
    "collapsed": {a: [sum(collapsed(r) for r in lr_runs[a, lr]) for lr in LRS] for a in ACTIVATIONS},
    "numerically_dead_runs": numerically_dead_runs,
}

if plt is not None:
    fig, (ax_d, ax_n) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for act, name in ACTIVATIONS.items():
        dead = [measured(lr_runs[act, lr], "dead") for lr in LRS]
        numdead = [measured(lr_runs[act, lr], "numdead") for lr in LRS]
        never = [measured(lr_runs[act, lr], "never") for lr in LRS]
        div = [any(r["diverged"] for r in lr_runs[act, lr]) for lr in LRS]
        ax_d.plot(LRS, numdead, ":", color=COLORS[act], lw=2.2)
        for ax, values in ((ax_d, dead), (ax_n, never)):
            ax.plot(LRS, values, "-o", color=COLORS[act], label=name, lw=1.6, ms=4)
            crosses = [(lr, v) for lr, v, d in zip(LRS, values, div, strict=True) if d]
            ax.plot([c[0] for c in crosses], [c[1] for c in crosses], "x", color=COLORS[act], ms=10, mew=2)
    ax_d.set(title="dead (solid; 0 by construction but for ReLU)\nand numerically dead (dotted) units",
             ylabel="% of hidden units")
    ax_n.set(title="never-active units (z ≤ 0 for every sample)", ylabel="% of hidden units")
    for ax in (ax_d, ax_n):
        ax.set_xscale("log")
        ax.set_xlabel("SGD learning rate")
        ax.grid(alpha=0.3)
    ax_d.plot([], [], "x", color="grey", ms=10, mew=2, label="a seed diverged")
    ax_d.legend(fontsize=8)
    fig.suptitle(f"Learning rate vs dead units — digits, {LR_DEPTH} hidden layers × {WIDTH}, {EPOCHS} epochs; "
                 f"mean over the runs (of {len(LR_SEEDS)} seeds) whose outputs stay finite")
    fig.tight_layout()
    print("wrote", tut.savefig(fig, "dead_vs_learning_rate.png"))

# %% [markdown]
# ## 4. Negative bias initialisation
#
# Start every hidden bias at b < 0 instead of 0. With He-initialised weights and
# standardised inputs the first layer's z has a spread of about √2 around b, so a
# bias of −2 already switches most samples off; deeper layers receive smaller inputs and
# are switched off even more. The ReLU units that start dead get no gradient and stay
# dead (unless the layers below them change their inputs). LeakyReLU, PReLU, ELU and SELU
# units start *never active* too, but they still learn, and training can bring them back.
#
# Eight hidden layers, SGD lr 0.1, one seed. Each cell: % at initialisation → %
# after training. A `DeadUnitMonitor` records the same counts after every epoch (section 6).

# %%
BIASES = [-1.0] if QUICK else [0.0, -0.5, -1.0, -2.0]
BIAS_DEPTH, BIAS_LR = 8, 0.1
bias_runs = {(act, b): run(act, BIAS_DEPTH, BIAS_LR, SEED, bias=b, monitor=True)
             for b in BIASES for act in ACTIVATIONS}

for key, what in (("dead", "Dead (0 for all but ReLU by construction)"), ("numdead", "Numerically dead"),
                  ("never", "Never-active")):
    print_table(f"{what} % of hidden units, initialisation → after training ({BIAS_DEPTH} hidden layers × {WIDTH}, "
                f"SGD lr {BIAS_LR}, {EPOCHS} epochs, seed {SEED}); * = diverged, counted at its last finite state",
                "bias", [(f"{b:g}", {a: f"{bias_runs[a, b]['init'][key]:.0f} → {bias_runs[a, b]['final'][key]:.0f}"
                                        + ("*" if bias_runs[a, b]["diverged"] else "")
                                     for a in ACTIVATIONS}) for b in BIASES])
print_table("Test accuracy ('div' = diverged)", "bias",
            [(f"{b:g}", {a: acc_cell([bias_runs[a, b]]) for a in ACTIVATIONS}) for b in BIASES])

print_table("Switched off after training: % of (sample, unit) pairs with z ≤ 0", "bias",
            [(f"{b:g}", {a: f"{bias_runs[a, b]['final']['off']:.0f}" + ("*" if bias_runs[a, b]["diverged"] else "")
                         for a in ACTIVATIONS}) for b in BIASES])

b = BIASES[-1]
print(f"\nEvery hidden bias at {b:g}:")
for act, name in ACTIVATIONS.items():
    r = bias_runs[act, b]
    print(f"  {name:<10} dead {r['init']['dead']:5.1f} % → {r['final']['dead']:5.1f} %,  numerically dead "
          f"{r['final']['numdead']:5.1f} %,  never active "
          f"{r['init']['never']:5.1f} % → {r['final']['never']:5.1f} %,  test accuracy "
          f"{'diverged' if r['diverged'] else format(r['acc'], '.3f')}")
best = max(("elu", "selu"), key=lambda a: bias_runs[a, b]["acc"])
leaky = bias_runs["leaky_relu", b]
if leaky["acc"] < bias_runs[best, b]["acc"] - 0.1:
    print(f"LeakyReLU cannot have dead units, yet its accuracy ({leaky['acc']:.3f}) is far below {ACTIVATIONS[best]}'s "
          f"({bias_runs[best, b]['acc']:.3f}): {leaky['final']['never']:.1f} % of its units are still never active, "
          f"and a slope of 0.01 passes them only 1 % of the gradient. Not dead is not the same as healthy.")

RESULTS["bias"] = {
    "depth": BIAS_DEPTH, "lr": BIAS_LR, "seed": SEED, "biases": BIASES,
    **{f"{when}_{key}_pct": {a: [bias_runs[a, b][when][key] for b in BIASES] for a in ACTIVATIONS}
       for when in ("init", "final") for key in ("dead", "numdead", "never")},
    "accuracy": {a: [bias_runs[a, b]["acc"] for b in BIASES] for a in ACTIVATIONS},
    "diverged": {a: [bias_runs[a, b]["diverged"] for b in BIASES] for a in ACTIVATIONS},
}

# %% [markdown]
# ## 5. Depth
#
# Even with zero biases, a deep ReLU network has dead units *at initialisation*: layer by
# layer the outputs become more correlated, and some units of the deeper layers end up
# with z ≤ 0 for every sample. Below: the dead % of each hidden layer, at initialisation
# and after training, for 4, 8 and 16 hidden layers (SGD lr 0.03 — smaller than above so
# that the 16-layer networks train without diverging).

# %%
DEPTHS = [8] if QUICK else [4, 8, 16]
DEPTH_LR = 0.03
depth_runs = {(act, d): [run(act, d, DEPTH_LR, SEED)] for d in DEPTHS for act in ACTIVATIONS}

print_table(f"Dead % of hidden units, initialisation → after training (SGD lr {DEPTH_LR}, {EPOCHS} epochs, "
            f"seed {SEED}; 0 for all but ReLU by construction); never-active % after training in brackets",
            "depth", [(str(d), {a: f"{mean([r['init']['dead'] for r in depth_runs[a, d]]):.0f} → "
                                   f"{mean([r['final']['dead'] for r in depth_runs[a, d]]):.0f} "
                                   f"({mean([r['final']['never'] for r in depth_runs[a, d]]):.0f})"
                                for a in ACTIVATIONS}) for d in DEPTHS])
print_table("Test accuracy", "depth",
            [(str(d), {a: acc_cell(depth_runs[a, d]) for a in ACTIVATIONS}) for d in DEPTHS])

deepest = DEPTHS[-1]
relu_layers = np.mean([r["init"]["dead_layers"] for r in depth_runs["relu", deepest]], axis=0)
print(f"\nReLU with {deepest} hidden layers at initialisation, dead % per layer: "
      + " ".join(f"{v:.0f}" for v in relu_layers))
print(f"first half of the layers: {relu_layers[:deepest // 2].mean():.1f} % dead on average, "
      f"second half: {relu_layers[deepest // 2:].mean():.1f} %.")
relu_init = mean([r["init"]["dead"] for r in depth_runs["relu", deepest]])
relu_final = mean([r["final"]["dead"] for r in depth_runs["relu", deepest]])
print(f"After training: {relu_final:.1f} % dead (from {relu_init:.1f} % at initialisation)"
      + (" — some units deeper in the network came back to life as the layers below them changed their inputs."
         if relu_final < relu_init else "."))

if plt is not None:
    fig, (ax_r, ax_n) = plt.subplots(1, 2, figsize=(11, 4.2))
    for d, color in zip(DEPTHS, ("tab:blue", "tab:orange", "tab:red"), strict=False):
        layers = np.arange(1, d + 1)
        init = np.mean([r["init"]["dead_layers"] for r in depth_runs["relu", d]], axis=0)
        final = np.mean([r["final"]["dead_layers"] for r in depth_runs["relu", d]], axis=0)
        ax_r.plot(layers, init, "--", color=color, lw=1.4)
        ax_r.plot(layers, final, "-o", color=color, lw=1.6, ms=3, label=f"{d} layers")
    ax_r.plot([], [], "--", color="grey", label="at initialisation")
    ax_r.plot([], [], "-", color="grey", label="after training")
    ax_r.set(title="ReLU: dead % per hidden layer", xlabel="hidden layer", ylabel="% of the layer's units dead")
    for act, name in ACTIVATIONS.items():
        never = np.mean([r["final"]["never_layers"] for r in depth_runs[act, deepest]], axis=0)
        ax_n.plot(np.arange(1, deepest + 1), never, "-o", color=COLORS[act], lw=1.6, ms=3, label=name)
    ax_n.set(title=f"never-active % per layer after training, {deepest} layers", xlabel="hidden layer",
             ylabel="% of the layer's units never active")
    for ax in (ax_r, ax_n):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Depth vs dead units — digits, width {WIDTH}, SGD lr {DEPTH_LR}, {EPOCHS} epochs, "
                 f"seed {SEED}")
    fig.tight_layout()
    print("wrote", tut.savefig(fig, "dead_per_layer_vs_depth.png"))

RESULTS["depth"] = {
    "lr": DEPTH_LR, "seed": SEED, "depths": DEPTHS,
    "relu_init_dead_pct_per_layer_deepest": relu_layers,
    "init_dead_pct": {a: [mean([r["init"]["dead"] for r in depth_runs[a, d]]) for d in DEPTHS] for a in ACTIVATIONS},
    "final_dead_pct": {a: [mean([r["final"]["dead"] for r in depth_runs[a, d]]) for d in DEPTHS] for a in ACTIVATIONS},
    "accuracy": {a: [mean([r["acc"] for r in depth_runs[a, d]]) for d in DEPTHS] for a in ACTIVATIONS},
}

# %% [markdown]
# ## 6. Dead units over the epochs: `DeadUnitMonitor`
#
# `monitors.DeadUnitMonitor(X_probe)` is a callback for `mn.fit`: after every epoch it runs
# `dead_units` on the probe set and adds `dead_fraction/<layer>`,
# `numerically_dead_fraction/<layer>` and `never_active_fraction/<layer>` to the History
# (one key per activation layer, named by its position in `model.layers`); `monitor.initial`
# holds the same before training. The bias runs of section 4 carried one; here are the most
# negative bias's curves, as % of all hidden units (every layer has the same width, so this
# is the mean over the layers).

# %%
def over_epochs(result, key):
    """% of all hidden units per epoch (epoch 0 = initialisation) from a DeadUnitMonitor."""
    monitor, history = result["monitor"], result["history"]
    names = [k for k in monitor.initial if k.startswith(key + "/")]
    start = 100 * np.mean([monitor.initial[k] for k in names])
    return [start] + [100 * float(np.mean([history[k][e] for k in names])) for e in range(len(history))]


b = BIASES[-1]
shown = sorted(set(range(0, EPOCHS + 1, max(1, EPOCHS // 5))) | {EPOCHS})
print(f"\n% of hidden units after epoch ..., bias {b:g} (epoch 0 = initialisation)")
print(f"{'':<12}{'':<14}" + "".join(f"{e:>7}" for e in shown))
for act, name in ACTIVATIONS.items():
    for key, what in (("dead_fraction", "dead"), ("numerically_dead_fraction", "numer. dead"),
                      ("never_active_fraction", "never active")):
        curve = over_epochs(bias_runs[act, b], key)
        print(f"{name:<12}{what:<14}" + "".join(f"{curve[e]:>7.1f}" if e < len(curve) else f"{'-':>7}"
                                               for e in shown))

if plt is not None:
    fig, (ax_d, ax_n) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for act, name in ACTIVATIONS.items():
        for ax, key in ((ax_d, "dead_fraction"), (ax_n, "never_active_fraction")):
            curve = over_epochs(bias_runs[act, b], key)
            ax.plot(range(len(curve)), curve, "-o", color=COLORS[act], lw=1.6, ms=3, label=name)
    ax_d.set(title="dead units (all but ReLU: 0 by construction, overlapping)", xlabel="epoch",
             ylabel="% of hidden units")
    ax_n.set(title="never-active units", xlabel="epoch")
    for ax in (ax_d, ax_n):
        ax.locator_params(axis="x", integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"DeadUnitMonitor — hidden biases initialised to {b:g}, {BIAS_DEPTH} layers × {WIDTH}, "
                 f"SGD lr {BIAS_LR}, seed {SEED}")
    fig.tight_layout()
    print("wrote", tut.savefig(fig, "dead_over_epochs.png"))

RESULTS["monitor"] = {"bias": b, **{f"{key}_pct": {a: over_epochs(bias_runs[a, b], key) for a in ACTIVATIONS}
                                     for key in ("dead_fraction", "numerically_dead_fraction",
                                                 "never_active_fraction")}}

# %% [markdown]
# ## 7. What to take away
#
# - "Dead" means *no gradient for any sample*, in exact arithmetic. Only ReLU (and a zero-slope
#   LeakyReLU/PReLU) can have dead units; count them with `mn.diagnostics.dead_units` or watch
#   them with `DeadUnitMonitor`.
# - Large learning rates, negative biases and depth produce dead ReLU units; a dead unit
#   in the first layer never recovers.
# - "ELU and SELU units cannot die" holds in exact arithmetic only. In float32, λα·eᶻ is exactly
#   0 below z ≈ −104, and a large learning rate can push units that far: such units are
#   *numerically dead* — no gradient reaches them — while the definition still calls them
#   alive. Section 3 lists the runs where this happened in this run (if any); count both.
# - LeakyReLU and PReLU cannot die, but a unit that is never active only gets the small
#   slope's share of the gradient. ELU and SELU units in the negative range pass α·eᶻ of it
#   (SELU: λα·eᶻ): close to the full gradient just below 0, less than LeakyReLU's 0.01 below
#   z ≈ −4.6, and nothing at all once it underflows. Compare the never-active curves of
#   section 6: which activations brought their switched-off units back?
# - At large learning rates every activation can diverge (section 3 counts the runs per
#   activation and learning rate); at the largest rates here, divergence, not dying, is what
#   ends most runs.
# - "Never active" and "switched off" are worth watching for every activation: a network
#   can be free of dead units and still not learn.
# - Tutorial 3 looks at the other half of the ELU argument: negative outputs pull the mean
#   activation toward zero.

# %%
print("\nSummary of this run")
print(f"- learning rate: ReLU had {relu_dead[LRS[0]]:.1f} % dead units at lr {LRS[0]:g} and "
      f"{relu_dead[worst_lr]:.1f} % at lr {worst_lr:g} (LeakyReLU, PReLU, ELU and SELU: 0 by construction).")
print("- diverged runs per activation (of " + str(len(LRS) * len(LR_SEEDS)) + "): "
      + ", ".join(f"{ACTIVATIONS[a]} {n}" for a, n in diverged.items()) + ".")
if numerically_dead_runs:
    worst = max(numerically_dead_runs, key=lambda n: n["numerically_dead"])
    print(f"- numerically dead: {ACTIVATIONS[worst['activation']]} at lr {worst['lr']:g} (seed {worst['seed']}) "
          f"had {worst['numerically_dead']} of {worst['units']} units numerically dead (median z "
          f"{worst['median_z']:.4g}) and 0 dead, "
          + ("and diverged." if worst["diverged"] else f"at test accuracy {worst['accuracy']:.3f}."))
else:
    print("- numerically dead: no LeakyReLU, PReLU, ELU or SELU unit in this run.")
print(f"- bias {b:g}: test accuracy " + ", ".join(
    f"{name} {'diverged' if bias_runs[a, b]['diverged'] else format(bias_runs[a, b]['acc'], '.3f')}"
    for a, name in ACTIVATIONS.items()) + ".")
print(f"- depth {deepest}: ReLU had {relu_init:.1f} % dead units at initialisation, {relu_final:.1f} % after training.")
print("wrote", tut.write_results(RESULTS))
