"""The comparison runner: grid, data preparation, one run, the sweep (resume, parallel, divergence), results, plots."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import sys
import threading

import numpy as np
import pytest

import minnet as mn
from minnet import diagnostics
from minnet.data import load_dataset
from minnet.experiments import ExperimentConfig, ResultTable, compare, prepare_data, run_id
from minnet.experiments import runner as runner_module
from minnet.experiments import sweep as sweep_module
from minnet.nn.models import mlp

# A tiny grid: 2 activations x 2 seeds on iris, 2 hidden layers of 4 units, 2 epochs.
TINY = dict(datasets="iris", activations=["relu", "selu"], depths=2, widths=4, epochs=2, batch_sizes=32,
            seeds=[0, 1], progress=False, plots=False)


def read_csv(path, drop=("seconds",)):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: v for k, v in r.items() if k not in drop} for r in rows]


# --- the grid -------------------------------------------------------------------------------
def test_grid_is_the_product_in_field_order_with_customary_inits():
    cfg = ExperimentConfig(activations=["relu", "selu"], lrs=[0.1, 0.01], seeds=[3, 4], depths=2)
    got = [(s["activation"], s["init"], s["lr"], s["seed"]) for s in cfg.settings()]
    customary = {"relu": "he_normal", "selu": "lecun_normal"}  # conventions: He for ReLU, LeCun for SELU
    expected = [(a, customary[a], lr, seed) for a, lr, seed in itertools.product(["relu", "selu"], [0.1, 0.01],
                                                                                   [3, 4])]
    assert got == expected
    assert len(cfg) == 8
    assert all(s["depth"] == 2 and s["dataset"] == "digits" for s in cfg.settings())


def test_defaults_are_five_activations_on_digits_over_three_seeds():
    cfg = ExperimentConfig()
    assert cfg.activations == ("relu", "leaky_relu", "prelu", "elu", "selu")
    assert cfg.datasets == ("digits",) and cfg.seeds == (0, 1, 2)
    assert len(cfg) == 15


def test_dropout_kinds_and_rates_are_normalised_and_deduplicated():
    cfg = ExperimentConfig(activations="selu", dropouts=["none", "alpha"], dropout_rates=[0.0, 0.1], seeds=0)
    pairs = [(s["dropout"], s["dropout_rate"]) for s in cfg.settings()]
    # none x {0, 0.1} -> none/0 once; alpha x 0 -> none/0 (already there); alpha x 0.1 stays
    assert pairs == [("none", 0.0), ("alpha", 0.1)]
    default_rates = ExperimentConfig(activations="selu", dropouts=["dropout", "alpha"], seeds=0)
    assert [(s["dropout"], s["dropout_rate"]) for s in default_rates.settings()] == [("dropout", 0.2),
                                                                                      ("alpha", 0.05)]


def test_names_and_aliases_are_normalised():
    cfg = ExperimentConfig(activations=["Leaky-ReLU"], inits=["kaiming_normal"], optimizers=["Adam"], seeds=0)
    (s,) = cfg.settings()
    assert (s["activation"], s["init"], s["optimizer"]) == ("leaky_relu", "he_normal", "adam")


@pytest.mark.parametrize("options, fragments", [
    (dict(activations=["relu", "swish"]), ["activation", "'swish'", "relu", "selu"]),
    (dict(inits=["magic"]), ["initializer", "'magic'", "lecun_normal", "customary"]),
    (dict(optimizers=["lbfgs"]), ["optimizer", "'lbfgs'", "adam", "sgd"]),
    (dict(datasets=["svhn"]), ["data set", "'svhn'", "digits", "mnist"]),
    (dict(dropouts=["gaussian"]), ["dropout kind", "alpha"]),
    (dict(lrs=[-0.1]), ["lr", "-0.1"]),
    (dict(lrs=[0.0]), ["lr", "0.0"]),
    (dict(lrs=[math.nan]), ["lr"]),
    (dict(seeds=[]), ["seeds", "empty"]),
    (dict(seeds=[-1]), ["seed", "-1"]),
    (dict(depths=[0]), ["depth", "0"]),
    (dict(widths=[2.5]), ["width", "integer"]),
    (dict(epochs=[0]), ["epochs"]),
    (dict(batch_sizes=[0]), ["batch_size"]),
    (dict(dropout_rates=[1.0]), ["dropout_rate", "1.0"]),
    (dict(weight_decays=[-1e-4]), ["weight_decay"]),
    (dict(target_accuracy=1.5), ["target_accuracy"]),
    (dict(val_size=0.5, test_size=0.5), ["val_size + test_size"]),
])
def test_bad_options_raise_value_error_naming_value_and_valid_ones(options, fragments):
    with pytest.raises(ValueError) as info:
        ExperimentConfig(**options)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_compare_refuses_bad_options_before_any_run(fit_calls, tmp_path):
    with pytest.raises(ValueError, match="unknown activation .nope.; expected one of"):
        compare(**{**TINY, "activations": ["relu", "nope"]}, out=tmp_path / "x")
    with pytest.raises(ValueError, match="unknown option"):
        compare(config={"activation": "relu", "learning_rate": 0.1}, progress=False)
    with pytest.raises(ValueError, match="jobs"):
        compare(**TINY, jobs=0)
    assert fit_calls == []
    assert not (tmp_path / "x").exists()


def test_run_id_depends_on_settings_and_data_options_only():
    (a,) = ExperimentConfig(activations="relu", seeds=0).settings()
    data = ExperimentConfig().data_options()
    assert run_id(a, data) == run_id(dict(reversed(list(a.items()))), dict(data))      # key order is irrelevant
    assert run_id(a, data) != run_id({**a, "lr": 0.01}, data)
    assert run_id(a, data) != run_id({**a, "seed": 1}, data)
    assert run_id(a, data) != run_id(a, {**data, "split_seed": 1})
    assert len(run_id(a, data)) == 12


def test_toml_file_describes_a_sweep(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text('activations = ["elu", "selu"]\nlr = 0.01\ndepths = [2, 3]\nseeds = [5]\nout = "somewhere"\n')
    cfg, runtime = sweep_module.make_config(str(path), depths=[7])      # explicit options override the file
    assert cfg.activations == ("elu", "selu") and cfg.lrs == (0.01,) and cfg.depths == (7,) and cfg.seeds == (5,)
    assert runtime == {"out": "somewhere"}
    path.write_text('activations = ["elu"]\nlearning_rate = 0.1\n')
    with pytest.raises(ValueError, match="learning_rate"):
        sweep_module.make_config(str(path))
    path.write_text('activations = ["elu"\n')
    with pytest.raises(ValueError, match="TOML"):
        sweep_module.make_config(str(path))


# --- data ----------------------------------------------------------------------------------
def test_prepare_data_standardises_on_the_training_part_and_probes_it():
    d = prepare_data("iris", val_size=0.2, test_size=0.2, split_seed=0, probe_size=50)
    X, y = load_dataset("iris")
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == len(y) == 150
    assert (len(d.y_val), len(d.y_test)) == (30, 30)
    for part in (d.y_train, d.y_val, d.y_test):                        # stratified: 1/3 of each class
        assert np.all(np.abs(np.bincount(part, minlength=3) - len(part) / 3) <= 1)
    assert d.X_train.dtype == np.float32
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-5)
    assert not np.allclose(d.X_val.mean(axis=0), 0, atol=1e-3)         # not refitted on validation data
    np.testing.assert_array_equal(d.X_probe, d.X_train[:50])
    assert (d.n_features, d.n_classes) == (4, 3)
    again = prepare_data("iris", val_size=0.2, test_size=0.2, split_seed=0, probe_size=50)
    np.testing.assert_array_equal(again.X_test, d.X_test)
    small = prepare_data("digits", max_samples=200, probe_size=1000)
    assert len(small.y_train) + len(small.y_val) + len(small.y_test) == 200
    assert len(small.X_probe) == len(small.y_train)


# --- one run ----------------------------------------------------------------------------------
def test_run_one_is_the_documented_recipe():
    """Replaying the recipe by hand (mlp + Adam + fit with the shuffle stream) gives the same numbers."""
    cfg = ExperimentConfig(datasets="iris", activations="relu", depths=2, widths=6, epochs=3, batch_sizes=16,
                           seeds=7, lrs=0.01)
    (setting,) = cfg.settings()
    data = prepare_data("iris", **cfg.data_options())
    result = runner_module.run_one(setting, data, run_id="abc")
    rows = result["rows"]

    model = mlp(4, 3, hidden=[6, 6], activation="relu", init="he_normal", seed=7)
    loss_fn = mn.CrossEntropyLoss()
    history = mn.fit(model, loss_fn, mn.Adam(model.parameters(), lr=0.01), data.X_train, data.y_train, epochs=3,
                     batch_size=16, validation_data=(data.X_val, data.y_val),
                     seed=np.random.default_rng([1, 7]), progress=False)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert [r["train_loss"] for r in rows] == history["loss"]
    assert [r["val_accuracy"] for r in rows] == history["val_accuracy"]
    test = mn.evaluate(model, loss_fn, data.X_test, data.y_test)
    assert rows[-1]["test_accuracy"] == test["accuracy"] and rows[-1]["test_loss"] == test["loss"]
    assert rows[0]["test_accuracy"] is None                            # test metrics only after training
    dead = diagnostics.dead_units(model, data.X_probe)
    assert [rows[-1][f"dead_fraction/{k}"] for k in (1, 2)] == [r["dead_fraction"] for r in dead]
    grads = diagnostics.gradient_stats(model, loss_fn, data.X_probe[:256], data.y_train[:256])
    hidden_dense = [r["param_grad_norm"] for r in grads if r["name"] == "Dense"][:-1]
    assert [rows[-1][f"grad_norm/{k}"] for k in (1, 2)] == hidden_dense
    # the activation statistics of the k-th hidden activation, computed directly in float64
    a = data.X_probe.astype(np.float32)
    for k, layer in enumerate(model.layers, start=0):
        a = layer.forward(a)
        if isinstance(layer, mn.ReLU):
            hidden = (k + 1) // 2
            assert rows[-1][f"mean/{hidden}"] == pytest.approx(a.astype(np.float64).mean(), rel=1e-9)
            assert rows[-1][f"var/{hidden}"] == pytest.approx(a.astype(np.float64).var(), rel=1e-9)
    assert all(r["run_id"] == "abc" and r["activation"] == "relu" and r["diverged"] is False for r in rows)


# --- the sweep -------------------------------------------------------------------------------
def expected_columns(depth):
    settings = ["dataset", "model", "activation", "norm", "norm_position", "init", "dropout", "dropout_rate", "depth",
                "width", "channels", "kernel_size", "pool", "optimizer", "lr", "weight_decay", "batch_size", "epochs",
                "seed"]
    metrics = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy",
               "diverged", "diverged_epoch", "failed"]
    layers = [f"{m}/{k}" for m in ("dead_fraction", "numerically_dead_fraction", "never_active_fraction", "mean",
                                   "var", "grad_norm") for k in range(1, depth + 1)]
    return ["run_id", *settings, "method", *metrics, *layers, "seconds", "target_accuracy"]


def test_compare_writes_the_output_folder(tmp_path):
    out = tmp_path / "sweep"
    table = compare(**TINY, out=out)
    assert isinstance(table, ResultTable)
    assert len(table.rows) == 4 * 2                                    # 4 runs x 2 epochs
    with open(out / "results.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == expected_columns(depth=2)
    assert len(read_csv(out / "results.csv")) == 8
    assert len(list((out / "runs").glob("*.json"))) == 4
    (config,) = json.loads((out / "config.json").read_text())["sweeps"]
    assert config["config"]["activations"] == ["relu", "selu"] and config["config"]["seeds"] == [0, 1]
    assert {"python", "numpy", "minnet", "scikit-learn", "tqdm", "matplotlib", "platform"} <= set(config["versions"])
    assert config["versions"]["numpy"] == np.__version__
    assert [r["run_id"] for r in config["runs"]] == list(dict.fromkeys(r["run_id"] for r in table.rows))
    summary = (out / "summary.md").read_text()
    assert "| activation" in summary and "relu" in summary and "selu" in summary
    assert not list(out.glob("*.png"))                                 # plots=False
    assert list(out.glob("**/*.tmp")) == []                           # atomic writes leave nothing behind


def test_same_seeds_give_identical_csv_and_parallel_equals_serial(tmp_path):
    compare(**TINY, out=tmp_path / "a")
    compare(**TINY, out=tmp_path / "b")
    compare(**TINY, out=tmp_path / "c", jobs=2)
    a = read_csv(tmp_path / "a" / "results.csv")
    assert a == read_csv(tmp_path / "b" / "results.csv")
    assert a == read_csv(tmp_path / "c" / "results.csv")
    assert {r["seed"] for r in a} == {"0", "1"}
    assert a != read_csv(tmp_path / "a" / "results.csv", drop=())    # the timing column was there


def test_parallel_runs_use_the_active_joblib_backend(monkeypatch):
    """compare(jobs=...) does not hard-code a backend: inside parallel_config("threading") it runs in threads."""
    import joblib

    threads = []
    real = sweep_module.run_one

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "run_one", spy)
    with joblib.parallel_config(backend="threading"):
        table = compare(**TINY, jobs=2)
    assert len(threads) == 4 and threading.main_thread().name not in threads
    serial = compare(**TINY)
    assert table.to_csv(exclude=["seconds"]) == serial.to_csv(exclude=["seconds"])


def test_resume_after_a_deleted_run_recomputes_only_that_run(tmp_path, fit_calls):
    out = tmp_path / "sweep"
    compare(**TINY, out=out)
    assert len(fit_calls) == 4
    first = read_csv(out / "results.csv")
    victim = sorted((out / "runs").glob("*.json"))[0]
    victim.unlink()
    table = compare(**TINY, out=out)
    assert len(fit_calls) == 5                                         # only the deleted run trained again
    assert (table.skipped, table.computed) == (3, 1)
    assert victim.exists()
    assert read_csv(out / "results.csv") == first


def test_interrupted_sweep_resumes_where_it_stopped(tmp_path, monkeypatch):
    out = tmp_path / "sweep"
    real_fit = runner_module.fit
    calls = []

    def interrupted_fit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(runner_module, "fit", interrupted_fit)
    with pytest.raises(KeyboardInterrupt):
        compare(**TINY, out=out)
    assert len(list((out / "runs").glob("*.json"))) == 2               # each finished run was saved at once
    assert not (out / "results.csv").exists()
    calls.clear()
    monkeypatch.setattr(runner_module, "fit", lambda *a, **k: (calls.append(1), real_fit(*a, **k))[1])
    compare(**TINY, out=out)
    assert len(calls) == 2                                             # the two unfinished runs only
    compare(**TINY, out=tmp_path / "fresh")
    assert read_csv(out / "results.csv") == read_csv(tmp_path / "fresh" / "results.csv")


def test_a_corrupt_or_foreign_run_file_is_recomputed(tmp_path, fit_calls):
    out = tmp_path / "sweep"
    compare(**TINY, out=out)
    files = sorted((out / "runs").glob("*.json"))
    files[0].write_text("{ half a file")
    stored = json.loads(files[1].read_text())
    stored["setting"]["lr"] = 123.0                                   # not the run its name claims
    files[1].write_text(json.dumps(stored))
    fit_calls.clear()
    with pytest.warns(UserWarning, match="2 run file"):
        compare(**TINY, out=out)
    assert len(fit_calls) == 2


def test_a_diverging_setting_is_recorded_and_the_sweep_goes_on(tmp_path):
    table = compare(datasets="iris", activations="relu", depths=2, widths=8, epochs=3, seeds=[0, 1],
                    optimizers="sgd", lrs=[0.05, 1e20], out=tmp_path / "div", progress=False, plots=False)
    finals = {(r["lr"], r["seed"]): r for r in table.final_rows()}
    for seed in (0, 1):
        bad, good = finals[(1e20, seed)], finals[(0.05, seed)]
        assert bad["diverged"] is True and isinstance(bad["diverged_epoch"], int)
        assert bad["epoch"] == bad["diverged_epoch"] and bad["test_accuracy"] is None
        assert good["diverged"] is False and good["epoch"] == 3 and 0 <= good["test_accuracy"] <= 1
    summary = {e["lr"]: e for e in table.summary()}
    assert summary[1e20]["diverged"] == 2 and summary[1e20]["test_accuracy_mean"] is None
    assert summary[0.05]["diverged"] == 0
    assert [e["lr"] for e in table.summary()] == [0.05, 1e20]          # a diverged setting goes last
    assert "diverged" in table.to_markdown() and "2/2" in table.to_markdown()
    stored = [json.loads(p.read_text()) for p in (tmp_path / "div" / "runs").glob("*.json")]
    assert sorted(s["diverged"] for s in stored) == [False, False, True, True]


def test_validation_outputs_that_overflow_count_as_divergence(monkeypatch):
    """fit may refuse non-finite validation logits with a ValueError; run_one records a divergence instead."""
    (setting,) = ExperimentConfig(datasets="iris", activations="relu", depths=1, widths=3, epochs=4,
                                  seeds=0).settings()
    data = prepare_data("iris")
    real_fit = runner_module.fit

    def overflowing_fit(model, *args, callbacks=(), **kwargs):
        real_fit(model, *args, callbacks=callbacks, **{**kwargs, "epochs": 1})   # one good epoch recorded
        for p in model.parameters():
            p.data[...] = 1e30                                              # finite, but the outputs overflow
        raise ValueError("expected finite values in pred (logits)")

    monkeypatch.setattr(runner_module, "fit", overflowing_fit)
    with np.errstate(all="ignore"):
        result = runner_module.run_one(setting, data)
    assert result["diverged"] and result["divergence"]["epoch"] == 2
    assert [r["epoch"] for r in result["rows"]] == [1, 2]
    assert result["rows"][-1]["diverged_epoch"] == 2 and result["rows"][-1]["test_accuracy"] is None

    def failing_fit(*args, **kwargs):
        raise ValueError("a genuine bug")

    monkeypatch.setattr(runner_module, "fit", failing_fit)
    with pytest.raises(ValueError, match="genuine bug"):                   # other errors are not swallowed
        runner_module.run_one(setting, data)


# --- results --------------------------------------------------------------------------------
def synthetic_rows():
    """Two settings x 3 seeds with hand-picked final numbers (seed 2 of 'b' diverged at epoch 2)."""
    rows = []

    def run(act, seed, val_accs, train_loss, test_acc, dead, diverged=False):
        for epoch, acc in enumerate(val_accs, start=1):
            last = epoch == len(val_accs)
            rows.append({"run_id": f"{act}{seed}", "activation": act, "seed": seed, "epoch": epoch,
                         "train_loss": train_loss if last else 9.0, "val_accuracy": acc,
                         "test_accuracy": test_acc if last else None, "diverged": diverged,
                         "diverged_epoch": epoch if diverged else None,
                         "dead_fraction/1": dead[0], "dead_fraction/2": dead[1]})

    run("a", 0, [0.5, 0.8, 0.9], 0.3, 0.80, (0.0, 0.0))
    run("a", 1, [0.5, 0.7, 0.85], 0.5, 0.84, (0.0, 0.0))
    run("a", 2, [0.9, 0.9, 0.9], 0.4, 0.82, (0.0, 0.0))
    run("b", 0, [0.9, 0.95, 0.97], 0.1, 0.90, (0.5, 0.25))
    run("b", 1, [0.6, 0.7, 0.95], 0.2, 0.92, (0.0, 0.25))
    rows.append({"run_id": "b2", "activation": "b", "seed": 2, "epoch": 1, "train_loss": 1.0, "val_accuracy": 0.99,
                 "test_accuracy": None, "diverged": True, "diverged_epoch": 2, "dead_fraction/1": 0.0,
                 "dead_fraction/2": 0.0})
    rows.append({"run_id": "b2", "activation": "b", "seed": 2, "epoch": 2, "train_loss": math.inf,
                 "val_accuracy": None, "test_accuracy": None, "diverged": True, "diverged_epoch": 2})
    return rows


def test_summary_statistics_by_hand():
    table = ResultTable(synthetic_rows(), target_accuracy=0.9)
    second, first = table.summary()
    # b has the higher validation accuracy, but one of its runs diverged: it is ranked after a, whose runs all learned
    assert first["activation"] == "b" and second["activation"] == "a"
    assert first["val_accuracy_mean"] == pytest.approx((0.97 + 0.95) / 2)
    assert first["runs"] == 3 and first["diverged"] == 1 and first["diverged_epochs"] == [2]
    assert first["test_accuracy_mean"] == pytest.approx(0.91)
    assert first["test_accuracy_std"] == pytest.approx(math.sqrt(((0.90 - 0.91) ** 2 + (0.92 - 0.91) ** 2) / 1))
    assert first["train_loss_mean"] == pytest.approx(0.15)
    # epochs to 0.9 validation accuracy: b0 at 1, b1 at 3, b2 (diverged later) at 1
    assert first["reached"] == 3 and first["epochs_to_target_mean"] == pytest.approx(5 / 3)
    # dead units: b0 (50% + 25%) / 2 = 37.5 %, b1 12.5 %
    assert first["dead_percent_mean"] == pytest.approx(25.0)
    assert first["dead_percent_std"] == pytest.approx(math.sqrt(2 * 12.5 ** 2))
    # a: reached at epochs 3, never (0.85 max), 1
    assert second["reached"] == 2 and second["epochs_to_target_mean"] == pytest.approx(2.0)
    assert second["test_accuracy_mean"] == pytest.approx(0.82) and second["dead_percent_mean"] == 0.0
    text = table.to_markdown()
    assert text.index("| a ") < text.index("| b ")
    assert "91.00 ± 1.41" in text and "2.0 ± 1.4 (2/3)" in text and "1/3 (epoch 2)" in text
    assert str(table) == text and "ResultTable(6 runs" in repr(table)


def test_never_reaching_the_target_shows_a_dash():
    rows = [r for r in synthetic_rows() if r["activation"] == "a"]
    text = ResultTable(rows, target_accuracy=0.99).to_markdown()
    line = next(l for l in text.splitlines() if l.startswith("| a "))
    assert "—" in line
    assert "epochs to 99% val acc" in text


def test_csv_round_trip(tmp_path):
    table = compare(**TINY)
    path = tmp_path / "r.csv"
    text = table.to_csv(path)
    assert path.read_text() == text
    back = ResultTable.from_csv(path)
    assert back.columns == table.columns
    def nan_as_text(row):                          # NaN != NaN; compare NaN cells by their text
        return {k: "nan" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}

    for a, b in zip(back.rows, table.rows, strict=True):
        assert nan_as_text(a) == nan_as_text({k: b.get(k) for k in table.columns})
    assert back.to_markdown() == table.to_markdown() and back.target_accuracy == table.target_accuracy
    assert "seconds" not in table.to_csv(exclude=["seconds"]).splitlines()[0]


# --- plots ----------------------------------------------------------------------------------
def test_plots_are_written_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    table = compare(**{**TINY, "plots": True}, out=tmp_path / "p")
    names = sorted(p.name for p in (tmp_path / "p").glob("*.png"))
    assert names == ["activations.png", "convergence.png", "dead_units.png", "layers_over_epochs.png"]
    for name in names:
        assert (tmp_path / "p" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(table.plot_files) == sorted(str(tmp_path / "p" / n) for n in names)


def test_without_matplotlib_everything_else_works_and_says_how_to_get_plots(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)              # `import matplotlib` now fails
    with pytest.warns(UserWarning, match=r'pip install -e "\.\[plot\]"'):
        table = compare(**{**TINY, "plots": True}, out=tmp_path / "np")
    assert (tmp_path / "np" / "results.csv").exists() and (tmp_path / "np" / "summary.md").exists()
    assert not list((tmp_path / "np").glob("*.png"))
    with pytest.raises(ImportError, match=r'pip install -e "\.\[plot\]"'):
        table.plot(tmp_path / "np")


def test_importing_minnet_does_not_import_matplotlib():
    import subprocess

    code = "import sys, minnet, minnet.experiments, minnet.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_summary_rows_for_io_stream():
    table = compare(**TINY)
    header, rows = table.summary_rows()
    assert header[0] == "activation" and len(rows) == 2             # the method is just the activation here
    buffer = io.StringIO()
    print(table, file=buffer)
    assert "Shared settings: dataset=iris" in buffer.getvalue()
