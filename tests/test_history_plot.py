"""History.plot(): loss and metrics per epoch, training and validation, as a matplotlib Figure."""

import builtins
import sys

import numpy as np
import pytest

import minnet as mn

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def history(with_validation=True):
    h = mn.History()
    for epoch, (loss, acc) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)], start=1):
        record = {"epoch": epoch, "loss": loss, "accuracy": acc, "lr": 0.1, "seconds": 0.01}
        if with_validation:
            record.update(val_loss=loss + 0.1, val_accuracy=acc - 0.05)
        h.append(record)
    return h


def lines_of(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_plot_draws_loss_and_accuracy_train_and_validation():
    fig = history().plot()
    try:
        loss_ax, acc_ax = fig.axes
        loss_lines, acc_lines = lines_of(loss_ax), lines_of(acc_ax)
        assert set(loss_lines) == {"train loss", "validation loss"}
        assert set(acc_lines) == {"train accuracy", "validation accuracy"}
        np.testing.assert_array_equal(loss_lines["train loss"].get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(loss_lines["validation loss"].get_ydata(), [1.1, 0.7, 0.5])
        np.testing.assert_allclose(acc_lines["train accuracy"].get_ydata(), [0.5, 0.7, 0.8])
    finally:
        matplotlib.pyplot.close(fig)


def test_plot_without_validation_and_chosen_metrics():
    fig = history(with_validation=False).plot(["loss"], logy=True)
    try:
        (ax,) = fig.axes
        assert set(lines_of(ax)) == {"train loss"} and ax.get_yscale() == "log"
    finally:
        matplotlib.pyplot.close(fig)
    with pytest.raises(KeyError, match="no 'dead_fraction/1' to plot"):
        history().plot(["dead_fraction/1"])


def test_plot_of_a_real_fit():
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = mn.mlp(3, 2, hidden=4, rng=0)
    h = mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, epochs=2, rng=0,
               validation_data=(X, y), progress=False)
    fig = h.plot()
    try:
        assert len(fig.axes) == 2
        np.testing.assert_allclose(lines_of(fig.axes[0])["validation loss"].get_ydata(), h["val_loss"])
    finally:
        matplotlib.pyplot.close(fig)


def test_missing_matplotlib_names_the_plot_extra(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    with pytest.raises(ImportError, match=r'plot extra: pip install -e "\.\[plot\]"'):
        history().plot()
