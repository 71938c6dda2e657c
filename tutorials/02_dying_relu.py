# %% [markdown]
# # Tutorial 2 — Dying ReLU: dead units, and why ELU and SELU cannot die
#
# A ReLU unit whose pre-activation is negative for every training sample outputs 0 for
# every sample and passes no gradient back: its incoming weights stop learning. This
# tutorial counts such **dead units** in small networks trained on the 8×8 digits, and
# shows the three usual ways to get many of them — a large learning rate, a negative bias
# initialisation, depth — for ReLU, LeakyReLU, PReLU, ELU and SELU side by side.
#
# Run it as a script from the repository root:
#
#     python tutorials/02_dying_relu.py            # full run (about a minute or two)
#     python tutorials/02_dying_relu.py --quick    # tiny settings (or MINNET_QUICK=1)
#
# or open it as a notebook (Jupyter / VS Code read the `# %%` cells). Figures are written
# to `tutorials/output/02_dying_relu/` relative to the current directory (set
# `MINNET_TUTORIAL_OUT` to choose another parent folder). Plots need matplotlib:
# `pip install "minnet[plot]"`.
#
# Papers: ELU — Clevert, Unterthiner & Hochreiter, arXiv:1511.07289 (2015). SELU —
# Klambauer, Unterthiner, Mayr & Hochreiter, arXiv:1706.02515 (2017). PReLU — He, Zhang,
# Ren & Sun, arXiv:1502.01852 (2015). LeakyReLU — Maas, Hannun & Ng (2013).

# %%
import os
import sys
from pathlib import Path

import numpy as np

import minnet as mn
from minnet import diagnostics, models, monitors

QUICK = "--quick" in sys.argv or os.environ.get("MINNET_QUICK") == "1"
OUT = Path(os.environ.get("MINNET_TUTORIAL_OUT", "tutorials/output")) / "02_dying_relu"
OUT.mkdir(parents=True, exist_ok=True)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print('install the plot extra: pip install "minnet[plot]"  (figures are skipped)')

ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "prelu": "PReLU", "elu": "ELU", "selu": "SELU"}
COLORS = {"relu": "tab:blue", "leaky_relu": "tab:orange", "prelu": "tab:green", "elu": "tab:red",
          "selu": "tab:purple"}
print(f"quick mode: {QUICK}; figures go to {OUT}")

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
# sample n**, both sums are 0 whatever δ is: the unit's weights never move again. minnet
# (docs/conventions.md, "Dead and never-active units") calls such a unit **dead** on that data set:
#
# - **ReLU**: f'(z) = 0 for z ≤ 0 (ReLU'(0) = 0, PyTorch's convention), so a ReLU unit is
#   dead when z ≤ 0 for every sample. A LeakyReLU or PReLU with slope 0 is a ReLU.
# - **LeakyReLU / PReLU** (slope ≠ 0): f'(z) = s > 0 for z ≤ 0 — never dead.
# - **ELU / SELU**: f'(z) = α·eᶻ (SELU: λα·eᶻ) > 0 for every real z — never dead. In
#   float32, α·eᶻ *underflows* to exactly 0 for very negative z (the threshold is printed
#   below), yet the unit is not dead: the definition is about exact arithmetic, so
#   `dead_units` decides with each activation's `derivative_is_zero(z)`, never by looking
#   for floating-point zeros.
#
# A second, weaker notion: a unit is **never active** when z ≤ 0 for every sample. For
# ReLU this *is* dead. A never-active LeakyReLU, PReLU, ELU or SELU unit still receives a
# gradient through its negative branch, so it can move back into the active range.
#
# One more detail: "dead" is a statement about *this data set and these weights*. A dead
# unit in the first hidden layer stays dead (its inputs are the fixed data), but a dead unit
# deeper in the network can come back to life when the layers below it change its inputs.
#
# `mn.diagnostics.dead_units(model, X)` returns one record per activation layer with both
# counts. Here it is on hand-made pre-activations (one column = one unit), fed straight into
# single activation layers:

# %%
z = np.array([[-200.0, -1.0, 2.0],
              [-150.0, -3.0, 0.0],
              [-300.0, -0.5, -1.0]], dtype=np.float32)
print("pre-activations z (float32), 3 samples × 3 units:")
print(z)
print("\nunit 0: very negative for every sample; unit 1: negative for every sample; unit 2: positive once")
DEMO = {"ReLU": mn.ReLU(), "LeakyReLU(0.01)": mn.LeakyReLU(), "LeakyReLU(0)": mn.LeakyReLU(negative_slope=0.0),
        "PReLU(a=0.25)": mn.PReLU(), "ELU": mn.ELU(), "SELU": mn.SELU()}
print(f"\n{'activation':<16} {'computed f_prime(z), unit 0':>28} {'dead units':>11} {'never active':>13}")
for name, layer in DEMO.items():
    (record,) = diagnostics.dead_units(layer, z)
    slope = np.array2string(layer.derivative(z)[:, 0], precision=3)
    print(f"{name:<16} {slope:>28} {record['dead']:>11} {record['never_active']:>13}")
elu_slope = float(mn.ELU().derivative(z)[0, 0])
grid = np.arange(-90.0, -110.0, -0.01).astype(np.float32)
underflow = grid[np.argmax(mn.ELU().derivative(grid) == 0)]
print(f"\nELU's computed derivative at z = -200 in float32 is {elu_slope} (in float32 e^z underflows to 0 "
      f"from z ≈ {underflow:.2f} on), but the exact value is e^-200 ≈ {np.exp(np.float64(-200.0)):.3g} > 0, "
      "so the unit is not counted as dead.")

# %% [markdown]
# ## 2. Data and the experiment
#
# The 8×8 digits (1797 images, 64 pixels, 10 classes), split 70/10/20 into training,
# validation and test sets and standardised with the training set's mean and standard
# deviation. Every network is an `mn.models.mlp` with hidden layers of 64 units, the
# customary initialisation (He normal for the ReLU family and ELU, LeCun normal for SELU),
# trained with plain SGD (no momentum) on mini-batches of 32.
#
# After training we count, on the **training set**, the dead and the never-active units
# over all hidden layers, and measure the test accuracy. A run can also **diverge** (the
# loss becomes inf/NaN); `mn.fit(..., on_divergence="stop")` then stops and leaves the model
# at its last finite state, and the tables mark the run "div".

# %%
SEED = 0                                   # bias and depth experiments
LR_SEEDS = (0,) if QUICK else (0, 1)       # the learning-rate sweep, where divergence depends on the seed
EPOCHS = 2 if QUICK else 15
WIDTH = 64
BATCH = 32

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
    """On the training set: dead and never-active units (% of all hidden units, and % per layer), and
    the % of (sample, unit) pairs that are switched off, z ≤ 0 (the output is then ≤ 0 for all five)."""
    records = diagnostics.dead_units(model, X_train)
    units = sum(r["units"] for r in records)
    stats = [r for r in diagnostics.activation_stats(model, X_train) if r["z_mean"] is not None]
    return {"dead": 100 * sum(r["dead"] for r in records) / units,
            "never": 100 * sum(r["never_active"] for r in records) / units,
            "dead_layers": [100 * r["dead_fraction"] for r in records],
            "never_layers": [100 * r["never_active_fraction"] for r in records],
            "off": 100 * mean([r["neg_fraction"] + r["zero_fraction"] for r in stats])}


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
            "monitor": callbacks[0] if monitor else None}


def acc_cell(runs):
    """Mean test accuracy over the runs that did not diverge, or 'div k/n'."""
    bad = sum(r["diverged"] for r in runs)
    return f"div {bad}/{len(runs)}" if bad else f"{mean([r['acc'] for r in runs]):.3f}"


def print_table(title, row_label, rows):
    """rows: list of (label, {activation: cell text})."""
    print(f"\n{title}")
    print(f"{row_label:<8}" + "".join(f"{ACTIVATIONS[a]:>14}" for a in ACTIVATIONS))
    for label, row in rows:
        print(f"{label:<8}" + "".join(f"{row[a]:>14}" for a in ACTIVATIONS))


# %% [markdown]
# ## 3. Large learning rates kill ReLU units
#
# One SGD step changes the bias by −lr·∂L/∂b_j. A large step can push b_j (and w_j) so far
# that z_nj ≤ 0 for every sample: the ReLU unit is dead from then on, however useful it was.
# Nothing similar can happen to the other four: their derivative on the negative side is
# never 0. What they *can* do at a large learning rate is diverge, which is a different
# failure (and kills the whole network, not single units). For a run that diverged, the
# counts are those of its last finite state (the weights before the failing step), and the
# figure marks it with a cross.
#
# Four hidden layers, learning rates from 0.01 to 1.0, every activation, two seeds.

# %%
LRS = [0.01, 0.3, 1.0] if QUICK else [0.01, 0.1, 0.3, 0.5, 0.7, 1.0]
LR_DEPTH = 4
lr_runs = {(act, lr): [run(act, LR_DEPTH, lr, seed) for seed in LR_SEEDS] for lr in LRS for act in ACTIVATIONS}

print_table(f"Dead % of hidden units after training ({LR_DEPTH} hidden layers × {WIDTH}, SGD, {EPOCHS} epochs, "
            f"mean over seeds {LR_SEEDS}); never-active % in brackets",
            "lr", [(f"{lr:g}", {a: f"{mean([r['final']['dead'] for r in lr_runs[a, lr]]):.1f} "
                                   f"({mean([r['final']['never'] for r in lr_runs[a, lr]]):.1f})"
                                for a in ACTIVATIONS}) for lr in LRS])
print_table("Test accuracy (mean over seeds; 'div k/n' = k of n runs diverged)",
            "lr", [(f"{lr:g}", {a: acc_cell(lr_runs[a, lr]) for a in ACTIVATIONS}) for lr in LRS])

relu_dead = {lr: mean([r["final"]["dead"] for r in lr_runs["relu", lr]]) for lr in LRS}
worst_lr = max(LRS, key=lambda lr: relu_dead[lr])
others_dead = max(r["final"]["dead"] for a in ACTIVATIONS if a != "relu" for lr in LRS for r in lr_runs[a, lr])
print(f"\nReLU: {relu_dead[LRS[0]]:.1f} % dead at lr {LRS[0]:g}, {relu_dead[worst_lr]:.1f} % at lr {worst_lr:g} "
      f"(the most). The other four, over all learning rates and seeds: at most {others_dead:.1f} % dead.")
diverged = {a: sum(r["diverged"] for lr in LRS for r in lr_runs[a, lr]) for a in ACTIVATIONS}
print("Diverged runs per activation (of " + str(len(LRS) * len(LR_SEEDS)) + "): "
      + ", ".join(f"{ACTIVATIONS[a]} {n}" for a, n in diverged.items()))

if plt is not None:
    fig, (ax_d, ax_n) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for act, name in ACTIVATIONS.items():
        dead = [mean([r["final"]["dead"] for r in lr_runs[act, lr]]) for lr in LRS]
        never = [mean([r["final"]["never"] for r in lr_runs[act, lr]]) for lr in LRS]
        div = [any(r["diverged"] for r in lr_runs[act, lr]) for lr in LRS]
        for ax, values in ((ax_d, dead), (ax_n, never)):
            ax.plot(LRS, values, "-o", color=COLORS[act], label=name, lw=1.6, ms=4)
            crosses = [(lr, v) for lr, v, d in zip(LRS, values, div, strict=True) if d]
            ax.plot([c[0] for c in crosses], [c[1] for c in crosses], "x", color=COLORS[act], ms=10, mew=2)
    ax_d.set(title="dead units (f'(z) = 0 for every sample)", ylabel="% of hidden units")
    ax_n.set(title="never-active units (z ≤ 0 for every sample)", ylabel="% of hidden units")
    for ax in (ax_d, ax_n):
        ax.set_xscale("log")
        ax.set_xlabel("SGD learning rate")
        ax.grid(alpha=0.3)
    ax_d.plot([], [], "x", color="grey", ms=10, mew=2, label="a seed diverged")
    ax_d.legend()
    fig.suptitle(f"Learning rate vs dead units — digits, {LR_DEPTH} hidden layers × {WIDTH}, {EPOCHS} epochs, "
                 f"mean of {len(LR_SEEDS)} seed(s)")
    fig.tight_layout()
    fig.savefig(OUT / "dead_vs_learning_rate.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "dead_vs_learning_rate.png")

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
BIASES = [0.0, -1.0] if QUICK else [0.0, -0.5, -1.0, -2.0]
BIAS_DEPTH, BIAS_LR = 8, 0.1
bias_runs = {(act, b): run(act, BIAS_DEPTH, BIAS_LR, SEED, bias=b, monitor=True)
             for b in BIASES for act in ACTIVATIONS}

for key, what in (("dead", "Dead"), ("never", "Never-active")):
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
    print(f"  {name:<10} dead {r['init']['dead']:5.1f} % → {r['final']['dead']:5.1f} %,  never active "
          f"{r['init']['never']:5.1f} % → {r['final']['never']:5.1f} %,  test accuracy "
          f"{'diverged' if r['diverged'] else format(r['acc'], '.3f')}")
best = max(("elu", "selu"), key=lambda a: bias_runs[a, b]["acc"])
leaky = bias_runs["leaky_relu", b]
if leaky["final"]["dead"] == 0 and leaky["acc"] < bias_runs[best, b]["acc"] - 0.1:
    print(f"LeakyReLU has no dead unit, yet its accuracy ({leaky['acc']:.3f}) is far below {ACTIVATIONS[best]}'s "
          f"({bias_runs[best, b]['acc']:.3f}): {leaky['final']['never']:.1f} % of its units are still never active, "
          f"and a slope of 0.01 passes them only 1 % of the gradient. Not dead is not the same as healthy.")

# %% [markdown]
# ## 5. Depth
#
# Even with zero biases, a deep ReLU network has dead units *at initialisation*: layer by
# layer the outputs become more correlated, and some units of the deeper layers end up
# with z ≤ 0 for every sample. Below: the dead % of each hidden layer, at initialisation
# and after training, for 4, 8 and 16 hidden layers (SGD lr 0.03 — smaller than above so
# that the 16-layer networks train without diverging).

# %%
DEPTHS = [4, 8] if QUICK else [4, 8, 16]
DEPTH_LR = 0.03
depth_runs = {(act, d): [run(act, d, DEPTH_LR, SEED)] for d in DEPTHS for act in ACTIVATIONS}

print_table(f"Dead % of hidden units, initialisation → after training (SGD lr {DEPTH_LR}, {EPOCHS} epochs, "
            f"seed {SEED}); never-active % after training in brackets",
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
    fig.savefig(OUT / "dead_per_layer_vs_depth.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "dead_per_layer_vs_depth.png")

# %% [markdown]
# ## 6. Dead units over the epochs: `DeadUnitMonitor`
#
# `monitors.DeadUnitMonitor(X_probe)` is a callback for `mn.fit`: after every epoch it runs
# `dead_units` on the probe set and adds `dead_fraction/<layer>` and
# `never_active_fraction/<layer>` to the History (one key per activation layer, named by
# its position in `model.layers`); `monitor.initial` holds the same before training. The
# bias runs of section 4 carried one; here are the most negative bias's curves, as % of all
# hidden units (every layer has the same width, so this is the mean over the layers).

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
    for key, what in (("dead_fraction", "dead"), ("never_active_fraction", "never active")):
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
    fig.savefig(OUT / "dead_over_epochs.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "dead_over_epochs.png")

# %% [markdown]
# ## 7. What to take away
#
# - "Dead" means *no gradient for any sample*. Only ReLU (and a zero-slope LeakyReLU/PReLU)
#   can have dead units; count them with `mn.diagnostics.dead_units` or watch them with
#   `DeadUnitMonitor`.
# - Large learning rates, negative biases and depth produce dead ReLU units; a dead unit
#   in the first layer never recovers.
# - LeakyReLU and PReLU cannot die, but a unit that is never active only gets the small
#   slope's share of the gradient. ELU and SELU units in the negative range pass α·eᶻ of
#   it (SELU: λα·eᶻ), close to the full gradient just below 0, and their outputs there are
#   negative values the next layer can use. Compare the never-active curves of section 6:
#   which activations brought their switched-off units back?
# - "Never active" and "switched off" are worth watching for every activation: a network
#   can be free of dead units and still not learn.
# - Tutorial 3 looks at the other half of the ELU argument: negative outputs pull the mean
#   activation toward zero.

# %%
print("\nSummary of this run")
print(f"- learning rate: ReLU had {relu_dead[LRS[0]]:.1f} % dead units at lr {LRS[0]:g} and "
      f"{relu_dead[worst_lr]:.1f} % at lr {worst_lr:g}; LeakyReLU, PReLU, ELU and SELU at most {others_dead:.1f} %.")
print(f"- bias {b:g}: test accuracy " + ", ".join(
    f"{name} {'diverged' if bias_runs[a, b]['diverged'] else format(bias_runs[a, b]['acc'], '.3f')}"
    for a, name in ACTIVATIONS.items()) + ".")
print(f"- depth {deepest}: ReLU had {relu_init:.1f} % dead units at initialisation, {relu_final:.1f} % after training.")
