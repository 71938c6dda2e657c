# %% [markdown]
# # Tutorial 7 — An ablation over UCI data sets, in the style of the SNN paper
#
# The SNN paper (Klambauer, Unterthiner, Mayr & Hochreiter, "Self-Normalizing Neural
# Networks", arXiv:1706.02515, 2017) compared feed-forward network variants on 121
# classification data sets from the UCI repository. Accuracies on different data sets are not
# comparable with each other (95 % is poor on one and excellent on another), so the paper
# **ranks** the methods on every data set and compares the **average rank**. This tutorial
# runs the same kind of comparison on the four UCI data sets that ship with scikit-learn:
#
# | data set | samples | features | classes |
# |---|---|---|---|
# | iris | 150 | 4 | 3 |
# | wine | 178 | 13 | 3 |
# | breast cancer (Wisconsin diagnostic) | 569 | 30 | 2 |
# | digits (8×8 optical digits) | 1797 | 64 | 10 |
#
# Run it from the repository root:
#
#     python tutorials/07_uci_ablation.py            # full run: 6 seeds
#     python tutorials/07_uci_ablation.py --quick    # 2 seeds, 3 epochs (or MINNET_QUICK=1)
#
# or open it as a notebook (set `QUICK = True` in the first code cell for the tiny settings).
# Figures and `results.json` (the key numbers) go to `tutorials/output/07_uci_ablation/`
# relative to the current directory (`MINNET_TUTORIAL_OUT` chooses another parent folder).
# Plots need matplotlib: in a clone of minnet, `pip install -e ".[plot]"`.
#
# **Standard deviations** in this tutorial are over seeds, with ddof = 1 (the sample standard
# deviation), as everywhere in minnet (docs/conventions.md, "Standard deviations and intervals").

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

import time
import warnings

import numpy as np
from scipy.stats import wilcoxon

import minnet as mn
from minnet.nn.models import mlp

QUICK = None        # None: --quick or MINNET_QUICK=1 decide; set True or False here in a notebook
tut = mn.tutorial.setup("07_uci_ablation", quick=QUICK)
QUICK, plt = tut.quick, tut.plt


def sample_std(values):
    """Standard deviation with ddof = 1 (NaN for fewer than two values)."""
    values = np.asarray(values, dtype=float)
    return float(values.std(ddof=1)) if values.size > 1 else float("nan")


# %% [markdown]
# ## 1. The methods
#
# Every method is the same multilayer perceptron — `HIDDEN` layers of `WIDTH` units, built by
# `minnet.nn.models.mlp` — and differs only in its activation, its initialisation and its
# normalisation or dropout layer:
#
# | method | hidden layer | initialisation |
# |---|---|---|
# | SELU | Dense → SELU | LeCun normal N(0, 1/n) |
# | SELU + AlphaDropout | Dense → SELU → AlphaDropout(p = 0.05) | LeCun normal |
# | ReLU | Dense → ReLU | He normal N(0, 2/n) |
# | ReLU + BN | Dense → BatchNorm → ReLU | He normal |
# | ReLU + LN | Dense → LayerNorm → ReLU | He normal |
# | LeakyReLU | Dense → LeakyReLU(s = 0.01) | He normal |
# | PReLU | Dense → PReLU(a learned, starts at 0.25) | He normal |
# | ELU | Dense → ELU(α = 1) | He normal |
#
# (n = fan_in. LayerNorm normalises each sample over its 64 units, so unlike BatchNorm it
# does not depend on the batch; the SNN paper included layer normalisation among its baselines.
# AlphaDropout sets dropped units to SELU's negative saturation value −λα and
# then applies an affine map that restores mean 0 and variance 1 — tutorial 5. The paper
# recommends p = 0.05 or 0.1 with SELU.)

# %%
HIDDEN_LAYERS, WIDTH = 4, 64
METHODS = {
    "SELU": dict(activation="selu", init="lecun_normal"),
    "SELU + AlphaDropout": dict(activation="selu", init="lecun_normal", dropout="alpha", dropout_rate=0.05),
    "ReLU": dict(activation="relu", init="he_normal"),
    "ReLU + BN": dict(activation="relu", init="he_normal", batch_norm=True),
    "ReLU + LN": dict(activation="relu", init="he_normal", layer_norm=True),
    "LeakyReLU": dict(activation="leaky_relu", init="he_normal"),
    "PReLU": dict(activation="prelu", init="he_normal"),
    "ELU": dict(activation="elu", init="he_normal"),
}


def build(n_inputs, n_classes, seed, layer_norm=False, **kw):
    """The method's MLP; with ``layer_norm`` a LayerNorm between every hidden Dense and its activation."""
    model = mlp(n_inputs, n_classes, hidden=[WIDTH] * HIDDEN_LAYERS, seed=seed, **kw)
    if not layer_norm:
        return model
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if isinstance(layer, mn.Dense) and len(layers) < len(model.layers):     # every Dense but the output
            layers.append(mn.LayerNorm(layer.weight.data.shape[1]))
    return mn.Sequential(*layers)


DATASETS = {
    "iris": mn.data.load_iris,
    "wine": mn.data.load_wine,
    "breast cancer": mn.data.load_breast_cancer,
    "digits": mn.data.load_digits,
}

# %% [markdown]
# ## 2. The protocol
#
# For every data set and every seed:
#
# 1. a **stratified** split into 60 % training, 20 % validation and 20 % test samples
#    (`mn.data.train_val_test_split`, every class in the same proportion in each part);
# 2. features standardised with a `mn.data.Standardizer` fitted on the training part only;
# 3. every method trained on the *same* split, from weights drawn with the *same* seed, with
#    SGD (momentum 0.9, learning rate 0.01, batch size 32), for at most `MAX_EPOCHS` epochs
#    with **early stopping** on the validation loss (patience `PATIENCE`; the weights of the
#    best epoch are restored) — the validation part is used for nothing else;
# 4. accuracy on the test part.
#
# What the paper did and we do not (for time): it chose each method's architecture and
# hyperparameters (depth, width, learning rate, dropout) per data set on validation data.
# Here every method gets one fixed architecture and one learning rate, so the comparison
# also measures how well each method copes with settings that were not tuned for it.

# %%
SEEDS = [0, 1] if QUICK else [0, 1, 2, 3, 4, 5]
LR, MOMENTUM, BATCH_SIZE = 0.01, 0.9, 32
MAX_EPOCHS = 3 if QUICK else 100
PATIENCE = 10
print(f"{len(METHODS)} methods x {len(DATASETS)} data sets x {len(SEEDS)} seeds; {HIDDEN_LAYERS} hidden layers of "
      f"{WIDTH}; SGD lr {LR} momentum {MOMENTUM}, batch {BATCH_SIZE}; at most {MAX_EPOCHS} epochs, patience {PATIENCE}")

# %%
# correct[data set][method] = number of correct test predictions, one entry per seed
correct = {d: {m: [] for m in METHODS} for d in DATASETS}
n_test, n_samples = {}, {}
epochs_run = {d: {m: [] for m in METHODS} for d in DATASETS}
diverged_runs = []
t_start = time.perf_counter()
for data_name, load in DATASETS.items():
    X, y = load()
    n_classes = len(np.unique(y))
    n_samples[data_name] = len(y)
    for seed in SEEDS:
        (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = mn.data.train_val_test_split(
            X, y, val_size=0.2, test_size=0.2, seed=seed, stratify=True)
        scaler = mn.data.Standardizer().fit(X_tr)
        X_tr, X_val, X_te = scaler.transform(X_tr), scaler.transform(X_val), scaler.transform(X_te)
        n_test[data_name] = len(y_te)
        for method, kw in METHODS.items():
            model = build(X.shape[1], n_classes, seed, **kw)
            optimizer = mn.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
            history = mn.fit(model, mn.CrossEntropyLoss(), optimizer, X_tr, y_tr, epochs=MAX_EPOCHS,
                             batch_size=BATCH_SIZE, validation_data=(X_val, y_val), seed=seed,
                             callbacks=[mn.EarlyStopping(monitor="val_loss", patience=PATIENCE)],
                             progress=False, on_divergence="stop")
            if getattr(history, "diverged", False):      # a run whose loss became NaN/inf scores 0 correct
                diverged_runs.append((data_name, seed, method))
                correct[data_name][method].append(0)
            else:
                correct[data_name][method].append(int(np.count_nonzero(mn.predict(model, X_te) == y_te)))
            epochs_run[data_name][method].append(len(history.get("loss", [])))
    print(f"{data_name:<14} done: {len(y)} samples, {n_test[data_name]} test samples per seed "
          f"({time.perf_counter() - t_start:.0f} s so far)")

print(f"runs that diverged (counted as 0 correct): {len(diverged_runs)}", *diverged_runs)

# accuracy[d][m]: per-seed test accuracies; mean_acc[d][m]: their mean
accuracy = {d: {m: np.array(c) / n_test[d] for m, c in per.items()} for d, per in correct.items()}
mean_acc = {d: {m: a.mean() for m, a in per.items()} for d, per in accuracy.items()}

# %% [markdown]
# ## 3. Ranks, with ties
#
# On every data set, the method with the highest mean test accuracy (over the seeds) gets
# rank 1, the next rank 2, and so on. Methods with *equal* accuracy share the average of the
# ranks they occupy: if two methods tie for second place, both get (2 + 3) / 2 = 2.5 and the
# next one gets 4. In one formula, for scores s₁ … s_k (higher is better):
#
#     rank(i) = 1 + #{j : s_j > s_i} + (#{j : s_j = s_i} − 1) / 2
#
# (`scipy.stats.rankdata(-s, method="average")` computes the same.) Ties are common
# here: with 30 iris test samples per seed, accuracy moves in steps of 1/30. To make "equal"
# exact, we rank on the total number of correct test predictions over all seeds — an integer —
# which orders the methods exactly as the mean accuracy does.

# %%
def average_ranks(scores):
    """Rank 1 = highest score; tied scores share the mean of the ranks they occupy."""
    s = np.asarray(scores)
    higher = (s[None, :] > s[:, None]).sum(axis=1)       # for each i: how many j have s_j > s_i
    equal = (s[None, :] == s[:, None]).sum(axis=1)       # for each i: how many j have s_j = s_i (incl. i)
    return 1.0 + higher + (equal - 1) / 2.0


print("check:", average_ranks([0.9, 0.8, 0.8, 0.7]), "(expected [1.  2.5 2.5 4. ])")

names = list(METHODS)
ranks = {d: dict(zip(names, average_ranks([sum(correct[d][m]) for m in names]))) for d in DATASETS}
avg_rank = {m: np.mean([ranks[d][m] for d in DATASETS]) for m in names}

# %% [markdown]
# ## 4. The table
#
# One row per method, best average rank first; per data set the mean test accuracy over the
# seeds ± its standard deviation over the seeds, and the rank on that data set in brackets.

# %%
order = sorted(names, key=lambda m: avg_rank[m])
header = f"{'method':<20}" + "".join(f"{d:>24}" for d in DATASETS) + f"{'avg rank':>10}"
print()
print(f"test accuracy, mean ± std over {len(SEEDS)} seeds, (rank on the data set)")
print(header)
print("-" * len(header))
for m in order:
    cells = "".join(f"{mean_acc[d][m]:>9.4f} ± {sample_std(accuracy[d][m]):.4f} ({ranks[d][m]:>3.1f})"
                    for d in DATASETS)
    print(f"{m:<20}{cells}{avg_rank[m]:>10.2f}")
print()
print("mean number of epochs trained (early stopping included):")
for m in order:
    print(f"  {m:<20}" + "  ".join(f"{d} {np.mean(epochs_run[d][m]):5.1f}" for d in DATASETS))

# %% [markdown]
# ## 5. How much can four data sets say?
#
# The paper's claim (the paper's numbers, from its Table 1, 121 UCI data sets, seven FNN
# methods): SNNs had the best average rank among the FNN methods — an average rank
# difference (rank minus the mean rank) of −0.756, against −0.240 for ReLU networks with
# He ("MSRA") initialisation and +0.504 for batch normalisation. The paper also reports
# that on its 75 data sets with fewer than 1000 samples, random forests and SVMs did better
# than SNNs and other FNNs; iris, wine and breast cancer are all in that size class.
#
# Four data sets **cannot confirm or refute** that claim. A standard yardstick is the
# Nemenyi test for comparing k methods over N data sets by average rank (Demšar,
# "Statistical Comparisons of Classifiers over Multiple Data Sets", JMLR 7, 2006): two
# methods differ significantly (α = 0.05) only if their average ranks differ by more than
#
#     CD = q_α · √( k (k + 1) / (6 N) ),
#
# with q_α from Demšar's table (3.031 for the k = 8 methods here). The average ranks themselves can
# only lie between 1 and k. Two more caveats from the same paper: the Nemenyi test is meant as
# a follow-up to a Friedman test over all methods, and the Friedman test's chi-square
# approximation holds "as a rule of a thumb" for N > 10 data sets and k > 5 methods — with
# N = 4, even a difference larger than CD is a rough indication, not a test result. And the paper's claim
# is about 121 varied data sets; four small, well-known ones are not a sample of them.

# %%
# Demšar (2006), critical values q_0.05 of the Nemenyi test, by the number of methods k
Q_NEMENYI_005 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102, 10: 3.164}
k, N = len(METHODS), len(DATASETS)
q_alpha = Q_NEMENYI_005[k]
cd = q_alpha * np.sqrt(k * (k + 1) / (6 * N))
spread = avg_rank[order[-1]] - avg_rank[order[0]]
print(f"critical difference for k = {k} methods on N = {N} data sets: CD = {cd:.2f}")
print(f"best average rank: {order[0]} ({avg_rank[order[0]]:.2f}); worst: {order[-1]} ({avg_rank[order[-1]]:.2f}); "
      f"difference {spread:.2f} -> {'larger' if spread > cd else 'not larger'} than CD "
      f"(N = {N} is below Demšar's rule of thumb N > 10: a rough indication at best)")
n_pairs = sum(abs(avg_rank[a] - avg_rank[b]) > cd for i, a in enumerate(names) for b in names[i + 1:])
print(f"pairs of methods whose average ranks differ by more than CD: {n_pairs} of {k * (k - 1) // 2}")
selu_like = [m for m in names if m.startswith("SELU")]
best_selu = min(selu_like, key=lambda m: avg_rank[m])
print(f"best SELU variant here: {best_selu}, average rank {avg_rank[best_selu]:.2f}, "
      f"place {order.index(best_selu) + 1} of {k}")
print(f"with N = 121 data sets (the paper's), the same formula gives CD = "
      f"{q_alpha * np.sqrt(k * (k + 1) / (6 * 121)):.2f}")

# %% [markdown]
# ## 6. Paired Wilcoxon tests, and small versus large data sets
#
# Besides average ranks, the SNN paper compared SNNs with each other method by a **paired
# Wilcoxon signed-rank test** over the data sets: one pair per data set d, (accuracy of SNN on d,
# accuracy of the other method on d); the test asks whether the differences are distributed
# symmetrically around 0. The paper also looked at the data sets with fewer than 1000 samples
# separately from the larger ones. We do both, with SELU (LeCun normal, no dropout) as the
# reference method.
#
# The exact test's smallest possible two-sided p-value with n non-zero differences is 2/2ⁿ
# (every difference of the same sign): 0.125 for our 4 data sets, 0.25 for the 3 small ones.
# Whatever the accuracies, a test across these data sets **cannot** reach p < 0.05 — the same
# lesson as the critical difference above, from another angle.
#
# Within one data set, the seeds give paired replicates (every method gets the same split and
# the same seed for its initial weights), so the test can also run over seeds: with 6 seeds
# the smallest p is 2/2⁶ ≈ 0.031. That test answers a narrower question — is SELU better than
# method X *on this data set, under this protocol*, over random splits and initialisations —
# and equal accuracies (frequent with small test sets) are zero differences, which the test
# drops, so n shrinks. Seven comparisons with SELU at once also call for a multiple-testing
# correction (Holm's: the smallest p against 0.05/7, the next against 0.05/6, ...); the table
# prints the raw p-values.

# %%
REFERENCE = "SELU"
others = [m for m in names if m != REFERENCE]


def paired_wilcoxon(a, b):
    """Two-sided paired Wilcoxon signed-rank test of a against b: (p-value, number of non-zero differences).

    scipy drops zero differences; p is NaN when every difference is 0. Where ties among the
    |differences| make the exact distribution inapplicable, scipy uses the normal approximation.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    nonzero = int(np.count_nonzero(a != b))
    if nonzero == 0:
        return float("nan"), 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # "exact p-value not available with ties": approximation
        return float(wilcoxon(a, b).pvalue), nonzero


SMALL = [d for d in DATASETS if n_samples[d] < 1000]
LARGE = [d for d in DATASETS if n_samples[d] >= 1000]
avg_rank_small = {m: float(np.mean([ranks[d][m] for d in SMALL])) for m in names}
avg_rank_large = {m: float(np.mean([ranks[d][m] for d in LARGE])) for m in names}
across = {m: paired_wilcoxon([mean_acc[d][REFERENCE] for d in DATASETS], [mean_acc[d][m] for d in DATASETS])
          for m in others}
across_small = {m: paired_wilcoxon([mean_acc[d][REFERENCE] for d in SMALL], [mean_acc[d][m] for d in SMALL])
                for m in others}
over_seeds = {d: {m: paired_wilcoxon(accuracy[d][REFERENCE], accuracy[d][m]) for m in others} for d in DATASETS}
min_p = {"all": 2 / 2 ** len(DATASETS), "small": 2 / 2 ** len(SMALL), "seeds": 2 / 2 ** len(SEEDS)}

print(f"small data sets (< 1000 samples): {', '.join(SMALL)}; large: {', '.join(LARGE)}")
print(f"smallest possible two-sided p: {min_p['all']:.3f} across all {len(DATASETS)} data sets, "
      f"{min_p['small']:.3f} across the {len(SMALL)} small ones, {min_p['seeds']:.3f} over {len(SEEDS)} seeds")
print("\nSELU against each method: average ranks, and paired Wilcoxon p-values (n = non-zero differences)")
seed_labels = {d: f"p {d} (seeds)" for d in DATASETS}
seed_width = {d: max(len(label) + 2, 15) for d, label in seed_labels.items()}
head = (f"{'method':<20}{'rank all':>9}{'small':>7}{'large':>7}{'p all sets':>15}{'p small sets':>15}"
        + "".join(seed_labels[d].rjust(seed_width[d]) for d in DATASETS))
print(head)
print("-" * len(head))


def p_cell(result, width):
    p, n = result
    return f"{'-' if n == 0 else f'{p:.3f}'} (n={n})".rjust(width)


for m in order:
    cells = f"{m:<20}{avg_rank[m]:>9.2f}{avg_rank_small[m]:>7.2f}{avg_rank_large[m]:>7.2f}"
    if m == REFERENCE:
        print(cells + "  (reference)")
        continue
    print(cells + p_cell(across[m], 15) + p_cell(across_small[m], 15)
          + "".join(p_cell(over_seeds[d][m], seed_width[d]) for d in DATASETS))
best_small = min(names, key=lambda m: avg_rank_small[m])
best_large = min(names, key=lambda m: avg_rank_large[m])
significant = [(d, m) for d in DATASETS for m in others if over_seeds[d][m][1] and over_seeds[d][m][0] < 0.05]
print(f"\nbest average rank on the small data sets: {best_small} ({avg_rank_small[best_small]:.2f}); "
      f"on the large one(s): {best_large} ({avg_rank_large[best_large]:.2f})")
print(f"over seeds, raw p < 0.05 in {len(significant)} of {len(DATASETS) * len(others)} comparisons"
      + (": " + ", ".join(f"{m} on {d} ({'SELU better' if mean_acc[d][REFERENCE] > mean_acc[d][m] else 'SELU worse'})"
                          for d, m in significant) if significant else "")
      + f"; Holm's correction over the {len(others)} comparisons on a data set needs p < {0.05 / len(others):.4f} "
        f"for the smallest one, and the smallest p that {len(SEEDS)} seeds allow is {min_p['seeds']:.3f}"
      + (": no comparison over seeds can pass it." if min_p["seeds"] >= 0.05 / len(others) else "."))

# %% [markdown]
# ## 7. The figure: accuracy per data set, and the average rank
#
# Left: mean test accuracy per data set and method, with the standard deviation over seeds
# as error bars (the y-axis does not start at 0, to make the differences visible — keep that
# in mind when you read the bar heights). Right: the average rank (lower is better), with the
# critical difference drawn from the best method.

# %%
if plt is not None:
    colors = dict(zip(names, plt.get_cmap("tab10").colors))
    fig, (ax_acc, ax_rank) = plt.subplots(1, 2, figsize=(14, 4.8), gridspec_kw={"width_ratios": [2.2, 1]})
    n_m = len(names)
    bar_w = 0.8 / n_m
    for i, m in enumerate(names):
        x = np.arange(N) + (i - (n_m - 1) / 2) * bar_w
        means = [mean_acc[d][m] for d in DATASETS]
        stds = [sample_std(accuracy[d][m]) for d in DATASETS]
        ax_acc.bar(x, means, bar_w, yerr=stds, capsize=2, color=colors[m], label=m,
                   error_kw=dict(ecolor="0.25", elinewidth=0.8))
    low = min(mean_acc[d][m] - sample_std(accuracy[d][m]) for d in DATASETS for m in names)
    high = max(mean_acc[d][m] + sample_std(accuracy[d][m]) for d in DATASETS for m in names)
    ax_acc.set_ylim(max(0.0, np.floor((low - 0.02) * 20) / 20), min(1.05, high + 0.005))
    ax_acc.axhline(1.0, color="0.4", lw=0.8, ls=":")
    ax_acc.set_xticks(np.arange(N), list(DATASETS))
    ax_acc.set(ylabel="test accuracy (axis does not start at 0)",
               title=f"Test accuracy, mean ± std (ddof = 1) over {len(SEEDS)} seeds")
    ax_acc.grid(axis="y", alpha=0.3)
    ax_acc.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.09), frameon=False)

    y_pos = np.arange(n_m)
    ax_rank.barh(y_pos, [avg_rank[m] for m in order], color=[colors[m] for m in order])
    for yp, m in zip(y_pos, order):
        ax_rank.annotate(f"{avg_rank[m]:.2f}", (avg_rank[m], yp), xytext=(3, 0), textcoords="offset points",
                         va="center", fontsize=8)
    ax_rank.set_yticks(y_pos, order)
    ax_rank.invert_yaxis()
    best = avg_rank[order[0]]
    ax_rank.axvline(best + cd, color="black", ls="--", lw=1)
    ax_rank.annotate(f"best + CD = {best + cd:.2f}", (best + cd, -0.5), xytext=(-3, 2), textcoords="offset points",
                     fontsize=8, ha="right", va="top")
    ax_rank.set(xlim=(0, max(k, best + cd) + 0.7), xlabel="average rank over the data sets (lower is better)",
                title=f"Average rank over {N} data sets")
    ax_rank.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    print("wrote", tut.savefig(fig, "accuracy_and_average_rank.png"))

# %% [markdown]
# ## 8. Reading the result
#
# - Compare the gaps between the average ranks with CD above. Where a gap is smaller, the
#   honest summary is "on these four data sets, with these settings, these methods cannot be
#   told apart by average rank" — whatever the order in the table. So this run neither
#   confirms nor refutes the paper's claim; it shows how such a claim is *tested*, and how
#   many data sets that takes.
# - The paired Wilcoxon test across data sets says the same in its own terms: with 4 data sets
#   its p-value cannot go below 0.125. Over seeds, within one data set, it can reach 0.031 with
#   6 seeds — a statement about that data set and this protocol, not about SELU in general —
#   and after a correction for the seven comparisons, not even that is reachable.
# - The small/large split mirrors the paper's, but here "large" is a single data set (digits,
#   1797 samples): its ranks are one ordering, not an average.
# - Look at the error bars, and at the size of one test sample (printed below): differences
#   between methods that are smaller than the error bars say more about the split than about
#   the methods.
# - This tutorial's networks are shallow (four hidden layers). The paper reports that the
#   SNN architectures chosen on validation data were much deeper than the other methods' (the
#   paper's average: 10.8 layers); tutorial 6 shows why depth is where SELU's
#   self-normalisation matters.
# - Exercises: (1) set `HIDDEN_LAYERS = 16`; (2) add `"SELU + AlphaDropout 0.10"` with
#   `dropout_rate=0.10`; (3) add seeds until a comparison over seeds survives Holm's correction
#   (how many does it take?); (4) use `mn.experiments.compare` to run the same grid in parallel
#   and resumably, and compare its summary table with this one.

# %%
for d in DATASETS:
    typical_std = np.mean([sample_std(accuracy[d][m]) for m in names])
    print(f"{d:<14} one test sample = {100 / n_test[d]:.2f} accuracy points; "
          f"std over seeds, averaged over the methods = {100 * typical_std:.2f} points")

RESULTS = {
    "quick": QUICK, "seeds": SEEDS, "methods": names, "datasets": list(DATASETS), "n_samples": n_samples,
    "n_test": n_test, "small_datasets": SMALL, "large_datasets": LARGE,
    "accuracy_per_seed": accuracy, "mean_accuracy": mean_acc,
    "std_accuracy_ddof1": {d: {m: sample_std(accuracy[d][m]) for m in names} for d in DATASETS},
    "ranks": ranks, "average_rank": avg_rank, "average_rank_small": avg_rank_small,
    "average_rank_large": avg_rank_large, "k": k, "N": N, "q_alpha": q_alpha, "critical_difference": cd,
    "reference": REFERENCE, "min_p": min_p,
    "wilcoxon_across_datasets": {m: {"p": p, "n": n} for m, (p, n) in across.items()},
    "wilcoxon_across_small_datasets": {m: {"p": p, "n": n} for m, (p, n) in across_small.items()},
    "wilcoxon_over_seeds": {d: {m: {"p": p, "n": n} for m, (p, n) in per.items()} for d, per in over_seeds.items()},
    "diverged_runs": [list(r) for r in diverged_runs],
}
print("wrote", tut.write_results(RESULTS))
