"""I/O failures from Python: a full disk (a small tmpfs, when the tests run
as root and may mount one) and a read-only directory (when not root).
Every failing call raises StorageError (an OSError and a ValueError) with the
OS's reason, and leaves the database as it was, in memory and on disk."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid

import numpy as np
import pytest

import herondb


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", f"tmpfs-{uuid.uuid4().hex[:6]}", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _state(db):
    return {i: db.get(i) for i in db.ids()}


def test_disk_full_during_add_raises_and_changes_nothing(small_disk):
    path = str(small_disk / "db")
    db = herondb.Database(path, dim=64)
    rng = np.random.default_rng(0)
    added = 0
    with pytest.raises(herondb.StorageError) as info:
        for i in range(100000):
            db.add_many([f"b{i}-{j}" for j in range(50)], rng.standard_normal((50, 64)))
            added += 50
    assert info.value.errno == errno.ENOSPC
    assert isinstance(info.value, ValueError) and isinstance(info.value, OSError)
    assert "No space left" in str(info.value)
    assert len(db) == added
    before = _state(db)
    db.close()
    again = herondb.Database(path, read_only=True)  # the log holds exactly what was acknowledged
    assert _state(again) == before
    again.close()


def test_disk_full_during_save_keeps_the_old_generation(small_disk):
    path = str(small_disk / "db")
    db = herondb.Database(path, dim=64)
    rng = np.random.default_rng(1)
    db.add_many([f"a{i}" for i in range(1200)], rng.standard_normal((1200, 64)))  # ~330 KB of log
    db.save()  # snapshot + empty log
    db.add_many([f"c{i}" for i in range(1000)], rng.standard_normal((1000, 64)))
    before = _state(db)
    # A new snapshot of everything no longer fits beside the old one and the log.
    with pytest.raises(herondb.StorageError):
        db.save()
    assert _state(db) == before
    db.add("still-works", rng.standard_normal(64))  # the log is still usable
    before["still-works"] = db.get("still-works")
    db.close()
    assert not [f for f in os.listdir(path) if f.endswith(".tmp")]
    again = herondb.Database(path)
    assert _state(again) == before
    again.close()


def test_read_only_directory_refuses_creation_with_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OSError) as info:
            herondb.Database(str(ro / "db"), dim=4)
        assert "ermission" in str(info.value)
    finally:
        ro.chmod(0o755)
