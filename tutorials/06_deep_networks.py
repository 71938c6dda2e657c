# %% [markdown]
# # Tutorial 6 — Deep networks: SELU versus ReLU + BatchNorm versus ReLU + He
#
# The first figure of the SNN paper (Klambauer, Unterthiner, Mayr & Hochreiter,
# "Self-Normalizing Neural Networks", arXiv:1706.02515, 2017) shows the training loss of
# deep feed-forward networks across update steps: networks with batch normalisation give
# jagged, slowly falling curves, self-normalising networks (SELU) give smooth ones, at 8,
# 16 and 32 layers. This tutorial repeats that experiment in miniature, adds the plain
# ReLU network with He initialisation as a third contestant, and looks at *why* depth
# hurts: the size of the gradient at initialisation, layer by layer.
#
# Run it from the repository root:
#
#     python tutorials/06_deep_networks.py            # full run: depths 8, 16, 32 on digits and MNIST
#     python tutorials/06_deep_networks.py --quick    # depth 8, a digits subset, 2 epochs (or MINNET_QUICK=1)
#
# MNIST is used when minnet finds its files (the `MINNET_DATA_DIR` environment variable or
# `~/.minnet/data`, see `mn.data.load_mnist`); otherwise that part is skipped with a note.
# Figures go to `tutorials/output/06_deep_networks/` relative to the current directory
# (`MINNET_TUTORIAL_OUT` chooses another parent folder). Plots need matplotlib:
# `pip install "minnet[plot]"`.

# %%
import os
import sys
import time
from pathlib import Path

import numpy as np

import minnet as mn
from minnet.nn.models import mlp

QUICK = "--quick" in sys.argv or os.environ.get("MINNET_QUICK") == "1"
OUT = Path(os.environ.get("MINNET_TUTORIAL_OUT", "tutorials/output")) / "06_deep_networks"
OUT.mkdir(parents=True, exist_ok=True)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print('install the plot extra: pip install "minnet[plot]"  (figures are skipped)')

SEED = 0
print(f"quick mode: {QUICK}; figures go to {OUT}")

# %% [markdown]
# ## 1. The three contestants
#
# Every network is an MLP of `depth` hidden layers of the same width, built by
# `minnet.nn.models.mlp`, followed by a linear layer to the 10 class logits:
#
# | method | hidden layer | initialisation of W (fan_in = n) |
# |---|---|---|
# | **SELU** (an SNN) | Dense → SELU | LeCun normal, N(0, 1/n) |
# | **ReLU + BN** | Dense → BatchNorm → ReLU | He normal, N(0, 2/n) |
# | **ReLU + He** | Dense → ReLU | He normal, N(0, 2/n) |
#
# Why these initialisations? For z = Σᵢ wᵢxᵢ with independent wᵢ ~ N(0, σ²),
# Var(z) = n·σ²·E[x²]. With σ² = 1/n and SELU's fixed point (mean 0, variance 1, so
# E[x²] = 1), every layer's pre-activation again has variance 1 — the SELU constants α, λ
# are chosen so that (mean, variance) = (0, 1) is a fixed point of the layer-to-layer map,
# and the paper proves that it is *attracting* (tutorial 4). For ReLU,
# E[relu(z)²] = Var(z)/2, and σ² = 2/n (He) cancels the 1/2 so that the variance neither
# shrinks nor grows with depth. BatchNorm does not need a careful initialisation for the
# forward pass: it re-standardises every unit over the mini-batch,
# ẑ = (z − mean_batch(z)) / √(var_batch(z) + ε), then applies a learned γẑ + β.
#
# ## 2. Protocol — and the learning rate
#
# - Plain SGD (no momentum), the **same learning rate for every method**, the same
#   mini-batches in the same order (one shuffling seed), the same initialisation seed.
# - The SNN paper's Figure 1 used a learning rate of 1e-5 (the paper's number). We train for
#   far fewer updates than the paper, so we take a learning rate that moves the loss within
#   our budget, yet small enough that no run below diverges (the table would say so): 0.01.
#   Try `LR = 0.05` or `0.1` yourself and see which method breaks first (with
#   `on_divergence="stop"`, `mn.fit` stops instead of raising when a loss becomes NaN or
#   infinite, and the History says `diverged`).
# - Depth = number of hidden layers (8, 16, 32). Width 64 keeps the whole tutorial
#   within a couple of minutes on a laptop; the SNN theory is a wide-layer theory, so wider
#   networks follow it more closely.
# - Data: scikit-learn's 8×8 digits (1797 images, features standardised with
#   `mn.data.Standardizer` fitted on the training part), and — when the files are found —
#   a random subset of the MNIST training images (28×28 pixels scaled to zero mean, unit
#   variance with one mean and one standard deviation over all training pixels), tested on
#   the full 10 000-image MNIST test set.
# - Each training set is cut to a whole number of mini-batches, so every update averages
#   over the same number of samples (a small last batch would show up as a spike).

# %%
METHODS = {
    "SELU": dict(activation="selu", init="lecun_normal"),
    "ReLU + BN": dict(activation="relu", init="he_normal", batch_norm=True),
    "ReLU + He": dict(activation="relu", init="he_normal"),
}
COLORS = {"SELU": "tab:purple", "ReLU + BN": "tab:orange", "ReLU + He": "tab:blue"}
LR = 0.01
BATCH_SIZE = 64
WIDTH = 64
DEPTHS = (8,) if QUICK else (8, 16, 32)
EPOCHS = {"digits": 2 if QUICK else 20, "MNIST": 5}
N_MNIST_TRAIN = 156 * BATCH_SIZE     # 9 984 images: a whole number of mini-batches
print(f"SGD lr={LR}, batch size {BATCH_SIZE}, width {WIDTH}, depths {DEPTHS}, epochs {EPOCHS}")

# %% [markdown]
# ## 3. Data

# %%
DATA = {}

X, y = mn.data.load_digits()
(X_tr, y_tr), _, (X_te, y_te) = mn.data.train_val_test_split(X, y, val_size=0.0, test_size=0.25, seed=SEED)
n_keep = 384 if QUICK else len(X_tr) // BATCH_SIZE * BATCH_SIZE   # whole mini-batches only
X_tr, y_tr = X_tr[:n_keep], y_tr[:n_keep]
scaler = mn.data.Standardizer().fit(X_tr)
DATA["digits"] = (scaler.transform(X_tr), y_tr, scaler.transform(X_te), y_te)

if QUICK:
    print("quick mode: MNIST is skipped")
else:
    try:
        X_all, y_all = mn.data.load_mnist("train")
        X_test, y_test = mn.data.load_mnist("test")
    except mn.data.DataNotFoundError as exc:
        print("MNIST files not found, so this run uses digits only. To include MNIST, put the files where")
        print("mn.data.load_mnist looks for them (set MINNET_DATA_DIR, or call load_mnist(download=True) once).")
        print("  (" + str(exc).splitlines()[0] + ")")
    else:
        pick = np.random.default_rng(SEED).permutation(len(X_all))[:N_MNIST_TRAIN]
        X_tr, y_tr = X_all[pick], y_all[pick]
        mean, std = X_tr.mean(), X_tr.std()
        DATA["MNIST"] = ((X_tr - mean) / std, y_tr, (X_test - mean) / std, y_test)

for name, (X_tr, y_tr, X_te, _) in DATA.items():
    print(f"{name}: {X_tr.shape[0]} training and {X_te.shape[0]} test samples, {X_tr.shape[1]} features, "
          f"{len(np.unique(y_tr))} classes")

# %% [markdown]
# ## 4. The gradient at initialisation, layer by layer
#
# Before training anything: push one mini-batch through a freshly initialised network,
# backpropagate the cross-entropy loss and measure ‖∂L/∂Wₗ‖ (Frobenius norm) for every
# Dense layer l. Ideally these norms are of similar size in every layer, so that one learning
# rate suits all layers. Batch normalisation has a known problem here: Yang, Pennington, Rao,
# Sohl-Dickstein & Schoenholz ("A Mean Field Theory of Batch Normalization", ICLR 2019,
# arXiv:1902.08129) show, for wide networks at initialisation, that in a plain (no skip
# connections) batch-normalised network the gradients *grow exponentially* from the output
# back to the input, whatever the initialisation — "batch normalization itself is the cause
# of gradient explosion" (their words). For SELU networks the SNN paper proves bounds on the
# variance that make vanishing and exploding gradients impossible (the paper's claim). The
# measurement below checks both claims on our small networks.
#
# (The probe uses a separate copy of each network, built from the same seed, because a
# BatchNorm forward pass in training mode also updates the running statistics.)

# %%
def dense_weight_grad_norms(model, X, y):
    """‖∂L/∂W‖ of every Dense layer, input side first, after one forward/backward pass."""
    loss_fn = mn.CrossEntropyLoss()
    model.zero_grad()
    loss_fn.forward(model.forward(X, training=True), y)
    model.backward(loss_fn.backward())
    return np.array([np.linalg.norm(layer.weight.grad) for layer in model.layers if isinstance(layer, mn.Dense)])


X_tr, y_tr = DATA["digits"][:2]
GRAD_NORMS = {}                       # (method, depth) -> norms of the depth + 1 Dense layers
for depth in DEPTHS:
    for method, kw in METHODS.items():
        probe = mlp(X_tr.shape[1], 10, hidden=[WIDTH] * depth, seed=SEED, **kw)
        GRAD_NORMS[method, depth] = dense_weight_grad_norms(probe, X_tr[:256], y_tr[:256])

print("‖∂L/∂W‖ at initialisation on 256 digits samples (first hidden layer, last hidden layer, and the growth")
print("factor per layer, (first / last) ** (1 / (depth - 1)), from the last hidden layer back to the first):")
print(f"{'depth':>5}  {'method':<10} {'first':>10} {'last':>10} {'per layer':>10}")
for (method, depth), g in GRAD_NORMS.items():
    first, last = g[0], g[-2]          # g[-1] is the output layer
    print(f"{depth:>5}  {method:<10} {first:>10.3g} {last:>10.3g} {(first / last) ** (1 / (depth - 1)):>10.3f}")

if plt is not None:
    deepest = max(DEPTHS)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for method in METHODS:
        g = GRAD_NORMS[method, deepest]
        ax.semilogy(np.arange(1, len(g) + 1), g, "o-", ms=3, color=COLORS[method], label=method)
    ax.set(title=f"Gradient norm per layer at initialisation (depth {deepest}, width {WIDTH}, digits)",
           xlabel="Dense layer (1 = next to the input, last = output layer)", ylabel="‖∂L/∂W‖ (log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "gradient_norms_at_init.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "gradient_norms_at_init.png")

# %% [markdown]
# ## 5. Training: the per-batch loss, as in the paper's Figure 1
#
# `mn.fit` calls `on_batch_end(state)` of every callback after each update, with the
# batch's loss in `state.logs["batch_loss"]`. A small callback records them. Because all
# methods see the same batches in the same order, the differences between the curves come
# from the methods, not from the data.

# %%
class BatchLosses(mn.Callback):
    """Record the training loss of every mini-batch (measured before that batch's update)."""

    def __init__(self):
        self.losses = []

    def on_batch_end(self, state):
        self.losses.append(state.logs["batch_loss"])


RESULTS = []                          # one dict per (data set, depth, method)
CURVES = {}                           # (data set, depth, method) -> per-batch losses
t_start = time.perf_counter()
for data_name, (X_tr, y_tr, X_te, y_te) in DATA.items():
    for depth in DEPTHS:
        for method, kw in METHODS.items():
            model = mlp(X_tr.shape[1], 10, hidden=[WIDTH] * depth, seed=SEED, **kw)
            w1_before = np.linalg.norm(model.layers[0].weight.data)     # first Dense layer
            loss_fn = mn.CrossEntropyLoss()
            recorder = BatchLosses()
            history = mn.fit(model, loss_fn, mn.SGD(model.parameters(), lr=LR), X_tr, y_tr,
                             epochs=EPOCHS[data_name], batch_size=BATCH_SIZE, seed=SEED, callbacks=[recorder],
                             progress=False, on_divergence="stop")
            diverged = bool(getattr(history, "diverged", False))
            # A diverged network is left at its last finite weights, which may still overflow: no test score.
            test_acc = float("nan") if diverged else mn.evaluate(model, loss_fn, X_te, y_te)["accuracy"]
            train_loss = history.get("loss", [float("nan")])[-1]        # nan: diverged in the first epoch
            CURVES[data_name, depth, method] = np.array(recorder.losses)
            RESULTS.append(dict(data=data_name, depth=depth, method=method, train_loss=train_loss,
                                test_acc=test_acc, diverged=diverged,
                                w1_growth=np.linalg.norm(model.layers[0].weight.data) / w1_before))
            print(f"  {data_name:<6} depth {depth:>2} {method:<10} train loss {train_loss:.4f}  "
                  f"test accuracy {test_acc:.4f}  ({time.perf_counter() - t_start:.0f} s so far)"
                  + ("  DIVERGED" if diverged else ""))

# %% [markdown]
# ## 6. The table
#
# *train loss* is the mean cross-entropy over the last epoch's mini-batches, measured while
# training (the same quantity as the right end of each curve below, averaged over an
# epoch); *test acc* is the accuracy on the held-out test set in evaluation mode
# (BatchNorm then uses its running averages instead of batch statistics); *‖W₁‖ ×* is
# the norm of the first layer's weights after training divided by its norm at
# initialisation.

# %%
print()
print(f"{'data':<7} {'depth':>5}  {'method':<10} {'train loss':>10} {'test acc':>9} {'‖W₁‖ ×':>7}")
for r in RESULTS:
    note = "  (diverged)" if r["diverged"] else ""
    w1 = f"{r['w1_growth']:>7.2f}" if r["w1_growth"] < 1e3 else f"{r['w1_growth']:>7.1e}"
    print(f"{r['data']:<7} {r['depth']:>5}  {r['method']:<10} {r['train_loss']:>10.4f} {r['test_acc']:>9.4f} "
          f"{w1}{note}")

print()
wins = {method: [0, 0] for method in METHODS}   # [lowest training loss, highest test accuracy]
for data_name in DATA:
    for depth in DEPTHS:
        rows = [r for r in RESULTS if r["data"] == data_name and r["depth"] == depth]
        best_loss = min(rows, key=lambda r: np.nan_to_num(r["train_loss"], nan=np.inf))["method"]
        best_acc = max(rows, key=lambda r: np.nan_to_num(r["test_acc"], nan=-np.inf))["method"]
        wins[best_loss][0] += 1
        wins[best_acc][1] += 1
        print(f"{data_name} depth {depth}: lowest training loss: {best_loss}; highest test accuracy: {best_acc}")
n_settings = len(DATA) * len(DEPTHS)
for method, (n_loss, n_acc) in wins.items():
    print(f"{method:<10} lowest training loss in {n_loss} of {n_settings} settings, "
          f"highest test accuracy in {n_acc} of {n_settings}")

# %% [markdown]
# ## 7. The figure: training loss per update step (log scale)
#
# One panel per data set and depth; thin lines: the loss of every mini-batch, thick lines:
# its mean over the preceding epoch's worth of updates. What to look for, as in the
# paper's Figure 1:
#
# - **How fast** each curve falls, and whether it keeps falling as the depth grows.
# - **How jagged** it is. Part of the batch-to-batch wiggle is simply that batches differ
#   (the same for every method here); BatchNorm adds its own: each unit is normalised by
#   the statistics of the *current* batch, so the function the network computes changes from
#   batch to batch, and the exploding backward pass of section 4 makes the early updates of
#   the lower layers large.
#
# Near zero loss, a log scale exaggerates wiggles: a tiny batch loss that triples is a large
# step on the plot but makes no difference to the classifier.

# %%
if plt is not None:
    rows, cols = len(DATA), len(DEPTHS)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False)
    for i, data_name in enumerate(DATA):
        for j, depth in enumerate(DEPTHS):
            ax = axes[i, j]
            for method in METHODS:
                losses = CURVES[data_name, depth, method]
                steps = np.arange(1, len(losses) + 1)
                k = max(1, len(DATA[data_name][0]) // BATCH_SIZE)       # updates per epoch
                ax.semilogy(steps, losses, lw=0.6, alpha=0.4, color=COLORS[method],
                            label=None if len(losses) >= k else method)
                if len(losses) >= k:                                     # (a diverged run may be shorter)
                    trailing_mean = np.convolve(losses, np.ones(k) / k, mode="valid")
                    ax.semilogy(steps[k - 1:], trailing_mean, lw=1.8, color=COLORS[method], label=method)
            ax.set_title(f"{data_name}, {depth} hidden layers")
            ax.set_xlabel("update step (mini-batch)")
            ax.grid(alpha=0.3, which="both")
        axes[i, 0].set_ylabel("training loss (log scale)")
    axes[0, 0].legend()
    fig.suptitle(f"Training loss per mini-batch — plain SGD, lr {LR}, batch {BATCH_SIZE}, width {WIDTH}")
    fig.tight_layout()
    fig.savefig(OUT / "training_loss_per_batch.png", dpi=120)
    plt.close(fig)
    print("wrote", OUT / "training_loss_per_batch.png")

# %% [markdown]
# ## 8. What this shows, and what it does not
#
# - The SNN paper's claim (the paper's, for its own experiment): FNNs with batch
#   normalisation "exhibit high variance due to perturbations", while SNNs "do not suffer from
#   high variance as they are more robust to perturbations and learn faster". Compare the
#   table and the figure with that sentence, part by part:
#   *learn faster* — compare the thick lines, and how each method's final loss changes from
#   8 to 32 layers; *high variance* — compare the thin lines. In our run (seed 0), the
#   BatchNorm networks were above all *slow* with plain SGD at this learning rate, the more so
#   the deeper they were. Two explanations you can test yourself:
#   (a) *where the gradient goes*: section 4 shows that at initialisation the BatchNorm
#   network's gradient is concentrated in the layers next to the input, while the layers near
#   the output get smaller gradients than SELU's — with one learning rate for all layers, the
#   upper layers learn slowly;
#   (b) *weight growth*: a BatchNorm layer's output does not change when the weights before it
#   are scaled, f(c·w) = f(w), so the gradient is orthogonal to w, and every plain SGD step
#   can only make ‖w‖ larger (‖w − η·g‖² = ‖w‖² + η²‖g‖²) — and the larger ‖w‖, the smaller
#   the relative change of each later step. Column ‖W₁‖ × shows how much that happened here.
# - The plain ReLU network with He initialisation is a strong baseline at depth 8 and loses
#   ground with depth; SELU with LeCun normal needs neither normalisation layers nor a
#   different initialisation per depth.
# - One seed, one learning rate, one width. Change `SEED` and the numbers move (deep networks
#   trained for a few hundred steps are sensitive to the initial weights). Even the machine
#   matters a little: in float32, a different number of BLAS threads sums in a different
#   order, and on MNIST such last-digit differences can grow during training. A fair verdict
#   needs several seeds and a learning rate tuned *per method* on validation data; tutorial 7
#   shows the several-seeds-and-ranks part, and `mn.experiments.compare` runs such grids.
# - Exercises: (1) set `LR = 0.05`; (2) replace `"relu"` by `"elu"` in the BatchNorm method;
#   (3) make the network wider (`WIDTH = 256`) and watch the gradient norms of section 4
#   follow the wide-layer theory more closely; (4) use `init="pytorch_default"` for SELU and
#   see the self-normalisation fail (tutorial 4 explains why); (5) give ReLU + BN momentum:
#   `mn.SGD(model.parameters(), lr=LR, momentum=0.9)`.
