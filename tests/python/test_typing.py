"""The type stubs: ``mypy --strict`` accepts code using the whole API and the package itself.

Skipped (with the reason) only when mypy is not installed: ``pip install mypy``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import herondb

PACKAGE_DIR = Path(herondb.__file__).resolve().parent

USES_THE_WHOLE_API = '''
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import herondb
from herondb import (
    AsyncDatabase,
    Client,
    CorruptionError,
    Database,
    DatabaseLockedError,
    HeronDBError,
    SearchResult,
    ShardedDatabase,
    StorageError,
)


def use_database(path: str) -> None:
    with Database(path, dim=4, metric="cosine", m=16, ef_construction=200, quantize=False,
                  sync=True) as db:
        db.add("a", [1.0, 2.0, 3.0, 4.0], {"k": 1})
        db.add("b", np.ones(4, dtype=np.float32))
        db.add("c", np.ones(4))  # float64 is accepted (rounded once)
        db.upsert("a", [1.0, 0.0, 0.0, 0.0])
        db.add_many(["d", "e"], np.ones((2, 4), dtype=np.float32), [{"x": 1}, None])
        db.upsert_many(["d"], [[1.0, 2.0, 3.0, 4.0]])
        db.update("a", metadata={"k": 2})
        db.update("a", vector=[0.0, 1.0, 0.0, 0.0])
        hits: List[SearchResult] = db.search([1.0, 0.0, 0.0, 0.0], k=3, ef_search=64,
                                             where_filter={"k": {"$gte": 1}}, max_distance=2.0)
        for r in hits:
            ident: str = r.id
            dist: float = r.distance
            meta: Optional[Dict[str, Any]] = r.metadata
            first: str = r[0]
            second: float = r[1]
            third: Optional[Dict[str, Any]] = r[2]
            i, d, m = r
            print(ident, dist, meta, first, second, third, i, d, m, len(r))
        batches: List[List[SearchResult]] = db.search_many(np.ones((2, 4), dtype=np.float32), k=1)
        vector, metadata = db.get("a")
        got: Tuple[List[float], Optional[Dict[str, Any]]] = db.get("b")
        deleted: bool = db.delete("e")
        n_deleted: int = db.delete_many(["d", "zz"])
        n: int = db.count({"k": 2}) + db.count() + len(db)
        ids: List[str] = db.ids()
        stats: Dict[str, Any] = db.stats()
        props: Tuple[int, str, int, int, int, int, bool, bool, bool, str] = (
            db.dim, db.metric, db.m, db.ef_construction, db.deleted_count, db.total_slots,
            db.quantized_search, db.read_only, db.closed, db.path,
        )
        present: bool = "a" in db
        db.save()
        db.compact()
        db.verify()
        db.export_json(path + ".json", pretty=True)
        db.import_json(path + ".json")
        db.disable_quantized_search()
        print(batches, vector, metadata, got, deleted, n_deleted, n, ids, stats, props, present)
    reader = Database(path, read_only=True)
    reader.close()


def use_client(root: str) -> List[str]:
    with Client(root) as client:
        movies: Database = client.create_collection("movies", dim=4, metric="l2", m=8,
                                                    ef_construction=100, quantize=False)
        docs = client.get_or_create_collection("docs", dim=4, metric=None)
        same: Database = client.get_collection("movies")
        gone: bool = client.delete_collection("docs")
        names: List[str] = client.list_collections()
        print(movies, docs, same, gone, client.path, client.closed, "movies" in client)
        return names


async def use_async(path: str) -> None:
    async with await AsyncDatabase.open(path, dim=4, read_only=False, sync=False) as db:
        await db.add("a", [1.0, 2.0, 3.0, 4.0], {"k": 1})
        await db.upsert("a", np.ones(4, dtype=np.float32))
        await db.add_many(["b"], [[1.0, 0.0, 0.0, 0.0]], [None])
        await db.upsert_many(["b"], np.ones((1, 4), dtype=np.float32))
        await db.update("a", metadata={"k": 3})
        hits: List[SearchResult] = await db.search([1.0, 0.0, 0.0, 0.0], k=2, ef_search=None,
                                                   where_filter=None, max_distance=None)
        many: List[List[SearchResult]] = await db.search_many([[1.0, 0.0, 0.0, 0.0]])
        vector, metadata = await db.get("a")
        ok: bool = await db.delete("b")
        count: int = await db.delete_many(["x"]) + db.count() + len(db)
        ids: List[str] = db.ids()
        stats: Dict[str, Any] = db.stats()
        there: bool = await db.contains("a") and "a" in db
        props: Tuple[int, str, bool, int, int] = (
            db.dim, db.metric, db.quantized_search, db.deleted_count, db.total_slots)
        db.enable_quantized_search()
        db.disable_quantized_search()
        await db.enable_quantized_search_async()
        await db.disable_quantized_search_async()
        await db.save()
        await db.compact()
        await db.verify()
        await db.export_json(path + ".json")
        await db.import_json(path + ".json")
        sync_db: Database = db.database
        print(hits, many, vector, metadata, ok, count, ids, stats, props, sync_db)
    other = AsyncDatabase(path)
    await other.close()
    wrapped = AsyncDatabase.wrap(Database(path))
    await wrapped.close()


def use_sharded(path: str) -> int:
    with ShardedDatabase(path, dim=4, metric="l2", m=8, ef_construction=64, quantize=False,
                         num_shards=2, sync=False) as db:
        db.add("a", [1.0, 2.0, 3.0, 4.0], {"k": 1})
        db.upsert("b", np.ones(4))
        db.add_many(["c"], np.ones((1, 4), dtype=np.float32), [None])
        db.upsert_many(["c"], [[1.0, 2.0, 3.0, 4.0]])
        db.update("a", metadata={"k": 2})
        hits: List[SearchResult] = db.search([1.0, 0.0, 0.0, 0.0], k=2, ef_search=None,
                                             where_filter={"k": 2}, max_distance=1.0)
        many: List[List[SearchResult]] = db.search_many(np.ones((2, 4)), k=1)
        vector, metadata = db.get("a")
        gone: bool = db.delete("c")
        n: int = db.delete_many(["x"]) + db.count({"k": 2}) + len(db) + db.shard_for("a")
        props: Tuple[int, str, int, int, int, bool, bool, str, List[str]] = (
            db.dim, db.metric, db.m, db.ef_construction, db.num_shards, db.read_only,
            db.closed, db.path, db.shard_paths)
        ids: List[str] = db.ids()
        stats: Dict[str, Any] = db.stats()
        db.save()
        db.compact()
        db.verify()
        print(hits, many, vector, metadata, gone, n, props, ids, stats, "a" in db)
    reader = ShardedDatabase(path, read_only=True)
    reader.close()
    return n


def handle_errors(path: str) -> str:
    try:
        Database(path)
    except DatabaseLockedError as exc:
        return "locked: " + str(exc)
    except CorruptionError as exc:
        return "damaged: " + str(exc)
    except StorageError as exc:
        return f"io: {exc.errno}"
    except HeronDBError as exc:
        return str(exc)
    except ValueError as exc:
        return str(exc)
    return herondb.__version__


def use_analyze(text: str) -> List[str]:
    return herondb.analyze(text) + herondb.analyze(text, language="none")


asyncio.run(use_async("/tmp/x"))
'''

MISUSES_THE_API = '''
from herondb import Client, Database

db = Database("p", dim=4)
db.search("not a vector", k=3)
db.add(42, [1.0])
hit = db.search([1.0, 0.0, 0.0, 0.0])[0]
hit.distance.upper()
names: int = Client("root").list_collections()
import herondb
herondb.analyze(b"bytes")
'''


def _mypy(tmp_path: Path, request: pytest.FixtureRequest, *targets: str) -> subprocess.CompletedProcess:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy)")
    env = dict(os.environ)
    parent = str(PACKAGE_DIR.parent)
    if "site-packages" not in parent and "dist-packages" not in parent:
        env["MYPYPATH"] = parent  # a source checkout: point mypy at it
    # pytest's cache speeds up reruns; scripts/test.sh runs with -p no:cacheprovider.
    pytest_cache = getattr(request.config, "cache", None)
    cache = pytest_cache.mkdir("mypy") if pytest_cache is not None else tmp_path / ".mypy"
    # herondb.llama_index is checked against llama-index-core as Any: following
    # that package's imports costs minutes of CPU per cold run.
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\n[mypy-llama_index.*]\nfollow_imports = skip\n"
        "[mypy-herondb.llama_index]\ndisallow_subclassing_any = False\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--show-error-codes",
         "--cache-dir", str(cache), *targets],
        capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=600,
    )


def test_mypy_strict_accepts_code_using_the_whole_api(tmp_path, request):
    example = tmp_path / "uses_herondb.py"
    example.write_text(textwrap.dedent(USES_THE_WHOLE_API))
    result = _mypy(tmp_path, request, str(example))
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_accepts_the_package_itself(tmp_path, request):
    # By module name, not by path: a path inside site-packages would make
    # mypy treat every module there as the user's own.
    result = _mypy(tmp_path, request, "-p", "herondb")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_catches_misuse(tmp_path, request):
    bad = tmp_path / "misuse.py"
    bad.write_text(textwrap.dedent(MISUSES_THE_API))
    result = _mypy(tmp_path, request, str(bad))
    assert result.returncode == 1
    out = result.stdout
    assert 'Argument 1 to "search" of "Database"' in out
    assert 'Argument 1 to "add" of "Database"' in out
    assert '"float" has no attribute "upper"' in out
    assert "Incompatible types in assignment" in out
    assert 'Argument 1 to "analyze"' in out


def test_package_ships_py_typed_and_stubs():
    for name in ("py.typed", "__init__.pyi", "database.pyi", "_core.pyi"):
        assert (PACKAGE_DIR / name).is_file(), name


def test_every_public_name_has_a_docstring():
    import inspect

    from herondb import cli
    from herondb._progress import ProgressBar, Spinner

    for name in herondb.__all__:
        obj = getattr(herondb, name)
        assert inspect.getdoc(obj), name
    for cls in (herondb.Client, herondb.AsyncDatabase, ProgressBar, Spinner):
        for attr, member in vars(cls).items():
            if attr.startswith("_"):
                continue
            target = member.fget if isinstance(member, property) else member
            if isinstance(target, (classmethod, staticmethod)):
                target = target.__func__
            if callable(target):
                assert inspect.getdoc(target), f"{cls.__name__}.{attr}"
    assert inspect.getdoc(cli.main) and inspect.getdoc(cli)
