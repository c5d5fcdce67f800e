"""Client: named collections under one root directory (api-decisions D15)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import herondb
from herondb import Client, Database, DatabaseLockedError


@pytest.fixture
def client(tmp_path):
    c = Client(str(tmp_path / "root"))
    yield c
    if not c.closed:
        c.close()


def vec(dim=4, seed=0):
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


# ------------------------------------------------------------------ creation


def test_client_creates_root_directory(tmp_path):
    root = tmp_path / "a" / "b"
    c = Client(root)  # os.PathLike accepted
    assert root.is_dir()
    assert c.path == str(root)
    c.close()


def test_client_on_a_file_raises_value_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        Client(str(f))


def test_client_path_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError):
        Client(42)  # type: ignore[arg-type]


def test_create_collection_returns_working_database(client):
    db = client.create_collection("movies", dim=4, metric="euclidean", m=8, ef_construction=50)
    assert isinstance(db, Database)
    assert (db.dim, db.metric, db.m, db.ef_construction) == (4, "euclidean", 8, 50)
    db.add("a", [1.0, 2.0, 3.0, 4.0], {"t": 1})
    assert db.get("a")[1] == {"t": 1}
    assert os.path.isdir(os.path.join(client.path, "movies"))


def test_create_existing_collection_raises(client):
    client.create_collection("movies", dim=4)
    with pytest.raises(ValueError, match="already exists"):
        client.create_collection("movies", dim=4)


@pytest.mark.parametrize(
    "name", ["", "..", ".", "a/b", "a\\b", "a b", "x" * 65, ".hidden", "caf\u00e9", "a\n", "a.b", "/abs"]
)
def test_invalid_collection_names_raise_value_error(client, name):
    for call in (
        lambda: client.create_collection(name, dim=4),
        lambda: client.get_collection(name),
        lambda: client.get_or_create_collection(name, dim=4),
        lambda: client.delete_collection(name),
    ):
        with pytest.raises(ValueError, match="invalid collection name"):
            call()
    assert client.list_collections() == []


def test_non_string_collection_name_raises_type_error(client):
    with pytest.raises(TypeError):
        client.create_collection(5, dim=4)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.get_collection(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["x" * 64, "a", "A-b_9", "-", "_", "123"])
def test_valid_collection_names_edge_cases(client, name):
    db = client.create_collection(name, dim=4)
    assert client.get_collection(name) is db
    assert client.list_collections() == [name]


def test_failed_create_leaves_nothing_behind(client):
    with pytest.raises(ValueError):
        client.create_collection("bad", dim=4, metric="manhattan")
    assert not os.path.exists(os.path.join(client.path, "bad"))
    assert client.list_collections() == []
    db = client.create_collection("bad", dim=4)  # the name is free again
    assert db.dim == 4


def test_create_refuses_a_foreign_non_empty_folder(client):
    folder = os.path.join(client.path, "photos")
    os.mkdir(folder)
    with open(os.path.join(folder, "cat.jpg"), "w") as f:
        f.write("meow")
    with pytest.raises(ValueError, match="not a herondb collection"):
        client.create_collection("photos", dim=4)
    assert os.listdir(folder) == ["cat.jpg"]


def test_create_reuses_an_empty_folder(client):
    os.mkdir(os.path.join(client.path, "empty"))
    assert client.list_collections() == []
    db = client.create_collection("empty", dim=4)
    assert client.list_collections() == ["empty"]
    assert db.dim == 4


# --------------------------------------------------------------------- get


def test_get_missing_collection_raises(client):
    with pytest.raises(ValueError, match="does not exist"):
        client.get_collection("nope")


def test_get_returns_the_same_open_handle(client):
    db = client.create_collection("docs", dim=4)
    assert client.get_collection("docs") is db
    assert client.get_collection("docs") is db


def test_get_or_create_creates_then_returns_same_handle(client):
    db = client.get_or_create_collection("docs", dim=4, metric="dot")
    assert db.metric == "dot_product"
    again = client.get_or_create_collection("docs", dim=99, metric="euclidean")  # ignored
    assert again is db
    assert again.dim == 4


def test_collections_are_isolated(client):
    a = client.create_collection("a", dim=4)
    b = client.create_collection("b", dim=4)
    a.add("same-id", vec(seed=1), {"from": "a"})
    b.add("same-id", vec(seed=2), {"from": "b"})
    assert a.get("same-id")[1] == {"from": "a"}
    assert b.get("same-id")[1] == {"from": "b"}
    assert len(a) == len(b) == 1


def test_contains(client):
    client.create_collection("x", dim=4)
    assert "x" in client
    assert "y" not in client
    assert "../x" not in client
    assert 3 not in client


# -------------------------------------------------------------------- list


def test_list_collections_is_sorted(client):
    for name in ["zeta", "Alpha", "beta", "1st", "_u"]:
        client.create_collection(name, dim=4)
    assert client.list_collections() == sorted(["zeta", "Alpha", "beta", "1st", "_u"])


def test_list_ignores_entries_that_are_not_collections(client):
    client.create_collection("real", dim=4)
    root = client.path
    os.mkdir(os.path.join(root, "empty"))
    os.mkdir(os.path.join(root, ".hidden"))
    os.mkdir(os.path.join(root, "bad name"))
    with open(os.path.join(root, "file"), "w") as f:
        f.write("x")
    assert client.list_collections() == ["real"]


def test_list_collections_empty(client):
    assert client.list_collections() == []


# ------------------------------------------------------------------ delete


def test_delete_collection_removes_it_and_closes_the_handle(client):
    db = client.create_collection("gone", dim=4)
    db.add("a", vec())
    assert client.delete_collection("gone") is True
    assert db.closed
    assert client.list_collections() == []
    assert not os.path.exists(os.path.join(client.path, "gone"))
    assert os.listdir(client.path) == []  # no renamed leftovers either
    with pytest.raises(ValueError):
        client.get_collection("gone")


def test_delete_missing_collection_returns_false(client):
    assert client.delete_collection("never") is False


def test_delete_twice_returns_true_then_false(client):
    client.create_collection("c", dim=4)
    assert client.delete_collection("c") is True
    assert client.delete_collection("c") is False


def test_recreate_after_delete_starts_empty(client):
    db = client.create_collection("c", dim=4)
    db.add("a", vec())
    client.delete_collection("c")
    fresh = client.create_collection("c", dim=8)
    assert fresh is not db
    assert len(fresh) == 0 and fresh.dim == 8


def test_delete_does_not_touch_a_foreign_folder(client):
    folder = os.path.join(client.path, "photos")
    os.mkdir(folder)
    with open(os.path.join(folder, "cat.jpg"), "w") as f:
        f.write("meow")
    assert client.delete_collection("photos") is False
    assert os.path.exists(os.path.join(folder, "cat.jpg"))


# --------------------------------------------------------------- lifecycle


def test_close_closes_every_handle_and_is_idempotent(client):
    a = client.create_collection("a", dim=4)
    b = client.create_collection("b", dim=4)
    client.close()
    assert client.closed and a.closed and b.closed
    client.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_collection("x", dim=4),
        lambda c: c.get_collection("x"),
        lambda c: c.get_or_create_collection("x", dim=4),
        lambda c: c.delete_collection("x"),
        lambda c: c.list_collections(),
    ],
)
def test_methods_after_close_raise_value_error(client, call):
    client.close()
    with pytest.raises(ValueError, match="closed"):
        call(client)


def test_context_manager_closes_handles(tmp_path):
    with Client(str(tmp_path)) as c:
        db = c.create_collection("a", dim=4)
        db.add("x", vec())
    assert c.closed and db.closed


def test_context_manager_closes_handles_when_body_raises(tmp_path):
    with pytest.raises(RuntimeError):
        with Client(str(tmp_path)) as c:
            db = c.create_collection("a", dim=4)
            raise RuntimeError("boom")
    assert db.closed


def test_repr_mentions_path(client):
    assert client.path in repr(client)


def test_exported_from_package():
    assert herondb.Client is Client


# ------------------------------------------------------------- threading


def test_concurrent_get_or_create_yields_one_handle(client):
    handles = []
    errors = []
    barrier = threading.Barrier(8)

    def worker():
        try:
            barrier.wait()
            handles.append(client.get_or_create_collection("shared", dim=4))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(handles) == 8 and all(h is handles[0] for h in handles)


def test_concurrent_creates_of_distinct_names(client):
    errors = []

    def worker(i):
        try:
            db = client.create_collection(f"c{i}", dim=4)
            db.add("x", vec(seed=i))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert client.list_collections() == sorted(f"c{i}" for i in range(10))


def test_concurrent_create_of_one_name_has_exactly_one_winner(client):
    results = []
    barrier = threading.Barrier(6)

    def worker():
        barrier.wait()
        try:
            client.create_collection("race", dim=4)
            results.append("ok")
        except ValueError:
            results.append("exists")

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["exists"] * 5 + ["ok"]


# ------------------------------------------- persistence (needs durable storage)


def test_fresh_client_sees_collections_and_their_data(tmp_path):
    root = str(tmp_path / "root")
    with Client(root) as c:
        db = c.create_collection("movies", dim=4, metric="euclidean", m=8)
        db.add("a", [1.0, 2.0, 3.0, 4.0], {"title": "A"})
        c.create_collection("books", dim=6)
    with Client(root) as c2:
        assert c2.list_collections() == ["books", "movies"]
        movies = c2.get_collection("movies")
        assert (movies.dim, movies.metric, movies.m) == (4, "euclidean", 8)
        assert movies.get("a") == ([1.0, 2.0, 3.0, 4.0], {"title": "A"})
        assert c2.get_or_create_collection("books", dim=99).dim == 6


def test_closed_handle_is_replaced_by_a_fresh_open(client):
    db = client.create_collection("c", dim=4)
    db.add("a", [1.0, 0.0, 0.0, 0.0])
    db.close()
    again = client.get_collection("c")
    assert again is not db and not again.closed
    assert again.get("a")[0] == [1.0, 0.0, 0.0, 0.0]


def test_collection_directory_is_a_plain_database(tmp_path):
    root = tmp_path / "root"
    with Client(str(root)) as c:
        c.create_collection("docs", dim=4).add("a", [0.0, 1.0, 0.0, 0.0])
    with Database(str(root / "docs")) as db:
        assert db.ids() == ["a"]


def test_second_client_in_the_same_process_shares_the_collection(tmp_path):
    root = str(tmp_path / "root")
    with Client(root) as owner:
        owner.create_collection("busy", dim=4).add("a", vec())
        other = Client(root)
        try:
            assert other.list_collections() == ["busy"]
            other.get_collection("busy").add("b", vec())
        finally:
            other.close()
        assert sorted(owner.get_collection("busy").ids()) == ["a", "b"]


def test_client_cannot_open_or_delete_a_collection_another_process_writes(tmp_path):
    root = str(tmp_path / "root")
    with Client(root) as c:
        c.create_collection("busy", dim=4).add("a", vec())
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, herondb; db = herondb.Database(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", os.path.join(root, "busy")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(
            os.path.abspath(herondb.__file__)))})
    try:
        assert holder.stdout.readline().strip() == "ready"
        other = Client(root)
        try:
            assert other.list_collections() == ["busy"]
            with pytest.raises(DatabaseLockedError):
                other.get_collection("busy")
            with pytest.raises(DatabaseLockedError):
                other.delete_collection("busy")
            assert os.path.isdir(os.path.join(root, "busy"))
        finally:
            other.close()
    finally:
        holder.communicate("")
    with Client(root) as c:
        assert len(c.get_collection("busy")) == 1
