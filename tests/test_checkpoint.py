"""Checkpoints during fit: resuming gives the same parameters, bit for bit, as a run never interrupted."""

import json
import os

import numpy as np
import pytest

import minnet as mn
from minnet.errors import ModelFileError
from minnet.io import load, save
from minnet.train.checkpoint import Checkpoint, load_checkpoint_history
from minnet.train.schedules import CosineAnnealingLR, StepLR


def problem(n=90, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal((d, c))).argmax(axis=1)
    return X, y


def build(optimizer="adam", hidden=12, schedule="step"):
    """Model, optimizer and schedule, built the same way every time (as a fresh process would)."""
    model = mn.Sequential(mn.Dense(6, hidden, rng=0), mn.BatchNorm(hidden), mn.SELU(), mn.Dropout(0.2, rng=5),
                          mn.Dense(hidden, 3, rng=1))
    if optimizer == "adam":
        opt = mn.Adam(model.parameters(), lr=0.01)
    else:
        opt = mn.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    sched = {"step": lambda: StepLR(opt, step_size=2, gamma=0.5),
             "cosine": lambda: CosineAnnealingLR(opt, T_max=7), None: lambda: None}[schedule]()
    return model, opt, sched


class Interrupt(Exception):
    pass


class FailAt(mn.Callback):
    """Raise at the start of a given epoch, like a crash or Ctrl-C."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, state):
        if state.epoch == self.epoch:
            raise Interrupt(f"killed at epoch {state.epoch}")


def run(path=None, fail_at=None, resume=False, epochs=7, optimizer="adam", schedule="step", every=1,
        early_stopping=False, batch_size=16, seed=3):
    X, y = problem()
    model, opt, sched = build(optimizer, schedule=schedule)
    callbacks = []
    if early_stopping:
        callbacks.append(mn.EarlyStopping(monitor="val_loss", patience=2))
    if path is not None:
        callbacks.append(Checkpoint(path, every=every))
    if fail_at is not None:
        callbacks.append(FailAt(fail_at))
    history = mn.fit(model, mn.CrossEntropyLoss(), opt, X[:70], y[:70], epochs=epochs, batch_size=batch_size,
                     validation_data=(X[70:], y[70:]), seed=None if resume else seed, scheduler=sched,
                     callbacks=callbacks, progress=False, resume_from=path if resume else None)
    return model, opt, sched, history


def assert_same_run(a, b):
    (m1, o1, s1, h1), (m2, o2, s2, h2) = a, b
    for (name, p), (_, q) in zip(m1.named_parameters(), m2.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data), name
    for name, buf in m1.buffers().items():
        assert np.array_equal(buf, m2.buffers()[name]), name
    d1, d2 = o1.state_dict(), o2.state_dict()
    assert d1.keys() == d2.keys() and d1["step"] == d2["step"] and d1["lr"] == d2["lr"]
    for key in d1:
        if isinstance(d1[key], list):
            assert all(np.array_equal(u, v) for u, v in zip(d1[key], d2[key], strict=True)), key
    if s1 is not None:
        assert s1.state_dict() == s2.state_dict()
    assert len(h1) == len(h2)
    for key in h1:
        if key != "seconds":
            assert h1[key] == h2[key], key
    assert m1[3].rng.bit_generator.state == m2[3].rng.bit_generator.state     # dropout generator too


@pytest.mark.parametrize("optimizer, schedule, fail_at", [
    ("adam", "step", 3), ("sgd", "cosine", 5), ("adam", None, 2),
])
def test_resume_equals_uninterrupted_run_bit_for_bit(tmp_path, optimizer, schedule, fail_at):
    path = tmp_path / "run.ckpt"
    reference = run(optimizer=optimizer, schedule=schedule)
    with pytest.raises(Interrupt):
        run(path, fail_at=fail_at, optimizer=optimizer, schedule=schedule)
    assert load_checkpoint_history(path)["epoch"] == list(range(1, fail_at))
    resumed = run(path, resume=True, optimizer=optimizer, schedule=schedule)
    assert_same_run(reference, resumed)
    assert resumed[3]["epoch"] == list(range(1, 8))               # the History covers the whole run


def test_checkpointing_does_not_change_the_run(tmp_path):
    assert_same_run(run(), run(tmp_path / "c.ckpt"))


def test_resume_with_early_stopping_state(tmp_path):
    path = tmp_path / "run.ckpt"
    reference = run(early_stopping=True, epochs=30)
    stopped = len(reference[3])
    assert 3 < stopped < 30                                       # it did stop early, after a few epochs
    with pytest.raises(Interrupt):
        run(path, fail_at=stopped - 1, early_stopping=True, epochs=30)
    assert_same_run(reference, run(path, resume=True, early_stopping=True, epochs=30))


def test_resume_after_training_stopped_trains_no_further(tmp_path):
    path = tmp_path / "run.ckpt"
    reference = run(path, early_stopping=True, epochs=30)           # the last checkpoint says "stopped"
    again = run(path, resume=True, early_stopping=True, epochs=30)
    assert_same_run(reference, again)


def test_every_n_epochs_and_always_the_last(tmp_path):
    path = tmp_path / "run.ckpt"
    saved = []

    class Spy(mn.Callback):
        def on_epoch_recorded(self, state):
            saved.append(len(load_checkpoint_history(path)) if path.exists() else 0)

    X, y = problem()
    model, opt, _ = build(schedule=None)
    ckpt = Checkpoint(path, every=3)
    mn.fit(model, mn.CrossEntropyLoss(), opt, X, y, epochs=7, seed=0, callbacks=[ckpt, Spy()], progress=False)
    assert saved == [0, 0, 3, 3, 3, 6, 7]
    assert ckpt.last_saved_epoch == 7
    assert os.listdir(tmp_path) == ["run.ckpt"]                   # no temporary files left behind
    assert repr(ckpt) == f"Checkpoint({str(path)!r}, every=3)"


def test_checkpoint_file_holds_the_model_and_plain_json(tmp_path):
    path = tmp_path / "run.ckpt"
    model, *_ = run(path, epochs=2)
    loaded = load(path)                                           # mn.load reads the model inside a checkpoint
    for (_, p), (_, q) in zip(model.named_parameters(), loaded.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data)
    with np.load(path, allow_pickle=False) as npz:
        header = json.loads(npz["minnet.json"].tobytes())
    assert header["kind"] == "checkpoint" and header["epoch"] == 2
    assert header["optimizer"]["class"] == "Adam" and header["scheduler"]["class"] == "StepLR"
    assert header["rng"]["bit_generator"] == "PCG64"


def test_resume_when_the_checkpoint_already_reached_epochs(tmp_path):
    path = tmp_path / "run.ckpt"
    reference = run(path, epochs=4)
    assert_same_run(reference, run(path, resume=True, epochs=4))
    shorter = run(path, resume=True, epochs=2)                    # nothing to train: the saved run as it was
    assert len(shorter[3]) == 4


# --- checkpoints that do not fit: refused before anything changes ---------------------------
def fresh_state():
    X, y = problem()
    model, opt, sched = build()
    return X, y, model, opt, sched


def snapshot(model, opt):
    return [p.data.copy() for p in model.parameters()], opt.state_dict()


def assert_unchanged(model, opt, before):
    params, opt_state = before
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), params, strict=True))
    after = opt.state_dict()
    assert after["step"] == opt_state["step"] and after["lr"] == opt_state["lr"]


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "run.ckpt"
    run(path, epochs=2)
    return path


@pytest.mark.parametrize("change, message", [
    (dict(model=lambda: mn.Sequential(mn.Dense(6, 12, rng=0), mn.BatchNorm(12), mn.ELU(), mn.Dropout(0.2),
                                      mn.Dense(12, 3, rng=1))), r"different model.*ELU"),
    (dict(model=lambda: mn.Sequential(mn.Dense(6, 10, rng=0), mn.BatchNorm(10), mn.SELU(), mn.Dropout(0.2),
                                      mn.Dense(10, 3, rng=1))), r"different model.*out_features: 12 vs 10"),
    (dict(optimizer=lambda m: mn.SGD(m.parameters(), lr=0.01)), "Adam optimizer, got SGD"),
    (dict(optimizer=lambda m: mn.Adam(m.parameters(), lr=0.01, betas=(0.8, 0.999))), "hyperparameters differ"),
    (dict(scheduler=lambda o: None), "with the schedule StepLR, but no scheduler"),
    (dict(scheduler=lambda o: StepLR(o, step_size=3, gamma=0.5)), r"schedule's settings differ.*step_size"),
    (dict(batch_size=8), "batch_size=16.*batch_size=8"),
    (dict(n=60), "n_samples=70.*n_samples=60"),
    (dict(loss=type("SmoothedLoss", (mn.CrossEntropyLoss,), {})(0.1)), "loss CrossEntropyLoss, got SmoothedLoss"),
])
def test_checkpoint_that_does_not_fit_is_refused_before_anything_changes(checkpoint, change, message):
    X, y = problem()
    model = change.get("model", lambda: build()[0])()
    opt = change.get("optimizer", lambda m: mn.Adam(m.parameters(), lr=0.01))(model)
    sched = change.get("scheduler", lambda o: StepLR(o, step_size=2, gamma=0.5))(opt)
    n = change.get("n", 70)
    before = snapshot(model, opt)
    with pytest.raises(ModelFileError, match=message):
        mn.fit(model, change.get("loss", mn.CrossEntropyLoss()), opt, X[:n], y[:n], epochs=5,
               batch_size=change.get("batch_size", 16), scheduler=sched, progress=False, resume_from=checkpoint)
    assert_unchanged(model, opt, before)


def test_missing_callback_state_is_refused(tmp_path):
    path = tmp_path / "run.ckpt"
    run(path, epochs=2, early_stopping=True)
    X, y, model, opt, sched = fresh_state()
    before = snapshot(model, opt)
    with pytest.raises(ModelFileError, match="EarlyStopping callback"):
        mn.fit(model, mn.CrossEntropyLoss(), opt, X[:70], y[:70], epochs=5, batch_size=16, scheduler=sched,
               validation_data=(X[70:], y[70:]), progress=False, resume_from=path)
    assert_unchanged(model, opt, before)


def test_resume_from_a_saved_model_or_missing_file(tmp_path):
    X, y, model, opt, sched = fresh_state()
    save(model, tmp_path / "model.minnet")
    with pytest.raises(ModelFileError, match="not a training checkpoint"):
        mn.fit(model, mn.CrossEntropyLoss(), opt, X, y, scheduler=sched, progress=False,
               resume_from=tmp_path / "model.minnet")
    with pytest.raises(FileNotFoundError):
        mn.fit(model, mn.CrossEntropyLoss(), opt, X, y, scheduler=sched, progress=False,
               resume_from=tmp_path / "nothing.ckpt")


def test_corrupt_checkpoint_is_refused(checkpoint):
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[: len(data) // 2])
    X, y, model, opt, sched = fresh_state()
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        mn.fit(model, mn.CrossEntropyLoss(), opt, X[:70], y[:70], batch_size=16, scheduler=sched,
               progress=False, resume_from=checkpoint)


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_checkpoint_every_must_be_a_positive_integer(every):
    with pytest.raises(ValueError, match="Checkpoint: every must be a positive integer"):
        Checkpoint("x.ckpt", every=every)
    with pytest.raises(TypeError, match="path must be a str"):
        Checkpoint(3)


def test_learning_rate_and_initial_lr_come_from_the_checkpoint(tmp_path):
    path = tmp_path / "run.ckpt"
    reference = run(epochs=5)
    with pytest.raises(Interrupt):
        run(path, fail_at=4, epochs=5)
    X, y = problem()
    model, _, _ = build()
    opt = mn.Adam(model.parameters(), lr=0.5)                     # a different starting lr: state, not config
    sched = StepLR(opt, step_size=2, gamma=0.5)
    assert opt.initial_lr == 0.5
    h = mn.fit(model, mn.CrossEntropyLoss(), opt, X[:70], y[:70], epochs=5, batch_size=16,
               validation_data=(X[70:], y[70:]), scheduler=sched, progress=False, resume_from=path)
    assert opt.initial_lr == 0.01
    assert_same_run(reference, (model, opt, sched, h))
