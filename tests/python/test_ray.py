"""herondb.ray on a local Ray cluster (started once for the module, 2 CPUs):
the datasink, the datasource, batch retrieval and the serving handle agree
with one ShardedDatabase and with one unsharded Database; killed or failed
jobs never leave a manifest that points at a half-built shard; bad input is a
clear error."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")  # installed by scripts/setup.sh (the herondb[ray] extra)
pd = pytest.importorskip("pandas")

import herondb  # noqa: E402
from herondb import Database, ShardedDatabase  # noqa: E402
from herondb.ray import (  # noqa: E402
    HeronDBDatasink,
    HeronDBDatasource,
    HeronDBSearcher,
    HeronDBService,
    read_herondb,
)
from herondb.sharded import MANIFEST_NAME, read_manifest  # noqa: E402

HERE = Path(__file__).resolve().parent
N, DIM, SHARDS = 1500, 16, 3  # every shard and the single database scan exactly (< 2048 slots)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # Workers must import herondb and this module (the test sinks below).
    paths = [str(Path(herondb.__file__).resolve().parent.parent), str(HERE)]
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + ([old] if old else []))
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _temp_dir=str(tmp_path_factory.mktemp("ray")), configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    ids = [f"doc-{i}" for i in range(N)]
    vecs = rng.normal(size=(N, DIM)).astype(np.float32)
    words = "gzip zlib stream socket thread vector index parse token archive".split()
    titles = [f"title {i % 7} " + " ".join(rng.choice(words, size=1 + i % 4)) for i in range(N)]
    nums = [int(i) for i in range(N)]
    metas = [{"title": t, "n": n} for t, n in zip(titles, nums)]
    return ids, vecs, metas


def _dataset(data, blocks=4):
    ids, vecs, metas = data
    df = pd.DataFrame({"id": ids, "emb": list(vecs), "title": [m["title"] for m in metas],
                       "n": [m["n"] for m in metas], "other": 1})
    return ray.data.from_pandas(df).repartition(blocks)


def _sink(path, **kw):
    args = dict(dim=DIM, num_shards=SHARDS, id_column="id", vector_column="emb",
                metadata_columns=["title", "n"])
    args.update(kw)
    return HeronDBDatasink(path, **args)


@pytest.fixture(scope="module")
def built(cluster, data, tmp_path_factory):
    """A sharded database built by the datasink, and the same one built by add_many."""
    root = tmp_path_factory.mktemp("built")
    path = root / "sink"
    _dataset(data).write_datasink(_sink(path))
    ids, vecs, metas = data
    with ShardedDatabase(path) as db:
        db.create_text_index("title")
    ref = ShardedDatabase(root / "ref", dim=DIM, num_shards=SHARDS)
    ref.add_many(ids, vecs, metas)
    ref.create_text_index("title")
    single = Database(root / "single", dim=DIM)
    single.add_many(ids, vecs, metas)
    yield path, ref, single
    ref.close()
    single.close()


@pytest.fixture(scope="module")
def queries():
    return np.random.default_rng(7).normal(size=(25, DIM)).astype(np.float32)


# ------------------------------------------------------------------ datasink


def test_datasink_builds_the_same_records_as_add_many(built, data):
    path, ref, _ = built
    ids, vecs, metas = data
    man = read_manifest(str(path))
    assert man["num_shards"] == SHARDS and sum(man["shard_counts"]) == N
    assert sorted(os.listdir(path)) == [MANIFEST_NAME] + [f"shard-{s:04d}" for s in range(SHARDS)]
    db = ShardedDatabase(path, read_only=True)
    assert man["shard_counts"] == [len(Database(p, read_only=True)) for p in db.shard_paths]
    assert sorted(db.ids()) == sorted(ids)
    for i in (0, 1, 777, N - 1):
        assert db.get(ids[i]) == (vecs[i].tolist(), metas[i])
        assert db.shard_for(ids[i]) == ref.shard_for(ids[i])
    db.verify()
    db.close()


def test_sharded_exact_search_equals_one_unsharded_database(built, queries):
    path, ref, single = built
    db = ShardedDatabase(path, read_only=True)
    for flt in (None, {"title": {"$match": "socket"}}, {"n": {"$lt": 100}}):
        want = single.search_many(queries, k=10, where_filter=flt)
        assert db.search_many(queries, k=10, where_filter=flt) == want
        assert ref.search_many(queries, k=10, where_filter=flt) == want
    db.close()


# ---------------------------------------------------------------- datasource


def test_read_herondb_gives_every_record_with_one_read_task_per_shard(built, data):
    path, _, _ = built
    ids, vecs, metas = data
    assert len(HeronDBDatasource(path).get_read_tasks(parallelism=64)) == SHARDS
    rows = read_herondb(path, rows_per_block=400).take_all()
    assert len(rows) == N
    by_id = {r["id"]: r for r in rows}
    assert sorted(by_id) == sorted(ids)
    for i in (0, 5, 900, N - 1):
        np.testing.assert_array_equal(by_id[ids[i]]["vector"], vecs[i])
        assert by_id[ids[i]]["metadata"] == metas[i]


def test_resharding_through_read_herondb_and_the_datasink_keeps_every_record(built, data, tmp_path,
                                                                             queries):
    path, _, single = built
    ids, vecs, metas = data
    new = tmp_path / "resharded"
    read_herondb(path).write_datasink(
        HeronDBDatasink(new, dim=DIM, num_shards=2, metadata_column="metadata"))
    db = ShardedDatabase(new, read_only=True)
    assert db.num_shards == 2 and sorted(db.ids()) == sorted(ids)
    for i in (0, 3, N - 1):
        assert db.get(ids[i]) == (vecs[i].tolist(), metas[i])
    assert db.search_many(queries, k=10) == single.search_many(queries, k=10)
    db.close()


# ---------------------------------------------------------- batch retrieval


def test_batch_retrieval_equals_sharded_search(built, queries):
    path, ref, _ = built
    qds = ray.data.from_pandas(pd.DataFrame({"qid": range(len(queries)), "vector": list(queries)}))
    out = qds.map_batches(
        HeronDBSearcher,
        fn_constructor_kwargs={"path": str(path), "k": 5, "include_metadata": True},
        concurrency=1,
        batch_size=10,
    ).take_all()
    want = ref.search_many(queries, k=5)
    assert len(out) == len(queries)
    for row in out:
        w = want[row["qid"]]
        assert list(row["result_ids"]) == [r.id for r in w]
        assert list(row["result_distances"]) == [r.distance for r in w]
        assert list(row["result_metadata"]) == [r.metadata for r in w]


# ------------------------------------------------------------------- serving


def test_serving_handle_merges_like_sharded_database(built, queries):
    path, ref, _ = built
    svc = HeronDBService(path, replicas_per_shard=2, actor_options={"num_cpus": 0})
    try:
        assert svc.search(queries[0], k=7) == ref.search(queries[0], k=7)
        flt = {"title": {"$match": "title 1"}}
        assert svc.search(queries[1], k=3, where_filter=flt) == ref.search(queries[1], k=3, where_filter=flt)
        assert svc.search_many(queries, k=10) == ref.search_many(queries, k=10)
        assert svc.search_many(queries.tolist(), k=2) == ref.search_many(queries, k=2)
        assert svc.count({"title": {"$match": "gzip"}}) == ref.count({"title": {"$match": "gzip"}})
        assert svc.search_text("gzip socket", k=8) == ref.search_text("gzip socket", k=8)
        for fusion in ("rrf", "weighted"):
            assert svc.hybrid_search(queries[2], "thread token", k=6, fusion=fusion) == \
                ref.hybrid_search(queries[2], "thread token", k=6, fusion=fusion)
        with pytest.raises(ValueError, match="k must be"):
            svc.search(queries[0], k=0)
        with pytest.raises(ValueError, match="dimension"):
            svc.search([1.0, 2.0], k=1)
    finally:
        svc.shutdown()


# ------------------------------------------------- failures and retries


class KillFirstWriteSink(HeronDBDatasink):
    """Stages its rows, then its worker process is killed (first attempt only)."""

    def write(self, blocks, ctx):
        result = super().write(blocks, ctx)
        marker = Path(self.path).parent / (Path(self.path).name + ".killed-write")
        if not marker.exists():
            marker.write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)
        return result


class KillFirstBuildSink(HeronDBDatasink):
    """Builds shard 1 and renames it into place, then dies (first attempt only)."""

    def build_shard(self, shard, task_dirs):
        result = super().build_shard(shard, task_dirs)
        marker = Path(self.path).parent / (Path(self.path).name + ".killed-build")
        if shard == 1 and not marker.exists():
            marker.write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)
        return result


class AlwaysFailSink(HeronDBDatasink):
    def write(self, blocks, ctx):
        super().write(blocks, ctx)
        raise RuntimeError("injected failure after staging")


def _assert_complete(path, data):
    ids, vecs, metas = data
    db = ShardedDatabase(path, read_only=True)
    assert len(db) == N and sorted(db.ids()) == sorted(ids)
    assert sum(read_manifest(str(path))["shard_counts"]) == N
    assert db.get(ids[10]) == (vecs[10].tolist(), metas[10])
    assert not (Path(path) / ".herondb-staging").exists()
    db.close()


def test_a_killed_write_task_is_retried_and_the_manifest_is_complete(cluster, data, tmp_path):
    path = tmp_path / "db"
    _dataset(data).write_datasink(KillFirstWriteSink(path, dim=DIM, num_shards=SHARDS,
                                                     vector_column="emb", metadata_columns=["title", "n"]))
    assert (tmp_path / "db.killed-write").exists()
    _assert_complete(path, data)


def test_a_killed_shard_build_is_retried_and_the_manifest_is_complete(cluster, data, tmp_path):
    path = tmp_path / "db"
    _dataset(data, blocks=2).write_datasink(KillFirstBuildSink(path, dim=DIM, num_shards=SHARDS,
                                                               vector_column="emb",
                                                               metadata_columns=["title", "n"]))
    assert (tmp_path / "db.killed-build").exists()
    _assert_complete(path, data)


def test_a_failed_job_leaves_no_manifest_and_a_retried_job_completes(cluster, data, tmp_path):
    path = tmp_path / "db"
    with pytest.raises(Exception, match="injected failure"):
        _dataset(data, blocks=2).write_datasink(AlwaysFailSink(path, dim=DIM, num_shards=SHARDS,
                                                               vector_column="emb",
                                                               metadata_columns=["title", "n"]))
    assert not (path / MANIFEST_NAME).exists()
    with pytest.raises(ValueError):
        ShardedDatabase(path)
    _dataset(data, blocks=2).write_datasink(_sink(path))
    _assert_complete(path, data)


def test_duplicate_ids_across_write_tasks_fail_the_job_without_a_manifest(cluster, data, tmp_path):
    ids, vecs, metas = data
    df = pd.DataFrame({"id": ids[:50] + ids[:1], "emb": list(vecs[:51]), "title": "t", "n": 0})
    path = tmp_path / "db"
    with pytest.raises(Exception, match="doc-0"):
        ray.data.from_pandas(df).repartition(2).write_datasink(_sink(path))
    assert not (path / MANIFEST_NAME).exists()


# ------------------------------------------------------------------ bad input


def test_vectors_of_mismatched_dimensions_are_a_clear_error(cluster, data, tmp_path):
    ids, vecs, _ = data
    rows = [list(v) for v in vecs[:20]]
    rows[13] = rows[13][:-1]
    df = pd.DataFrame({"id": ids[:20], "emb": [np.asarray(r, dtype=np.float32) for r in rows],
                       "title": "t", "n": 0})
    path = tmp_path / "db"
    with pytest.raises(Exception, match=r"dimension 15.*expected 16|expected 16") as info:
        ray.data.from_pandas(df).write_datasink(_sink(path))
    assert isinstance(info.value, ValueError) or "ValueError" in str(info.value)
    assert not (path / MANIFEST_NAME).exists()


def test_a_missing_column_is_a_clear_error_naming_it(cluster, data, tmp_path):
    path = tmp_path / "db"
    with pytest.raises(ValueError, match="column 'body' is not in the dataset"):
        _dataset(data, blocks=1).write_datasink(_sink(path, metadata_columns=["title", "body"]))
    assert not (path / MANIFEST_NAME).exists()


def test_a_path_holding_a_plain_database_is_a_clear_error_everywhere(cluster, tmp_path, data):
    plain = tmp_path / "plain"
    Database(plain, dim=DIM).close()
    before = sorted(os.listdir(plain))
    with pytest.raises(ValueError, match="plain herondb database"):
        _dataset(data, blocks=1).write_datasink(_sink(plain))
    with pytest.raises(ValueError, match="plain herondb database"):
        read_herondb(plain)
    with pytest.raises(ValueError, match="plain herondb database"):
        HeronDBSearcher(plain)
    with pytest.raises(ValueError, match="plain herondb database"):
        HeronDBService(plain)
    assert sorted(os.listdir(plain)) == before
    foreign = tmp_path / "foreign"
    (foreign / "shard-0001").mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        _dataset(data, blocks=1).write_datasink(_sink(foreign))
    assert sorted(os.listdir(foreign)) == ["notes.txt", "shard-0001"]


def test_writing_over_an_existing_sharded_database_is_refused(built, data):
    path, _, _ = built
    with pytest.raises(ValueError, match="already holds a sharded"):
        _dataset(data, blocks=1).write_datasink(_sink(path))
    assert sum(read_manifest(str(path))["shard_counts"]) == N


def test_datasink_arguments_are_checked_when_it_is_made(tmp_path):
    with pytest.raises(TypeError, match="dim"):
        HeronDBDatasink(tmp_path, dim="8", num_shards=2)
    with pytest.raises(ValueError, match="num_shards"):
        HeronDBDatasink(tmp_path, dim=8, num_shards=0)
    with pytest.raises(TypeError, match="metadata_columns"):
        HeronDBDatasink(tmp_path, dim=8, num_shards=2, metadata_columns="title")
    with pytest.raises(ValueError, match="metric"):
        HeronDBDatasink(tmp_path, dim=8, num_shards=2, metric="hamming")
    with pytest.raises(TypeError, match="metadata_column"):
        HeronDBDatasink(tmp_path, dim=8, num_shards=2, metadata_column=["m"])
    with pytest.raises(ValueError, match="no sharded herondb database"):
        read_herondb(tmp_path / "nothing")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
