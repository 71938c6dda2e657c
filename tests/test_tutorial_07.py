"""Tutorial 07 (UCI ablation) in quick mode: its headline claims, read from its results.json.

Quick mode runs 2 seeds of at most 3 epochs. The tutorial's headline is statistical: four data
sets cannot confirm or refute the SNN paper's ranking — no paired Wilcoxon test across them
can reach p < 0.05, and the Nemenyi critical difference is several ranks wide. Those claims
hold at any size and are asserted here, with the p-values, ranks, critical difference and
standard deviations recomputed independently from the per-seed accuracies. Which method
ranks first is a full-run result that the quick run cannot show (3 epochs), so it is not asserted.
"""

import itertools
import math
import statistics

import pytest
from tutorial_runs import run_tutorial


@pytest.fixture(scope="module")
def results():
    run = run_tutorial("07_uci_ablation")
    run.check_ok()
    data = run.results
    return data


def exact_signed_rank_p(a, b):
    """Two-sided exact Wilcoxon signed-rank p by enumerating every sign pattern (no zero or tied |differences|)."""
    d = [x - y for x, y in zip(a, b, strict=True)]
    order = sorted(range(len(d)), key=lambda i: abs(d[i]))
    rank = {i: r + 1 for r, i in enumerate(order)}
    w_plus = sum(rank[i] for i in range(len(d)) if d[i] > 0)
    sums = [sum(r for r, s in zip(range(1, len(d) + 1), signs, strict=True) if s)
            for signs in itertools.product((0, 1), repeat=len(d))]
    low = sum(s <= w_plus for s in sums) / len(sums)
    high = sum(s >= w_plus for s in sums) / len(sums)
    return min(1.0, 2 * min(low, high))


def test_no_paired_wilcoxon_test_across_four_data_sets_can_reach_5_percent(results):
    datasets, ref = results["datasets"], results["reference"]
    assert len(datasets) == 4 and results["min_p"]["all"] == 2 / 2 ** 4 == 0.125
    assert results["small_datasets"] == ["iris", "wine", "breast cancer"]          # < 1000 samples
    assert results["large_datasets"] == ["digits"] and results["min_p"]["small"] == 0.25
    assert results["min_p"]["seeds"] == 2 / 2 ** len(results["seeds"])
    checked = 0
    for method, test in results["wilcoxon_across_datasets"].items():
        a = [results["mean_accuracy"][d][ref] for d in datasets]
        b = [results["mean_accuracy"][d][method] for d in datasets]
        diffs = [x - y for x, y in zip(a, b, strict=True)]
        assert test["n"] == sum(x != 0 for x in diffs)
        if test["n"]:
            assert test["p"] >= 2 / 2 ** test["n"] >= 0.125 - 1e-12       # never below 0.05
        if test["n"] == 4 and len({abs(x) for x in diffs}) == 4:          # exact case: recompute
            assert test["p"] == pytest.approx(exact_signed_rank_p(a, b), abs=1e-12), method
            checked += 1
    assert "ReLU + LN" in results["wilcoxon_across_datasets"]             # the LayerNorm baseline is compared
    assert checked >= 1                                                   # at least one p recomputed exactly


def test_ranks_and_the_critical_difference_follow_from_the_accuracies(results):
    k, n = len(results["methods"]), len(results["datasets"])
    assert k == 8 and "ReLU + LN" in results["methods"]
    for d in results["datasets"]:
        accs = results["mean_accuracy"][d]
        for m in results["methods"]:                                       # rank = 1 + #better + (#equal − 1)/2
            better = sum(accs[o] > accs[m] + 1e-12 for o in accs)
            equal = sum(abs(accs[o] - accs[m]) <= 1e-12 for o in accs)
            assert results["ranks"][d][m] == pytest.approx(1 + better + (equal - 1) / 2)
        assert sum(results["ranks"][d].values()) == pytest.approx(k * (k + 1) / 2)
    cd = 3.031 * math.sqrt(k * (k + 1) / (6 * n))                          # Demšar (2006), q_0.05 for k = 8
    assert results["critical_difference"] == pytest.approx(cd, rel=1e-12)
    assert cd > 5                                                          # ranks lie in [1, 8]: a wide margin


def test_standard_deviations_are_over_seeds_with_ddof_1(results):
    for d, per_method in results["accuracy_per_seed"].items():
        for m, values in per_method.items():
            assert len(values) == len(results["seeds"]) == 2
            assert results["std_accuracy_ddof1"][d][m] == pytest.approx(statistics.stdev(values), abs=1e-12)
            assert results["mean_accuracy"][d][m] == pytest.approx(statistics.fmean(values), abs=1e-12)


def test_every_method_learns_something_even_in_three_epochs(results):
    # chance: 1/3 (iris, wine), 1/2 (breast cancer), 1/10 (digits); quick run: every mean accuracy ≥ 0.78
    for d, chance in (("iris", 1 / 3), ("wine", 1 / 3), ("breast cancer", 1 / 2), ("digits", 1 / 10)):
        for m, acc in results["mean_accuracy"][d].items():
            assert acc > chance + 0.2, (d, m)
