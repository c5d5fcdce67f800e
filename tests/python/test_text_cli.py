"""`herondb search --text` (BM25) and `--text` with `--query` (hybrid)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import herondb

PACKAGE_PARENT = str(Path(herondb.__file__).resolve().parent.parent)


def cli(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "herondb", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def make(tmp_path):
    path = tmp_path / "db"
    with herondb.Database(str(path), dim=2) as db:
        db.add_many(["a", "b", "c"], [[1, 0], [0, 1], [1, 1]],
                    [{"text": "gzip compression", "n": 1}, {"text": "zlib streams", "n": 2},
                     {"text": "compressed gzip files", "n": 2}])
        db.create_text_index("text")
    return path


def test_search_text_prints_bm25_results(tmp_path):
    path = make(tmp_path)
    p = cli("--json", "search", path, "--text", "gzip compress", "-k", "5")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert [h["id"] for h in doc["results"][0]] == ["a", "c"]
    p = cli("--json", "search", path, "--text", "gzip", "--filter", '{"n": 2}')
    assert [h["id"] for h in json.loads(p.stdout)["results"][0]] == ["c"]
    p = cli("search", path, "--text", "gzip")
    assert p.returncode == 0 and " a" in p.stdout


def test_search_text_with_query_runs_hybrid_search(tmp_path):
    path = make(tmp_path)
    q = tmp_path / "q.npy"
    np.save(q, np.array([[0, 1], [1, 0]], dtype=np.float32))
    p = cli("--json", "search", path, "--query", q, "--text", "gzip", "-k", "2",
            "--fusion", "weighted", "--alpha", "0.5")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert len(doc["results"]) == 2
    db = herondb.Database(str(path), read_only=True)
    want = db.hybrid_search([0, 1], "gzip", k=2, fusion="weighted")
    assert [h["id"] for h in doc["results"][0]] == [r.id for r in want]
    db.close()


def test_search_text_errors_exit_nonzero_with_the_reason(tmp_path):
    path = make(tmp_path)
    p = cli("search", path)
    assert p.returncode == 2 and "--text" in p.stderr
    p = cli("search", path, "--text", "gzip", "--field", "nope")
    assert p.returncode == 1 and "no text index on field 'nope'" in p.stderr
    p = cli("search", path, "--text", "gzip", "--alpha", "2", "--query", tmp_path / "x.json")
    assert p.returncode == 1
    p = cli("search", path, "--text", "gzip", "--max-distance", "1")
    assert p.returncode == 2


def test_info_lists_text_indexes(tmp_path):
    path = make(tmp_path)
    p = cli("--json", "info", path)
    assert json.loads(p.stdout)["text_indexes"] == ["text"]
