"""One pool of worker threads per process (issue 16): opening many databases
and collections adds no threads; its size can be set before first use."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import herondb

# The folder holding the herondb package this test imported (the installed
# one in CI, the source tree in development), for the child processes.
PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(herondb.__file__)))


def _run(code: str, env_extra=None) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = PKG_DIR + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("HERONDB_THREADS", None)
    env.update(env_extra or {})
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_opening_twenty_collections_adds_no_threads_beyond_the_one_pool(tmp_path):
    out = _run(
        f"""
        import os, numpy as np, herondb
        def threads():
            return len(os.listdir("/proc/self/task"))
        herondb.set_threads(4)
        client = herondb.Client({str(tmp_path)!r})
        first = client.get_or_create_collection("c0", dim=8)
        first.add_many([str(i) for i in range(50)], np.random.default_rng(0).random((50, 8)))
        after_first = threads()
        cols = [client.get_or_create_collection(f"c{{i}}", dim=8) for i in range(1, 20)]
        for c in cols:
            c.add_many([str(i) for i in range(50)], np.random.default_rng(1).random((50, 8)))
            c.search_many(np.random.default_rng(2).random((20, 8)), k=3)
        print(after_first, threads(), herondb.thread_count())
        """
    )
    after_first, after_all, pool = map(int, out.split())
    assert after_all == after_first
    assert pool == 4


def test_environment_variable_sizes_the_pool():
    out = _run("import herondb; print(herondb.thread_count())", {"HERONDB_THREADS": "3"})
    assert out == "3"


def test_set_threads_after_the_pool_exists_is_an_error_and_changes_nothing(tmp_path):
    out = _run(
        f"""
        import herondb
        herondb.set_threads(2)
        db = herondb.Database({str(tmp_path / "db")!r}, dim=4)
        try:
            herondb.set_threads(5)
        except RuntimeError as e:
            print("RuntimeError", herondb.thread_count())
        """
    )
    assert out == "RuntimeError 2"


@pytest.mark.parametrize("bad", [0, -1, 5000])
def test_set_threads_rejects_a_bad_count(bad):
    with pytest.raises(ValueError):
        herondb.set_threads(bad)


def test_set_threads_rejects_a_non_integer():
    with pytest.raises(TypeError):
        herondb.set_threads("4")  # type: ignore[arg-type]
