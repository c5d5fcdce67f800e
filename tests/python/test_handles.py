"""Handles and their lifecycle: one process, one open database, many handles
(api-decisions D14); close() waits for running calls and releases the lock
before it returns; Client.delete_collection stops every handle first."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import herondb
from herondb import Client, Database, DatabaseLockedError, _core

PKG_DIR = str(Path(herondb.__file__).resolve().parents[1])
README = Path(__file__).resolve().parents[2] / "README.md"


def other_process_opens(path: str) -> str:
    """Open `path` for writing in a fresh process; returns what it printed:
    'len N' on success, 'locked' on DatabaseLockedError."""
    script = (
        "import sys, herondb\n"
        "try:\n"
        "    db = herondb.Database(sys.argv[1])\n"
        "except herondb.DatabaseLockedError:\n"
        "    print('locked')\n"
        "else:\n"
        "    print('len', len(db))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": PKG_DIR}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


# ------------------------------------------------- one process, many handles


def test_second_writable_open_is_a_handle_onto_the_same_database(tmp_path):
    path = str(tmp_path / "db")
    a = Database(path, dim=4)
    b = Database(path)
    try:
        a.add("x", [1.0, 0.0, 0.0, 0.0], {"k": 1})
        assert b.get("x") == ([1.0, 0.0, 0.0, 0.0], {"k": 1})
        b.delete("x")
        assert "x" not in a and len(a) == 0
        assert _core._open_database_count() >= 1
    finally:
        a.close()
        b.close()


def test_the_directory_is_identified_whatever_the_spelling(tmp_path):
    path = tmp_path / "db"
    a = Database(str(path), dim=4)
    (tmp_path / "link").symlink_to(path)
    spellings = [str(path) + "/", str(tmp_path / "." / "db"), str(tmp_path / "link")]
    handles = [Database(p) for p in spellings]
    try:
        a.add("x", [1.0, 0.0, 0.0, 0.0])
        assert all("x" in h for h in handles)
        assert [h.path for h in handles] == spellings  # each handle keeps its own spelling
    finally:
        for h in handles + [a]:
            h.close()


def test_closing_one_handle_leaves_the_others_working(tmp_path):
    path = str(tmp_path / "db")
    a = Database(path, dim=4)
    b = Database(path)
    a.close()
    with pytest.raises(ValueError, match="closed"):
        a.add("x", [1.0, 0.0, 0.0, 0.0])
    b.add("x", [1.0, 0.0, 0.0, 0.0])
    assert b.ids() == ["x"]
    assert other_process_opens(path) == "locked"  # b still holds the lock
    b.close()
    assert other_process_opens(path) == "len 1"  # the last close released it


def test_with_block_on_one_handle_leaves_the_other_working(tmp_path):
    path = str(tmp_path / "db")
    outer = Database(path, dim=4)
    with Database(path) as inner:
        inner.add("x", [1.0, 0.0, 0.0, 0.0])
    assert inner.closed and not outer.closed
    outer.add("y", [0.0, 1.0, 0.0, 0.0])
    assert sorted(outer.ids()) == ["x", "y"]
    outer.close()


@pytest.mark.parametrize("kwargs, message", [
    ({"dim": 8}, "dimension 4, not 8"),
    ({"metric": "euclidean"}, "metric 'cosine', not 'euclidean'"),
])
def test_second_open_with_another_dim_or_metric_is_value_error(tmp_path, kwargs, message):
    path = str(tmp_path / "db")
    a = Database(path, dim=4)
    try:
        with pytest.raises(ValueError, match=message):
            Database(path, **kwargs)
        a.add("x", [1.0, 0.0, 0.0, 0.0])  # the open handle is unaffected
    finally:
        a.close()


def test_read_only_handles_are_separate_opens(tmp_path):
    path = str(tmp_path / "db")
    w = Database(path, dim=4)
    w.add("x", [1.0, 0.0, 0.0, 0.0])
    w.save()
    ro = Database(path, read_only=True)
    w.add("y", [0.0, 1.0, 0.0, 0.0])
    assert ro.ids() == ["x"]  # its own state as of opening
    ro.close()
    w.close()


def test_sync_asked_by_a_second_handle_applies_to_its_writes(tmp_path):
    path = str(tmp_path / "db")
    a = Database(path, dim=4)
    b = Database(path, sync=True)
    b.add("x", [1.0, 0.0, 0.0, 0.0])
    a.close()
    b.close()
    assert other_process_opens(path) == "len 1"


def readme_quickstart() -> str:
    text = README.read_text()
    block = re.search(r"## Quickstart\s+```python\n(.*?)```", text, re.S)
    assert block, "README.md has no Quickstart python block"
    return block.group(1)


def test_readme_example_runs_twice_in_one_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = readme_quickstart()
    exec(compile(code, "README.md", "exec"), {"__name__": "readme1"})
    # A notebook keeps a handle from an earlier cell open, then re-runs the cell.
    leftover = Database("my_db")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme2"})
    exec(compile(code, "README.md", "exec"), {"__name__": "readme3"})
    assert len(leftover) == 1001
    leftover.close()


# ---------------------------------------------------------- close() and threads


def run_while_closing(db: Database, path: str, call, wait: float):
    """Runs call(db) in a thread, closes db meanwhile and reopens the path at
    once (which needs the lock released); returns (the thread's exception or
    None, the reopened handle)."""
    outcome: dict = {}

    def work():
        try:
            call(db)
        except BaseException as exc:  # noqa: BLE001 (reported to the test)
            outcome["error"] = exc

    t = threading.Thread(target=work)
    t.start()
    time.sleep(wait)
    db.close()
    try:
        again = Database(path)
    finally:
        t.join()
    return outcome.get("error"), again


def check_failed_cleanly(error):
    assert error is None or (isinstance(error, ValueError) and "closed" in str(error)), error


def test_close_waits_for_a_running_add_many_then_releases_the_lock(tmp_path):
    path = str(tmp_path / "db")
    db = Database(path, dim=16, ef_construction=50)
    data = vectors(8000, 16)
    ids = [f"v{i}" for i in range(len(data))]
    error, again = run_while_closing(db, path, lambda d: d.add_many(ids, data), wait=0.05)
    check_failed_cleanly(error)
    # The batch finished before close() returned (or was refused whole).
    assert len(again) == (8000 if error is None else 0)
    again.close()
    assert other_process_opens(path) == ("len 8000" if error is None else "len 0")
    with pytest.raises(ValueError, match="closed"):
        db.add("late", data[0])


def test_close_waits_for_a_running_search_many(tmp_path):
    path = str(tmp_path / "db")
    db = Database(path, dim=16, ef_construction=50)
    data = vectors(3000, 16)
    db.add_many([f"v{i}" for i in range(len(data))], data)
    queries = vectors(10000, 16, seed=1)
    error, again = run_while_closing(
        db, path, lambda d: d.search_many(queries, k=10, ef_search=200), wait=0.05)
    check_failed_cleanly(error)
    assert len(again) == 3000
    again.close()


def test_close_waits_for_a_running_compact(tmp_path):
    path = str(tmp_path / "db")
    db = Database(path, dim=16, ef_construction=50)
    data = vectors(8000, 16)
    db.add_many([f"v{i}" for i in range(len(data))], data)
    db.delete_many([f"v{i}" for i in range(0, len(data), 2)])
    error, again = run_while_closing(db, path, lambda d: d.compact(), wait=0.05)
    check_failed_cleanly(error)
    assert len(again) == 4000
    assert again.deleted_count == (0 if error is None else 4000)
    again.close()


def test_close_is_idempotent_and_later_calls_say_closed(tmp_path):
    db = Database(str(tmp_path / "db"), dim=4)
    db.close()
    db.close()
    assert db.closed
    for call in (lambda: len(db), lambda: db.ids(), lambda: db.deleted_count,
                 lambda: db.search([1.0, 0.0, 0.0, 0.0]), lambda: db.save()):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_repr_of_a_handle_whose_constructor_failed_does_not_raise(tmp_path):
    db = Database.__new__(Database)
    assert "not open" in repr(db)
    try:
        Database(str(tmp_path / "missing"))  # no dim: ValueError
    except ValueError as exc:
        frame_locals = exc.__traceback__.tb_next.tb_frame.f_locals  # type: ignore[union-attr]
        assert "Database" in repr(frame_locals["self"])


# ----------------------------------------------------- delete_collection


def test_delete_collection_while_another_thread_writes_to_it(tmp_path):
    root = str(tmp_path / "root")
    client = Client(root)
    old = client.create_collection("c", dim=16, ef_construction=50)
    direct = Database(os.path.join(root, "c"))  # a handle shared through D14
    data = vectors(8000, 16)
    outcome: dict = {}

    def work():
        try:
            old.add_many([f"v{i}" for i in range(len(data))], data)
            old.save()
        except ValueError as exc:
            outcome["error"] = exc

    t = threading.Thread(target=work)
    t.start()
    time.sleep(0.05)
    assert client.delete_collection("c") is True
    new = client.create_collection("c", dim=4)  # at once: the name is free
    new.add("fresh", [1.0, 0.0, 0.0, 0.0])
    t.join()
    check_failed_cleanly(outcome.get("error"))
    for h in (old, direct):
        assert h.closed
        with pytest.raises(ValueError, match="closed"):
            h.add("late", data[0])
        with pytest.raises(ValueError, match="closed"):
            h.save()
    client.close()
    with Client(root) as again:  # the new collection was not lost to the old handles
        assert again.list_collections() == ["c"]
        assert again.get_collection("c").ids() == ["fresh"]
        assert again.get_collection("c").dim == 4


def test_delete_collection_closes_handles_of_another_client(tmp_path):
    root = str(tmp_path / "root")
    a, b = Client(root), Client(root)
    ha = a.create_collection("c", dim=4)
    hb = b.get_collection("c")
    assert b.delete_collection("c") is True
    assert ha.closed and hb.closed
    with pytest.raises(ValueError, match="closed"):
        ha.add("x", [1.0, 0.0, 0.0, 0.0])
    assert "c" not in a
    a.create_collection("c", dim=4).add("x", [1.0, 0.0, 0.0, 0.0])
    assert b.get_collection("c").ids() == ["x"]
    a.close()
    b.close()


def test_delete_collection_name_is_never_left_blocked(tmp_path):
    root = str(tmp_path / "root")
    with Client(root) as client:
        for round_ in range(20):
            h = client.create_collection("c", dim=4)
            stop = threading.Event()

            def hammer():
                while not stop.is_set():
                    try:
                        h.upsert("x", [1.0, 0.0, 0.0, 0.0])
                        h.save()
                    except ValueError:
                        return

            t = threading.Thread(target=hammer)
            t.start()
            assert client.delete_collection("c") is True
            stop.set()
            t.join()
            assert "c" not in client and client.list_collections() == [], round_
        assert os.listdir(root) == []
