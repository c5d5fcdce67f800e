"""ShardedDatabase: routing, the manifest, the Database API over N shards, and
what a crash in the middle of a cross-shard batch leaves (api-decisions D23)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import herondb
from herondb import CorruptionError, Database, DatabaseLockedError, ShardedDatabase
from herondb.sharded import MANIFEST_NAME, merge_top_k, read_manifest, shard_for_id

from conftest import METRICS, ref_distances

HERE = Path(__file__).resolve().parent


def _fill(db, n=300, seed=3, dim=None):
    rng = np.random.default_rng(seed)
    dim = dim or db.dim
    ids = [f"id{i}" for i in range(n)]
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    metas = [{"i": i, "even": i % 2 == 0, "tag": ["a", "b", "c"][i % 3]} for i in range(n)]
    db.add_many(ids, vecs, metas)
    return ids, vecs, metas


@pytest.fixture
def sdb(tmp_path):
    db = ShardedDatabase(tmp_path / "s", dim=8, num_shards=4)
    yield db
    db.close()


# ----------------------------------------------------------------- routing


def test_routing_is_blake2b_64_little_endian_mod_n_with_pinned_values():
    # Pinned: changing these values would move existing records to other shards.
    pinned = {
        "": 13020603013274838756,
        "a": 3405396810240292928,
        "doc-1": 4752762565065110614,
        "é": 3394012004367669963,
        "日本": 4223062404410717160,
    }
    for id_, h in pinned.items():
        for n in (1, 2, 3, 4, 7, 16, 4096):
            assert shard_for_id(id_, n) == h % n


def test_routing_spreads_ids_evenly():
    counts = [0] * 8
    for i in range(8000):
        counts[shard_for_id(f"doc-{i}", 8)] += 1
    assert min(counts) > 800 and max(counts) < 1200


def test_routing_rejects_non_str_and_invalid_unicode_ids():
    with pytest.raises(TypeError, match="str"):
        shard_for_id(5, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unicode"):
        shard_for_id("\udc80", 4)


def test_every_record_lands_in_the_shard_its_id_routes_to(tmp_path):
    path = tmp_path / "s"
    with ShardedDatabase(path, dim=8, num_shards=3) as db:
        ids, _, _ = _fill(db, n=120)
        db.add("single", np.ones(8))
        ids.append("single")
    for s in range(3):
        shard = Database(path / f"shard-{s:04d}", read_only=True)
        want = sorted(i for i in ids if shard_for_id(i, 3) == s)
        assert sorted(shard.ids()) == want and want
        shard.close()


# ---------------------------------------------------------- create and open


def test_create_writes_a_checksummed_manifest_with_parameters_and_routing(tmp_path):
    path = tmp_path / "s"
    db = ShardedDatabase(path, dim=8, metric="L2", m=8, ef_construction=50, num_shards=3)
    man = read_manifest(str(path))
    assert man["dim"] == 8 and man["metric"] == "euclidean"
    assert man["m"] == 8 and man["ef_construction"] == 50 and man["quantize"] is False
    assert man["num_shards"] == 3 and man["shard_counts"] == [0, 0, 0]
    assert man["routing"] == {"name": "blake2b64-mod", "version": 1}
    assert sorted(os.listdir(path)) == [MANIFEST_NAME, "shard-0000", "shard-0001", "shard-0002"]
    assert (db.dim, db.metric, db.m, db.ef_construction, db.num_shards) == (8, "euclidean", 8, 50, 3)
    db.close()


def test_reopen_detects_everything_from_the_manifest(tmp_path):
    path = tmp_path / "s"
    with ShardedDatabase(path, dim=8, metric="dot", num_shards=2) as db:
        _fill(db, n=50)
    db = ShardedDatabase(path)
    assert (db.dim, db.metric, db.num_shards, len(db)) == (8, "dot_product", 2, 50)
    db.close()
    db = ShardedDatabase(path, dim=8, metric="dot_product", num_shards=2)  # agreeing values are fine
    assert len(db) == 50
    db.close()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dim": 9}, "dimension mismatch"),
        ({"metric": "euclidean"}, "metric mismatch"),
        ({"num_shards": 3}, "num_shards mismatch"),
    ],
)
def test_reopen_with_mismatching_parameters_is_a_value_error(tmp_path, kwargs, message):
    path = tmp_path / "s"
    ShardedDatabase(path, dim=8, num_shards=2).close()
    with pytest.raises(ValueError, match=message):
        ShardedDatabase(path, **kwargs)


def test_a_path_holding_a_plain_database_is_a_clear_error(tmp_path):
    path = tmp_path / "plain"
    Database(path, dim=8).close()
    with pytest.raises(ValueError, match="plain herondb database"):
        ShardedDatabase(path)
    with pytest.raises(ValueError, match="plain herondb database"):
        ShardedDatabase(path, dim=8, num_shards=2)
    assert not (path / MANIFEST_NAME).exists()
    assert len(Database(path, read_only=True)) == 0


def test_opening_without_dim_where_nothing_exists_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="pass dim"):
        ShardedDatabase(tmp_path / "none")
    assert not (tmp_path / "none").exists()
    with pytest.raises(ValueError, match="read-only"):
        ShardedDatabase(tmp_path / "none", dim=4, num_shards=2, read_only=True)


def test_creating_requires_num_shards_and_checks_its_type_and_range(tmp_path):
    with pytest.raises(ValueError, match="num_shards is required"):
        ShardedDatabase(tmp_path / "a", dim=4)
    with pytest.raises(TypeError, match="num_shards"):
        ShardedDatabase(tmp_path / "a", dim=4, num_shards="2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="num_shards"):
        ShardedDatabase(tmp_path / "a", dim=4, num_shards=0)
    with pytest.raises(ValueError, match="at most"):
        ShardedDatabase(tmp_path / "a", dim=4, num_shards=5000)
    with pytest.raises(TypeError, match="path"):
        ShardedDatabase(3, dim=4, num_shards=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="metric"):
        ShardedDatabase(tmp_path / "a", dim=4, metric="hamming", num_shards=2)
    assert not (tmp_path / "a").exists()


def test_a_non_empty_foreign_directory_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other"
    path.mkdir()
    (path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a sharded herondb database"):
        ShardedDatabase(path, dim=4, num_shards=2)
    assert os.listdir(path) == ["notes.txt"]


def test_shard_folders_without_a_manifest_are_an_incomplete_database(tmp_path):
    path = tmp_path / "s"
    with ShardedDatabase(path, dim=4, num_shards=2) as db:
        db.add_many(["a", "b", "c", "d"], np.ones((4, 4)))
    os.unlink(path / MANIFEST_NAME)  # as if the build had died before its last step
    with pytest.raises(ValueError, match="incomplete"):
        ShardedDatabase(path)
    with pytest.raises(ValueError, match="incomplete"):
        ShardedDatabase(path, dim=4, num_shards=2)  # never adopts shards that hold records


def test_an_interrupted_create_with_empty_shards_is_completed_by_creating_again(tmp_path):
    path = tmp_path / "s"
    ShardedDatabase(path, dim=4, num_shards=2).close()
    os.unlink(path / MANIFEST_NAME)  # the create died just before writing the manifest
    db = ShardedDatabase(path, dim=4, num_shards=2)
    db.add("a", [1, 2, 3, 4])
    db.close()
    assert len(ShardedDatabase(path, read_only=True)) == 1


def test_a_damaged_manifest_is_a_corruption_error_naming_it(tmp_path):
    path = tmp_path / "s"
    ShardedDatabase(path, dim=4, num_shards=2).close()
    file = path / MANIFEST_NAME
    doc = json.loads(file.read_text())
    doc["dim"] = 5  # content changed, checksum not
    file.write_text(json.dumps(doc))
    with pytest.raises(CorruptionError, match=MANIFEST_NAME):
        ShardedDatabase(path)
    file.write_text("{not json")
    with pytest.raises(CorruptionError, match=MANIFEST_NAME):
        ShardedDatabase(path)


def test_a_missing_shard_is_a_corruption_error_naming_it(tmp_path):
    path = tmp_path / "s"
    ShardedDatabase(path, dim=4, num_shards=3).close()
    import shutil

    shutil.rmtree(path / "shard-0001")
    with pytest.raises(CorruptionError, match="shard-0001"):
        ShardedDatabase(path)


def test_a_shard_whose_dim_disagrees_with_the_manifest_is_a_corruption_error(tmp_path):
    path = tmp_path / "s"
    ShardedDatabase(path, dim=4, num_shards=2).close()
    import shutil

    shutil.rmtree(path / "shard-0001")
    Database(path / "shard-0001", dim=6).close()
    with pytest.raises(CorruptionError, match="shard-0001"):
        ShardedDatabase(path)


def test_a_second_writer_gets_database_locked_and_releases_what_it_took(tmp_path):
    path = tmp_path / "s"
    first = ShardedDatabase(path, dim=4, num_shards=2)
    code = (
        "import sys, herondb\n"
        "try:\n    herondb.ShardedDatabase(sys.argv[1])\n"
        "except herondb.DatabaseLockedError:\n    print('locked')\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         env={**os.environ}, timeout=60)
    assert out.stdout.strip() == "locked", out.stderr
    first.close()
    ShardedDatabase(path).close()


# ------------------------------------------------------------- the API


def test_single_record_calls_route_by_id(sdb):
    sdb.add("a", [1, 0, 0, 0, 0, 0, 0, 0], {"x": 1})
    sdb.upsert("b", np.arange(1, 9), {"x": 2})
    assert "a" in sdb and "b" in sdb and "c" not in sdb and 5 not in sdb
    assert len(sdb) == 2
    vec, meta = sdb.get("a")
    assert vec[0] == 1.0 and meta == {"x": 1}
    sdb.update("a", metadata={"x": 3})
    assert sdb.get("a")[1] == {"x": 3}
    sdb.update("a", vector=np.ones(8))
    assert sdb.get("a") == ([1.0] * 8, {"x": 3})
    with pytest.raises(ValueError, match="already exists|exists"):
        sdb.add("a", np.ones(8))
    with pytest.raises(ValueError):
        sdb.update("missing", metadata={})
    with pytest.raises(ValueError):
        sdb.get("missing")
    assert sdb.delete("a") is True and sdb.delete("a") is False
    assert "a" not in sdb and len(sdb) == 1
    sdb.add("a", np.ones(8))  # D10: add of a deleted id works
    assert sorted(sdb.ids()) == ["a", "b"]


def test_add_many_with_a_duplicate_across_shards_writes_nothing(sdb):
    ids = [f"x{i}" for i in range(40)] + ["x3"]
    with pytest.raises(ValueError, match="duplicate id 'x3'"):
        sdb.add_many(ids, np.ones((41, 8)))
    assert len(sdb) == 0


def test_add_many_of_an_id_that_exists_in_any_shard_writes_nothing(sdb):
    sdb.add("x17", np.ones(8))
    with pytest.raises(ValueError, match="'x17' already exists"):
        sdb.add_many([f"x{i}" for i in range(40)], np.ones((40, 8)))
    assert sdb.ids() == ["x17"]


@pytest.mark.parametrize(
    "mutate, error, message",
    [
        (lambda v, m: (v[:, :7], m), ValueError, "dimension"),
        (lambda v, m: (np.where(np.arange(40)[:, None] == 39, np.nan, v), m), ValueError, "NaN"),
        (lambda v, m: (np.where(np.arange(40)[:, None] == 39, 0.0, v), m), ValueError, "zeros"),
        (lambda v, m: (v[:39], m), ValueError, "40 ids but 39 vectors"),
        (lambda v, m: (v, m[:39]), ValueError, "40 ids but 39 metadatas"),
        (lambda v, m: (v, m[:39] + ["x"]), TypeError, "dict"),
        (lambda v, m: (v, m[:39] + [{"s": {1, 2}}]), TypeError, "set"),
        (lambda v, m: (v, m[:39] + [{"f": float("inf")}]), ValueError, "finite"),
        (lambda v, m: (v, m[:39] + [{1: 2}]), TypeError, "keys"),
        (lambda v, m: (v.astype(bool), m), TypeError, "numeric|real"),
        (lambda v, m: (v[0], m), TypeError, "2-D"),
    ],
)
def test_a_bad_item_anywhere_in_a_batch_writes_nothing_to_any_shard(sdb, mutate, error, message):
    sdb.add("keep", np.ones(8), {"k": 1})
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(40, 8)).astype(np.float32)
    metas = [{"i": i} for i in range(40)]
    v, m = mutate(vecs, metas)
    for method in (sdb.add_many, sdb.upsert_many):
        with pytest.raises(error, match=message):
            method([f"n{i}" for i in range(40)], v, m)
        assert sdb.ids() == ["keep"] and sdb.get("keep") == ([1.0] * 8, {"k": 1})


def test_ragged_vectors_name_the_offending_id(sdb):
    vecs = [[1.0] * 8 for _ in range(5)]
    vecs[3] = [1.0] * 9
    with pytest.raises(ValueError, match="'r3'.*dimension 9"):
        sdb.add_many([f"r{i}" for i in range(5)], vecs)
    assert len(sdb) == 0


def test_batch_ids_must_be_a_sequence_of_str(sdb):
    with pytest.raises(TypeError, match="ids"):
        sdb.add_many("abc", np.ones((3, 8)))
    with pytest.raises(TypeError, match="str"):
        sdb.add_many(["a", 2], np.ones((2, 8)))
    with pytest.raises(TypeError, match="str"):
        sdb.delete_many([1])
    assert len(sdb) == 0


def test_upsert_many_last_occurrence_wins_and_delete_many_counts(sdb):
    ids = [f"u{i}" for i in range(30)]
    sdb.upsert_many(ids + ["u5"], np.ones((31, 8)), [{"v": 1}] * 30 + [{"v": 2}])
    assert len(sdb) == 30 and sdb.get("u5")[1] == {"v": 2}
    sdb.upsert_many(ids[:10], np.full((10, 8), 2.0), [{"v": 3}] * 10)
    assert len(sdb) == 30 and sdb.get("u0") == ([2.0] * 8, {"v": 3})
    assert sdb.delete_many(ids[:12] + ["nope"]) == 12
    assert len(sdb) == 18 and sdb.delete_many([]) == 0
    sdb.add_many([], np.zeros((0, 8)))
    assert len(sdb) == 18


@pytest.mark.parametrize("metric", METRICS)
def test_exact_search_equals_one_unsharded_database(tmp_path, metric):
    rng = np.random.default_rng(11)
    n, dim = 600, 12  # below the exact-scan threshold of every shard and of the single database
    ids = [f"v{i}" for i in range(n)]
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    metas = [{"i": i, "tag": ["a", "b", "c"][i % 3]} for i in range(n)]
    single = Database(tmp_path / "one", dim=dim, metric=metric)
    single.add_many(ids, vecs, metas)
    sharded = ShardedDatabase(tmp_path / "many", dim=dim, metric=metric, num_shards=4)
    sharded.add_many(ids, vecs, metas)
    queries = rng.normal(size=(20, dim)).astype(np.float32)
    filters = [None, {"tag": "b"}, {"i": {"$lt": 40}}, {"tag": "zzz"}]
    for flt in filters:
        for k in (1, 10, 50):
            want = single.search_many(queries, k=k, where_filter=flt)
            got = sharded.search_many(queries, k=k, where_filter=flt)
            assert got == want
            for q, w in zip(queries[:3], want[:3]):
                assert sharded.search(q, k=k, where_filter=flt) == w
        assert sharded.count(flt) == single.count(flt)
    cut = float(np.median([r.distance for r in single.search(queries[0], k=50)]))
    assert sharded.search(queries[0], k=50, max_distance=cut) == single.search(queries[0], k=50, max_distance=cut)
    # the distances are the reference distances
    got = sharded.search(queries[0], k=5)
    ref = ref_distances(metric, queries[0], vecs[[int(r.id[1:]) for r in got]])
    np.testing.assert_allclose([r.distance for r in got], ref, rtol=1e-4, atol=1e-5)
    single.close()
    sharded.close()


def test_graph_search_over_shards_is_sorted_and_finds_the_neighbours(tmp_path):
    rng = np.random.default_rng(5)
    n, dim = 12000, 16  # 3000 per shard: every shard walks its graph
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    ids = [f"v{i}" for i in range(n)]
    with ShardedDatabase(tmp_path / "s", dim=dim, metric="euclidean", num_shards=4, m=8,
                         ef_construction=64) as db:
        db.add_many(ids, vecs)
        assert not any(s["uses_brute_force"] for s in db.stats()["shards"])
        queries = rng.normal(size=(30, dim)).astype(np.float32)
        results = db.search_many(queries, k=10, ef_search=200)
        hits = 0
        for q, res in zip(queries, results):
            d = [r.distance for r in res]
            assert d == sorted(d) and len(res) == 10
            truth = set(np.argsort(ref_distances("euclidean", q, vecs))[:10])
            hits += len(truth & {int(r.id[1:]) for r in res})
            np.testing.assert_allclose(
                d, ref_distances("euclidean", q, vecs[[int(r.id[1:]) for r in res]]), rtol=1e-4)
        assert hits / 300 >= 0.95


def test_a_restrictive_filter_never_makes_results_go_missing(sdb):
    _fill(sdb, n=400)
    res = sdb.search(np.ones(8), k=10, where_filter={"i": {"$in": [3, 250, 399]}})
    assert sorted(r.id for r in res) == ["id250", "id3", "id399"]
    assert sdb.search(np.ones(8), k=10, where_filter={"i": -1}) == []


def test_search_errors_are_the_database_errors(sdb):
    _fill(sdb, n=20)
    with pytest.raises(ValueError, match="k must be"):
        sdb.search(np.ones(8), k=0)
    with pytest.raises(ValueError, match="dimension"):
        sdb.search(np.ones(7))
    with pytest.raises(ValueError):
        sdb.search(np.ones(8), where_filter={"i": {"$bogus": 1}})
    with pytest.raises(ValueError, match="dimension"):
        sdb.search_many([[1.0] * 7])


def test_empty_sharded_database_searches_return_nothing(sdb):
    assert sdb.search(np.ones(8)) == [] and sdb.search_many(np.ones((3, 8))) == [[], [], []]
    assert sdb.count() == 0 and sdb.ids() == [] and len(sdb) == 0


def test_merge_top_k_keeps_the_smallest_distances_in_order():
    R = herondb.SearchResult
    a = [R("a", 0.1), R("b", 0.5)]
    b = [R("c", 0.2), R("d", 0.3), R("e", 0.9)]
    assert [r.id for r in merge_top_k([a, b], 3)] == ["a", "c", "d"]
    assert [r.id for r in merge_top_k([a, [], b], 10)] == ["a", "c", "d", "b", "e"]


def test_stats_sum_the_shards(sdb):
    _fill(sdb, n=100)
    sdb.delete("id1")
    st = sdb.stats()
    assert st["num_shards"] == 4 and st["num_vectors"] == 99 and st["num_deleted"] == 1
    assert sum(st["shard_counts"]) == 99 and len(st["shards"]) == 4
    assert sdb.deleted_count == 1 and sdb.total_slots == 100


# ----------------------------------------------------- save, compact, verify


def test_save_compact_and_close_update_the_manifest_counts(tmp_path):
    path = tmp_path / "s"
    db = ShardedDatabase(path, dim=8, num_shards=3)
    ids, _, _ = _fill(db, n=90)
    db.save()
    counts = read_manifest(str(path))["shard_counts"]
    assert counts == [sum(shard_for_id(i, 3) == s for i in ids) for s in range(3)]
    db.delete_many(ids[:30])
    db.compact()
    assert db.deleted_count == 0 and db.total_slots == 60
    assert sum(read_manifest(str(path))["shard_counts"]) == 60
    db.add("late", np.ones(8))
    db.close()
    assert sum(read_manifest(str(path))["shard_counts"]) == 61
    db = ShardedDatabase(path)
    db.verify()
    assert len(db) == 61
    db.close()


def test_verify_names_a_damaged_shard_file(tmp_path):
    path = tmp_path / "s"
    with ShardedDatabase(path, dim=8, num_shards=2) as db:
        _fill(db, n=60)
    db = ShardedDatabase(path)
    snap = sorted((path / "shard-0001").glob("snapshot-*.hdb"))[-1]
    data = bytearray(snap.read_bytes())
    data[4096 + 3] ^= 0xFF  # inside the first section
    # In place: truncating a snapshot an open database maps is outside the
    # contract (docs/storage-format.md, "Vector residency").
    with open(snap, "r+b") as f:
        f.write(bytes(data))
    with pytest.raises(CorruptionError, match="shard-0001"):
        db.verify()
    db.close()


def test_writes_survive_a_reopen_without_save(tmp_path):
    path = tmp_path / "s"
    db = ShardedDatabase(path, dim=8, num_shards=2)
    _fill(db, n=40)
    db.close()  # no save: the write-ahead logs hold everything
    db = ShardedDatabase(path)
    assert len(db) == 40 and db.get("id7")[1]["i"] == 7
    db.close()


def test_read_only_reads_beside_a_writer_and_refuses_changes(tmp_path):
    path = tmp_path / "s"
    writer = ShardedDatabase(path, dim=8, num_shards=2)
    _fill(writer, n=30)
    reader = ShardedDatabase(path, read_only=True)
    assert reader.read_only and len(reader) == 30
    assert reader.search(np.ones(8), k=3) == writer.search(np.ones(8), k=3)
    for call in (
        lambda: reader.add("z", np.ones(8)),
        lambda: reader.add_many(["z"], np.ones((1, 8))),
        lambda: reader.upsert_many(["z"], np.ones((1, 8))),
        lambda: reader.delete("id1"),
        lambda: reader.save(),
    ):
        with pytest.raises(ValueError, match="read_only"):
            call()
    assert len(reader) == 30
    reader.close()
    writer.close()


def test_a_closed_sharded_database_raises_and_close_is_idempotent(sdb):
    sdb.close()
    sdb.close()
    assert sdb.closed and "closed" in repr(sdb)
    for call in (lambda: sdb.search(np.ones(8)), lambda: len(sdb), lambda: sdb.add("a", np.ones(8)),
                 lambda: sdb.count(), lambda: "a" in sdb):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_with_block_saves_and_closes(tmp_path):
    with ShardedDatabase(tmp_path / "s", dim=8, num_shards=2) as db:
        db.add("a", np.ones(8))
    assert db.closed
    assert read_manifest(str(tmp_path / "s"))["shard_counts"] in ([1, 0], [0, 1])


def test_searches_from_many_threads_agree_with_one_thread(sdb):
    from concurrent.futures import ThreadPoolExecutor

    _fill(sdb, n=500)
    qs = np.random.default_rng(9).normal(size=(40, 8)).astype(np.float32)
    want = [sdb.search(q, k=5) for q in qs]
    with ThreadPoolExecutor(8) as ex:
        got = list(ex.map(lambda q: sdb.search(q, k=5), qs))
    assert got == want


# ------------------------------------------------------------------ crashes


def _worker(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(herondb.__file__).resolve().parent.parent), env.get("PYTHONPATH", "")])
    return subprocess.Popen([sys.executable, str(HERE / "sharded_crash_worker.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_a_crash_inside_a_cross_shard_batch_leaves_each_shard_all_or_nothing(tmp_path):
    # The last shard's part never starts: the process dies after every other
    # shard has applied its part. Atomic per shard, not across shards.
    path = tmp_path / "s"
    proc = _worker("stall", str(path))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    assert "ready" in out and "returned" not in out
    sys.path.insert(0, str(HERE))
    try:
        import sharded_crash_worker as w
    finally:
        sys.path.pop(0)
    ids, vecs, metas = w.batch(0, 400)
    db = ShardedDatabase(path)
    db.verify()
    for s in range(4):
        part = [i for i in ids if db.shard_for(i) == s]
        present = [i in db for i in part]
        assert all(present) if s < 3 else not any(present), f"shard {s}"
    got_vec, got_meta = db.get(next(i for i in ids if db.shard_for(i) == 0))
    assert got_meta is not None and got_vec == vecs[got_meta["r"]].tolist()
    db.close()


@pytest.mark.parametrize("trial", range(3))
def test_sigkill_at_a_random_moment_during_cross_shard_batches(tmp_path, trial):
    rng = random.Random(trial)
    path = tmp_path / "s"
    batches, rows = 12, 3000
    proc = _worker("loop", str(path), str(batches), str(rows))
    acked = -1
    wait_for = rng.randrange(0, 3)
    assert proc.stdout is not None
    while acked < wait_for:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        acked = int(line.split()[1])
    time.sleep(rng.uniform(0.0, 0.3))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    for line in out.splitlines():
        acked = max(acked, int(line.split()[1]))

    db = ShardedDatabase(path)
    db.verify()
    for b in range(batches):
        ids = [f"b{b}-{r}" for r in range(rows)]
        for s in range(4):
            part = [i for i in ids if db.shard_for(i) == s]
            n = sum(i in db for i in part)
            assert n in (0, len(part)), f"batch {b} shard {s}: {n} of {len(part)}"
            if b <= acked:
                assert n == len(part), f"acknowledged batch {b} lost in shard {s}"
    db.close()


# ---------------------------------------------------------- text and hybrid

WORDS = "gzip zlib stream compress archive socket thread vector index search parse token".split()


def _text_corpus(n=450, dim=8, seed=21):
    rng = np.random.default_rng(seed)
    ids = [f"t{i}" for i in range(n)]
    vecs = rng.normal(size=(n, dim)).astype(np.float32)
    metas = []
    for i in range(n):
        words = rng.choice(WORDS, size=int(rng.integers(1, 12)))
        meta = {"text": " ".join(words), "i": i}
        if i % 17 == 0:
            meta = {"i": i}  # no text field: not in the text index
        metas.append(meta)
    return ids, vecs, metas


@pytest.fixture
def text_dbs(tmp_path):
    ids, vecs, metas = _text_corpus()
    single = Database(tmp_path / "single", dim=8)
    single.add_many(ids, vecs, metas)
    single.create_text_index("text")
    one = ShardedDatabase(tmp_path / "one", dim=8, num_shards=1)
    one.add_many(ids, vecs, metas)
    one.create_text_index("text")
    many = ShardedDatabase(tmp_path / "many", dim=8, num_shards=3)
    many.add_many(ids, vecs, metas)
    many.create_text_index("text")
    yield single, one, many, vecs
    for db in (single, one, many):
        db.close()


def test_text_indexes_are_created_and_dropped_on_every_shard(tmp_path):
    path = tmp_path / "s"
    db = ShardedDatabase(path, dim=4, num_shards=3)
    db.add_many(["a", "b", "c", "d"], np.ones((4, 4)), [{"t": "gzip stream"}] * 4)
    with pytest.raises(ValueError):
        db.create_text_index("t", language="klingon")
    assert db.text_indexes == [] and all(
        Database(p, read_only=True).text_indexes == [] for p in db.shard_paths)
    db.create_text_index("t")
    with pytest.raises(ValueError):
        db.create_text_index("t")
    db.close()
    db = ShardedDatabase(path)  # definitions persist in every shard
    assert db.text_indexes == ["t"]
    assert all(Database(p, read_only=True).text_indexes == ["t"] for p in db.shard_paths)
    assert len(db.search_text("gzip", k=10)) == 4
    db.drop_text_index("t")
    with pytest.raises(ValueError):
        db.drop_text_index("t")
    assert db.text_indexes == []
    db.close()


def test_one_shard_text_and_hybrid_search_equal_one_database(text_dbs):
    single, one, _, vecs = text_dbs
    rng = np.random.default_rng(3)
    for query in ("gzip stream", "socket", "token parse vector"):
        for flt in (None, {"i": {"$lt": 200}}):
            assert one.search_text(query, k=7, where_filter=flt) == single.search_text(
                query, k=7, where_filter=flt)
            q = rng.normal(size=8).astype(np.float32)
            for kw in ({}, {"fusion": "weighted", "alpha": 0.3}, {"rrf_k": 5, "candidates": 20},
                       {"ef_search": 100, "k": 3}):
                kw = {"k": 10, **kw}
                assert one.hybrid_search(q, query, where_filter=flt, **kw) == single.hybrid_search(
                    q, query, where_filter=flt, **kw), (query, flt, kw)
    qs = rng.normal(size=(3, 8)).astype(np.float32)
    texts = ["gzip", "thread index", "archive"]
    assert one.hybrid_search_many(qs, texts, k=5) == single.hybrid_search_many(qs, texts, k=5)


def test_sharded_text_search_scores_as_one_database_even_with_tied_scores(text_dbs):
    # A small vocabulary: many records tie. The scores, rank by rank, are one
    # database's, and every record returned has its one-database score.
    single, _, many, _ = text_dbs
    for query in ("gzip stream", "compress archive token"):
        got = many.search_text(query, k=15)
        want = single.search_text(query, k=15)
        every = {r.id: r.distance for r in single.search_text(query, k=1000)}
        assert len(got) == len(want) == 15
        for g, w in zip(got, want):
            assert g.distance == pytest.approx(w.distance, rel=1e-5)
            assert g.distance == pytest.approx(every[g.id], rel=1e-5)


def test_sharded_text_search_never_comes_up_short_under_a_filter(text_dbs):
    single, _, many, _ = text_dbs
    flt = {"i": {"$in": [1, 2, 3, 5, 400]}}
    want = {r.id for r in single.search_text("gzip zlib stream compress archive socket thread "
                                             "vector index search parse token", k=10, where_filter=flt)}
    got = many.search_text("gzip zlib stream compress archive socket thread vector index search "
                           "parse token", k=10, where_filter=flt)
    assert {r.id for r in got} == want and len(want) == 5


def test_sharded_hybrid_fuses_the_exact_global_vector_list_with_the_merged_text_list(text_dbs):
    single, _, many, _ = text_dbs
    rng = np.random.default_rng(8)
    for fusion in ("rrf", "weighted"):
        q = rng.normal(size=8).astype(np.float32)
        got = many.hybrid_search(q, "gzip socket", k=10, fusion=fusion, candidates=30)
        vec = single.search(q, k=30, ef_search=64)  # exact scan: the global vector list
        txt = many.search_text("gzip socket", k=30)
        want = herondb.sharded.fuse_hybrid(vec, txt, 10, fusion, 60, 0.5)
        assert got == want
    got = many.hybrid_search_many(rng.normal(size=(2, 8)), ["gzip", "thread"], k=4)
    assert len(got) == 2 and all(len(r) == 4 for r in got)


def test_fuse_hybrid_rrf_and_weighted_against_a_hand_computed_ranking():
    R = herondb.SearchResult
    vec = [R("a", 0.1), R("b", 0.2), R("c", 0.4)]
    txt = [R("c", -3.0), R("d", -2.0), R("a", -1.0)]
    rrf = herondb.sharded.fuse_hybrid(vec, txt, 10, "rrf", 60, 0.5)
    # a: 1/61 + 1/63, c: 1/63 + 1/61 (tie: smaller id first), b: 1/62, d: 1/62
    assert [r.id for r in rrf] == ["a", "c", "b", "d"]
    assert rrf[0].distance == pytest.approx(-(1 / 61 + 1 / 63), rel=1e-6)
    w = herondb.sharded.fuse_hybrid(vec, txt, 2, "weighted", 60, 0.25)
    # vector side: a 1, b 2/3, c 0 (x 0.25); text side: c 1, d 0.5, a 0 (x 0.75)
    assert [r.id for r in w] == ["c", "d"]
    assert w[0].distance == pytest.approx(-0.75, rel=1e-6) and w[1].distance == pytest.approx(-0.375)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"query": ""}, ValueError, "non-empty"),
        ({"fusion": "max"}, ValueError, "fusion"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"k": 0}, ValueError, "k must be"),
        ({"candidates": 0}, ValueError, "candidates"),
        ({"query": 3}, TypeError, "query"),
    ],
)
def test_bad_hybrid_arguments_are_clear_errors(text_dbs, kwargs, error, message):
    _, _, many, _ = text_dbs
    args = {"vector": np.ones(8), "query": "gzip", **kwargs}
    with pytest.raises(error, match=message):
        many.hybrid_search(**args)


def test_workers_1_calls_the_shards_in_turn_with_the_same_results(tmp_path):
    path = tmp_path / "s"
    with ShardedDatabase(path, dim=8, num_shards=4) as db:
        _fill(db, n=300)
        qs = np.random.default_rng(2).normal(size=(10, 8))
        want = db.search_many(qs, k=7)
    seq = ShardedDatabase(path, workers=1)
    assert seq.search_many(qs, k=7) == want
    assert [seq.search(q, k=7) for q in qs] == want
    seq.add_many([f"new{i}" for i in range(20)], np.ones((20, 8)))
    assert len(seq) == 320 and seq._executor is None  # no thread pool was made
    seq.close()
    with pytest.raises(TypeError, match="workers"):
        ShardedDatabase(path, workers="2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workers"):
        ShardedDatabase(path, workers=0)


def test_destroy_removes_a_sharded_database_and_refuses_anything_else(tmp_path):
    from herondb.sharded import destroy

    path = tmp_path / "s"
    with ShardedDatabase(path, dim=4, num_shards=2) as db:
        db.add("a", [1, 2, 3, 4])
    destroy(path)
    assert not path.exists()
    destroy(path)  # nothing there: nothing to do
    plain = tmp_path / "plain"
    Database(plain, dim=4).close()
    with pytest.raises(ValueError, match="plain herondb database"):
        destroy(plain)
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not a sharded"):
        destroy(other)
    assert (plain / "CURRENT").exists() and (other / "keep.txt").exists()
