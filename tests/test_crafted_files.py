"""Crafted model and checkpoint files with a valid checksum: every malformed field is refused by name,
before anything is allocated or changed."""

import resource

import numpy as np
import pytest
from model_files import read_back

import minnet as mn
from minnet.errors import ModelFileError
from minnet.io import write_file
from minnet.train.schedules import StepLR


def test_a_small_file_declaring_a_huge_layer_is_refused_before_allocating(tmp_path):
    mn.save(mn.Sequential(mn.Dense(2, 2, rng=0)), tmp_path / "small")
    header, arrays = read_back(tmp_path / "small")
    header["architecture"]["config"]["layers"][0]["config"].update(in_features=16384, out_features=16384)
    write_file(tmp_path / "bomb", header, arrays)
    assert (tmp_path / "bomb").stat().st_size < 2000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss          # KiB on Linux
    with pytest.raises(ModelFileError, match=r"'0\.weight' has shape \(2, 2\) in the file.*\(16384, 16384\)"):
        mn.load(tmp_path / "bomb")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200, f"peak memory grew by {grown_mib:.0f} MiB while refusing a 1 GiB layer"


@pytest.mark.parametrize("edit, field", [
    (lambda h: h["architecture"]["config"]["layers"][0]["config"].update(in_features="2"), "in_features"),
    (lambda h: h["architecture"]["config"]["layers"][0]["config"].update(bias="yes"), "bias"),
    (lambda h: h["architecture"]["config"]["layers"][0]["config"].update(init=[1]), "init"),
    (lambda h: h.update(generators=[]), "generators"),
])
def test_malformed_model_fields_are_named(tmp_path, edit, field):
    mn.save(mn.Sequential(mn.Dense(2, 2, rng=0)), tmp_path / "good")
    header, arrays = read_back(tmp_path / "good")
    edit(header)
    write_file(tmp_path / "bad", header, arrays)
    with pytest.raises(ModelFileError, match=field):
        mn.load(tmp_path / "bad")


# --- checkpoints ------------------------------------------------------------------------------------
def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    return X, (X[:, 0] > 0).astype(np.int64)


def build():
    model = mn.Sequential(mn.Dense(4, 6, rng=0), mn.ELU(), mn.Dense(6, 2, rng=1))
    opt = mn.Adam(model.parameters(), lr=0.01)
    return model, opt, StepLR(opt, step_size=2, gamma=0.5), mn.EarlyStopping(monitor="val_loss", patience=3)


def train(path, resume=False, epochs=2):
    X, y = problem()
    model, opt, sched, stopper = build()
    mn.fit(model, mn.CrossEntropyLoss(), opt, X[:30], y[:30], epochs=epochs, batch_size=10, seed=0,
           validation_data=(X[30:], y[30:]), scheduler=sched, callbacks=[stopper, mn.Checkpoint(path)],
           progress=False, resume_from=path if resume else None)


def es_state(h):
    return next(c for c in h["callbacks"] if c["class"] == "EarlyStopping")["state"]


CHECKPOINT_EDITS = [
    (lambda h: h.update(epoch=True), "epoch"),
    (lambda h: h.update(epoch="1"), "epoch"),
    (lambda h: h.update(stop_training="no"), "stop_training"),
    (lambda h: h.update(data=[]), "data"),
    (lambda h: h["data"].update(batch_size="10"), "batch_size"),
    (lambda h: h.update(loss=5), "loss"),
    (lambda h: h.update(optimizer=5), "optimizer"),
    (lambda h: h["optimizer"].pop("state"), "optimizer"),
    (lambda h: h["optimizer"].update(initial_lr="fast"), "initial_lr"),
    (lambda h: h["optimizer"]["state"].update(lr="fast"), "optimizer"),
    (lambda h: h["optimizer"]["state"].update(step=1.5), "optimizer.state.step"),
    (lambda h: h["optimizer"]["state"].update(lr=float("nan")), "optimizer.state.lr"),
    (lambda h: h["scheduler"]["state"].update(base_lr=float("nan")), "scheduler.state.base_lr"),
    (lambda h: h["scheduler"]["state"].update(last_epoch=1.5), "scheduler.state.last_epoch"),
    (lambda h: h.update(scheduler=[1]), "scheduler"),
    (lambda h: h["scheduler"]["state"].update(last_epoch="x"), "schedule"),
    (lambda h: h.update(rng={"bit_generator": "PCG64"}), "rng|PCG64"),
    (lambda h: h.update(history=[]), "history"),
    (lambda h: h["history"].update(diverged="no"), "diverged"),
    (lambda h: h["history"].update(divergence=7), "divergence"),
    (lambda h: h["history"]["records"].append({"loss": [1, 2]}), "history"),
    (lambda h: h.update(callbacks={}), "callbacks"),
    (lambda h: h["callbacks"].append(7), "callbacks"),
    (lambda h: es_state(h).update(best="low"), "best"),
    (lambda h: es_state(h).update(wait=1.5), "wait"),
    (lambda h: es_state(h).update(best_epoch=-1), "best_epoch"),
    (lambda h: es_state(h).update(best_state={"0.weight": 3}), "best_state"),
    (lambda h: es_state(h).pop("wait"), "wait"),
]


@pytest.mark.parametrize("edit, field", CHECKPOINT_EDITS)
def test_malformed_checkpoint_fields_are_refused_before_anything_changes(tmp_path, edit, field):
    path = tmp_path / "run.ckpt"
    train(path)
    header, arrays = read_back(path)
    edit(header)
    write_file(path, header, arrays)
    X, y = problem()
    model, opt, sched, stopper = build()
    params = [p.data.copy() for p in model.parameters()]
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    with pytest.raises(ModelFileError, match=field):
        mn.fit(model, mn.CrossEntropyLoss(), opt, X[:30], y[:30], epochs=4, batch_size=10,
               validation_data=(X[30:], y[30:]), scheduler=sched, callbacks=[stopper, mn.Checkpoint(path)],
               progress=False, resume_from=path)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), params, strict=True))
    assert opt.state_dict()["lr"] == opt_state["lr"] and opt.state_dict()["step"] == opt_state["step"]
    assert opt.initial_lr == 0.01 and sched.state_dict() == sched_state
    assert not hasattr(stopper, "wait")                           # on_train_begin never ran


def test_an_unedited_checkpoint_still_resumes(tmp_path):
    path = tmp_path / "run.ckpt"
    train(path)
    train(path, resume=True, epochs=4)
    assert mn.train.checkpoint.load_checkpoint_history(path)["epoch"] == [1, 2, 3, 4]


class Scale(mn.Layer):
    """A layer with one parameter that the shape table does not know (as a newly registered layer would be)."""

    def __init__(self, n=3):
        super().__init__()
        self.n = n
        self.weight = mn.Parameter(np.ones(n, np.float32), "weight")
        self._parameters = [self.weight]

    def forward(self, x, training=False):
        return x * self.weight.data

    def get_config(self):
        return {"n": self.n}


def test_a_registered_layer_without_a_shape_entry_still_loads(tmp_path, monkeypatch):
    from minnet.io import registry

    monkeypatch.setitem(registry.LAYER_CLASSES, "Scale", Scale)
    model = mn.Sequential(mn.Dense(2, 3, rng=0), Scale(3))
    model[1].weight.data[:] = [1.0, 2.0, 3.0]
    mn.save(model, tmp_path / "m")
    loaded = mn.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded[1].weight.data, [1.0, 2.0, 3.0])
    header, arrays = read_back(tmp_path / "m")
    arrays["param/0.weight"] = np.zeros((5, 3), np.float32)         # the known layer is still checked first
    write_file(tmp_path / "bad", header, arrays)
    with pytest.raises(ModelFileError, match=r"'0\.weight' has shape \(5, 3\)"):
        mn.load(tmp_path / "bad")
