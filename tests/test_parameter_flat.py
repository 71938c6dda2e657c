"""The optimizers' flat buffers: every Parameter.data/grad a view into one array per dtype, the fused step equal
bit for bit to the per-parameter step, and what happens when a user assigns Parameter.data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_table import assert_same_bits

import minnet as mn
from minnet.nn.parameter import FlatParameters, Parameter
from minnet.train.optim import SGD, Adam, AdamW, Optimizer, RMSprop

CASES = [
    (SGD, {"lr": 0.1}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    (SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (Adam, {"lr": 0.01, "weight_decay": 0.1}),
    (AdamW, {"lr": 0.01, "weight_decay": 0.1}),
    (RMSprop, {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}),
]


def model(dtype: type = np.float32) -> mn.Sequential:
    """Dense, PReLU (slopes excluded from weight decay), Dense: parameters of both kinds, in a fixed order."""
    return mn.Sequential(mn.Dense(5, 4, rng=0, dtype=dtype), mn.PReLU(4, dtype=dtype),
                         mn.Dense(4, 3, rng=1, dtype=dtype))


def per_parameter(cls: type[Optimizer]) -> type[Optimizer]:
    """The same optimizer with the fused path switched off: ``step`` runs ``_update`` on each parameter."""
    return type(f"PerParameter{cls.__name__}", (cls,), {"_fused_applies": lambda self: False})


def train(opt_cls: type[Optimizer], kwargs: dict, dtype: type, steps: int = 4) -> mn.Sequential:
    net = model(dtype)
    opt = opt_cls(net, **kwargs)
    loss = mn.CrossEntropyLoss()
    rng = np.random.default_rng(3)
    for _ in range(steps):
        x, y = rng.standard_normal((8, 5)).astype(dtype), rng.integers(0, 3, 8)
        opt.zero_grad()
        loss.forward(net.forward(x, training=True), y)
        net.backward(loss.backward())
        opt.step()
    return net


def test_parameters_become_views_of_one_buffer_per_dtype() -> None:
    net = model()
    before = [p.data.copy() for p in net.parameters()]
    opt = Adam(net)
    (group,) = opt._groups or []
    for p, old in zip(net.parameters(), before, strict=True):
        assert np.shares_memory(p.data, group.flat.data) and np.shares_memory(p.grad, group.flat.grad)
        assert_same_bits(p.data, old, p.name)                      # the values are kept
    assert group.flat.data.size == sum(p.data.size for p in net.parameters())
    for p in net.parameters():
        p.grad[...] = 1.0
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in net.parameters())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_fused_step_equals_the_per_parameter_step_bit_for_bit(cls: type[Optimizer], kwargs: dict,
                                                             dtype: type) -> None:
    fused, separate = train(cls, kwargs, dtype), train(per_parameter(cls), kwargs, dtype)
    for p, q in zip(fused.parameters(), separate.parameters(), strict=True):
        assert_same_bits(p.data, q.data, p.name)


def test_weight_decay_skips_the_excluded_parameters() -> None:
    decayed, kept = Parameter(np.full(3, 2.0), "w"), Parameter(np.full(2, 2.0), "slope", weight_decay=False)
    opt = SGD([kept, decayed], lr=0.1, weight_decay=0.5)
    opt.step()                                                      # grad 0: only the decay moves θ
    np.testing.assert_array_equal(decayed.data, 2.0 - 0.1 * (0.5 * 2.0))
    np.testing.assert_array_equal(kept.data, 2.0)


def test_assigning_data_detaches_and_the_next_step_uses_the_new_values() -> None:
    p, other = Parameter(np.zeros((2, 2))), Parameter(np.zeros(3))
    opt = SGD([p, other], lr=0.1)
    new = np.full((2, 2), 2.0)
    p.data = new                                                    # a plain assignment, as users write it
    p.grad[...] = 1.0
    opt.step()
    np.testing.assert_array_equal(p.data, 2.0 - 0.1 * 1.0)          # θ − γ·g from the assigned values
    np.testing.assert_array_equal(new, 2.0)                         # the assigned array itself is not written
    group = (opt._groups or [])[0]
    assert np.shares_memory(p.data, group.flat.data)                # bound to the (new) buffer again
    p.grad = np.full((2, 2), 3.0)                                   # the same for grad
    opt.zero_grad()
    assert np.all(p.grad == 0)


def test_a_frozen_parameter_is_left_alone_by_the_fused_optimizer() -> None:
    net = model()
    opt = Adam(net, lr=0.1)
    frozen = net.parameters()[0]
    frozen.trainable = False
    before = frozen.data.copy()
    for p in net.parameters():
        p.grad[...] = 1.0
    opt.step()
    assert_same_bits(frozen.data, before, "frozen")
    assert not np.array_equal(net.parameters()[1].data, np.zeros_like(net.parameters()[1].data))


def test_two_optimizers_on_one_model_both_see_the_current_values() -> None:
    p = Parameter(np.ones(3))
    first, second = SGD([p], lr=0.5), SGD([p], lr=0.25)            # the second re-binds p to its buffers
    for opt in (first, second, first):
        p.grad[...] = 1.0
        opt.step()
    np.testing.assert_array_equal(p.data, 1.0 - 0.5 - 0.25 - 0.5)


def test_flat_parameters_keep_shapes_and_values() -> None:
    a, b = Parameter(np.arange(6.0).reshape(2, 3)), Parameter(np.array([7.0]))
    flat = FlatParameters([a, b])
    np.testing.assert_array_equal(flat.data, [0, 1, 2, 3, 4, 5, 7])
    assert a.data.shape == (2, 3) and flat.bound()
    a.data = a.data.copy()
    assert not flat.bound()


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_model_and_optimizer_still_train(how: str) -> None:
    """Copying keeps Parameter.data the same object as the copied view, but no longer a view of the copied
    buffer: the optimizer must notice and update the parameters, not a detached buffer."""
    import copy
    import pickle

    net = model()
    opt = SGD(net, lr=0.5)
    net2, opt2 = copy.deepcopy((net, opt)) if how == "deepcopy" else pickle.loads(pickle.dumps((net, opt)))
    before = [p.data.copy() for p in net2.parameters()]
    for p in net2.parameters():
        p.grad[...] = 1.0
    opt2.step()
    for p, old in zip(net2.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, old - np.float32(0.5))
    opt2.zero_grad()
    assert all(np.all(p.grad == 0) for p in net2.parameters())


# --- the first gradient after zero_grad is written straight into grad ---------------------------------------
def _dense_and_batch(seed: int = 0) -> tuple[mn.Dense, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return mn.Dense(4, 3, rng=seed, dtype=np.float64), rng.standard_normal((5, 4)), rng.standard_normal((5, 3))


@pytest.mark.parametrize("through_optimizer", [False, True])
def test_first_gradient_after_zero_grad_is_the_product_and_the_second_adds(through_optimizer: bool) -> None:
    layer, x, dz = _dense_and_batch()
    opt = mn.SGD(layer.parameters(), lr=0.1)
    layer.weight.grad[...] = 7.0                                  # stale values that zero_grad must clear
    (opt if through_optimizer else layer).zero_grad()
    layer.forward(x)
    layer.backward_to_parameters(dz)
    np.testing.assert_allclose(layer.weight.grad, x.T @ dz, rtol=1e-15)
    np.testing.assert_allclose(layer.bias.grad, dz.sum(axis=0), rtol=1e-15)
    layer.backward_to_parameters(dz)                              # no zero_grad in between: accumulates
    np.testing.assert_allclose(layer.weight.grad, 2 * (x.T @ dz), rtol=1e-15)
    np.testing.assert_allclose(layer.bias.grad, 2 * dz.sum(axis=0), rtol=1e-15)


def test_what_a_user_adds_into_grad_after_zero_grad_is_kept() -> None:
    """Reading p.grad hands out the array, so the layer may no longer overwrite it: it adds."""
    layer, x, dz = _dense_and_batch(1)
    opt = mn.Adam(layer.parameters())
    opt.zero_grad()
    layer.weight.grad[0, 0] += 5.0                                # e.g. a penalty's gradient, added first
    layer.forward(x)
    layer.backward_to_parameters(dz)
    want = x.T @ dz
    want[0, 0] += 5.0
    np.testing.assert_allclose(layer.weight.grad, want, rtol=1e-15)


def test_a_reference_held_from_before_zero_grad_sees_the_zeros_and_the_new_gradient() -> None:
    layer, x, dz = _dense_and_batch(2)
    opt = mn.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    held = layer.weight.grad
    held[...] = 3.0
    opt.zero_grad()
    assert not held.any()                                         # zero_grad still fills in place
    layer.forward(x)
    layer.backward_to_parameters(dz)
    np.testing.assert_allclose(held, x.T @ dz, rtol=1e-15)        # written into the same array


def test_a_weight_shared_by_two_layers_gets_the_sum_of_both_gradients() -> None:
    """The first layer's backward writes into the zeroed grad, the second's adds to it."""
    rng = np.random.default_rng(3)
    first, second = mn.Dense(3, 3, rng=0, dtype=np.float64), mn.Dense(3, 3, rng=1, dtype=np.float64)
    second.weight = first.weight                                  # tied weights
    x1, x2, dz1, dz2 = (rng.standard_normal((4, 3)) for _ in range(4))
    first.weight.zero_grad()
    first.forward(x1)
    second.forward(x2)
    second.backward_to_parameters(dz2)
    first.backward_to_parameters(dz1)
    np.testing.assert_allclose(first.weight.grad, x1.T @ dz1 + x2.T @ dz2, rtol=1e-14)


def test_parameters_pickle_and_copy_with_their_gradient_and_an_old_pickle_still_loads() -> None:
    import copy
    import pickle

    p = Parameter(np.arange(3.0), "w")
    p.grad[...] = [1.0, 2.0, 3.0]
    for q in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        np.testing.assert_array_equal(q.grad, [1.0, 2.0, 3.0])
        q.zero_grad()
        q.add_to_grad(np.array([4.0, 5.0, 6.0]))
        np.testing.assert_array_equal(q.grad, [4.0, 5.0, 6.0])
    old = Parameter.__new__(Parameter)                             # the state an earlier minnet pickled
    old.__setstate__({"data": np.zeros(2), "grad": np.array([7.0, 8.0]), "name": "b", "weight_decay": True,
                      "trainable": True})
    np.testing.assert_array_equal(old.grad, [7.0, 8.0])
    old.add_to_grad(np.ones(2))                                    # not known to be 0: adds
    np.testing.assert_array_equal(old.grad, [8.0, 9.0])


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.sampled_from(["zero_layer", "zero_optimizer", "backward", "user_adds", "rebind", "step"]),
                    min_size=1, max_size=12))
def test_any_sequence_of_zeroing_adding_and_backward_gives_the_accumulated_gradient(ops) -> None:
    """Against a plain float64 tally: integer-valued inputs keep every sum exact."""
    rng = np.random.default_rng(len(ops))
    layer = mn.Dense(3, 2, rng=0, dtype=np.float64)
    opt = mn.SGD(layer.parameters(), lr=0.0)                      # lr 0: steps leave the weights alone
    want = {name: p.grad.copy() for name, p in layer.named_parameters()}
    for op in ops:
        if op in ("zero_layer", "zero_optimizer"):
            (layer if op == "zero_layer" else opt).zero_grad()
            want = {name: np.zeros_like(w) for name, w in want.items()}
        elif op == "backward":
            x, dz = rng.integers(-3, 4, (4, 3)).astype(float), rng.integers(-3, 4, (4, 2)).astype(float)
            layer.forward(x)
            layer.backward_to_parameters(dz)
            want["weight"] += x.T @ dz
            want["bias"] += dz.sum(axis=0)
        elif op == "user_adds":
            layer.weight.grad[0, 1] += 2.0
            want["weight"][0, 1] += 2.0
        elif op == "rebind":
            layer.bias.grad = layer.bias.grad + 1.0
            want["bias"] += 1.0
        else:
            opt.step()
        for name, p in layer.named_parameters():                  # _grad: reading .grad would forget the zeros
            np.testing.assert_array_equal(p._grad, want[name], err_msg=f"{name} after {ops}")
