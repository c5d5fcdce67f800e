"""examples/rag_langchain.py and examples/rag_llama_index.py run offline, end to end.

They run with the demo's fallback embedding (``--fallback``) on a few hundred
docstrings, so the test is fast and needs no model; the MiniLM path is the
same code with another embedder (examples/demo.py's, covered by the demo).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, tmp_path: Path) -> str:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--fallback", "--limit", "300", "--path", str(tmp_path / "work")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_langchain_example_runs_offline(tmp_path):
    out = run_example("rag_langchain.py", tmp_path)
    assert "embedding model: hashed word/trigram counts" in out
    assert "indexed 300 docstrings" in out
    assert "similarity_search('read a file line by line', k=3)" in out
    assert "max_marginal_relevance_search" in out
    assert "hybrid_search('read a file line by line', k=3)" in out
    assert "reopened: 300 documents" in out
    assert (tmp_path / "work").is_dir()


def test_llama_index_example_runs_offline(tmp_path):
    out = run_example("rag_llama_index.py", tmp_path)
    assert "embedding model: hashed word/trigram counts" in out
    assert "indexed 300 docstrings" in out
    assert "MMR query mode" in out
    assert "hybrid query mode" in out
    assert "reloaded the index: 300 nodes in herondb" in out
    assert (tmp_path / "work" / "storage" / "docstore.json").is_file()

