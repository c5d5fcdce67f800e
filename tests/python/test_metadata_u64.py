"""Metadata integers over the whole 64-bit range (issue 12 item 5).

Integers from -2**63 to 2**64-1 round-trip exactly through every path that
stores metadata (add, add_many, upsert, update, the log, snapshots, JSON
export and import); anything outside that range is a ValueError that names
the field and changes nothing; filters compare them exactly with each other
and with floats, by the same rules Python's own int/float comparisons follow.
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import herondb
from herondb.sharded import ShardedDatabase

from conftest import assert_unchanged, populated, snapshot

PKG_DIR = str(Path(herondb.__file__).resolve().parents[1])

EDGES = [2**63, 2**64 - 1, -(2**63), 2**63 - 1]
TOO_BIG = [2**64, -(2**63) - 1]


def rich(value):
    """Metadata holding `value` at the top, in a nested dict and in lists."""
    return {"n": value, "deep": {"x": {"y": value}}, "list": [value, [value, {"z": value}]], "s": "t"}


def exactly(a, b):
    """Equal, and every number of the same type (an int never comes back a float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(exactly(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b))
    return a == b


V = [0.1, 0.2, 0.3, 0.4]


# ---- round trips ------------------------------------------------------------------


@pytest.mark.parametrize("value", EDGES)
def test_add_get_and_search_return_the_exact_int(make_db, value):
    db = make_db(dim=4)
    db.add("a", V, rich(value))
    assert exactly(db.get("a")[1], rich(value))
    hits = db.search(V, k=1, where_filter={"n": value})
    assert [h.id for h in hits] == ["a"]
    assert exactly(hits[0].metadata, rich(value))
    assert exactly(db.search(V, k=1)[0].metadata, rich(value))


def test_add_many_upsert_and_update_keep_the_exact_ints(make_db):
    db = make_db(dim=4)
    db.add_many([f"r{i}" for i in range(4)], [V] * 4, [rich(v) for v in EDGES])
    for i, v in enumerate(EDGES):
        assert exactly(db.get(f"r{i}")[1], rich(v))
    db.upsert("r0", V, {"n": 2**64 - 1})
    db.upsert("new", V, {"n": 2**63})
    db.upsert_many(["r1", "new2"], [V, V], [{"n": 2**63 + 1}, {"n": [2**64 - 2]}])
    db.update("r2", metadata={"u": {"v": 2**64 - 1}})
    assert exactly(db.get("r0")[1], {"n": 2**64 - 1})
    assert exactly(db.get("new")[1], {"n": 2**63})
    assert exactly(db.get("r1")[1], {"n": 2**63 + 1})
    assert exactly(db.get("new2")[1], {"n": [2**64 - 2]})
    assert exactly(db.get("r2")[1], {"u": {"v": 2**64 - 1}})


def _fill_edges(db):
    db.add_many([f"r{i}" for i in range(4)], [V] * 4, [rich(v) for v in EDGES])
    db.update("r0", metadata=rich(2**64 - 1))
    return {f"r{i}": rich(v) for i, v in enumerate([2**64 - 1] + EDGES[1:])}


def test_ints_survive_save_and_reopen(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4)
    want = _fill_edges(db)
    db.save()
    db.close()
    with herondb.Database(path) as again:
        for rid, meta in want.items():
            assert exactly(again.get(rid)[1], meta)
        assert again.count({"n": 2**64 - 1}) == 2


def test_ints_survive_log_replay_after_the_process_dies_without_saving(tmp_path):
    path = str(tmp_path / "db")
    herondb.Database(path, dim=4).close()
    script = textwrap.dedent(f"""
        import os, herondb
        db = herondb.Database({path!r})
        db.add_many(["r0", "r1", "r2", "r3"], [{V!r}] * 4, [{rich(2**63)!r}, {rich(2**64 - 1)!r},
                    {rich(-(2**63))!r}, {rich(2**63 - 1)!r}])
        db.update("r0", metadata={rich(2**64 - 1)!r})
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": PKG_DIR})
    with herondb.Database(path) as db:
        for rid, v in zip(["r0", "r1", "r2", "r3"], [2**64 - 1, 2**64 - 1, -(2**63), 2**63 - 1]):
            assert exactly(db.get(rid)[1], rich(v))
        assert db.count({"n": {"$gt": 2**63 - 1}}) == 2


def test_export_writes_the_exact_digits_and_import_reads_them_back(make_db, tmp_path):
    db = make_db(dim=4)
    want = _fill_edges(db)
    out = str(tmp_path / "export.json")
    db.export_json(out)
    doc = json.load(open(out))
    assert "vectors" in doc  # vctrs's layout (D19)
    assert {r["id"]: r["metadata"] for r in doc["vectors"]} == want
    text = open(out).read()
    assert "18446744073709551615" in text and "9223372036854775808" in text
    other = make_db(dim=4)
    other.import_json(out)
    for rid, meta in want.items():
        assert exactly(other.get(rid)[1], meta)


@pytest.mark.parametrize("layout", ["vectors", "records"])
def test_import_reads_both_layouts_exactly(make_db, tmp_path, layout):
    db = make_db(dim=4)
    path = tmp_path / "in.json"
    records = [{"id": f"r{i}", "vector": V, "metadata": rich(v)} for i, v in enumerate(EDGES)]
    path.write_text(json.dumps({"version": 1, "dim": 4, "metric": "cosine", layout: records}))
    db.import_json(str(path))
    for i, v in enumerate(EDGES):
        assert exactly(db.get(f"r{i}")[1], rich(v))


def test_sharded_database_keeps_the_exact_ints(tmp_path):
    with ShardedDatabase(str(tmp_path / "sh"), dim=4, num_shards=2) as db:
        db.add_many([f"r{i}" for i in range(4)], [V] * 4, [rich(v) for v in EDGES])
        for i, v in enumerate(EDGES):
            assert exactly(db.get(f"r{i}")[1], rich(v))
        assert [h.id for h in db.search(V, k=4, where_filter={"n": 2**64 - 1})] == ["r1"]


# ---- out of range ------------------------------------------------------------------


@pytest.mark.parametrize("value", TOO_BIG)
def test_add_of_an_int_outside_64_bits_names_the_field_and_changes_nothing(make_db, value):
    db = make_db(dim=4)
    populated(db)
    before = snapshot(db)
    with pytest.raises(ValueError, match=r"metadata field 'deep\.x\.y'.*64-bit.*2\*\*64-1"):
        db.add("a", V, {"n": 1, "deep": {"x": {"y": value}}})
    with pytest.raises(ValueError, match=r"metadata field 'list\[1\]\[0\]'"):
        db.add("a", V, {"list": [0, [value]]})
    with pytest.raises(ValueError, match=r"metadata field 'n'"):
        db.add_many(["a", "b"], [V, V], [{"n": 2**64 - 1}, {"n": value}])
    with pytest.raises(ValueError, match=r"metadata field 'n'"):
        db.upsert("id0", V, {"n": value})
    with pytest.raises(ValueError, match=r"metadata field 'n'"):
        db.update("id1", metadata={"n": value})
    assert_unchanged(db, before)


@pytest.mark.parametrize("value", TOO_BIG)
def test_import_of_an_int_outside_64_bits_names_the_field_and_changes_nothing(
        make_db, tmp_path, value):
    db = make_db(dim=4)
    populated(db)
    before = snapshot(db)
    path = tmp_path / "in.json"
    records = [{"id": "ok", "vector": V, "metadata": {"n": 2**64 - 1}},
               {"id": "id0", "vector": V, "metadata": {"a": {"b": [0, value]}}}]
    path.write_text(json.dumps({"dim": 4, "vectors": records}))
    with pytest.raises(ValueError, match=r"record 1: metadata: field 'a\.b\[1\]': integer "
                                         + str(value) + r" .*64-bit"):
        db.import_json(str(path))
    assert_unchanged(db, before)
    assert "ok" not in db


@pytest.mark.parametrize("value", TOO_BIG)
def test_sharded_add_of_an_int_outside_64_bits_changes_no_shard(tmp_path, value):
    with ShardedDatabase(str(tmp_path / "sh"), dim=4, num_shards=2) as db:
        ids = [f"r{i}" for i in range(8)]
        with pytest.raises(ValueError, match=r"metadata\.k\[0\]"):
            db.add_many(ids, [V] * 8, [{"k": [2**64 - 1]}] * 7 + [{"k": [value]}])
        assert len(db) == 0


# ---- filters -----------------------------------------------------------------------

NUMBERS = [
    -(2**63), -(2**63) + 1, -1, 0, 2**53 + 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 2, 2**64 - 1,
    -0.0, 0.5, -(2.0**63), 2.0**53, 2.0**63, 2.0**63 + 2048.0, 2.0**64, float(2**64 - 2048),
    -(2.0**64), 1e300, -1e300,
]
OPS = {"$eq": operator.eq, "$ne": operator.ne, "$gt": operator.gt, "$gte": operator.ge,
       "$lt": operator.lt, "$lte": operator.le}


@pytest.fixture(scope="module")
def number_db(tmp_path_factory):
    db = herondb.Database(str(tmp_path_factory.mktemp("num") / "db"), dim=4)
    ids = [f"n{i}" for i in range(len(NUMBERS))]
    db.add_many(ids, [V] * len(NUMBERS), [{"n": x, "c": [0]} for x in NUMBERS])
    db.add("none", V, {"c": [0]})
    db.add("flag", V, {"n": True, "c": [0]})
    yield db
    db.close()


def expected(op, x):
    """The ids whose "n" satisfies `op x` by Python's exact int/float rules."""
    want = {f"n{i}" for i, y in enumerate(NUMBERS) if OPS[op](y, x)}
    if op == "$ne":
        want |= {"none", "flag"}  # missing, and a bool (never a number)
    return want


def matching(db, where):
    return {h.id for h in db.search(V, k=100, where_filter=where)}


@pytest.mark.parametrize("op", list(OPS))
def test_comparisons_across_int64_uint64_and_float_follow_python(number_db, op):
    for x in NUMBERS:
        want = expected(op, x)
        where = {"n": {op: x}}
        # Planned by the metadata index (count) and evaluated record by record
        # (an $or with an unplannable part forces the scan).
        assert number_db.count(where) == len(want), (op, x)
        assert matching(number_db, where) == want, (op, x)
        scanned = {"$or": [where, {"c": {"$ne": [0]}}]}
        assert matching(number_db, scanned) == want, (op, x)


def rid(v):
    """The id of the NUMBERS record holding exactly `v` (type included: 2**63 is not 2.0**63)."""
    return next(f"n{i}" for i, y in enumerate(NUMBERS) if type(y) is type(v) and y == v)


def test_boundary_comparisons(number_db):
    between = {rid(v) for v in (2**63, 2**63 + 1, 2**64 - 2, 2.0**63, 2.0**63 + 2048.0,
                                float(2**64 - 2048))}
    assert matching(number_db, {"n": {"$gt": 2**63 - 1, "$lt": 2**64 - 1}}) == between
    # 2**63 and 2.0**63 are one number; 2**64-1 is below 2.0**64.
    assert matching(number_db, {"n": 2**63}) == {rid(2**63), rid(2.0**63)}
    assert matching(number_db, {"n": 2.0**63}) == {rid(2**63), rid(2.0**63)}
    assert matching(number_db, {"n": {"$gte": 2.0**64}}) == {rid(2.0**64), rid(1e300)}
    assert matching(number_db, {"n": {"$lt": 2.0**64, "$gt": float(2**64 - 2048)}}) == {
        rid(2**64 - 2), rid(2**64 - 1)}
    assert matching(number_db, {"n": 2**64 - 1}) == {rid(2**64 - 1)}
    assert matching(number_db, {"n": {"$lte": -(2.0**63)}}) == {rid(-(2**63)), rid(-(2.0**63)),
                                                                 rid(-(2.0**64)), rid(-1e300)}


def test_in_and_nin_sets_mix_ints_and_floats_exactly(number_db):
    sets = [[2**64 - 1], [2.0**63], [2**63, 2.0**63], [float(2**64 - 1)], [-(2**63), 2**64 - 1, 0.5],
            [2**63 - 1, "x", None, [2**63]], []]
    for items in sets:
        want = {f"n{i}" for i, y in enumerate(NUMBERS) if any(
            not isinstance(x, (str, list, type(None))) and y == x for x in items)}
        assert matching(number_db, {"n": {"$in": items}}) == want, items
        assert number_db.count({"n": {"$in": items}}) == len(want), items
        rest = {h for h in matching(number_db, {}) if h not in want}
        assert matching(number_db, {"n": {"$nin": items}}) == rest, items
        assert matching(number_db, {"$or": [{"n": {"$in": items}}, {"c": {"$ne": [0]}}]}) == want


def test_lists_and_dicts_holding_big_ints_compare_by_value(make_db):
    db = make_db(dim=4)
    db.add("a", V, {"v": [2**64 - 1, {"k": 2**63}]})
    assert matching(db, {"v": [2**64 - 1, {"k": 2.0**63}]}) == {"a"}
    assert matching(db, {"v": [2**64 - 2, {"k": 2**63}]}) == set()
    assert matching(db, {"v": {"$in": [[2**64 - 1, {"k": 2**63}]]}}) == {"a"}


def test_repeated_filters_with_big_ints_hit_the_same_answers(number_db):
    # The bindings cache compiled filters by an exact key: 2**64-1, 2**63 and
    # 2.0**63 must never share an entry with each other or with int64 values.
    for _ in range(2):
        for x in (2**64 - 1, 2**63, 2.0**63, 2**63 - 1, -(2**63)):
            assert matching(number_db, {"n": x}) == expected("$eq", x), x


def test_a_filter_operand_outside_64_bits_is_a_value_error(number_db):
    with pytest.raises(ValueError, match=r"where_filter field 'n\.\$gt'.*64-bit"):
        number_db.search(V, k=1, where_filter={"n": {"$gt": 2**64}})


# ---- integrations ------------------------------------------------------------------


def test_langchain_store_keeps_big_ints_and_filters_on_them(tmp_path):
    from langchain_core.embeddings import Embeddings

    from herondb.langchain import HeronDBVectorStore

    class Fixed(Embeddings):
        def embed_documents(self, texts):
            return [[1.0, float(i + 1), 0.5] for i, _ in enumerate(texts)]

        def embed_query(self, text):
            return [1.0, 1.0, 0.5]

    with HeronDBVectorStore(Fixed(), tmp_path / "lc") as store:
        store.add_texts(["a", "b"], [{"n": 2**64 - 1}, {"n": 2**63 - 1}], ids=["a", "b"])
        docs = store.similarity_search("q", k=2, filter={"n": {"$gt": 2**63 - 1}})
        assert [d.id for d in docs] == ["a"]
        assert exactly(docs[0].metadata["n"], 2**64 - 1)


def test_llama_index_store_keeps_big_ints_and_filters_on_them(tmp_path):
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import (
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
        VectorStoreQuery,
    )

    from herondb.llama_index import HeronDBVectorStore

    store = HeronDBVectorStore(tmp_path / "li")
    try:
        store.add([TextNode(text="a", id_="a", embedding=[1.0, 0.0, 0.0], metadata={"n": 2**64 - 1}),
                   TextNode(text="b", id_="b", embedding=[0.0, 1.0, 0.0], metadata={"n": 2**63})])
        flt = MetadataFilters(filters=[MetadataFilter(key="n", value=2**64 - 1,
                                                      operator=FilterOperator.EQ)])
        res = store.query(VectorStoreQuery(query_embedding=[1.0, 1.0, 0.0], similarity_top_k=2,
                                           filters=flt))
        assert res.ids == ["a"]
        assert exactly(res.nodes[0].metadata["n"], 2**64 - 1)
    finally:
        store.close()


# ---- vctrs -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:migrated the vctrs database")
def test_vctrs_databases_and_exports_carry_big_ints_both_ways(tmp_path):
    import vctrs

    src = tmp_path / "v"
    vdb = vctrs.Database(str(src), dim=4)
    vdb.add("saved", V, rich(2**64 - 1))
    vdb.save()
    vdb.add("logged", V, rich(2**63))  # only in vctrs's write-ahead log
    vdb.export_json(str(tmp_path / "from-vctrs.json"))
    del vdb
    with herondb.Database(str(src)) as db:  # migrates the saved and the logged records
        assert exactly(db.get("saved")[1], rich(2**64 - 1))
        assert exactly(db.get("logged")[1], rich(2**63))
        db.export_json(str(tmp_path / "from-herondb.json"))
    with herondb.Database(str(tmp_path / "h"), dim=4) as db:
        db.import_json(str(tmp_path / "from-vctrs.json"))
        assert exactly(db.get("saved")[1], rich(2**64 - 1))
    back = vctrs.Database(str(tmp_path / "back"), dim=4)
    back.import_json(str(tmp_path / "from-herondb.json"))
    assert exactly(back.get("saved")[1], rich(2**64 - 1))
    assert exactly(back.get("logged")[1], rich(2**63))
