"""mn.mlp's arguments and the rng= / seed= naming convention of mlp and fit."""

import numpy as np
import pytest

import minnet as mn


def dense_widths(model):
    return [layer.weight.shape[1] for layer in model.layers if isinstance(layer, mn.Dense)]


@pytest.mark.parametrize("hidden", ["128", (2.7,), (True,), (0,), (4, -1), 2.0, None, {"a": 1}])
def test_bad_hidden_sizes_are_refused_naming_hidden(hidden):
    with pytest.raises((TypeError, ValueError), match=r"mlp: hidden"):
        mn.mlp(4, 3, hidden=hidden)


def test_a_bare_int_is_one_hidden_layer():
    assert dense_widths(mn.mlp(4, 3, hidden=5, rng=0)) == [5, 3]
    assert dense_widths(mn.mlp(4, 3, hidden=np.int64(7), rng=0)) == [7, 3]
    assert dense_widths(mn.mlp(4, 3, hidden=[6, 2], rng=0)) == [6, 2, 3]


@pytest.mark.parametrize("n_inputs, n_outputs", [(2.5, 3), (4, 0), (True, 3), ("4", 3)])
def test_input_and_output_sizes_must_be_positive_integers(n_inputs, n_outputs):
    with pytest.raises(ValueError, match=r"mlp: n_(in|out)puts must be a positive integer"):
        mn.mlp(n_inputs, n_outputs)


@pytest.mark.parametrize("kwargs, name", [({"seed": -1}, "seed"), ({"rng": -3}, "rng")])
def test_negative_seed_is_a_clear_error(kwargs, name):
    with pytest.raises(ValueError, match=rf"mlp: {name}: a seed must be a non-negative integer, got -"):
        mn.mlp(4, 3, **kwargs)


def test_non_seed_rng_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"mlp: rng must be None, a non-negative int seed"):
        mn.mlp(4, 3, rng="zero")


def test_seed_is_an_alias_of_rng_in_mlp():
    a, b = mn.mlp(4, 3, hidden=(8,), seed=5), mn.mlp(4, 3, hidden=(8,), rng=5)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    c = mn.mlp(4, 3, hidden=(8,), rng=6)
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)


def test_mlp_seed_keeps_the_streams_it_always_had():
    """An int seed builds the first Dense from the first child of SeedSequence(seed), as before the rename."""
    model = mn.mlp(4, 3, hidden=(8,), rng=11, init="lecun_normal", dtype=np.float64)
    child = np.random.SeedSequence(11).spawn(3)[0]
    expected = np.random.default_rng(child).normal(0.0, np.sqrt(1 / 4), size=(4, 8))
    np.testing.assert_array_equal(model.layers[0].weight.data, expected)


def test_mlp_accepts_a_generator():
    a = mn.mlp(4, 3, hidden=(8,), rng=np.random.default_rng(1))
    b = mn.mlp(4, 3, hidden=(8,), rng=np.random.default_rng(1))
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))


def test_both_rng_and_seed_is_an_error():
    with pytest.raises(TypeError, match="mlp: got both rng=1 and seed=2"):
        mn.mlp(4, 3, rng=1, seed=2)


def test_names_are_normalised():
    model = mn.mlp(4, 3, hidden=(5,), activation=" SeLU ", dropout="Alpha", rng=0)
    assert isinstance(model.layers[1], mn.SELU)
    assert isinstance(model.layers[2], mn.AlphaDropout)
    assert model.layers[0].init == "lecun_normal"


def test_unknown_dropout_kind_and_bad_rate():
    with pytest.raises(ValueError, match="mlp: unknown dropout kind 'gauss'"):
        mn.mlp(4, 3, dropout="gauss")
    with pytest.raises(ValueError, match=r"mlp: dropout_rate must be in \[0.0, 1.0\), got 1.0"):
        mn.mlp(4, 3, dropout="dropout", dropout_rate=1.0)


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(40, 4)).astype(np.float32), rng.integers(0, 3, size=40)


def test_fit_seed_is_an_alias_of_rng():
    X, y = _data()
    finals = []
    for kwargs in ({"seed": 3}, {"rng": 3}):
        model = mn.mlp(4, 3, hidden=(6,), rng=0)
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=8,
               progress=False, **kwargs)
        finals.append(model.parameters()[0].data.copy())
    np.testing.assert_array_equal(*finals)


def test_fit_with_both_rng_and_seed_fails_before_training():
    X, y = _data()
    model = mn.mlp(4, 3, hidden=(6,), rng=0)
    before = model.parameters()[0].data.copy()
    with pytest.raises(TypeError, match="fit: got both rng=1 and seed=1"):
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, rng=1, seed=1,
               progress=False)
    with pytest.raises(ValueError, match=r"fit: seed: a seed must be a non-negative integer"):
        mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, y, seed=-2, progress=False)
    np.testing.assert_array_equal(model.parameters()[0].data, before)


def test_training_state_moved_but_old_import_works():
    from minnet.train.callbacks import TrainingState as old
    from minnet.train.state import TrainingState as new

    assert old is new is mn.TrainingState


def test_prelu_initial_slope_sets_the_he_variance():
    """He normal with a PReLU of initial slope s has variance 2/((1 + s²)·fan_in), for either spelling."""
    import minnet as mn

    fan_in = 2000
    for kwargs in ({"initial_slope": 1.0}, {"init": 1.0}):
        model = mn.mlp(fan_in, 2, hidden=(500,), activation="prelu", activation_kwargs=kwargs, seed=0)
        variance = float(model.layers[0].weight.data.astype("float64").var())
        expected = 2.0 / ((1.0 + 1.0**2) * fan_in)
        assert abs(variance / expected - 1) < 0.02, (kwargs, variance, expected)
