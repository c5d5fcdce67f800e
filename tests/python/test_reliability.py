"""Storage reliability (issue 11): database identity in every file, a missing
or damaged CURRENT, a WAL shorter than its header, the LOCK file (symlinked,
deleted while held), non-regular files in place of database files, and
failures of save()/compact() before the switch to the new generation.

Tests that could hang on a broken build (FIFOs, /dev/zero) run the open in a
child process with a timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import herondb
from herondb import CorruptionError, DatabaseLockedError, StorageError

PKG_DIR = str(Path(herondb.__file__).resolve().parents[1])


def _make(path, n=5, seed=0, save=True, more=0):
    rng = np.random.default_rng(seed)
    db = herondb.Database(str(path), dim=8)
    db.add_many([f"r{i}" for i in range(n)], rng.standard_normal((n, 8)))
    if save:
        db.save()
    for i in range(more):
        db.add(f"m{i}", rng.standard_normal(8))
    db.close()


def _files(path):
    return sorted(os.listdir(path))


def _wal(path):
    return [f for f in os.listdir(path) if f.startswith("wal-")][0]


def _snapshot(path):
    return [f for f in os.listdir(path) if f.startswith("snapshot-")][0]


def _run_child(code: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Runs `code` in a fresh interpreter importing this build of herondb; a
    hang is a test failure (TimeoutExpired), never a hung suite."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": PKG_DIR})


# ------------------------------------------------------------ missing CURRENT


def test_missing_current_is_corruption_and_deletes_nothing(tmp_path):
    path = tmp_path / "db"
    _make(path, more=3)
    os.remove(path / "CURRENT")
    before = {f: (path / f).read_bytes() for f in _files(path)}
    with pytest.raises(CorruptionError) as info:
        herondb.Database(str(path), dim=8)
    assert "CURRENT" in str(info.value)
    assert _snapshot(path) in str(info.value) and _wal(path) in str(info.value)
    assert {f: (path / f).read_bytes() for f in _files(path)} == before
    with pytest.raises(CorruptionError):
        herondb.Database(str(path))
    with pytest.raises(CorruptionError):
        herondb.Database(str(path), read_only=True)
    assert {f: (path / f).read_bytes() for f in _files(path)} == before


def test_damaged_current_is_corruption_and_deletes_nothing(tmp_path):
    path = tmp_path / "db"
    _make(path)
    (path / "CURRENT").write_bytes(b"garbage")
    before = {f: (path / f).read_bytes() for f in _files(path)}
    with pytest.raises(CorruptionError, match="CURRENT"):
        herondb.Database(str(path), dim=8)
    assert {f: (path / f).read_bytes() for f in _files(path)} == before


def test_directory_with_only_a_lock_file_creates_a_database(tmp_path):
    path = tmp_path / "db"
    path.mkdir()
    (path / "LOCK").write_text("123\n")
    db = herondb.Database(str(path), dim=4)
    db.add("a", [1, 2, 3, 4])
    db.close()
    assert len(herondb.Database(str(path), read_only=True)) == 1


def test_recover_command_rewrites_current_to_the_newest_good_generation(tmp_path, capsys):
    from herondb.cli import main

    path = tmp_path / "db"
    _make(path, n=5, more=2)
    os.remove(path / "CURRENT")
    assert main(["recover", str(path)]) == 0
    out = capsys.readouterr().out
    assert "generation" in out and _snapshot(path) in out
    db = herondb.Database(str(path), read_only=True)
    assert len(db) == 7
    db.verify()
    db.close()


def test_recover_skips_a_damaged_newer_generation(tmp_path, capsys):
    from herondb.cli import main

    path = tmp_path / "db"
    _make(path, n=5, more=2)
    snap = path / _snapshot(path)
    wal = path / _wal(path)
    gen = int(snap.name.split("-")[1].split(".")[0])
    # A newer generation whose snapshot is damaged (an interrupted save that
    # also lost CURRENT).
    newer = path / f"snapshot-{gen + 1:06d}.hdb"
    shutil.copy(snap, newer)
    with open(newer, "r+b") as f:
        f.seek(5000)
        f.write(b"\xff" * 64)
    os.remove(path / "CURRENT")
    assert main(["recover", str(path)]) == 0
    out = capsys.readouterr().out
    assert newer.name in out  # reported as skipped
    db = herondb.Database(str(path), read_only=True)
    assert len(db) == 7
    db.close()
    assert wal.exists() and newer.exists()  # recover deletes nothing


def test_recover_with_nothing_recoverable_fails_and_writes_nothing(tmp_path, capsys):
    from herondb.cli import main

    path = tmp_path / "db"
    _make(path)
    os.remove(path / "CURRENT")
    snap = path / _snapshot(path)
    snap.write_bytes(b"\0" * 100)
    assert main(["recover", str(path)]) == 1
    assert "CURRENT" not in _files(path)
    assert main(["recover", str(tmp_path / "nothing-here")]) == 1


def test_recover_on_a_healthy_database_changes_nothing(tmp_path, capsys):
    from herondb.cli import main

    path = tmp_path / "db"
    _make(path, more=1)
    before = (path / "CURRENT").read_bytes()
    assert main(["recover", str(path)]) == 0
    assert "nothing to recover" in capsys.readouterr().out
    assert (path / "CURRENT").read_bytes() == before


# ------------------------------------------------------------ identity


def test_wal_of_another_database_is_corruption(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _make(a, seed=1, more=2)
    _make(b, seed=2, more=2)
    assert _wal(a) == _wal(b)
    shutil.copy(b / _wal(b), a / _wal(a))
    with pytest.raises(CorruptionError) as info:
        herondb.Database(str(a), read_only=True)
    assert _wal(a) in str(info.value) and "another database" in str(info.value)
    with pytest.raises(CorruptionError):
        herondb.Database(str(a))


def test_snapshot_of_another_database_is_corruption(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _make(a, seed=1)
    _make(b, seed=2)
    assert _snapshot(a) == _snapshot(b)
    shutil.copy(b / _snapshot(b), a / _snapshot(a))
    with pytest.raises(CorruptionError) as info:
        herondb.Database(str(a))
    assert _snapshot(a) in str(info.value) and "another database" in str(info.value)


def test_verify_detects_a_wal_swapped_in_while_open(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _make(a, seed=1, more=1)
    _make(b, seed=2, more=1)
    db = herondb.Database(str(a), read_only=True)
    db.verify()
    shutil.copy(b / _wal(b), a / _wal(a))
    with pytest.raises(CorruptionError, match="another database"):
        db.verify()
    db.close()


def test_identity_survives_save_and_compact(tmp_path):
    path = tmp_path / "db"
    _make(path, more=2)
    db = herondb.Database(str(path))
    db.delete("r0")
    db.compact()
    db.add("late", np.ones(8))
    db.save()
    db.close()
    db = herondb.Database(str(path), read_only=True)
    db.verify()
    assert len(db) == 7
    db.close()


# ------------------------------------------------------------ short WAL


@pytest.mark.parametrize("length", [0, 10, 31])
def test_wal_shorter_than_its_header_is_corruption(tmp_path, length):
    path = tmp_path / "db"
    _make(path, more=3)
    wal = path / _wal(path)
    data = wal.read_bytes()
    wal.write_bytes(data[:length])
    with pytest.raises(CorruptionError) as info:
        herondb.Database(str(path))
    assert _wal(path) in str(info.value)
    assert wal.read_bytes() == data[:length]  # not "repaired"


def test_wal_symlinked_to_dev_null_is_corruption(tmp_path):
    path = tmp_path / "db"
    _make(path, more=3)
    wal = path / _wal(path)
    wal.unlink()
    wal.symlink_to("/dev/null")
    with pytest.raises(CorruptionError, match=_wal(path)):
        herondb.Database(str(path))


# ------------------------------------------------------------ LOCK


def test_symlinked_lock_is_refused_and_its_target_untouched(tmp_path):
    path = tmp_path / "db"
    _make(path)
    target = tmp_path / "precious.txt"
    target.write_text("do not touch\n")
    os.remove(path / "LOCK")
    os.symlink(target, path / "LOCK")
    with pytest.raises(herondb.HeronDBError) as info:
        herondb.Database(str(path))
    assert "LOCK" in str(info.value)
    assert target.read_text() == "do not touch\n"


def test_lock_that_is_a_fifo_is_refused_without_hanging(tmp_path):
    path = tmp_path / "db"
    _make(path)
    os.remove(path / "LOCK")
    os.mkfifo(path / "LOCK")
    r = _run_child(f"""
        import herondb
        try:
            herondb.Database({str(path)!r})
        except herondb.HeronDBError as e:
            print(type(e).__name__, e)
    """)
    assert r.returncode == 0, r.stderr
    assert "LOCK" in r.stdout and "regular file" in r.stdout


_SECOND_WRITER = """
    import sys, herondb
    try:
        db = herondb.Database({path!r})
    except herondb.DatabaseLockedError as e:
        print("locked", e)
        sys.exit(0)
    db.add("second", [0.5] * 8)
    db.close()
    print("opened")
"""


def test_deleted_lock_does_not_let_a_second_writer_in(tmp_path):
    path = tmp_path / "db"
    _make(path)
    db = herondb.Database(str(path))
    db.add("first", np.ones(8))
    os.remove(path / "LOCK")
    r = _run_child(_SECOND_WRITER.format(path=str(path)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("locked"), r.stdout
    # The first writer still works, and saves (restoring LOCK).
    db.add("first-again", np.ones(8))
    db.save()
    assert (path / "LOCK").exists()
    r = _run_child(_SECOND_WRITER.format(path=str(path)))
    assert r.stdout.startswith("locked"), r.stdout
    db.close()
    again = herondb.Database(str(path), read_only=True)
    assert "first" in again and "first-again" in again and "second" not in again
    again.close()


def test_replaced_lock_is_detected_at_save(tmp_path):
    path = tmp_path / "db"
    _make(path)
    db = herondb.Database(str(path))
    db.add("x", np.ones(8))
    # Another (older) writer took a fresh LOCK file: it holds the lock on it.
    os.remove(path / "LOCK")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
         str(path / "LOCK")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseLockedError, match="LOCK"):
            db.save()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    db.save()  # the holder is gone: the lock is taken again
    db.close()
    assert "x" in herondb.Database(str(path), read_only=True)


# ------------------------------------------------------------ non-regular files


@pytest.mark.parametrize("victim", ["CURRENT", "snapshot", "wal"])
def test_fifo_in_place_of_a_database_file_is_corruption_without_hanging(tmp_path, victim):
    path = tmp_path / "db"
    _make(path, more=1)
    name = {"CURRENT": "CURRENT", "snapshot": _snapshot(path), "wal": _wal(path)}[victim]
    os.remove(path / name)
    os.mkfifo(path / name)
    for ro in (True, False):
        r = _run_child(f"""
            import herondb
            try:
                herondb.Database({str(path)!r}, read_only={ro})
                print("opened")
            except herondb.CorruptionError as e:
                print("corruption", e)
        """)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("corruption"), r.stdout
        assert name in r.stdout and "regular file" in r.stdout


def test_current_symlinked_to_dev_zero_is_corruption_without_hanging(tmp_path):
    path = tmp_path / "db"
    _make(path)
    os.remove(path / "CURRENT")
    os.symlink("/dev/zero", path / "CURRENT")
    r = _run_child(f"""
        import resource, herondb
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        try:
            herondb.Database({str(path)!r}, read_only=True)
            print("opened")
        except herondb.CorruptionError as e:
            print("corruption", e)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("corruption") and "CURRENT" in r.stdout, r.stdout


def test_huge_current_is_corruption(tmp_path):
    path = tmp_path / "db"
    _make(path)
    with open(path / "CURRENT", "r+b") as f:
        f.truncate(1 << 30)  # sparse
    with pytest.raises(CorruptionError, match="CURRENT"):
        herondb.Database(str(path), read_only=True)


# ------------------------------------------------------------ failed saves


_EMFILE_SAVE = """
    import os, resource, sys, herondb
    import numpy as np
    path = sys.argv[1]
    db = herondb.Database(path, dim=8)
    db.add_many([f"a{{i}}" for i in range(20)], np.ones((20, 8)))
    db.save()
    db.add("b", np.ones(8))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (used + {spare}, hard))
    try:
        db.{call}()
        print("no-error")
    except herondb.StorageError as e:
        print("error", e.errno, e)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    print("files", sorted(os.listdir(path)))
    db.add("c", np.ones(8))
    db.{call}()
    db.close()
    print("ok")
"""


@pytest.mark.parametrize("call", ["save", "compact"])
def test_descriptor_limit_during_save_leaves_the_handle_usable(tmp_path, call):
    path = tmp_path / "db"
    seen_error = False
    for spare in range(0, 6):
        if path.exists():
            shutil.rmtree(path)
        r = subprocess.run([sys.executable, "-c", textwrap.dedent(_EMFILE_SAVE.format(
            call=call, spare=spare)), str(path)], capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": PKG_DIR})
        assert r.returncode == 0, r.stdout + r.stderr
        lines = r.stdout.splitlines()
        if lines[0].startswith("error"):
            seen_error = True
            assert "Too many open files" in lines[0] and "Errno 0" not in lines[0], lines[0]
            assert lines[0].split()[1] == "24"
            # Nothing of the failed generation is left behind.
            assert "wal-000003.log" not in lines[1] and "snapshot-000003.hdb" not in lines[1], lines[1]
        assert lines[-1] == "ok", r.stdout
        db = herondb.Database(str(path), read_only=True)
        assert len(db) == 22
        db.close()
    assert seen_error


def test_verify_command_reports_a_missing_current_as_damage(tmp_path, capsys):
    from herondb.cli import main

    path = tmp_path / "db"
    _make(path, more=1)
    os.remove(path / "CURRENT")
    assert main(["verify", str(path)]) == 1
    err = capsys.readouterr().err
    assert "DAMAGED" in err and "herondb recover" in err
    assert main(["recover", str(path)]) == 0
    assert main(["verify", str(path)]) == 0
