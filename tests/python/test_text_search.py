"""Text indexes, BM25 search_text, hybrid_search and the $match filter.

Scores are checked against a plain BM25 computed here from herondb.analyze
tokens (Lucene/tantivy formula); every mutation path must keep search_text
exact; definitions persist through the log and snapshots."""

from __future__ import annotations

import math
import os
import random
from collections import Counter

import numpy as np
import pytest

import herondb

WORDS = (
    "run running runs runner compress compression compressed compressing file files filed "
    "data database databases the and of a to in is quick brown fox foxes jumps jumped lazy dog "
    "dogs gzip zlib stream streams streaming vector vectors search searching searched index "
    "indexes indexing Straße ΣΟΦΌΣ Москва"
).split()


def random_text(rng: random.Random) -> str:
    n = rng.randrange(0, 25)
    words = []
    for _ in range(n):
        if rng.random() < 0.15:
            words.append(f"zq{rng.randrange(40)}")
        else:
            w = rng.choice(WORDS)
            words.append(w.upper() if rng.random() < 0.1 else w)
    return " ".join(words) + rng.choice(["", ".", "!", " -- ok"])


def dedupe(terms):
    out = []
    for t in terms:
        if t not in out:
            out.append(t)
    return out


def reference_scores(texts: dict, query: str, language="english", k1=1.2, b=0.75) -> dict:
    """id -> BM25 score for every document holding a query term."""
    toks = {i: herondb.analyze(t, language) for i, t in texts.items()}
    n = len(toks)
    if n == 0:
        return {}
    avgdl = sum(len(t) for t in toks.values()) / n
    df = Counter()
    for t in toks.values():
        df.update(set(t))
    out = {}
    for i, t in toks.items():
        tf = Counter(t)
        score, hit = 0.0, False
        for q in dedupe(herondb.analyze(query, language)):
            if tf[q] == 0:
                continue
            hit = True
            idf = math.log(1 + (n - df[q] + 0.5) / (df[q] + 0.5))
            score += idf * tf[q] * (k1 + 1) / (tf[q] + k1 * (1 - b + b * len(t) / avgdl))
        if hit:
            out[i] = score
    return out


def texts_of(db, field="text") -> dict:
    out = {}
    for i in db.ids():
        meta = db.get(i)[1]
        v = meta
        for part in field.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        if isinstance(v, str):
            out[i] = v
    return out


QUERIES = ["compress files", "running dogs", "the quick fox", "zq3 zq7 data", "STRASSE straße",
           "σοφός", "москва index", "gzip", "nothing-matches-this"]


def assert_exact(db, texts=None, field=None, language="english", k1=1.2, b=0.75, queries=QUERIES):
    if texts is None:
        texts = texts_of(db, field or "text")
    for q in queries:
        ref = reference_scores(texts, q, language, k1, b)
        got = db.search_text(q, k=max(1, len(texts)), field=field)
        assert {r.id for r in got} == set(ref), q
        for r in got:
            assert -r.distance == pytest.approx(ref[r.id], rel=1e-5, abs=1e-6), (q, r.id)
        # Best first, and the top 3 by score as the reference has them.
        scores = [-r.distance for r in got]
        assert scores == sorted(scores, reverse=True)
        top = db.search_text(q, k=3, field=field)
        want = sorted(ref.values(), reverse=True)[:3]
        assert [-r.distance for r in top] == pytest.approx(want, rel=1e-5, abs=1e-6)
        # MaxScore returns what scoring every document returns.
        fast = db.search_text(q, k=5, field=field)
        slow = db._search_text(q, 5, field, None, exhaustive=True)
        assert [(r.id, r.distance) for r in fast] == [(r.id, r.distance) for r in slow]


def fill(db, rng: random.Random, n: int, start=0, field="text"):
    ids = [f"d{start + i}" for i in range(n)]
    metas = [{field: random_text(rng), "n": i % 5} for i in range(n)]
    db.add_many(ids, np.random.default_rng(start).random((n, db.dim)).astype("float32"), metas)
    return ids


# ---------------------------------------------------------------- scores


@pytest.mark.parametrize("language,k1,b", [("english", 1.2, 0.75), ("none", 1.2, 0.75),
                                           ("english", 2.0, 0.3), ("none", 0.5, 1.0)])
def test_bm25_scores_equal_a_reference_from_analyze_tokens(make_db, language, k1, b):
    rng = random.Random(hash((language, k1, b)) & 0xFFFF)
    db = make_db(dim=4)
    fill(db, rng, 400)
    db.create_text_index("text", language=language, k1=k1, b=b)
    assert_exact(db, language=language, k1=k1, b=b)


def test_maxscore_top_k_equals_exhaustive_top_k_on_a_larger_corpus(make_db):
    rng = random.Random(5)
    db = make_db(dim=4)
    fill(db, rng, 6000)
    db.create_text_index("text")
    for q in QUERIES + ["fox dog run compress gzip zq1 zq2 zq3", "file"]:
        for k in (1, 10, 100):
            fast = db.search_text(q, k=k)
            slow = db._search_text(q, k, None, None, exhaustive=True)
            assert [(r.id, r.distance) for r in fast] == [(r.id, r.distance) for r in slow]


def test_records_without_a_string_field_are_not_indexed(make_db):
    db = make_db(dim=2)
    db.add_many(["a", "b", "c", "d", "e"], np.ones((5, 2)),
                [{"text": "gzip file"}, {"text": 5}, None, {"other": "gzip"}, {"text": ["gzip"]}])
    db.create_text_index("text")
    assert [r.id for r in db.search_text("gzip")] == ["a"]


def test_dotted_field_path_is_indexed(make_db):
    db = make_db(dim=2)
    db.add_many(["a", "b"], np.ones((2, 2)),
                [{"doc": {"body": "gzip streams"}}, {"doc": {"body": "zlib"}}])
    db.create_text_index("doc.body")
    assert [r.id for r in db.search_text("streaming")] == ["a"]
    assert_exact(db, field="doc.body", queries=["gzip stream", "zlib"])


def test_query_of_only_stop_words_returns_nothing(make_db):
    db = make_db(dim=2)
    db.add("a", [1, 0], {"text": "the and of"})
    db.create_text_index("text")
    assert db.search_text("the of") == []
    db.create_text_index("t2", language="none")
    db.update("a", metadata={"text": "x", "t2": "the and"})
    assert [r.id for r in db.search_text("the", field="t2")] == ["a"]


# ------------------------------------------------------- mutation paths


def test_every_mutation_path_keeps_text_search_exact(tmp_path):
    rng = random.Random(9)
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=4)
    db.create_text_index("text")  # before any record: every add goes through the index
    fill(db, rng, 300)
    assert_exact(db)
    db.add("new1", [1, 2, 3, 4], {"text": "gzip compression of streams"})
    db.upsert("d1", [1, 1, 1, 1], {"text": "running foxes everywhere"})  # existing id
    db.upsert("new2", [1, 1, 1, 1], {"text": "lazy dog"})  # new id
    db.upsert_many(["d2", "new3"], np.ones((2, 4)), [{"text": "zq3 zq3 zq3"}, {"text": "data"}])
    db.update("d3", metadata={"text": "index indexing indexes"})
    db.update("d4", metadata={"other": 1})  # leaves the index
    db.update("d5", metadata={"text": 42})  # not a string: leaves the index
    db.update("d6", vector=[4, 3, 2, 1])  # vector only: stays indexed as it was
    assert db.delete("d7")
    assert db.delete_many(["d8", "d9", "missing"]) == 2
    db.add("d7", [1, 1, 1, 1], {"text": "back again gzip"})  # a deleted id comes back
    assert_exact(db)
    # Enough changes to fold the pending segment into the base.
    fill(db, rng, 3000, start=10_000)
    db.delete_many([f"d{10_000 + i}" for i in range(0, 3000, 2)])
    assert_exact(db)
    db.compact()
    assert_exact(db)
    db.save()
    db.add("after_save", [1, 1, 1, 1], {"text": "gzip zlib"})
    db.close()  # no save: the log replays the last add
    db = herondb.Database(path)
    assert db.text_indexes == ["text"]
    assert_exact(db)
    # import_json upserts a whole export.
    other = herondb.Database(str(tmp_path / "other"), dim=4)
    other.add_many(["d10", "imp1"], np.ones((2, 4)),
                   [{"text": "imported compress file"}, {"text": "fresh gzip"}])
    other.export_json(str(tmp_path / "e.json"))
    other.close()
    db.import_json(str(tmp_path / "e.json"))
    assert_exact(db)
    db.verify()
    db.close()


def test_update_and_delete_take_effect_at_once(make_db):
    db = make_db(dim=2)
    db.create_text_index("text")
    db.add_many(["a", "b"], np.ones((2, 2)), [{"text": "gzip"}, {"text": "zlib"}])
    assert [r.id for r in db.search_text("gzip")] == ["a"]
    db.update("a", metadata={"text": "zlib"})
    assert db.search_text("gzip") == []
    assert {r.id for r in db.search_text("zlib")} == {"a", "b"}
    db.delete("b")
    assert [r.id for r in db.search_text("zlib")] == ["a"]


def test_index_definitions_persist_through_log_and_snapshot(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=2)
    db.add("a", [1, 0], {"t": "Running", "u": "Running"})
    db.create_text_index("t", language="none", k1=2.0, b=0.5)
    db.create_text_index("u")
    db.close()  # the definitions are only in the log
    db = herondb.Database(path)
    assert db.text_indexes == ["t", "u"]
    assert db._text_indexes() == [
        {"field": "t", "language": "none", "k1": 2.0, "b": 0.5},
        {"field": "u", "language": "english", "k1": 1.2, "b": 0.75},
    ]
    assert db.search_text("run", field="t") == []  # no stemming under "none"
    assert [r.id for r in db.search_text("run", field="u")] == ["a"]
    db.drop_text_index("u")
    db.save()
    db.close()
    db = herondb.Database(path)
    assert db.text_indexes == ["t"]
    db.drop_text_index("t")
    db.close()
    db = herondb.Database(path)
    assert db.text_indexes == []
    db.close()


def test_read_only_open_sees_text_indexes_and_cannot_create(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=2)
    db.add("a", [1, 0], {"text": "gzip"})
    db.create_text_index("text")
    db.save()
    ro = herondb.Database(path, read_only=True)
    assert [r.id for r in ro.search_text("gzip")] == ["a"]
    with pytest.raises(ValueError, match="read_only"):
        ro.create_text_index("other")
    with pytest.raises(ValueError, match="read_only"):
        ro.drop_text_index("text")
    ro.close()
    db.close()


# ------------------------------------------------------------- filters


def test_where_filter_narrows_text_search_and_never_loses_results(make_db):
    rng = random.Random(3)
    db = make_db(dim=4)
    fill(db, rng, 3000)
    db.create_text_index("text")
    texts = texts_of(db)
    n_of = {i: db.get(i)[1]["n"] for i in texts}
    for where in ({"n": 2}, {"n": {"$in": [0, 4]}}, {"n": {"$gt": 10}}, {"$not": {"n": 1}}):
        keep = {i for i in texts if herondb_matches(where, n_of[i])}
        for q in ("compress", "zq5", "fox dog"):
            ref = {i: s for i, s in reference_scores(texts, q).items() if i in keep}
            for k in (1, 7, 1000):
                got = db.search_text(q, k=k, where_filter=where)
                assert len(got) == min(k, len(ref))  # D8
                assert all(r.id in keep for r in got)
                want = sorted(ref.values(), reverse=True)[:k]
                assert [-r.distance for r in got] == pytest.approx(want, rel=1e-5)


def herondb_matches(where, n):
    if "n" in where and not isinstance(where["n"], dict):
        return n == where["n"]
    if "$not" in where:
        return n != where["$not"]["n"]
    ops = where["n"]
    if "$in" in ops:
        return n in ops["$in"]
    return n > ops["$gt"]


@pytest.mark.parametrize("indexed", [False, True])
def test_match_operator_needs_every_query_term(make_db, indexed):
    db = make_db(dim=2)
    db.add_many(
        ["a", "b", "c", "d", "e"], np.ones((5, 2)),
        [{"text": "Compressing FILES with gzip"}, {"text": "gzip streams"},
         {"text": "compressed data files"}, {"text": 3}, None],
    )
    if indexed:
        db.create_text_index("text")
    assert db.count({"text": {"$match": "compress file"}}) == 2
    assert {r.id for r in db.search([1, 1], k=10, where_filter={"text": {"$match": "gzip"}})} == {
        "a", "b"}
    assert db.count({"text": {"$match": "compress gzip"}}) == 1
    assert db.count({"text": {"$match": "the of"}}) == 3  # only stop words: every string
    assert db.count({"$not": {"text": {"$match": "gzip"}}}) == 3
    assert db.count({"$or": [{"text": {"$match": "stream"}}, {"text": {"$match": "data"}}]}) == 2
    if indexed:
        got = db.search_text("gzip", where_filter={"text": {"$match": "file"}})
        assert [r.id for r in got] == ["a"]


def test_match_uses_the_text_index_language(make_db):
    db = make_db(dim=2)
    db.add_many(["a", "b"], np.ones((2, 2)), [{"t": "running"}, {"t": "run"}])
    assert db.count({"t": {"$match": "runs"}}) == 2  # English by default
    db.create_text_index("t", language="none")
    assert db.count({"t": {"$match": "runs"}}) == 0
    assert db.count({"t": {"$match": "running"}}) == 1
    db.drop_text_index("t")
    assert db.count({"t": {"$match": "runs"}}) == 2


def test_match_with_a_bad_operand_is_a_value_error(make_db):
    db = make_db(dim=2)
    for bad in (5, "", "   ", None, ["a"]):
        with pytest.raises(ValueError, match=r"\$match"):
            db.count({"t": {"$match": bad}})


# -------------------------------------------------------------- hybrid


def fused_reference(vec_hits, txt_hits, k, fusion, rrf_k, alpha):
    score: dict = {}
    if fusion == "rrf":
        for rank, r in enumerate(vec_hits, 1):
            score[r.id] = score.get(r.id, 0.0) + 1 / (rrf_k + rank)
        for rank, r in enumerate(txt_hits, 1):
            score[r.id] = score.get(r.id, 0.0) + 1 / (rrf_k + rank)
    else:
        for hits, w in ((vec_hits, alpha), (txt_hits, 1 - alpha)):
            if not hits:
                continue
            s = [-float(r.distance) for r in hits]
            hi, lo = max(s), min(s)
            for r, x in zip(hits, s):
                score[r.id] = score.get(r.id, 0.0) + w * ((x - lo) / (hi - lo) if hi > lo else 1.0)
    return sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


@pytest.mark.parametrize("fusion,rrf_k,alpha", [("rrf", 60, 0.5), ("rrf", 1, 0.5),
                                                ("weighted", 60, 0.5), ("weighted", 60, 0.0),
                                                ("weighted", 60, 1.0), ("weighted", 60, 0.8)])
def test_fusion_equals_a_reference_from_search_and_search_text(make_db, fusion, rrf_k, alpha):
    rng = random.Random(1)
    db = make_db(dim=8)
    fill(db, rng, 1500)
    db.create_text_index("text")
    qs = np.random.default_rng(4).random((5, 8)).astype("float32")
    for where in (None, {"n": {"$in": [1, 2]}}):
        for i, q in enumerate(("compress files", "fox", "zq1 data", "gzip stream", "dogs")):
            for k, cand in ((10, None), (3, 7), (20, 20)):
                c = cand if cand is not None else max(2 * k, 50)
                got = db.hybrid_search(qs[i], q, k=k, where_filter=where, fusion=fusion,
                                       rrf_k=rrf_k, alpha=alpha, candidates=cand, ef_search=200)
                vec = db.search(qs[i], k=c, ef_search=200, where_filter=where)
                txt = db.search_text(q, k=c, where_filter=where)
                want = fused_reference(vec, txt, k, fusion, rrf_k, alpha)
                assert [r.id for r in got] == [i for i, _ in want]
                assert [-r.distance for r in got] == pytest.approx([s for _, s in want], rel=1e-6)
    many = db.hybrid_search_many(qs, ["compress files", "fox", "zq1 data", "gzip", "dogs"], k=5,
                                 fusion=fusion, rrf_k=rrf_k, alpha=alpha, ef_search=200)
    for i, q in enumerate(["compress files", "fox", "zq1 data", "gzip", "dogs"]):
        one = db.hybrid_search(qs[i], q, k=5, fusion=fusion, rrf_k=rrf_k, alpha=alpha,
                               ef_search=200)
        assert [(r.id, r.distance) for r in many[i]] == [(r.id, r.distance) for r in one]


def test_hybrid_search_returns_vector_hits_when_no_text_matches(make_db):
    db = make_db(dim=2)
    db.add_many(["a", "b"], [[1, 0], [0, 1]], [{"text": "gzip"}, {"text": "zlib"}])
    db.create_text_index("text")
    got = db.hybrid_search([1, 0], "unrelated", k=2)
    assert [r.id for r in got] == ["a", "b"]


# -------------------------------------------------------------- errors


def test_bad_input_is_a_clear_error_that_changes_nothing(make_db):
    db = make_db(dim=2)
    db.add("a", [1, 0], {"text": "gzip", "body": "zlib"})
    with pytest.raises(ValueError, match="no text index"):
        db.search_text("gzip")
    db.create_text_index("text")
    with pytest.raises(ValueError, match="already exists"):
        db.create_text_index("text", language="none")
    with pytest.raises(ValueError, match="none.*english|english.*none"):
        db.create_text_index("body", language="klingon")
    with pytest.raises(ValueError, match="b must be"):
        db.create_text_index("body", b=1.5)
    with pytest.raises(ValueError, match="k1"):
        db.create_text_index("body", k1=-1)
    with pytest.raises(ValueError, match="k1"):
        db.create_text_index("body", k1=float("nan"))
    with pytest.raises(ValueError, match="non-empty"):
        db.create_text_index("")
    assert db.text_indexes == ["text"]
    with pytest.raises(ValueError, match="no text index on field 'nope'"):
        db.search_text("gzip", field="nope")
    with pytest.raises(ValueError, match="non-empty"):
        db.search_text("  ")
    with pytest.raises(ValueError, match="k must be"):
        db.search_text("gzip", k=0)
    with pytest.raises(ValueError, match="no text index on field 'body'"):
        db.drop_text_index("body")
    db.create_text_index("body")
    with pytest.raises(ValueError, match="several text indexes.*'text'.*'body'"):
        db.search_text("gzip")
    with pytest.raises(ValueError, match="several text indexes"):
        db.hybrid_search([1, 0], "gzip")
    for kw, msg in (({"fusion": "max"}, "fusion must be"), ({"alpha": 1.5}, "alpha"),
                    ({"alpha": -0.1}, "alpha"), ({"rrf_k": -1}, "rrf_k"),
                    ({"candidates": 0}, "candidates"), ({"k": 0}, "k must be"),
                    ({"ef_search": 0}, "ef_search")):
        with pytest.raises(ValueError, match=msg):
            db.hybrid_search([1, 0], "gzip", field="text", **kw)
    with pytest.raises(ValueError, match="dimension|expected"):
        db.hybrid_search([1, 0, 0], "gzip", field="text")
    with pytest.raises(ValueError, match="2 query vectors but 1 queries"):
        db.hybrid_search_many([[1, 0], [0, 1]], ["gzip"], field="text")
    for call, exc in ((lambda: db.search_text(5), TypeError),
                      (lambda: db.search_text("a", k="3"), TypeError),
                      (lambda: db.search_text("a", field=3), TypeError),
                      (lambda: db.search_text("a", field="text", where_filter=[1]), TypeError),
                      (lambda: db.create_text_index(3), TypeError),
                      (lambda: db.create_text_index("x", language=None), TypeError),
                      (lambda: db.create_text_index("x", k1="1"), TypeError),
                      (lambda: db.hybrid_search([1, 0], None, field="text"), TypeError),
                      (lambda: db.hybrid_search_many([[1, 0]], "gzip", field="text"), TypeError),
                      (lambda: db.hybrid_search_many([[1, 0]], [3], field="text"), TypeError),
                      (lambda: db.hybrid_search([1, 0], "a", field="text", fusion=1), TypeError)):
        with pytest.raises(exc):
            call()
    assert db.text_indexes == ["text", "body"]
    assert len(db) == 1


def test_client_collections_and_async_database_have_text_search(tmp_path):
    import asyncio

    with herondb.Client(str(tmp_path / "c")) as client:
        col = client.create_collection("docs", dim=2)
        col.add("a", [1, 0], {"text": "gzip"})
        col.create_text_index("text")
        assert [r.id for r in col.search_text("gzip")] == ["a"]

    async def main():
        adb = await herondb.AsyncDatabase.open(str(tmp_path / "a"), dim=2)
        await adb.add("a", [1, 0], {"text": "gzip streams"})
        await adb.create_text_index("text")
        assert adb.text_indexes == ["text"]
        assert [r.id for r in await adb.search_text("stream")] == ["a"]
        assert [r.id for r in await adb.hybrid_search([1, 0], "gzip")] == ["a"]
        assert [[r.id for r in x] for x in await adb.hybrid_search_many([[1, 0]], ["gzip"])] == [
            ["a"]]
        await adb.drop_text_index("text")
        assert adb.text_indexes == []
        await adb.close()

    asyncio.run(main())


# ---------------------------------------------------------- corruption


def _only(path, prefix):
    (name,) = [f for f in os.listdir(path) if f.startswith(prefix)]
    return os.path.join(path, name)


def test_byte_flips_in_text_index_definitions_are_named_corruption(tmp_path):
    path = str(tmp_path / "db")
    db = herondb.Database(path, dim=2)
    db.add_many(["a", "b"], [[1, 0], [0, 1]], [{"body": "gzip"}, {"body": "zlib"}])
    db.create_text_index("body_text_field", k1=1.7)
    db.save()  # the definition is in the snapshot's TXDF section
    db.create_text_index("second_index_field", language="none")  # ... this one in the log
    db.add("c", [1, 1], {"body": "more"})  # a record after it: damage is not a torn tail
    db.close()
    for prefix, name in (("snapshot-", b"body_text_field"), ("wal-", b"second_index_field")):
        target = _only(path, prefix)
        original = open(target, "rb").read()
        at = original.rfind(name)
        assert at > 0
        for pos in range(at - 2, at + len(name) + 17):  # length, name, language, k1, b
            damaged = bytearray(original)
            damaged[pos] ^= 0x10
            open(target, "wb").write(bytes(damaged))
            with pytest.raises(herondb.CorruptionError, match=os.path.basename(target)):
                herondb.Database(path, read_only=True)
        open(target, "wb").write(original)
    db = herondb.Database(path)
    assert db.text_indexes == ["body_text_field", "second_index_field"]
    db.verify()
    db.close()
