"""Damaged files: flipping bytes in, or truncating, each file of a database.
Opening either recovers the exact acknowledged state (a torn log tail, bytes
in padding) or raises CorruptionError naming the file; it never crashes and
never serves different data."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

import herondb


def _build(path, n=60):
    db = herondb.Database(path, dim=8, metric="euclidean")
    rng = np.random.default_rng(1)
    ids = [f"v{i}" for i in range(n)]
    db.add_many(ids[: n // 2], rng.standard_normal((n // 2, 8)), [{"i": i} for i in range(n // 2)])
    db.save()
    # Some log records on top of the snapshot.
    for i in range(n // 2, n):
        db.add(ids[i], rng.standard_normal(8), {"i": i})
    db.delete("v3")
    db.close()


def _state(db):
    return {i: db.get(i) for i in db.ids()}


def _open_state(path):
    db = herondb.Database(path, read_only=True)
    try:
        return _state(db)
    finally:
        db.close()


def _file(path, prefix):
    (name,) = [f for f in os.listdir(path) if f.startswith(prefix)]
    return os.path.join(path, name)


@pytest.fixture
def built(tmp_path):
    path = str(tmp_path / "db")
    _build(path)
    return path, _open_state(path)


def _prefix_states(path):
    """Every state the log could legitimately be cut back to: the snapshot
    plus each prefix of the log's records."""
    # Rebuild the sequence the same way _build did.
    rng = np.random.default_rng(1)
    n = 60
    first = rng.standard_normal((n // 2, 8)).astype(np.float32)
    state = {f"v{i}": (first[i].tolist(), {"i": i}) for i in range(n // 2)}
    states = [dict(state)]
    for i in range(n // 2, n):
        state[f"v{i}"] = (rng.standard_normal(8).astype(np.float32).tolist(), {"i": i})
        states.append(dict(state))
    state.pop("v3")
    states.append(dict(state))
    return states


@pytest.mark.parametrize("prefix", ["CURRENT", "snapshot-", "wal-"])
def test_flipped_bytes_are_detected_or_harmless(built, prefix):
    path, good = built
    target = _file(path, prefix)
    original = open(target, "rb").read()
    rng = random.Random(prefix)
    prefixes = _prefix_states(path)
    assert prefixes[-1] == good
    positions = sorted({rng.randrange(len(original)) for _ in range(150)} | {0, len(original) - 1})
    for pos in positions:
        damaged = bytearray(original)
        damaged[pos] ^= 1 << rng.randrange(8)
        open(target, "wb").write(bytes(damaged))
        try:
            got = _open_state(path)
        except herondb.CorruptionError as e:
            assert os.path.basename(target) in str(e) or "CURRENT" in str(e), str(e)
            continue
        if prefix == "wal-":
            # Damage in the last record reads as a torn tail: a prefix survives.
            assert got in prefixes, f"byte {pos}: wrong data served"
        else:
            assert got == good, f"byte {pos}: wrong data served"
    open(target, "wb").write(original)
    assert _open_state(path) == good


@pytest.mark.parametrize("prefix", ["CURRENT", "snapshot-", "wal-"])
def test_truncated_files_are_detected_or_recover_a_prefix(built, prefix):
    path, good = built
    target = _file(path, prefix)
    original = open(target, "rb").read()
    prefixes = _prefix_states(path)
    for size in sorted({0, 1, 7, 31, 32, 33, len(original) // 2, len(original) - 1}):
        if size >= len(original):
            continue
        open(target, "wb").write(original[:size])
        try:
            got = _open_state(path)
        except herondb.CorruptionError:
            continue
        assert prefix == "wal-", f"truncated {prefix} to {size} bytes opened"
        assert got in prefixes
    open(target, "wb").write(original)


def test_writer_cuts_off_a_torn_log_tail_and_appends_after_it(built):
    path, good = built
    wal = _file(path, "wal-")
    data = open(wal, "rb").read()
    open(wal, "wb").write(data[:-3])  # the last record (delete v3) is torn
    db = herondb.Database(path)
    assert "v3" in db  # the torn delete is gone
    db.add("fresh", [1.0] * 8)
    db.close()
    again = herondb.Database(path)
    assert "fresh" in again and "v3" in again
    again.verify()
    again.close()


def test_verify_reports_damage_in_the_live_files(built):
    path, _ = built
    db = herondb.Database(path)
    snap = _file(path, "snapshot-")
    data = bytearray(open(snap, "rb").read())
    data[4096 + 3] ^= 0xFF  # inside the first section
    # Damaged in place, as a disk would: truncating a snapshot the database
    # has mapped (it serves from the mapping until its background promotion
    # ends) is outside the contract (docs/storage-format.md).
    with open(snap, "r+b") as f:
        f.write(bytes(data))
    with pytest.raises(herondb.CorruptionError, match="snapshot-"):
        db.verify()
    db.close()


def test_missing_snapshot_named_by_current_is_an_error_not_an_empty_database(built):
    path, _ = built
    os.remove(_file(path, "snapshot-"))
    with pytest.raises(herondb.CorruptionError, match="missing"):
        herondb.Database(path)
