"""Opening vctrs databases migrates them (api-decisions D20, issue 12 item 1).

Every vctrs database here is written at test time by the real vctrs package
(the PyPI wheel that scripts/setup.sh installs); the expected records come
from vctrs itself reopening a copy of the same files where vctrs can read them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import herondb
from herondb import CorruptionError, DatabaseLockedError, _core, _vctrs

vctrs = pytest.importorskip("vctrs")

# Migrations warn (tested where it matters); keep the others quiet.
pytestmark = pytest.mark.filterwarnings("ignore:migrated the vctrs database")

DIM = 8


def _rows(n, seed=1, dim=DIM):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def _meta(i):
    return None if i % 3 == 0 else {"i": i, "tag": f"t{i % 4}", "nested": {"l": [i, None, True]}}


def _files(path):
    """name -> sha256 of every file directly in path."""
    return {
        name: hashlib.sha256(open(os.path.join(path, name), "rb").read()).hexdigest()
        for name in sorted(os.listdir(path))
        if os.path.isfile(os.path.join(path, name))
    }


def _vctrs_truth(path, tmp_path):
    """The records vctrs itself sees in path (opened on a copy)."""
    copy = tmp_path / f"truth-{os.path.basename(path)}"
    shutil.copytree(path, copy)
    db = vctrs.Database(str(copy))
    out = {i: db.get(i) for i in db.ids()}
    info = (db.dim, db.metric)
    del db
    return out, info


def _herondb_records(db):
    return {i: db.get(i) for i in db.ids()}


def _same_records(got, want):
    assert sorted(got) == sorted(want)
    for i in want:
        assert np.array_equal(np.asarray(got[i][0], np.float32).view(np.uint32),
                              np.asarray(want[i][0], np.float32).view(np.uint32)), i
        assert got[i][1] == want[i][1], i


def _open_with_warning(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        db = herondb.Database(str(path), **kw)
    migrated = [w for w in caught if "vctrs" in str(w.message)]
    return db, migrated


@pytest.fixture
def saved_with_log(tmp_path):
    """A saved vctrs database, then adds, upserts, updates and deletes only in its log."""
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=DIM, metric="euclidean", m=12, ef_construction=150)
    vecs = _rows(60)
    db.add_many([f"d{i}" for i in range(60)], vecs.tolist(), [_meta(i) for i in range(60)])
    db.delete("d1")
    db.save()
    db.add("new1", _rows(1, 2)[0].tolist(), {"fresh": True})
    db.upsert("d2", _rows(1, 3)[0].tolist(), {"upserted": 1})
    db.upsert("new2", _rows(1, 4)[0].tolist())
    db.update("d4", vector=_rows(1, 5)[0].tolist())
    db.update("d5", metadata={"only": "metadata"})
    db.delete("d6")
    db.delete("new1")
    db.add("new1", _rows(1, 6)[0].tolist(), {"again": True})
    db.delete("nonexistent")
    del db
    return path


def test_a_saved_vctrs_database_with_a_log_opens_with_every_record(saved_with_log, tmp_path):
    want, (vdim, vmetric) = _vctrs_truth(saved_with_log, tmp_path)
    before = _files(saved_with_log)
    db, migrated = _open_with_warning(saved_with_log)
    assert len(migrated) == 1
    message = str(migrated[0].message)
    assert f"{len(want):,} records" in message and saved_with_log in message
    assert (db.dim, db.metric, db.m, db.ef_construction) == (vdim, vmetric, 12, 150)
    _same_records(_herondb_records(db), want)
    assert len(db) == len(want) == 60 - 2 + 2
    # Search works on the migrated data (true L2 distances).
    q, _ = db.get("d10")
    assert db.search(q, k=1)[0].id == "d10"
    db.close()
    # Every vctrs file is untouched; reopening does not migrate again.
    after = _files(saved_with_log)
    assert {k: v for k, v in after.items() if k in before} == before
    again, migrated = _open_with_warning(saved_with_log)
    assert migrated == [] and len(again) == len(want)
    again.add("post", [0.0] * DIM)
    again.close()
    # Rollback stays possible: vctrs still reads its files as they were.
    still, _ = _vctrs_truth(saved_with_log, tmp_path / "second")
    _same_records(still, want)


@pytest.mark.parametrize("metric", ["cosine", "dot_product"])
def test_a_saved_database_keeps_its_metric(tmp_path, metric):
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=DIM, metric=metric)
    db.add_many([f"x{i}" for i in range(20)], _rows(20).tolist())
    db.save()
    del db
    with herondb.Database(path, dim=DIM, metric=metric) as h:  # agreeing arguments are fine
        assert h.metric == metric and len(h) == 20


def test_an_unsaved_vctrs_database_with_only_a_log_opens_with_every_record(tmp_path):
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=DIM, metric="euclidean")
    vecs = _rows(25)
    db.add_many([f"w{i}" for i in range(25)], vecs.tolist(), [_meta(i) for i in range(25)])
    db.update("w3", metadata={"changed": 1})
    db.delete("w4")
    del db
    assert os.listdir(path) == ["wal.vctrs"]
    # vctrs itself never replays a log without a snapshot: it sees nothing.
    assert len(vctrs.Database(str(shutil.copytree(path, tmp_path / "c")), dim=DIM)) == 0
    h, migrated = _open_with_warning(path, metric="euclidean")
    assert len(migrated) == 1
    assert (h.dim, h.metric, len(h)) == (DIM, "euclidean", 24)
    assert h.get("w3") == (vecs[3].tolist(), {"changed": 1})
    assert h.get("w5") == (vecs[5].tolist(), _meta(5))
    assert "w4" not in h
    h.close()


def test_an_unsaved_database_without_a_metric_gets_vctrs_default_and_says_so(tmp_path):
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=3)
    db.add("a", [1.0, 2.0, 3.0])
    del db
    h, migrated = _open_with_warning(path)
    assert h.metric == "cosine" and h.dim == 3 and h.ids() == ["a"]
    assert "default metric" in str(migrated[0].message)
    h.close()


def test_a_quantized_vctrs_database_opens_quantized(tmp_path):
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=DIM, metric="cosine", quantize=True)
    db.add_many([f"q{i}" for i in range(40)], _rows(40).tolist())
    db.save()
    del db
    assert "vectors.sq8" in os.listdir(path)
    want, _ = _vctrs_truth(path, tmp_path)
    with herondb.Database(path) as h:
        assert h.quantized_search is True
        _same_records(_herondb_records(h), want)  # full precision: vectors.bin, not the codes


def test_client_collections_written_by_vctrs_open_migrated(tmp_path):
    root = str(tmp_path / "root")
    c = vctrs.Client(root)
    saved = c.create_collection("docs", dim=4, metric="l2")
    saved.add_many(["a", "b"], [[1, 2, 3, 4], [4, 3, 2, 1]], [{"k": 1}, None])
    saved.save()
    unsaved = c.create_collection("notes", dim=2, metric="l2")
    unsaved.add("n", [1.0, 0.5], {"text": "hi"})
    del saved, unsaved, c
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        client = herondb.Client(root)
        assert client.list_collections() == ["docs", "notes"]
        docs = client.get_collection("docs")
        notes = client.get_or_create_collection("notes", dim=2, metric="l2")
    assert (docs.metric, sorted(docs.ids())) == ("euclidean", ["a", "b"])
    assert docs.get("a") == ([1.0, 2.0, 3.0, 4.0], {"k": 1})
    assert notes.get("n") == ([1.0, 0.5], {"text": "hi"})
    assert notes.metric == "euclidean"  # an unsaved log records no metric: the argument's
    client.close()


@pytest.mark.parametrize("kwargs, match", [
    ({"dim": DIM + 1}, "dimension 8; dim=9"),
    ({"metric": "cosine"}, "metric 'euclidean'; metric='cosine'"),
])
def test_arguments_that_contradict_the_vctrs_files_are_a_value_error_and_write_nothing(
        saved_with_log, kwargs, match):
    before = _files(saved_with_log)
    with pytest.raises(ValueError, match=match):
        herondb.Database(saved_with_log, **kwargs)
    assert _files(saved_with_log) == before


def test_opening_without_dim_migrates_rather_than_asking_for_dim(saved_with_log):
    with herondb.Database(saved_with_log) as h:
        assert len(h) == 60


def test_read_only_open_of_a_vctrs_database_is_a_value_error_and_writes_nothing(saved_with_log):
    before = _files(saved_with_log)
    with pytest.raises(ValueError, match="migrate"):
        herondb.Database(saved_with_log, read_only=True)
    assert _files(saved_with_log) == before


def test_records_herondb_refuses_name_the_ids_and_write_nothing(tmp_path):
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=2, metric="cosine")
    db.add_many(["fine", "zero", "nan"], [[1.0, 0.0], [0.0, 0.0], [float("nan"), 1.0]])
    db.save()
    del db
    before = _files(path)
    with pytest.raises(ValueError, match="'zero': its vector is all zeros.*'nan'|'nan'.*'zero'"):
        herondb.Database(path)
    assert _files(path) == before
    report = _vctrs.migrate(path, str(tmp_path / "out"), skip_invalid=True)
    assert report is not None and sorted(report.skipped) == ["nan", "zero"] and report.records == 1
    with herondb.Database(str(tmp_path / "out")) as h:
        assert h.ids() == ["fine"]


def test_a_log_whose_records_were_all_deleted_migrates_to_an_empty_database(tmp_path):
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=2)
    db.add("a", [1.0, 1.0])
    db.delete("a")
    del db
    with herondb.Database(path) as h:  # the logged vector gives the dimension
        assert (len(h), h.dim) == (0, 2)


def test_a_log_without_any_vector_and_no_dim_is_a_value_error_naming_dim(tmp_path):
    path = str(tmp_path / "vdb")
    db = vctrs.Database(path, dim=2)
    db.add("a", [1.0, 1.0])
    del db
    os.truncate(os.path.join(path, "wal.vctrs"), 0)  # killed before its first entry was written
    with pytest.raises(ValueError, match="dim="):
        herondb.Database(path)
    assert os.listdir(path) == ["wal.vctrs"]
    with herondb.Database(path, dim=2) as h:
        assert len(h) == 0 and h.dim == 2


# ------------------------------------------------------------------ damage

def _saved_small(tmp_path, name="vdb", wal=True):
    path = str(tmp_path / name)
    db = vctrs.Database(path, dim=3, metric="euclidean")
    db.add_many(["a", "b", "c", "d"], [[1, 2, 3], [3, 2, 1], [0, 1, 0], [5, 5, 5]],
                [{"x": 1}, None, {"y": [1, 2]}, {"z": "w"}])
    db.delete("b")
    db.save()
    if wal:
        db.add("e", [9.0, 8.0, 7.0], {"late": True})
        db.update("a", metadata={"x": 2})
    del db
    return path


@pytest.mark.parametrize("damage, file", [
    (lambda b: b[: len(b) // 2], "graph.vctrs"),
    (lambda b: b[:-1], "graph.vctrs"),
    (lambda b: b + b"\0", "graph.vctrs"),
    (lambda b: b"\xff" + b[1:], "graph.vctrs"),           # magic
    (lambda b: b[:8] + b"\xff\xff\x00\x00" + b[12:], "graph.vctrs"),  # dimension
    (lambda b: b[:12] + b"\x07" + b[13:], "graph.vctrs"),  # metric code
    (lambda b: b[:-4], "vectors.bin"),
    (lambda b: b + b"\0\0\0\0", "vectors.bin"),
    (lambda b: b[:20] + bytes([b[20] ^ 0x40]) + b[21:], "wal.vctrs"),  # checksum mismatch
    (lambda b: b"\x09" + b[1:], "wal.vctrs"),                        # checksum mismatch on the op
])
def test_a_damaged_vctrs_file_is_a_corruption_error_naming_it_and_nothing_is_written(
        tmp_path, damage, file):
    path = _saved_small(tmp_path)
    target = os.path.join(path, file)
    with open(target, "rb") as f:
        data = f.read()
    with open(target, "wb") as f:
        f.write(damage(data))
    before = _files(path)
    with pytest.raises(CorruptionError, match=file.replace(".", r"\.")):
        herondb.Database(path)
    assert _files(path) == before


def test_a_missing_vectors_file_is_a_corruption_error(tmp_path):
    path = _saved_small(tmp_path, wal=False)
    os.remove(os.path.join(path, "vectors.bin"))
    with pytest.raises(CorruptionError, match="vectors.bin"):
        herondb.Database(path)
    assert sorted(os.listdir(path)) == ["graph.vctrs"]
    open(os.path.join(path, "meta.vctrs"), "wb").close()  # what vctrs before 0.3.0 wrote beside it
    with pytest.raises(CorruptionError, match="older than vctrs 0.3.0"):
        herondb.Database(path)


def test_a_log_cut_inside_its_last_entry_keeps_the_entries_before_it(tmp_path):
    path = _saved_small(tmp_path)
    wal = os.path.join(path, "wal.vctrs")
    with open(wal, "rb") as f:
        data = f.read()
    with open(wal, "wb") as f:
        f.write(data[:-3])  # what a process killed mid-append leaves
    h, migrated = _open_with_warning(path)
    assert sorted(h.ids()) == ["a", "c", "d", "e"] and h.get("a")[1] == {"x": 1}
    assert "cut short" in str(migrated[0].message)
    h.close()


def test_every_single_byte_flip_or_cut_of_graph_vctrs_is_caught_or_read_safely(tmp_path):
    path = _saved_small(tmp_path, wal=False)
    graph = os.path.join(path, "graph.vctrs")
    with open(graph, "rb") as f:
        good = f.read()
    probe = str(tmp_path / "probe")
    shutil.copytree(path, probe)
    pgraph = os.path.join(probe, "graph.vctrs")
    flips_caught = 0
    for i in range(len(good)):
        with open(pgraph, "wb") as f:
            f.write(good[:i])  # every cut is damage that the reader must see
        with pytest.raises(CorruptionError, match="graph.vctrs"):
            _core._vctrs_read(probe)
        with open(pgraph, "wb") as f:
            f.write(good[:i] + bytes([good[i] ^ 0xFF]) + good[i + 1:])
        try:
            _core._vctrs_read(probe)
        except CorruptionError as exc:
            assert "graph.vctrs" in str(exc) or "vectors.bin" in str(exc)
            flips_caught += 1
    # Flips inside ids, metadata text or graph links can look like good data
    # (vctrs's files carry no checksums); the counts and magic numbers cannot.
    assert flips_caught > len(good) // 2


def test_a_migration_interrupted_before_current_leaves_no_database_and_reruns(tmp_path, monkeypatch):
    path = _saved_small(tmp_path)
    real_replace = os.replace

    def failing_replace(src, dst):
        if os.path.basename(dst) == "CURRENT":
            raise OSError(28, "No space left on device (simulated)")
        return real_replace(src, dst)

    monkeypatch.setattr(_vctrs.os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        herondb.Database(path)
    assert "CURRENT" not in os.listdir(path)
    assert not [n for n in os.listdir(path) if n.startswith(".herondb-migrate-")]
    monkeypatch.setattr(_vctrs.os, "replace", real_replace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with herondb.Database(path) as h:
            assert sorted(h.ids()) == ["a", "c", "d", "e"]


def test_a_migration_while_another_process_holds_the_lock_is_refused_at_once(tmp_path):
    path = _saved_small(tmp_path)
    fd = os.open(os.path.join(path, "LOCK"), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # flock conflicts between open file descriptions, even in one process.
        with pytest.raises(DatabaseLockedError):
            herondb.Database(path)
        assert "CURRENT" not in os.listdir(path)
        # Refused before reading: even a damaged vctrs file is not looked at.
        with open(os.path.join(path, "vectors.bin"), "ab") as f:
            f.write(b"\0")
        with pytest.raises(DatabaseLockedError):
            herondb.Database(path)
    finally:
        os.close(fd)


# --------------------------------------------------------------------- CLI

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "herondb", *map(str, args)],
                          capture_output=True, text=True)


def test_cli_migrate_into_a_new_directory_leaves_the_source_as_it_was(saved_with_log, tmp_path):
    want, _ = _vctrs_truth(saved_with_log, tmp_path)
    before = _files(saved_with_log)
    dest = tmp_path / "migrated"
    p = _cli("migrate", saved_with_log, dest, "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["ok"] is True and doc["records"] == len(want) and doc["dim"] == DIM
    assert _files(saved_with_log) == before
    with herondb.Database(str(dest)) as h:
        _same_records(_herondb_records(h), want)


def test_cli_migrate_in_place_then_again_reports_already_migrated(saved_with_log):
    p = _cli("migrate", saved_with_log)
    assert p.returncode == 0, p.stderr
    assert "60 records" in p.stdout
    p = _cli("migrate", saved_with_log)
    assert p.returncode == 1 and "already" in p.stderr


def test_cli_migrate_of_a_damaged_database_exits_1_naming_the_file(tmp_path):
    path = _saved_small(tmp_path)
    with open(os.path.join(path, "vectors.bin"), "ab") as f:
        f.write(b"\0")
    p = _cli("migrate", path, tmp_path / "out")
    assert p.returncode == 1 and "vectors.bin" in p.stderr
    assert not os.path.exists(tmp_path / "out")


def test_cli_commands_on_an_unmigrated_vctrs_directory_point_to_migrate(saved_with_log):
    before = _files(saved_with_log)
    p = _cli("info", saved_with_log)
    assert p.returncode == 1 and "herondb migrate" in p.stderr
    assert _files(saved_with_log) == before


def test_async_database_open_migrates_a_vctrs_directory_off_the_event_loop(tmp_path):
    import asyncio

    path = _saved_small(tmp_path)

    async def main():
        async with await herondb.AsyncDatabase.open(path) as db:
            return sorted(db.ids()), await db.get("e")

    ids, e = asyncio.run(main())
    assert ids == ["a", "c", "d", "e"] and e == ([9.0, 8.0, 7.0], {"late": True})
