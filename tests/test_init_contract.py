"""A home-made initializer: the (shape, rng) contract and its message; every initializer fully typed."""

import inspect

import numpy as np
import pytest

import minnet as mn
from minnet.nn import init


def test_initializer_without_rng_names_the_expected_signature():
    def my_init(shape):
        return np.ones(shape)

    with pytest.raises(TypeError, match=r"my_init\(shape\) takes no 'rng' argument.*signature \(shape, rng\)"):
        mn.Dense(3, 2, init=my_init)
    with pytest.raises(TypeError, match=r"signature \(shape, rng\)"):
        init.check_initializer(lambda shape, generator: np.ones(shape))


def test_initializer_with_shape_and_rng_works_in_every_dtype():
    def my_init(shape, rng):
        return rng.normal(0.0, 0.1, size=shape)

    for dtype in (np.float32, np.float64):
        layer = mn.Dense(3, 2, init=my_init, rng=4, dtype=dtype)
        assert layer.weight.data.dtype == dtype
        expected = np.random.default_rng(4).normal(0.0, 0.1, size=(3, 2)).astype(dtype)
        np.testing.assert_array_equal(layer.weight.data, expected)


def test_initializer_taking_dtype_is_passed_through_unchanged():
    def full(shape, rng=None, dtype=np.float32):
        return np.full(shape, 0.5, dtype=dtype)

    assert init.get_initializer(full) is full
    assert init.check_initializer(init.he_normal) is init.he_normal


def test_not_callable_is_refused():
    with pytest.raises(TypeError, match="callable"):
        init.check_initializer(3)


PUBLIC = [fn for name, fn in vars(init).items()
          if inspect.isfunction(fn) and fn.__module__ == init.__name__]


@pytest.mark.parametrize("fn", PUBLIC, ids=[fn.__name__ for fn in PUBLIC])
def test_every_function_in_init_is_fully_typed(fn):
    signature = inspect.signature(fn)
    missing = [name for name, p in signature.parameters.items() if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{fn.__name__}: parameters without a type: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{fn.__name__} has no return type"
