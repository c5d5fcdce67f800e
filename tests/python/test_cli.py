"""The herondb command line, run as a real subprocess (``python -m herondb``).

After ``pip install .`` the ``herondb`` console script is on PATH and is tested
too; from a source tree the module form is run with PYTHONPATH pointing at the
package in use.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import herondb
from herondb import Database
from herondb._progress import ProgressBar, Spinner
from herondb.cli import CliError, UsageError, json_export_header, load_ids, load_queries

PACKAGE_PARENT = str(Path(herondb.__file__).resolve().parent.parent)
DIM = 4
N = 40


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def cli(*args, cwd=None):
    """Run ``python -m herondb ARGS``; returns the CompletedProcess (text mode)."""
    return subprocess.run(
        [sys.executable, "-m", "herondb", *map(str, args)],
        capture_output=True, text=True, env=_env(), cwd=cwd, timeout=300,
    )


def cli_json(*args):
    p = cli(*args, "--json")
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (rc={p.returncode}): {p.stdout!r} / {p.stderr!r}")
    return p, doc


def data(n=N, dim=DIM, seed=3):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


@pytest.fixture
def dbpath(tmp_path):
    """A saved 4-d euclidean database: ids v0..v39, metadata {i, even}; v0..v4 deleted."""
    path = str(tmp_path / "db")
    with Database(path, dim=DIM, metric="euclidean") as db:
        db.add_many([f"v{i}" for i in range(N)], data(),
                    [{"i": i, "even": i % 2 == 0} for i in range(N)])
        db.delete_many([f"v{i}" for i in range(5)])
    return path


@pytest.fixture
def query_npy(tmp_path):
    path = tmp_path / "q.npy"
    np.save(path, data()[10])
    return str(path)


# ------------------------------------------------------------ the basics


def test_no_command_prints_help_and_exits_2():
    p = cli()
    assert p.returncode == 2
    assert "usage: herondb" in p.stderr


def test_version_exits_0():
    p = cli("--version")
    assert p.returncode == 0
    assert herondb.__version__ in p.stdout


def test_unknown_command_exits_2():
    p = cli("frobnicate", "x")
    assert p.returncode == 2
    assert "invalid choice" in p.stderr


def test_help_of_every_command_exits_0():
    for command in ("info", "stats", "search", "import", "export", "compact", "verify"):
        p = cli(command, "--help")
        assert p.returncode == 0, command
        assert f"herondb {command}" in p.stdout


def test_console_script_when_installed(tmp_path):
    exe = shutil.which("herondb")
    if exe is None:
        pytest.skip("the herondb console script is not on PATH (package not pip-installed)")
    p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "herondb" in p.stdout
    p = subprocess.run([exe, "info", str(tmp_path / "missing")], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 1 and "no herondb database" in p.stderr


# ------------------------------------------------ failures exit 1 with a reason


@pytest.mark.parametrize("command", ["info", "stats", "compact", "verify"])
def test_missing_database_exits_1(tmp_path, command):
    missing = tmp_path / "nope"
    p = cli(command, missing)
    assert p.returncode == 1
    assert "no herondb database" in p.stderr
    assert not missing.exists()  # a read or maintenance command never creates one


@pytest.mark.parametrize("command", ["info", "stats", "compact", "verify"])
def test_missing_database_with_json_prints_an_error_document(tmp_path, command):
    p, doc = cli_json(command, tmp_path / "nope")
    assert p.returncode == 1
    assert doc["ok"] is False and "no herondb database" in doc["error"]


def test_directory_without_a_database_exits_1(tmp_path):
    (tmp_path / "empty").mkdir()
    p = cli("info", tmp_path / "empty")
    assert p.returncode == 1
    assert "no CURRENT file" in p.stderr


def test_search_and_export_of_missing_database_exit_1(tmp_path, query_npy):
    assert cli("search", tmp_path / "nope", "--query", query_npy).returncode == 1
    assert cli("export", tmp_path / "nope", tmp_path / "out.json").returncode == 1


# ------------------------------------------------------ usage errors exit 2


def test_search_requires_query_exits_2(tmp_path):
    p = cli("search", tmp_path)
    assert p.returncode == 2 and "--query" in p.stderr


@pytest.mark.parametrize("k", ["0", "-3", "ten"])
def test_search_bad_k_exits_2(tmp_path, query_npy, k):
    assert cli("search", tmp_path, "--query", query_npy, "-k", k).returncode == 2


def test_search_filter_that_is_not_json_exits_2(tmp_path, query_npy):
    p = cli("search", tmp_path, "--query", query_npy, "--filter", "{nope")
    assert p.returncode == 2 and "not valid JSON" in p.stderr


def test_search_filter_that_is_not_an_object_exits_2(tmp_path, query_npy):
    p = cli("search", tmp_path, "--query", query_npy, "--filter", "[1, 2]")
    assert p.returncode == 2 and "JSON object" in p.stderr


def test_search_query_with_unknown_extension_exits_2(tmp_path):
    q = tmp_path / "q.txt"
    q.write_text("1 2 3 4")
    p = cli("search", tmp_path, "--query", q)
    assert p.returncode == 2 and ".npy or .json" in p.stderr


def test_search_unreadable_query_file_exits_1(tmp_path):
    p = cli("search", tmp_path, "--query", tmp_path / "absent.npy")
    assert p.returncode == 1 and "cannot read queries" in p.stderr


def test_import_needs_a_file_or_npy_exits_2(tmp_path):
    p = cli("import", tmp_path / "db")
    assert p.returncode == 2
    assert not (tmp_path / "db").exists()


def test_import_npy_needs_ids_exits_2(tmp_path):
    np.save(tmp_path / "v.npy", data())
    p = cli("import", tmp_path / "db", "--npy", tmp_path / "v.npy")
    assert p.returncode == 2 and "--ids" in p.stderr


def test_import_file_and_npy_together_exits_2(tmp_path):
    np.save(tmp_path / "v.npy", data())
    p = cli("import", tmp_path / "db", "x.json", "--npy", tmp_path / "v.npy", "--ids", "i.txt")
    assert p.returncode == 2


def test_import_ids_without_npy_exits_2(tmp_path):
    p = cli("import", tmp_path / "db", "x.json", "--ids", "i.txt")
    assert p.returncode == 2


def test_export_needs_a_target_exits_2(tmp_path):
    assert cli("export", tmp_path / "db").returncode == 2


def test_export_npy_needs_ids_out_exits_2(tmp_path):
    p = cli("export", tmp_path / "db", "--npy", tmp_path / "o.npy")
    assert p.returncode == 2 and "--ids-out" in p.stderr


def test_export_pretty_with_npy_exits_2(tmp_path):
    p = cli("export", tmp_path / "db", "--npy", "o.npy", "--ids-out", "i.txt", "--pretty")
    assert p.returncode == 2


# ------------------------------------------- import validation (no writes on bad data)


def test_import_npy_count_mismatch_exits_1_and_creates_nothing(tmp_path):
    np.save(tmp_path / "v.npy", data(5))
    (tmp_path / "ids.txt").write_text("a\nb\n")
    p = cli("import", tmp_path / "db", "--npy", tmp_path / "v.npy", "--ids", tmp_path / "ids.txt")
    assert p.returncode == 1 and "2 ids" in p.stderr
    assert not (tmp_path / "db").exists()


def test_import_npy_of_wrong_shape_exits_1(tmp_path):
    np.save(tmp_path / "v.npy", np.zeros(4, dtype=np.float32))
    (tmp_path / "ids.txt").write_text("a\n")
    p = cli("import", tmp_path / "db", "--npy", tmp_path / "v.npy", "--ids", tmp_path / "ids.txt")
    assert p.returncode == 1 and "2-D" in p.stderr


def test_import_ids_json_that_is_not_a_list_of_strings_exits_1(tmp_path):
    np.save(tmp_path / "v.npy", data(2))
    (tmp_path / "ids.json").write_text('["a", 2]')
    p = cli("import", tmp_path / "db", "--npy", tmp_path / "v.npy", "--ids", tmp_path / "ids.json")
    assert p.returncode == 1 and "list of strings" in p.stderr


def test_import_json_that_is_not_an_export_exits_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2, 3]")
    p = cli("import", tmp_path / "db", bad)
    assert p.returncode == 1 and "not a herondb JSON export" in p.stderr
    assert not (tmp_path / "db").exists()


# ------------------------------------------------ commands on a real database
# (these need durable storage: the fixture saves a database and the CLI reopens it)


def test_info_json(dbpath):
    p, doc = cli_json("info", dbpath)
    assert p.returncode == 0, p.stderr
    assert doc["dim"] == DIM and doc["metric"] == "euclidean"
    assert doc["vectors"] == N - 5 and doc["deleted"] == 5
    assert doc["total_slots"] == N
    assert doc["m"] == 16 and doc["ef_construction"] == 200
    assert doc["files"] >= 1 and doc["disk_bytes"] > 0


def test_info_text(dbpath):
    p = cli("info", dbpath)
    assert p.returncode == 0, p.stderr
    assert "euclidean" in p.stdout and "vectors" in p.stdout
    assert p.stderr == ""  # no progress noise when stderr is not a terminal


def test_json_flag_works_before_the_command(dbpath):
    p = cli("--json", "info", dbpath)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["dim"] == DIM


def test_stats_json_has_the_reference_keys(dbpath):
    p, doc = cli_json("stats", dbpath)
    assert p.returncode == 0, p.stderr
    for key in ("num_vectors", "num_deleted", "num_layers", "avg_degree_layer0",
                "uses_brute_force", "uses_quantized_search"):
        assert key in doc
    assert doc["num_vectors"] == N - 5


def test_stats_text(dbpath):
    p = cli("stats", dbpath)
    assert p.returncode == 0, p.stderr
    assert "num_vectors" in p.stdout


def test_search_single_npy_query_matches_the_api(dbpath, query_npy):
    p, doc = cli_json("search", dbpath, "--query", query_npy, "-k", "3")
    assert p.returncode == 0, p.stderr
    assert doc["queries"] == 1 and doc["k"] == 3
    with Database(dbpath, read_only=True) as db:
        expected = db.search(np.load(query_npy), k=3)
    got = doc["results"][0]
    assert [h["id"] for h in got] == [r.id for r in expected]
    assert got[0]["id"] == "v10" and got[0]["distance"] == pytest.approx(0.0, abs=1e-5)
    assert got[0]["metadata"] == {"i": 10, "even": True}


def test_search_batch_of_json_queries(dbpath, tmp_path):
    q = tmp_path / "q.json"
    q.write_text(json.dumps(data()[[10, 20, 30]].tolist()))
    p, doc = cli_json("search", dbpath, "--query", q, "-k", "1", "--ef", "50")
    assert p.returncode == 0, p.stderr
    assert [r[0]["id"] for r in doc["results"]] == ["v10", "v20", "v30"]


def test_search_with_filter_and_max_distance(dbpath, query_npy):
    p, doc = cli_json("search", dbpath, "--query", query_npy, "-k", "10",
                      "--filter", '{"even": false}')
    assert p.returncode == 0, p.stderr
    hits = doc["results"][0]
    assert len(hits) == 10 and all(h["metadata"]["even"] is False for h in hits)
    p, doc = cli_json("search", dbpath, "--query", query_npy, "--max-distance", "0.001")
    assert [h["id"] for h in doc["results"][0]] == ["v10"]


def test_search_text_output(dbpath, query_npy):
    p = cli("search", dbpath, "--query", query_npy, "-k", "2")
    assert p.returncode == 0, p.stderr
    assert "v10" in p.stdout and "1 query" in p.stdout


def test_search_with_a_bad_filter_operator_exits_1(dbpath, query_npy):
    p = cli("search", dbpath, "--query", query_npy, "--filter", '{"i": {"$bogus": 1}}')
    assert p.returncode == 1 and "$bogus" in p.stderr


def test_search_with_wrong_dimension_exits_1(dbpath, tmp_path):
    q = tmp_path / "q.json"
    q.write_text("[1.0, 2.0]")
    p = cli("search", dbpath, "--query", q)
    assert p.returncode == 1 and "dimension" in p.stderr


def test_export_json_then_import_into_a_new_database(dbpath, tmp_path):
    out = tmp_path / "export.json"
    p, doc = cli_json("export", dbpath, out)
    assert p.returncode == 0, p.stderr
    assert doc["vectors"] == N - 5
    exported = json.loads(out.read_text())
    assert exported["dim"] == DIM and len(exported["vectors"]) == N - 5

    new = tmp_path / "copy"
    p, doc = cli_json("import", new, out)
    assert p.returncode == 0, p.stderr
    assert doc["created"] is True and doc["vectors_after"] == N - 5
    with Database(dbpath, read_only=True) as a, Database(str(new), read_only=True) as b:
        assert b.metric == "euclidean"
        assert sorted(a.ids()) == sorted(b.ids())
        for i in a.ids():
            assert a.get(i) == b.get(i)


def test_export_pretty_is_indented(dbpath, tmp_path):
    out = tmp_path / "pretty.json"
    assert cli("export", dbpath, out, "--pretty").returncode == 0
    assert "\n " in out.read_text()


def test_import_json_into_an_existing_database_upserts(dbpath, tmp_path):
    export = tmp_path / "more.json"
    export.write_text(json.dumps({
        "dim": DIM, "metric": "euclidean",
        "records": [{"id": "v10", "vector": [0.0, 0.0, 0.0, 1.0], "metadata": {"new": True}},
                    {"id": "fresh", "vector": [1.0, 0.0, 0.0, 0.0], "metadata": None}],
    }))
    p, doc = cli_json("import", dbpath, export)
    assert p.returncode == 0, p.stderr
    assert doc["created"] is False and doc["vectors_after"] == N - 5 + 1
    with Database(dbpath, read_only=True) as db:
        assert db.get("v10") == ([0.0, 0.0, 0.0, 1.0], {"new": True})


def test_import_json_with_records_before_dim(tmp_path):
    export = tmp_path / "late.json"
    export.write_text(json.dumps({
        "records": [{"id": "a", "vector": [1.0, 2.0, 3.0], "metadata": {"x": 1}}],
        "metric": "dot_product", "dim": 3,
    }))
    p = cli("import", tmp_path / "db", export)
    assert p.returncode == 0, p.stderr
    with Database(str(tmp_path / "db"), read_only=True) as db:
        assert (db.dim, db.metric, db.ids()) == (3, "dot_product", ["a"])


def test_import_json_with_wrong_dimension_exits_1_and_changes_nothing(dbpath, tmp_path):
    export = tmp_path / "wrong.json"
    export.write_text(json.dumps({"dim": 3, "metric": "euclidean",
                                  "records": [{"id": "x", "vector": [1.0, 2.0, 3.0]}]}))
    p = cli("import", dbpath, export)
    assert p.returncode == 1
    with Database(dbpath, read_only=True) as db:
        assert len(db) == N - 5 and "x" not in db


def test_import_npy_with_text_ids_and_jsonl_metadata(tmp_path):
    vecs = data(30, 8, seed=9)
    np.save(tmp_path / "v.npy", vecs)
    (tmp_path / "ids.txt").write_text("".join(f"id {i}\r\n" for i in range(30)))
    (tmp_path / "meta.jsonl").write_text("".join(
        (json.dumps({"n": i}) if i % 3 else "null") + "\n" for i in range(30)))
    p, doc = cli_json("import", tmp_path / "db", "--npy", tmp_path / "v.npy", "--ids",
                      tmp_path / "ids.txt", "--metadata", tmp_path / "meta.jsonl",
                      "--metric", "euclidean", "--batch-size", "7")
    assert p.returncode == 0, p.stderr
    assert doc["created"] is True and doc["records"] == 30 and doc["vectors_after"] == 30
    with Database(str(tmp_path / "db"), read_only=True) as db:
        assert (db.dim, db.metric) == (8, "euclidean")
        assert db.get("id 4") == (vecs[4].tolist(), {"n": 4})
        assert db.get("id 3")[1] is None


def test_import_npy_with_json_ids_into_existing_database(dbpath, tmp_path):
    np.save(tmp_path / "v.npy", data(2, seed=11).astype(np.float64))
    (tmp_path / "ids.json").write_text('["v20", "new"]')
    p = cli("import", dbpath, "--npy", tmp_path / "v.npy", "--ids", tmp_path / "ids.json")
    assert p.returncode == 0, p.stderr
    with Database(dbpath, read_only=True) as db:
        assert len(db) == N - 5 + 1
        assert db.get("v20")[1] is None  # upsert replaced it, without metadata


def test_import_npy_with_nan_exits_1_and_changes_nothing(dbpath, tmp_path):
    vecs = data(3, seed=12)
    vecs[2, 1] = np.nan
    np.save(tmp_path / "v.npy", vecs)
    (tmp_path / "ids.txt").write_text("a\nb\nc\n")
    p = cli("import", dbpath, "--npy", tmp_path / "v.npy", "--ids", tmp_path / "ids.txt")
    assert p.returncode == 1 and "row 2" in p.stderr
    with Database(dbpath, read_only=True) as db:
        assert "a" not in db and len(db) == N - 5


def test_import_npy_with_wrong_dimension_exits_1(dbpath, tmp_path):
    np.save(tmp_path / "v.npy", data(2, 3))
    (tmp_path / "ids.txt").write_text("a\nb\n")
    p = cli("import", dbpath, "--npy", tmp_path / "v.npy", "--ids", tmp_path / "ids.txt")
    assert p.returncode == 1 and "3-d" in p.stderr


def test_export_npy_round_trips_through_import(dbpath, tmp_path):
    p, doc = cli_json("export", dbpath, "--npy", tmp_path / "o.npy", "--ids-out",
                      tmp_path / "ids.json", "--metadata-out", tmp_path / "m.jsonl")
    assert p.returncode == 0, p.stderr
    assert doc["vectors"] == N - 5
    vecs = np.load(tmp_path / "o.npy")
    ids = json.loads((tmp_path / "ids.json").read_text())
    metas = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert vecs.shape == (N - 5, DIM) and vecs.dtype == np.float32
    with Database(dbpath, read_only=True) as db:
        for row, i in enumerate(ids):
            vec, meta = db.get(i)
            assert vecs[row].tolist() == vec and metas[row] == meta
    p = cli("import", tmp_path / "again", "--npy", tmp_path / "o.npy", "--ids",
            tmp_path / "ids.json", "--metadata", tmp_path / "m.jsonl", "--metric", "euclidean")
    assert p.returncode == 0, p.stderr


def test_export_npy_with_text_ids(dbpath, tmp_path):
    p = cli("export", dbpath, "--npy", tmp_path / "o.npy", "--ids-out", tmp_path / "ids.txt")
    assert p.returncode == 0, p.stderr
    assert len((tmp_path / "ids.txt").read_text().splitlines()) == N - 5


def test_compact_reclaims_deleted_slots(dbpath):
    p, doc = cli_json("compact", dbpath)
    assert p.returncode == 0, p.stderr
    assert doc["before"]["deleted"] == 5 and doc["after"]["deleted"] == 0
    assert doc["after"]["total_slots"] == N - 5
    with Database(dbpath, read_only=True) as db:
        assert db.deleted_count == 0 and len(db) == N - 5


def test_compact_text(dbpath):
    p = cli("compact", dbpath)
    assert p.returncode == 0, p.stderr
    assert "compacted" in p.stdout


def test_verify_clean_database_exits_0(dbpath):
    p = cli("verify", dbpath)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("OK")
    p, doc = cli_json("verify", dbpath)
    assert p.returncode == 0 and doc["ok"] is True and doc["vectors"] == N - 5


def _damage(dbpath):
    """Flip the non-zero snapshot byte nearest the middle (zero bytes may be alignment padding)."""
    snapshots = sorted(glob.glob(os.path.join(dbpath, "snapshot-*")))
    assert snapshots, os.listdir(dbpath)
    target = snapshots[-1]
    raw = bytearray(Path(target).read_bytes())
    middle = len(raw) // 2
    offset = min((i for i, b in enumerate(raw) if b), key=lambda i: abs(i - middle))
    raw[offset] ^= 0xFF
    Path(target).write_bytes(bytes(raw))
    return target


def test_verify_damaged_database_exits_1_with_a_clear_message(dbpath):
    _damage(dbpath)
    p = cli("verify", dbpath)
    assert p.returncode == 1
    assert "DAMAGED" in p.stderr
    p, doc = cli_json("verify", dbpath)
    assert p.returncode == 1 and doc["ok"] is False and doc["type"] == "CorruptionError"


def test_read_commands_work_while_a_writer_holds_the_lock(dbpath, query_npy):
    with Database(dbpath) as writer:
        assert len(writer) == N - 5
        assert cli("info", dbpath).returncode == 0
        assert cli("search", dbpath, "--query", query_npy).returncode == 0
        assert cli("verify", dbpath).returncode == 0
        p = cli("compact", dbpath)  # needs the write lock
        assert p.returncode == 1 and "lock" in p.stderr.lower()


def test_quiet_run_writes_nothing_to_stderr(dbpath, tmp_path):
    p = cli("export", dbpath, tmp_path / "e.json", "--quiet")
    assert p.returncode == 0 and p.stderr == ""


def test_failed_json_import_into_a_new_database_leaves_nothing(tmp_path):
    export = tmp_path / "bad-records.json"
    export.write_text(json.dumps({"dim": 3, "metric": "cosine",
                                  "records": [{"id": "a", "vector": [1.0, 2.0]}]}))
    p = cli("import", tmp_path / "db", export)
    assert p.returncode == 1
    assert not (tmp_path / "db").exists()


def test_failed_import_into_an_existing_empty_folder_removes_only_database_files(tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    export = tmp_path / "bad.json"
    export.write_text(json.dumps({"dim": 2, "records": [{"id": "a", "vector": [1.0, "x"]}]}))
    p = cli("import", folder, export)
    assert p.returncode == 1
    assert sorted(os.listdir(folder)) == ["notes.txt"]


def test_import_with_a_dim_flag_that_contradicts_the_database_exits_1(dbpath, tmp_path):
    export = tmp_path / "e.json"
    export.write_text(json.dumps({"dim": DIM, "records": []}))
    p = cli("import", dbpath, export, "--dim", "7")
    assert p.returncode == 1 and "7" in p.stderr


def test_export_npy_of_an_empty_database(tmp_path):
    path = str(tmp_path / "empty")
    Database(path, dim=3).close()
    p = cli("export", path, "--npy", tmp_path / "e.npy", "--ids-out", tmp_path / "e.txt",
            "--metadata-out", tmp_path / "e.jsonl")
    assert p.returncode == 0, p.stderr
    assert np.load(tmp_path / "e.npy").shape == (0, 3)
    assert (tmp_path / "e.txt").read_text() == "" and (tmp_path / "e.jsonl").read_text() == ""


def test_output_into_a_closed_pipe_exits_quietly(dbpath):
    proc = subprocess.Popen([sys.executable, "-m", "herondb", "stats", dbpath],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    proc.stdout.close()  # nobody reads: writes fail with EPIPE
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err


def _run_on_a_terminal(*args):
    """Run ``python -m herondb ARGS`` with stdout/stderr on a pseudo-terminal; returns (rc, output)."""
    pty = pytest.importorskip("pty", reason="pseudo-terminals need a POSIX system")
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.environ.update(_env())
        os.execv(sys.executable, [sys.executable, "-m", "herondb", *map(str, args)])
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO once the child has exited
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


def _npy_import_inputs(tmp_path, n=3000):
    np.save(tmp_path / "v.npy", data(n, 8, seed=5))
    (tmp_path / "ids.txt").write_text("".join(f"r{i}\n" for i in range(n)))
    return ["--npy", tmp_path / "v.npy", "--ids", tmp_path / "ids.txt", "--batch-size", "500"]


def test_progress_bar_is_drawn_when_stderr_is_a_terminal(tmp_path):
    rc, output = _run_on_a_terminal("import", tmp_path / "db", *_npy_import_inputs(tmp_path))
    assert rc == 0, output
    assert "importing [" in output and "100%" in output and "3,000/3,000" in output


def test_quiet_turns_the_progress_bar_off_on_a_terminal(tmp_path):
    rc, output = _run_on_a_terminal("import", tmp_path / "db", *_npy_import_inputs(tmp_path),
                                    "--quiet")
    assert rc == 0, output
    assert "importing [" not in output and "created" in output


# ------------------------------------------------------------ helper units


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_terminal():
    stream = FakeTTY()
    with ProgressBar(200, "work", stream=stream) as bar:
        for _ in range(4):
            bar.update(50)
    text = stream.getvalue()
    assert "work" in text and "100%" in text and "200/200" in text
    assert text.endswith("\n")


def test_progress_bar_is_silent_off_a_terminal_or_when_disabled():
    plain = io.StringIO()
    with ProgressBar(10, "x", stream=plain) as bar:
        bar.update(10)
    assert plain.getvalue() == ""
    tty = FakeTTY()
    with ProgressBar(10, "x", stream=tty, enabled=False) as bar:
        bar.update(10)
    assert tty.getvalue() == ""


def test_progress_bar_clears_its_line_after_a_failure():
    stream = FakeTTY()
    with pytest.raises(RuntimeError):
        with ProgressBar(10, "x", stream=stream) as bar:
            bar.update(3)
            raise RuntimeError
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_bar_render_shows_eta_midway():
    bar = ProgressBar(100, "load", stream=FakeTTY())
    bar.update(25)
    assert " 25%" in bar.render() and "ETA" in bar.render()


def test_spinner_turns_while_the_block_runs():
    import time

    stream = FakeTTY()
    with Spinner("busy", stream=stream):
        time.sleep(0.35)
    text = stream.getvalue()
    assert "busy" in text and "done in" in text
    assert Spinner("quiet", stream=io.StringIO()).enabled is False


def test_json_export_header_reads_dim_and_metric_from_the_head(tmp_path):
    f = tmp_path / "e.json"
    f.write_text('{"dim": 7, "metric": "cosine", "records": []}')
    assert json_export_header(str(f)) == (7, "cosine")


def test_json_export_header_falls_back_when_records_come_first(tmp_path):
    f = tmp_path / "e.json"
    f.write_text('{"format": "herondb", "records": [{"id": "a"}], "dim": 2}')
    assert json_export_header(str(f)) == (2, None)


@pytest.mark.parametrize("text", ["[]", "{", "nonsense", '{"dim": "7", "records": []}'])
def test_json_export_header_rejects_bad_files(tmp_path, text):
    f = tmp_path / "e.json"
    f.write_text(text)
    with pytest.raises(CliError):
        json_export_header(str(f))


def test_load_ids_text_and_json(tmp_path):
    t = tmp_path / "ids.txt"
    t.write_text("a\r\nb c\n\nd\n")
    assert load_ids(str(t)) == ["a", "b c", "", "d"]
    j = tmp_path / "ids.json"
    j.write_text('["x", "y\\nz"]')
    assert load_ids(str(j)) == ["x", "y\nz"]
    j.write_text('{"a": 1}')
    with pytest.raises(CliError):
        load_ids(str(j))


def test_load_queries_shapes(tmp_path):
    one = tmp_path / "one.json"
    one.write_text("[1, 2, 3]")
    arr, single = load_queries(str(one))
    assert single and arr.shape == (1, 3) and arr.dtype == np.float32
    many = tmp_path / "many.npy"
    np.save(many, np.ones((5, 3)))
    arr, single = load_queries(str(many))
    assert not single and arr.shape == (5, 3)
    bad = tmp_path / "bad.json"
    bad.write_text('[["a"]]')
    with pytest.raises(CliError):
        load_queries(str(bad))
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(CliError):
        load_queries(str(empty))
    with pytest.raises(UsageError):
        load_queries(str(tmp_path / "q.csv"))
