"""mn.cnn builds the blocks it documents; BatchNorm and PReLU work per channel inside a CNN; a CNN learns."""

import math

import numpy as np
import pytest

import minnet as mn
import minnet.nn.cnn


def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_default_architecture():
    model = mn.cnn((1, 28, 28), 10, seed=0)
    assert kinds(model) == ["Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "MaxPool2D", "Flatten", "Dense"]
    assert model.layers[0].weight.shape == (32, 1, 3, 3) and model.layers[3].weight.shape == (64, 32, 3, 3)
    assert model.layers[-1].in_features == 64 * 7 * 7
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    assert model.forward(x).shape == (3, 10)


def test_options_change_the_architecture():
    model = mn.cnn((3, 8, 8), 4, channels=(5,), kernel_size=5, pool="avg", activation="SELU", batch_norm=True,
                   dropout=0.1, seed=0)
    assert kinds(model) == ["Conv2D", "BatchNorm", "SELU", "Dropout2D", "AvgPool2D", "Flatten", "Dense"]
    assert model.layers[0].kernel_size == (5, 5) and model.layers[-1].in_features == 5 * 4 * 4
    assert kinds(mn.cnn((1, 5, 5), 2, channels=(2, 2), pool="none", seed=0))[-2:] == ["Flatten", "Dense"]


@pytest.mark.parametrize("activation, init, std", [
    ("relu", "he_normal", lambda fan_in: math.sqrt(2 / fan_in)),
    ("selu", "lecun_normal", lambda fan_in: math.sqrt(1 / fan_in)),
    ("leaky_relu", "he_normal", lambda fan_in: math.sqrt(2 / ((1 + 0.01**2) * fan_in))),
])
def test_customary_init_uses_the_convolution_fan_in(activation, init, std):
    model = mn.cnn((16, 8, 8), 2, channels=(128,), activation=activation, seed=0, dtype=np.float64)
    conv = model.layers[0]
    assert conv.get_config()["init"].startswith(init)
    assert conv.weight.data.std() == pytest.approx(std(16 * 9), rel=0.03)


def test_same_seed_same_network_and_ablation_keywords():
    kwargs = dict(input_shape=(1, 12, 12), n_outputs=3, channels=(4, 6), kernel_size=3, pool="max",
                  activation="elu", init="customary", batch_norm=True, seed=7)
    a, b = minnet.nn.cnn.cnn(**kwargs), minnet.nn.cnn.cnn(**kwargs)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("kwargs, message", [
    ({"input_shape": (28, 28)}, "input_shape"),
    ({"channels": ()}, "channels"),
    ({"channels": (8, 0)}, "channels"),
    ({"pool": "median"}, "pool"),
    ({"activation": "relu6"}, "activation"),
    ({"dropout": 1.0}, "dropout"),
    ({"kernel_size": 0}, "kernel_size"),
    ({"init": "nonsense"}, "initializer"),
    ({"input_shape": (1, 3, 3), "channels": (2, 2)}, "at least 4×4"),
])
def test_bad_arguments_are_refused(kwargs, message):
    args = dict(input_shape=(1, 8, 8), n_outputs=2) | kwargs
    with pytest.raises(ValueError, match=message):
        mn.cnn(**args)


def test_gradcheck_of_a_tiny_cnn_with_batch_norm_and_per_channel_prelu():
    # No bias before BatchNorm: its exact gradient is 0 (BN subtracts the mean), which no relative error can check.
    model = mn.Sequential(
        mn.Conv2D(2, 3, 3, padding=1, bias=False, rng=0), mn.BatchNorm(3), mn.PReLU(num_parameters=3, init=0.2),
        mn.MaxPool2D(2), mn.Conv2D(3, 2, 2, stride=1, rng=1), mn.ELU(), mn.GlobalAvgPool2D(), mn.Dense(2, 2, rng=2),
    )
    x = np.random.default_rng(0).normal(size=(3, 2, 6, 6))
    result = mn.gradcheck(model, x, training=True)
    assert result.passed(1e-6), str(result)          # BatchNorm in training mode: statistics of the batch


def test_batch_norm_normalises_each_channel_of_a_feature_map():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(8, 4, 5, 5))
    y = mn.BatchNorm(4, dtype=np.float64).forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)


def test_a_small_cnn_learns_a_spatial_pattern():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.3, size=(256, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 2, 256)
    x[y == 1, 0, 2:6, 3:5] += 1.0                    # class 1 carries a vertical bar; position matters little
    model = mn.cnn((1, 8, 8), 2, channels=(4,), seed=0)
    history = mn.fit(model, mn.CrossEntropyLoss(), mn.Adam(model.parameters(), lr=1e-2), x, y, epochs=5,
                     batch_size=32, seed=0, progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert mn.evaluate(model, mn.CrossEntropyLoss(), x, y)["accuracy"] > 0.9


def test_convolution_benchmark_runs_and_reports_every_row(monkeypatch):
    from minnet.bench import conv as bench_conv

    tiny = (np.zeros((64, 1, 28, 28), dtype=np.float32), np.zeros(64, dtype=np.int64), "64 blank images")
    monkeypatch.setattr(bench_conv, "_fashion_subset", lambda n: tiny)
    rows = bench_conv.run(repeats=1)
    assert [r["name"] for r in rows] == ["conv2d", "conv_bound", "maxpool2d", "cnn_epoch"]
    assert all(r["minnet_s"] > 0 and r["minnet_cpu_s"] >= 0 for r in rows)
    table = bench_conv.format_table(rows)
    assert "conv2d" in table and "64 blank images" in table


def test_training_in_textbook_mode_gives_the_same_parameters():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 2, 8, 8))
    y = rng.integers(0, 3, 48)

    def trained():
        model = mn.cnn((2, 8, 8), 3, channels=(3, 4), pool="avg", activation="elu", seed=0, dtype=np.float64)
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1, momentum=0.9), x, y, epochs=2,
               batch_size=16, seed=0, progress=False)
        return model

    fast = trained()
    with mn.textbook():
        textbook = trained()
    for a, b in zip(fast.parameters(), textbook.parameters()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-11, atol=1e-13)    # the same sums in another order
