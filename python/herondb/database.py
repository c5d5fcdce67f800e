"""The Database class: a persistent vector collection with an HNSW index."""

from __future__ import annotations

import os
from typing import Any, Optional

from . import _core


def _check_int(name: str, value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


class Database(_core._Database):
    """A vector database stored in a directory.

    Vectors are kept under string ids with optional JSON-like metadata and are
    searched with an HNSW graph (or an exact scan while the collection is
    small). Create one with ``Database(path, dim=384)``; reopen it later with
    ``Database(path)``, which detects the dimension, metric and graph
    parameters. See the package documentation for every method.
    """

    def __init__(
        self,
        path: "str | os.PathLike[str]",
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        if metric is not None and not isinstance(metric, str):
            raise TypeError(f"metric must be a str, got {type(metric).__name__}")
        if not isinstance(quantize, bool):
            raise TypeError(f"quantize must be a bool, got {type(quantize).__name__}")
        super().__init__(
            os.fspath(path),
            _check_int("dim", dim),
            metric,
            _check_int("m", m),
            _check_int("ef_construction", ef_construction),
            quantize,
        )

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<herondb.Database (closed)>"
        return (
            f"<herondb.Database path={self.path!r} dim={self.dim} metric={self.metric!r} "
            f"vectors={len(self)}>"
        )

    def save(self) -> None:
        """Write a snapshot of the database to its directory."""
        raise NotImplementedError(
            "save() is not implemented yet: durable storage is tracked by the storage issue; "
            "this build keeps databases in memory"
        )

    def compact(self) -> None:
        """Rebuild the index from live vectors only, reclaiming deleted slots."""
        raise NotImplementedError("compact() arrives with durable storage")

    def export_json(self, path: str, pretty: bool = False) -> None:
        """Write every vector and its metadata to a JSON file."""
        raise NotImplementedError("export_json arrives with durable storage")

    def import_json(self, path: str) -> None:
        """Upsert every record of a JSON export into this database."""
        raise NotImplementedError("import_json arrives with durable storage")
