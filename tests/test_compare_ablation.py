"""Ablations a paper can use: any variant in the grid, your own data and models, summaries, exports, figures."""

from __future__ import annotations

import csv
import html.parser
import io
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

import minnet as mn
from minnet.cli import main
from minnet.experiments import ExperimentConfig, ResultTable, compare, prepare_data
from minnet.experiments import models as models_module
from minnet.experiments import runner as runner_module
from minnet.experiments.grid import method_label
from minnet.experiments.summary import ReportOptions, paired_p_values

TINY = dict(datasets="iris", depths=2, widths=4, epochs=2, batch_sizes=32, seeds=[0, 1], progress=False, plots=False)
DATA_DIR = os.environ.get("MINNET_DATA_DIR", "")


# --- the grid ---------------------------------------------------------------------------------
def test_norm_axes_and_dedup():
    cfg = ExperimentConfig(activations="relu", norms=["none", "batch", "layer"], norm_positions=["before", "after"],
                           seeds=0)
    got = [(s["norm"], s["norm_position"]) for s in cfg.settings()]
    assert got == [("none", None), ("batch", "before"), ("batch", "after"), ("layer", "before"), ("layer", "after")]
    assert [method_label(s) for s in cfg.settings()] == ["relu", "relu+bn", "relu+bn-after", "relu+ln",
                                                         "relu+ln-after"]


def layer_names(model):
    return [type(layer).__name__ for layer in model.layers]


def test_normalised_models_are_mlp_plus_the_norm_layer():
    (plain, bn_before, ln_after) = ExperimentConfig(
        activations="elu", norms=["none", "batch", "layer"], norm_positions="before", depths=2, widths=5, seeds=3,
        sweeps=[{"norms": ["none", "batch"]}, {"norms": "layer", "norm_positions": "after"}]).settings()
    reference = mn.mlp(4, 3, hidden=[5, 5], activation="elu", seed=3)
    built = models_module.build_mlp(plain, 4, 3)
    assert layer_names(built) == layer_names(reference)
    for a, b in zip(built.parameters(), reference.parameters(), strict=True):
        assert np.array_equal(a.data, b.data)                                   # bit for bit the mlp of that seed
    assert layer_names(models_module.build_mlp(bn_before, 4, 3)) == layer_names(
        mn.mlp(4, 3, hidden=[5, 5], activation="elu", batch_norm=True, seed=3))
    assert layer_names(models_module.build_mlp(ln_after, 4, 3)) == ["Dense", "ELU", "LayerNorm", "Dense", "ELU",
                                                                    "LayerNorm", "Dense"]


def test_union_of_sweeps_with_conditions_and_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('activations = ["relu", "elu"]\nseeds = [0]\nexclude = [{activation = "elu", norm = "batch"}]\n'
                    '[[sweep]]\n[[sweep]]\nactivations = "selu"\ndropouts = "alpha"\n'
                    '[[sweep]]\nactivations = ["relu", "elu"]\nnorms = "batch"\n')
    from minnet.experiments.sweep import make_config
    cfg, _ = make_config(str(path))
    assert [method_label(s) for s in cfg.settings()] == ["relu", "elu", "selu+alpha0.05", "relu+bn"]
    only = ExperimentConfig(activations=["relu", "elu", "selu"], seeds=0, only=[{"activation": ["elu", "selu"]}])
    assert [s["activation"] for s in only.settings()] == ["elu", "selu"]
    with pytest.raises(ValueError, match="leave no run"):
        ExperimentConfig(activations="relu", seeds=0, exclude={"activation": "relu"})


def test_optimizer_names_are_the_optim_registry():
    from minnet.experiments import OPTIMIZERS
    assert OPTIMIZERS is mn.train.optim.OPTIMIZERS and "adam" in OPTIMIZERS


# --- your own data and models -------------------------------------------------------------------
def test_own_data_and_model_factory():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    seen = []

    def factory(setting, n_inputs, n_outputs, rng):
        seen.append((setting["activation"], n_inputs, n_outputs, isinstance(rng, np.random.Generator)))
        return mn.Sequential(mn.Dense(n_inputs, 6, rng=rng), mn.ReLU(), mn.Dense(6, n_outputs, rng=rng))

    table = compare(data=(X, y), model=factory, activations="relu", **{**TINY, "datasets": None})
    assert seen == [("relu", 3, 2, True)] * 2
    assert {r["dataset"] for r in table.rows} == {"data"} and {r["model"] for r in table.rows} == {
        "custom:test_own_data_and_model_factory.<locals>.factory"}
    named = compare(data={"a": (X, y), "b": (X[:60], y[:60])}, activations="relu", **{**TINY, "datasets": None})
    assert [e["dataset"] for e in named.summary()] == ["a", "b"]


def test_data_file_from_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2))
    y = (X[:, 1] > 0).astype(int)
    np.savez(tmp_path / "pts.npz", X=X, y=y)
    with open(tmp_path / "pts.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "label", "b"])
        w.writerows([[X[i, 0], y[i], X[i, 1]] for i in range(len(y))])
    for name in ("pts.npz", "pts.csv"):
        status = main(["compare", "--data", str(tmp_path / name), "--activations", "relu", "--depth", "1", "--width",
                       "3", "--epochs", "1", "--seeds", "0", "--no-progress", "--no-plots", "--out",
                       str(tmp_path / name.replace(".", "_"))])
        assert status == 0 and "on pts →" in capsys.readouterr().out
    (tmp_path / "bad.csv").write_text("a,label\n1,0\n2\n3,1\n")
    assert main(["compare", "--data", str(tmp_path / "bad.csv")]) == 2
    assert "line 3" in capsys.readouterr().err


def test_cnn_runs_on_images():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :4].mean(axis=(1, 2)) > 0).astype(int)
    table = compare(data=(X, y), model="cnn", activations="relu", channels="4", kernel_sizes=3, pools="max",
                    **{**TINY, "datasets": None, "seeds": 0})
    (row,) = table.final_rows()
    assert row["model"] == "cnn" and row["channels"] == "4" and row["depth"] is None
    with_dropout = compare(data=(X, y), model="cnn", activations="relu", channels="4", kernel_sizes=3, pools="max",
                           dropouts="dropout", dropout_rates=0.2, **{**TINY, "datasets": None, "seeds": 0})
    assert with_dropout.final_rows()[0]["dropout"] == "dropout"
    with pytest.raises(ValueError, match="model 'cnn' takes dropout 'none' or 'dropout'"):
        compare(data=(X, y), model="cnn", activations="selu", channels="4", dropouts="alpha", dropout_rates=0.05,
                **{**TINY, "datasets": None, "seeds": 0})


@pytest.mark.skipif(not (Path(DATA_DIR) / "mnist" / "t10k-labels-idx1-ubyte.gz").exists(),
                    reason="MNIST files not in $MINNET_DATA_DIR")
def test_mnist_uses_the_official_test_set():
    data = prepare_data("mnist", max_samples=1000, val_size=0.2)
    _, y_test = mn.data.load_mnist("test")
    assert len(data.y_test) == 10000 and np.array_equal(data.y_test, y_test)
    assert len(data.y_train) + len(data.y_val) == 1000 and data.image_shape == (1, 28, 28)


# --- summaries ------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm", ["none", "batch"])             # BatchNorm: its running statistics are restored too
def test_best_val_test_accuracy_is_that_of_the_best_validation_epoch(norm):
    (setting,) = ExperimentConfig(datasets="iris", activations="relu", depths=2, widths=6, epochs=6, seeds=1,
                                  lrs=0.03, norms=norm).settings()
    data = prepare_data("iris")
    rows = runner_module.run_one(setting, data)["rows"]
    vals = [r["val_accuracy"] for r in rows]
    best = vals.index(max(vals)) + 1
    assert best < len(rows), "choose a setting whose best epoch is not the last"
    # the same recipe, trained for `best` epochs only, has the weights of that epoch
    model = models_module.build_mlp(setting, 4, 3)
    mn.fit(model, mn.CrossEntropyLoss(), mn.Adam(model.parameters(), lr=0.03), data.X_train, data.y_train,
           epochs=best, batch_size=64, validation_data=(data.X_val, data.y_val), seed=np.random.default_rng([1, 1]),
           progress=False)
    expected = mn.evaluate(model, mn.CrossEntropyLoss(), data.X_test, data.y_test)["accuracy"]
    assert rows[best - 1]["test_accuracy"] == expected
    table = ResultTable(rows)
    (entry,) = table.summary()
    assert entry["test_accuracy_mean"] == expected and entry["val_accuracy_mean"] == max(vals)
    assert ResultTable(rows, select="last").summary()[0]["test_accuracy_mean"] == rows[-1]["test_accuracy"]


def synthetic(tests):
    """One epoch per run: {method: [test accuracy per seed]}; validation accuracy = test accuracy."""
    return [{"run_id": f"{m}{s}", "activation": m, "seed": s, "epoch": 1, "train_loss": 0.1, "val_accuracy": acc,
             "test_accuracy": acc, "diverged": False} for m, accs in tests.items() for s, acc in enumerate(accs)]


def test_confidence_intervals_and_paired_tests_by_hand():
    table = ResultTable(synthetic({"relu": [0.80, 0.82, 0.84], "elu": [0.85, 0.88, 0.89]}), vs="relu")
    elu, relu = table.summary()
    m = (0.85 + 0.88 + 0.89) / 3
    sd = math.sqrt(((0.85 - m) ** 2 + (0.88 - m) ** 2 + (0.89 - m) ** 2) / 2)
    t_975_2 = 4.30265272974946                                        # Student's t table, 2 degrees of freedom
    assert elu["test_accuracy_ci"] == pytest.approx(t_975_2 * sd / math.sqrt(3), rel=1e-12)
    # paired by seed: differences 0.05, 0.06, 0.05 — all positive, so the exact Wilcoxon p is 2 / 2³
    assert elu["p_wilcoxon"] == pytest.approx(0.25)
    d = [0.05, 0.06, 0.05]
    t_stat = (sum(d) / 3) / (math.sqrt(sum((x - sum(d) / 3) ** 2 for x in d) / 2) / math.sqrt(3))
    from scipy.stats import t as student
    assert elu["p_ttest"] == pytest.approx(2 * student.sf(t_stat, 2), rel=1e-9)
    assert relu["p_wilcoxon"] is None and " ref |" in table.to_markdown()
    assert paired_p_values([(0.5, 0.5), (0.6, 0.6)]) == (1.0, 1.0)


def test_pivot_table():
    rows = []
    for act, depth, accs in [("relu", 2, [0.8, 0.9]), ("relu", 4, [0.6, 0.7]), ("elu", 2, [0.85, 0.95])]:
        for s, acc in enumerate(accs):
            rows.append({"run_id": f"{act}{depth}{s}", "activation": act, "depth": depth, "seed": s, "epoch": 1,
                         "val_accuracy": acc, "test_accuracy": acc, "diverged": False})
    text = ResultTable(rows).pivot("activation", "depth")
    relu = next(line for line in text.splitlines() if line.startswith("| relu"))
    elu = next(line for line in text.splitlines() if line.startswith("| elu"))
    assert "85.00 ± 7.07" in relu and "65.00 ± 7.07" in relu               # relu: depth 2, depth 4
    assert "90.00 ± 7.07" in elu and "—" in elu                            # elu: never ran at depth 4


# --- one folder, exports, figures -------------------------------------------------------------------
class Images(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.cells = [], [], []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag in ("script", "link") or "href" in attrs:
            self.links.append(tag)
        self._in_cell = tag == "td"

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)


def test_second_sweep_into_a_folder_adds_its_runs_and_exports_everything(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "f"
    compare(activations=["relu", "elu"], out=out, **TINY)
    table = compare(activations="selu", dropouts="alpha", out=out, **{**TINY, "plots": True},
                    formats="png,svg", dpi=50)
    assert {r["method"] for r in table.rows} == {"relu", "elu", "selu+alpha0.05"}
    assert len(json.loads((out / "config.json").read_text())["sweeps"]) == 2
    back = ResultTable.from_csv(out / "results.csv")
    assert len(back.runs()) == 6 and back.target_accuracy == 0.95
    with open(out / "summary.csv", newline="") as f:
        summary = list(csv.DictReader(f))
    assert sorted(r["method"] for r in summary) == ["elu", "relu", "selu+alpha0.05"]
    tex = (out / "summary.tex").read_text()
    assert all(rule in tex for rule in (r"\toprule", r"\midrule", r"\bottomrule")) and r"\pm" in tex
    parser = Images()
    parser.feed((out / "report.html").read_text())
    figures = sorted(out.glob("*.png")) + sorted(out.glob("*.svg"))
    assert len(parser.images) == len(figures) >= 8
    assert all(src.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,")) for src in parser.images)
    assert parser.links == [] and {"relu", "elu", "selu+alpha0.05"} <= set(parser.cells)
    with pytest.raises(ValueError, match="other data options"):
        compare(activations="relu", out=out, split_seed=1, **TINY)


def test_report_options_are_checked():
    with pytest.raises(ValueError, match="figure format"):
        ReportOptions(formats="png,gif")
    with pytest.raises(ValueError, match="rows and cols"):
        ReportOptions(rows="activation")
    with pytest.raises(ValueError, match="unknown rows setting"):
        ReportOptions(rows="colour", cols="depth")


def test_plot_bands_use_ddof_1_and_variances_switch_to_log():
    from minnet.experiments import plots
    runs = [[{"epoch": 1, "val_accuracy": v}] for v in (0.2, 0.4, 0.9)]
    _, mean, std = plots._curve(runs, "val_accuracy")
    expected = math.sqrt(((0.2 - 0.5) ** 2 + (0.4 - 0.5) ** 2 + (0.9 - 0.5) ** 2) / 2)
    assert mean[0] == pytest.approx(0.5) and std[0] == pytest.approx(expected)
    assert plots.spans_decades(np.array([0.5, 1.0, 3e4])) and not plots.spans_decades(np.array([0.5, 1.0, 20.0]))


def test_many_settings_get_distinct_styles():
    pytest.importorskip("matplotlib")
    from minnet.experiments import plots
    styles = {(plots._style(i, 16)["color"], plots._style(i, 16)["linestyle"]) for i in range(16)}
    assert len(styles) == 16


def test_summary_markdown_from_a_csv_of_1000_runs_is_written(tmp_path):
    rows = synthetic({f"m{k}": [0.5 + 0.001 * k, 0.51, 0.52] for k in range(20)})
    table = ResultTable(rows)
    text = io.StringIO(table.to_markdown()).read()
    assert text.count("\n| m") == 20


def test_command_line_pivot_tests_facets_and_formats(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "c"
    status = main(["compare", "--dataset", "iris", "--activations", "relu", "elu", "--lr", "0.01", "0.03",
                   "--depth", "1", "--width", "4", "--epochs", "2", "--seeds", "0", "1", "--no-progress",
                   "--vs", "relu", "--rows", "activation", "--cols", "lr", "--facet", "lr", "--format", "png,pdf",
                   "--dpi", "40", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    assert "p Wilcoxon vs relu" in printed and "test_accuracy (%) by activation × lr" in printed
    assert (out / "pivot.md").exists() and (out / "convergence.pdf").exists() and (out / "final_vs_lr.png").exists()
    assert (out / "convergence.pdf").read_bytes()[:4] == b"%PDF"


def test_cnn_path_reshapes_images_and_passes_the_grid(monkeypatch):
    """With a stand-in for mn.cnn: images reach the network as (N, C, H, W) with the grid's settings."""
    from minnet.experiments import models as models_module

    calls = []

    class Flatten(mn.Flatten):                  # minnet's own layer, recording what reaches it
        def forward(self, x, training=False):
            calls.append(x.shape[1:])
            return super().forward(x, training)

    def cnn(input_shape, n_outputs, channels=(32, 64), kernel_size=3, pool="max", activation="relu",
            init="customary", batch_norm=False, dropout=None, seed=None, **kwargs):
        calls.append(dict(input_shape=input_shape, channels=channels, kernel_size=kernel_size, pool=pool,
                          batch_norm=batch_norm))
        n = int(np.prod(input_shape))
        return mn.Sequential(Flatten(), mn.Dense(n, n_outputs, rng=np.random.default_rng(seed)))

    monkeypatch.setattr(models_module, "cnn", cnn)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2, 3, 3))
    y = (X[:, 0].mean(axis=(1, 2)) > 0).astype(int)
    table = compare(data=(X, y), model="cnn", activations="relu", channels=[(4, 8)], kernel_sizes=[3, 5],
                    norms="batch", **{**TINY, "datasets": None, "seeds": 0, "epochs": 1})
    built = [c for c in calls if isinstance(c, dict)]
    assert [(c["channels"], c["kernel_size"], c["batch_norm"]) for c in built] == [((4, 8), 3, True),
                                                                                    ((4, 8), 5, True)]
    assert all(c["input_shape"] == (2, 3, 3) for c in built)
    assert all(shape == (2, 3, 3) for shape in calls if isinstance(shape, tuple))
    assert {r["depth"] for r in table.rows} == {None} and {r["kernel_size"] for r in table.rows} == {3, 5}


def test_a_vs_value_that_names_nothing_is_refused_before_any_run(fit_calls):
    with pytest.raises(ValueError, match="vs 'rleu' is not a value"):
        compare(activations=["relu", "elu"], vs="rleu", **TINY)
    assert fit_calls == []


def test_resuming_records_the_sweep_once(tmp_path):
    compare(activations="relu", out=tmp_path / "r", **TINY)
    compare(activations="relu", out=tmp_path / "r", **TINY)
    assert len(json.loads((tmp_path / "r" / "config.json").read_text())["sweeps"]) == 1


def test_prelu_slopes_are_recorded_per_epoch():
    (setting,) = ExperimentConfig(datasets="iris", activations="prelu", depths=2, widths=4, epochs=2,
                                  seeds=0, lrs=0.05).settings()
    rows = runner_module.run_one(setting, prepare_data("iris"))["rows"]
    model = mn.mlp(4, 3, hidden=[4, 4], activation="prelu", init=setting["init"], seed=0)
    data = prepare_data("iris")
    mn.fit(model, mn.CrossEntropyLoss(), mn.Adam(model.parameters(), lr=0.05), data.X_train, data.y_train, epochs=2,
           batch_size=64, validation_data=(data.X_val, data.y_val), seed=np.random.default_rng([1, 0]),
           progress=False)
    slopes = [float(layer.weight.data.astype(np.float64).mean()) for layer in model.layers
              if isinstance(layer, mn.PReLU)]
    assert [rows[-1][f"prelu_slope/{k}"] for k in (1, 2)] == pytest.approx(slopes, rel=1e-6)
    assert rows[0]["prelu_slope/1"] != rows[-1]["prelu_slope/1"]            # learned: it moved
