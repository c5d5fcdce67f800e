"""Sharded text and hybrid search equal one database exactly (issue 14).

Every shard scores with the corpus statistics summed over all shards, so a
ShardedDatabase's search_text and hybrid_search give the same ids and
scores as one Database holding the same records, for any number of shards,
under filters, and after deletes and updates. The corpora give every
document a distinct length, so no two documents tie and the order is
determined.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from herondb import Database, ShardedDatabase

DIM = 6
QUERIES = ["w3 w17", "w1", "w5 w40 w2", "w0 w9 w11 w250", "w7 w7 w30", "w2 w100"]


def _doc(rng: np.random.Generator, length: int) -> str:
    # Zipf-like words so that df differs a lot between terms.
    words = (np.floor(300 ** rng.random(length)) - 1).astype(int)
    return " ".join(f"w{w}" for w in words)


class Corpus:
    """Random records with distinct document lengths, kept in step on both sides."""

    def __init__(self, seed: int, n: int = 240) -> None:
        self.rng = np.random.default_rng(seed)
        self.next_len = 2
        lengths = self.rng.permutation(np.arange(2, 2 + n))
        self.next_len = 2 + n
        self.ids = [f"d{i}" for i in range(n)]
        self.vecs = self.rng.normal(size=(n, DIM)).astype(np.float32)
        self.metas = []
        for i in range(n):
            meta = {"text": _doc(self.rng, int(lengths[i])), "g": i % 5}
            if i % 23 == 0:
                meta = {"g": i % 5}  # not in the text index
            self.metas.append(meta)

    def fresh_text(self) -> str:
        self.next_len += 1
        return _doc(self.rng, self.next_len)


def _build(tmp_path, corpus: Corpus, shards: int):
    single = Database(tmp_path / "single", dim=DIM)
    single.add_many(corpus.ids, corpus.vecs, corpus.metas)
    single.create_text_index("text")
    many = ShardedDatabase(tmp_path / "many", dim=DIM, num_shards=shards)
    many.add_many(corpus.ids, corpus.vecs, corpus.metas)
    many.create_text_index("text")
    return single, many


def _same(got, want) -> None:
    assert [r.id for r in got] == [r.id for r in want]
    for g, w in zip(got, want):
        assert math.isclose(g.distance, w.distance, rel_tol=1e-5, abs_tol=1e-7), (g, w)
        assert g.metadata == w.metadata


def _check_all(single: Database, many: ShardedDatabase, rng: np.random.Generator) -> None:
    for query in QUERIES:
        for flt in (None, {"g": {"$in": [0, 2, 3]}}, {"g": 4}):
            for k in (1, 7, 40):
                _same(many.search_text(query, k=k, where_filter=flt),
                      single.search_text(query, k=k, where_filter=flt))
            q = rng.normal(size=DIM).astype(np.float32)
            for kw in ({}, {"fusion": "weighted", "alpha": 0.3}, {"candidates": 15, "k": 5}):
                kw = {"k": 10, **kw}
                _same(many.hybrid_search(q, query, where_filter=flt, **kw),
                      single.hybrid_search(q, query, where_filter=flt, **kw))
    qs = rng.normal(size=(3, DIM)).astype(np.float32)
    texts = QUERIES[:3]
    for got, want in zip(many.hybrid_search_many(qs, texts, k=8),
                         single.hybrid_search_many(qs, texts, k=8)):
        _same(got, want)


@pytest.mark.parametrize("shards", [2, 3, 4])
def test_sharded_text_and_hybrid_search_equal_one_database(tmp_path, shards):
    corpus = Corpus(seed=shards)
    single, many = _build(tmp_path, corpus, shards)
    rng = np.random.default_rng(100 + shards)
    _check_all(single, many, rng)
    single.close()
    many.close()


@pytest.mark.parametrize("shards", [2, 3])
def test_sharded_text_search_stays_exact_after_deletes_and_updates(tmp_path, shards):
    corpus = Corpus(seed=10 + shards)
    single, many = _build(tmp_path, corpus, shards)
    rng = np.random.default_rng(7)
    gone = [corpus.ids[i] for i in rng.choice(len(corpus.ids), size=40, replace=False)]
    single.delete_many(gone)
    many.delete_many(gone)
    left = [i for i in corpus.ids if i not in set(gone)]
    for i in rng.choice(len(left), size=40, replace=False):
        rid = left[int(i)]
        meta = {"text": corpus.fresh_text(), "g": int(rng.integers(0, 5))}
        single.update(rid, metadata=meta)
        many.update(rid, metadata=meta)
    for n in range(10):  # new records too (pending in the text index)
        rid, v = f"new{n}", rng.normal(size=DIM).astype(np.float32)
        meta = {"text": corpus.fresh_text(), "g": n % 5}
        single.add(rid, v, meta)
        many.add(rid, v, meta)
    _check_all(single, many, rng)
    single.close()
    many.close()


def test_sharded_scores_differ_from_each_shards_own_bm25(tmp_path):
    # The case the global statistics fix: a shard's own BM25 scores differ
    # from one database's, the sharded search's do not.
    corpus = Corpus(seed=31)
    single, many = _build(tmp_path, corpus, 3)
    want = {r.id: r.distance for r in single.search_text("w5 w40 w2", k=1000)}
    own = {}
    for path in many.shard_paths:
        with Database(path, read_only=True) as shard:
            for r in shard.search_text("w5 w40 w2", k=1000):
                own[r.id] = r.distance
    assert own.keys() == want.keys()
    assert any(not math.isclose(own[i], want[i], rel_tol=1e-5) for i in want)
    got = {r.id: r.distance for r in many.search_text("w5 w40 w2", k=1000)}
    assert got.keys() == want.keys()
    assert all(math.isclose(got[i], want[i], rel_tol=1e-5) for i in want)
    single.close()
    many.close()


def test_text_stats_reports_live_documents_and_query_term_df(tmp_path):
    db = Database(tmp_path / "db", dim=2)
    db.add_many(["a", "b", "c", "d"], np.ones((4, 2)),
                [{"t": "Gzip streams"}, {"t": "gzip the gzip"}, {"t": "sockets"}, {"x": 1}])
    db.create_text_index("t")
    st = db._text_stats("gzip stream archive the", None)
    # english analysis: "the" is a stop word, "streams" stems to "stream".
    assert st == {"num_docs": 3, "total_len": 2 + 2 + 1, "df": {"gzip": 2, "stream": 1, "archiv": 0}}
    db.delete("b")
    assert db._text_stats("gzip", "t") == {"num_docs": 2, "total_len": 3, "df": {"gzip": 1}}
    db.close()


def test_search_text_with_own_stats_equals_plain_search_text(tmp_path):
    corpus = Corpus(seed=5)
    single, many = _build(tmp_path, corpus, 2)
    for query in QUERIES:
        st = single._text_stats(query, None)
        assert single._search_text(query, 25, None, None, False, st) == single.search_text(query, k=25)
    single.close()
    many.close()


def test_search_text_with_bad_stats_is_a_clear_error(tmp_path):
    db = Database(tmp_path / "db", dim=2)
    db.add_many(["a", "b"], np.ones((2, 2)), [{"t": "gzip stream"}, {"t": "gzip"}])
    db.create_text_index("t")
    good = db._text_stats("gzip stream", None)
    with pytest.raises(ValueError, match="no df for query term 'stream'"):
        db._search_text("gzip stream", 5, None, None, False, {**good, "df": {"gzip": 2}})
    with pytest.raises(ValueError, match="exceeds num_docs"):
        db._search_text("gzip", 5, None, None, False, {"num_docs": 1, "total_len": 3, "df": {"gzip": 2}})
    with pytest.raises(ValueError, match="lacks 'total_len'"):
        db._search_text("gzip", 5, None, None, False, {"num_docs": 1, "df": {}})
    with pytest.raises(ValueError, match="num_docs"):
        db._search_text("gzip", 5, None, None, False, {**good, "num_docs": -1})
    with pytest.raises(TypeError, match="stats must be a dict"):
        db._search_text("gzip", 5, None, None, False, [1, 2])
    with pytest.raises(TypeError, match="stats\\['df'\\] must be a dict"):
        db._search_text("gzip", 5, None, None, False, {**good, "df": [("gzip", 1)]})
    with pytest.raises(TypeError, match="must be an int"):
        db._search_text("gzip", 5, None, None, False, {**good, "total_len": 2.5})
    with pytest.raises(ValueError, match="non-empty"):
        db._text_stats("   ", None)
    with pytest.raises(ValueError):
        db._text_stats("gzip", "nofield")
    assert [r.id for r in db.search_text("gzip stream")] == ["a", "b"]  # nothing changed
    db.close()


def test_sharded_hybrid_search_many_refuses_queries_that_are_not_a_list_of_str(tmp_path):
    single, many = _build(tmp_path, Corpus(5, n=40), 2)
    vec = np.ones((1, DIM), dtype=np.float32)
    with pytest.raises(TypeError, match="queries must be a list of str"):
        many.hybrid_search_many(vec, "gzip")
    with pytest.raises(TypeError, match=r"queries\[0\] must be a str"):
        many.hybrid_search_many(vec, [3])
    with pytest.raises(TypeError, match=r"queries\[0\] must be a str"):
        single.hybrid_search_many(vec, [None])
    single.close()
    many.close()
