"""stats() keys and values (D18), and uses_brute_force flipping past 2048 slots."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import BRUTE_FORCE_SLOTS, populated

REFERENCE_KEYS = {
    "num_vectors",
    "num_deleted",
    "num_layers",
    "avg_degree_layer0",
    "max_degree_layer0",
    "min_degree_layer0",
    "memory_vectors_bytes",
    "memory_graph_bytes",
    "memory_quantized_bytes",
    "uses_brute_force",
    "uses_quantized_search",
}

INT_KEYS = {
    "num_vectors",
    "num_deleted",
    "num_layers",
    "max_degree_layer0",
    "min_degree_layer0",
    "memory_vectors_bytes",
    "memory_graph_bytes",
    "memory_quantized_bytes",
    "memory_filter_cache_bytes",
}


def test_stats_has_every_key_the_reference_lists_on_empty_database(db):
    st = db.stats()
    assert isinstance(st, dict)
    assert REFERENCE_KEYS <= set(st)


def test_stats_has_every_key_the_reference_lists_on_populated_database(db):
    populated(db, n=20)
    assert REFERENCE_KEYS <= set(db.stats())


def test_stats_value_types(db):
    populated(db, n=20)
    st = db.stats()
    for key in INT_KEYS:
        assert isinstance(st[key], int) and not isinstance(st[key], bool), key
        assert st[key] >= 0, key
    assert isinstance(st["avg_degree_layer0"], (int, float))
    assert type(st["uses_brute_force"]) is bool
    assert type(st["uses_quantized_search"]) is bool


def test_stats_counts_match_len_and_deleted_count(db):
    populated(db, n=10)
    db.delete_many(["id0", "id1", "id2"])
    st = db.stats()
    assert st["num_vectors"] == len(db) == 7
    assert st["num_deleted"] == db.deleted_count == 3


def test_stats_of_empty_database(db):
    st = db.stats()
    assert st["num_vectors"] == 0
    assert st["num_deleted"] == 0
    assert st["uses_brute_force"] is True
    assert st["uses_quantized_search"] is False


def test_stats_memory_of_vectors_covers_the_float32_data(make_db, rng):
    db = make_db(dim=16, metric="euclidean")
    db.add_many([f"v{i}" for i in range(100)], rng.normal(size=(100, 16)))
    assert db.stats()["memory_vectors_bytes"] >= 100 * 16 * 4


def test_stats_degree_values_are_consistent(make_db, rng):
    db = make_db(dim=8, metric="euclidean")
    db.add_many([f"v{i}" for i in range(300)], rng.normal(size=(300, 8)))
    st = db.stats()
    assert st["num_layers"] >= 1
    assert st["min_degree_layer0"] <= st["avg_degree_layer0"] <= st["max_degree_layer0"]
    assert st["max_degree_layer0"] >= 1


def test_uses_brute_force_flips_from_true_to_false_past_2048_slots(make_db, rng):
    db = make_db(dim=8, metric="euclidean")
    data = rng.normal(size=(BRUTE_FORCE_SLOTS + 1, 8)).astype(np.float32)
    db.add_many([f"v{i}" for i in range(BRUTE_FORCE_SLOTS)], data[:-1])
    assert db.total_slots == BRUTE_FORCE_SLOTS
    assert db.stats()["uses_brute_force"] is True
    db.add("last", data[-1])
    assert db.total_slots == BRUTE_FORCE_SLOTS + 1
    assert db.stats()["uses_brute_force"] is False


def test_uses_brute_force_counts_deleted_slots(make_db, rng):
    db = make_db(dim=8, metric="euclidean")
    db.add_many([f"v{i}" for i in range(BRUTE_FORCE_SLOTS + 10)],
                rng.normal(size=(BRUTE_FORCE_SLOTS + 10, 8)))
    db.delete_many([f"v{i}" for i in range(100)])
    assert len(db) < BRUTE_FORCE_SLOTS
    assert db.total_slots > BRUTE_FORCE_SLOTS
    assert db.stats()["uses_brute_force"] is False


def test_count_without_filter_equals_len(db):
    populated(db, n=9)
    db.delete("id4")
    assert db.count() == len(db) == 8
    assert db.count(None) == 8


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
def test_stats_work_for_every_metric(make_db, rng, metric):
    db = make_db(dim=8, metric=metric)
    db.add_many(["a", "b"], rng.normal(size=(2, 8)))
    assert db.stats()["num_vectors"] == 2


def test_memory_filter_cache_bytes_counts_cached_filters_and_drops_to_zero_on_change():
    import herondb
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        db = herondb.Database(d + "/db", dim=8, metric="euclidean")
        rng = np.random.default_rng(0)
        n = 3000
        db.add_many([f"v{i}" for i in range(n)], rng.standard_normal((n, 8)).astype(np.float32),
                    [{"g": i % 10} for i in range(n)])
        assert db.stats()["memory_filter_cache_bytes"] == 0
        q = rng.standard_normal(8).astype(np.float32)
        for _ in range(3):  # the second search of a filter also packs its rows
            db.search(q, k=5, where_filter={"g": 3})
        cached = db.stats()["memory_filter_cache_bytes"]
        assert cached >= 300 * 4  # at least the 300 matching slots
        db.add("late", q, {"g": 3})
        assert db.stats()["memory_filter_cache_bytes"] == 0
        db.close()
