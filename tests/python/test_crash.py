"""Crash safety: a writer process is killed with SIGKILL at random moments
(inside add, add_many, upsert, update, delete, save and compact); reopening
must show every acknowledged call, exactly, and nothing else (the call in
flight may or may not have landed, whole).

HERONDB_CRASH_TRIALS sets the number of trials (default 30), and
HERONDB_CRASH_SYNC_TRIALS those of the same test with sync=True (default 5)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import herondb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crash_worker  # noqa: E402

PKG_DIR = str(Path(herondb.__file__).resolve().parents[1])
WORKER = str(Path(__file__).resolve().parent / "crash_worker.py")
TRIALS = int(os.environ.get("HERONDB_CRASH_TRIALS", "30"))
SYNC_TRIALS = int(os.environ.get("HERONDB_CRASH_SYNC_TRIALS", "5"))
OPS = 60


def _state(db):
    return {i: db.get(i) for i in db.ids()}


def _model_after(ops, n):
    model: dict = {}
    for op in ops[: n + 1]:
        crash_worker.apply(model, op)
    return {k: (list(v), m) for k, (v, m) in model.items()}


def _kill_at_random(path: str, seed: int, rng: random.Random, sync: bool = False) -> int:
    """Runs a worker, kills it after a random number of acks plus a random
    delay; returns the index of the last acknowledged call (-1: none)."""
    err_path = path + ".stderr"
    with open(err_path, "w") as err_file:
        proc = subprocess.Popen(
            [sys.executable, WORKER, path, str(seed), str(OPS)] + (["sync"] if sync else []),
            stdout=subprocess.PIPE, stderr=err_file, text=True,
            env={**os.environ, "PYTHONPATH": PKG_DIR},
        )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "open", open(err_path).read()
    target = rng.randrange(0, OPS)
    last = -1
    for line in proc.stdout:
        if line.startswith("ack"):
            last = int(line.split()[1])
            if last >= target:
                break
    time.sleep(rng.random() * 0.02)
    proc.send_signal(signal.SIGKILL)
    # Read the rest through the same buffered file: lines it already holds
    # count as acknowledged too.
    for line in proc.stdout.read().splitlines():
        if line.startswith("ack"):
            last = int(line.split()[1])
    proc.wait(timeout=60)
    assert proc.returncode in (-signal.SIGKILL, 0), open(err_path).read()
    return last


@pytest.mark.parametrize("sync,trial", [(False, t) for t in range(TRIALS)] +
                         [(True, t) for t in range(SYNC_TRIALS)])
def test_sigkill_at_a_random_point_loses_no_acknowledged_write(tmp_path, sync, trial):
    rng = random.Random(1000 + trial + (5000 if sync else 0))
    seed = rng.randrange(1 << 30)
    path = str(tmp_path / "db")
    last = _kill_at_random(path, seed, rng, sync)
    ops = crash_worker.make_ops(seed, OPS)
    db = herondb.Database(path)
    try:
        got = _state(db)
        db.verify()
    finally:
        db.close()
    acknowledged = _model_after(ops, last)
    if got != acknowledged:
        # Only the call in flight at the kill may have landed, and whole.
        assert last + 1 < len(ops), "state differs although every call was acknowledged"
        assert got == _model_after(ops, last + 1), (
            f"trial {trial}: state after the kill is neither the acknowledged one "
            f"(through call {last}) nor that plus the call in flight ({ops[last + 1][0]})")


def test_the_database_keeps_working_after_a_crash_and_reopen(tmp_path):
    rng = random.Random(5)
    path = str(tmp_path / "db")
    _kill_at_random(path, 77, rng)
    with herondb.Database(path) as db:
        db.add("after-crash", [0.5] * crash_worker.DIM)
        n = len(db)
    with herondb.Database(path) as db:
        assert len(db) == n and "after-crash" in db
