"""Crash safety of text indexes: a writer with a text index is killed with
SIGKILL at random moments; after reopening, verify() finds every text index
consistent with the metadata, and search_text scores equal a reference
computed from the reopened records."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import herondb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_text_search import assert_exact  # noqa: E402

PKG_DIR = str(Path(herondb.__file__).resolve().parents[1])
WORKER = str(Path(__file__).resolve().parent / "text_crash_worker.py")
TRIALS = int(os.environ.get("HERONDB_TEXT_CRASH_TRIALS", "6"))
OPS = 40


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_during_writes_leaves_text_search_consistent(tmp_path, trial):
    rng = random.Random(500 + trial)
    path = str(tmp_path / "db")
    proc = subprocess.Popen([sys.executable, WORKER, path, str(rng.randrange(1 << 30)), str(OPS)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": PKG_DIR})
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "open"
    target = rng.randrange(0, OPS)
    for line in proc.stdout:
        if line.startswith("ack") and int(line.split()[1]) >= target:
            break
    time.sleep(rng.random() * 0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode in (-signal.SIGKILL, 0)
    db = herondb.Database(path)
    assert "t" in db.text_indexes
    db.verify()  # checks every text index against the metadata
    assert_exact(db, field="t", queries=["gzip compress", "running dogs", "index vector data"])
    if "u" in db.text_indexes:
        assert_exact(db, field="u", language="none", queries=["gzip files", "the fox"])
    db.close()
