"""Writing files safely: never onto devices, FIFOs or folders; through symlinks; keeping permission bits.

mn.save, mn.Checkpoint and History.to_csv all write through one atomic writer
(``minnet.io.files.atomic_write``): a unique temporary file created exclusively next to the
target, flushed to disk, renamed over it; removed again on any error.
"""

import os
import signal
import stat
import threading

import numpy as np
import pytest

import minnet as mn
from minnet.errors import ModelFileError, NotARegularFileError
from minnet.io.files import atomic_write, write_text_atomic


def small_model():
    return mn.Sequential(mn.Dense(3, 2, rng=0))


def history():
    h = mn.History()
    h.append({"epoch": 1, "loss": 0.5})
    return h


def write_with_save(path):
    mn.save(small_model(), path)


def write_with_to_csv(path):
    history().to_csv(path)


def write_with_checkpoint(path):
    model = small_model()
    X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    mn.fit(model, mn.CrossEntropyLoss(), mn.SGD(model.parameters(), lr=0.1), X, np.arange(8) % 2, epochs=1,
           seed=0, callbacks=[mn.Checkpoint(path)], progress=False)


WRITERS = [write_with_save, write_with_to_csv, write_with_checkpoint]


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("write", WRITERS)
def test_a_directory_is_refused_and_left_alone(tmp_path, write):
    target = tmp_path / "folder"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(NotARegularFileError, match="folder.*is a directory"):
        write(target)
    assert target.is_dir() and (target / "inside").read_text() == "x"
    assert sorted(os.listdir(tmp_path)) == ["folder"]            # no temporary file left behind


@pytest.mark.parametrize("write", WRITERS)
def test_a_fifo_is_refused_and_left_alone(tmp_path, fifo, write):
    with pytest.raises(NotARegularFileError, match="FIFO"):
        write(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["fifo"]


@pytest.fixture
def char_device(tmp_path):
    """A private character device node like /dev/null (1, 3), so that a regression cannot damage the real one."""
    path = tmp_path / "null"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError) as exc:
        pytest.skip(f"cannot create a device node here ({exc}); needs root")
    return path


@pytest.mark.parametrize("write", WRITERS)
def test_a_character_device_is_refused_and_left_alone(tmp_path, char_device, write):
    before = os.lstat(char_device)
    with pytest.raises(NotARegularFileError, match="character device"):
        write(char_device)
    after = os.lstat(char_device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino and after.st_rdev == before.st_rdev
    assert sorted(os.listdir(tmp_path)) == ["null"]


@pytest.mark.parametrize("write", WRITERS)
def test_a_symlink_is_kept_and_its_target_written(tmp_path, write):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "file"
    target.write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to(target)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != b"old" and target.stat().st_size > 3
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]
    assert sorted(os.listdir(real_dir)) == ["file"]


@pytest.mark.parametrize("write", WRITERS)
def test_rewriting_keeps_the_permission_bits(tmp_path, write):
    target = tmp_path / "file"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    write(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    os.chmod(target, 0o640)
    write(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


@pytest.mark.parametrize("write", WRITERS)
def test_a_new_file_gets_the_umask_mode(tmp_path, write):
    old = os.umask(0o027)
    try:
        write(tmp_path / "new")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o640


@pytest.mark.parametrize("write", WRITERS)
def test_a_missing_folder_is_named(tmp_path, write):
    with pytest.raises(FileNotFoundError, match="nosuchdir"):
        write(tmp_path / "nosuchdir" / "file")
    assert os.listdir(tmp_path) == []


def test_to_csv_ignores_a_symlink_planted_at_the_old_temporary_name(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "h.csv.tmp").symlink_to(victim)
    history().to_csv(tmp_path / "h.csv")
    assert victim.read_text() == "precious"
    assert (tmp_path / "h.csv").read_text().splitlines()[0] == "epoch,loss"


@pytest.mark.parametrize("write", WRITERS)
def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, write):
    target = tmp_path / "file"
    target.write_bytes(b"old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write(target)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["file"]


def test_write_text_atomic_removes_its_temporary_file_when_the_writer_fails(tmp_path):
    def failing(f):
        f.write("partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_text_atomic(tmp_path / "h.csv", failing)
    assert os.listdir(tmp_path) == []


def test_concurrent_writers_never_expose_half_a_file(tmp_path):
    target = tmp_path / "h.csv"
    contents = [("a" * 100_000) + "\n", ("b" * 100_000) + "\n"]
    seen = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            if target.exists():
                seen.append(target.read_text())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(30):
            write_text_atomic(target, lambda f, text=contents[i % 2]: f.write(text))
    finally:
        stop.set()
        thread.join()
    assert seen and all(text in contents for text in seen)
    assert os.listdir(tmp_path) == ["h.csv"]


def test_atomic_write_of_bytes_removes_the_temporary_file_on_error(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def failing(f):
        f.write(b"new")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, failing)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f"]


def test_load_on_a_fifo_raises_instead_of_hanging(fifo):
    def hung(signum, frame):
        raise TimeoutError("mn.load blocked on a FIFO")

    previous = signal.signal(signal.SIGALRM, hung)   # the old code blocked forever in open(): fail instead
    signal.alarm(10)
    try:
        with pytest.raises(ModelFileError, match="FIFO"):
            mn.load(fifo)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_load_on_a_directory_is_clear(tmp_path):
    with pytest.raises((ModelFileError, IsADirectoryError), match="directory"):
        mn.load(tmp_path)
