"""The Database class: a persistent vector collection with an HNSW index."""

from __future__ import annotations

import os
from typing import Any, Optional

from . import _core
from ._text_search import TextSearchMethods


def _check_int(name: str, value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


class Database(TextSearchMethods, _core._Database):
    """A vector database stored in a directory.

    Vectors are kept under string ids with optional JSON-like metadata and are
    searched with an HNSW graph (or an exact scan while the collection is
    small). Create one with ``Database(path, dim=384)``; reopen it later with
    ``Database(path)``, which detects the dimension, metric and graph
    parameters. See the package documentation for every method.

    ``read_only=True`` opens an existing database without taking its write
    lock (any number of readers beside one writer); it sees the state as of
    opening and every mutating call raises ValueError. ``sync=True`` makes
    every mutating call fsync the write-ahead log before returning, so that
    it survives power loss, not just a killed process (concurrent writers
    share one fsync).
    """

    def __init__(
        self,
        path: "str | os.PathLike[str]",
        dim: Optional[int] = None,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
        *,
        read_only: bool = False,
        sync: bool = False,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        if metric is not None and not isinstance(metric, str):
            raise TypeError(f"metric must be a str, got {type(metric).__name__}")
        for name, flag in (("quantize", quantize), ("read_only", read_only), ("sync", sync)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        super().__init__(
            os.fspath(path),
            _check_int("dim", dim),
            metric,
            _check_int("m", m),
            _check_int("ef_construction", ef_construction),
            quantize,
            read_only,
            sync,
        )

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        # Leaving a with block saves (a snapshot, then the log starts over);
        # everything acknowledged is in the write-ahead log regardless.
        try:
            if not self.closed and not self.read_only:
                self.save()
        finally:
            self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<herondb.Database (closed)>"
        return (
            f"<herondb.Database path={self.path!r} dim={self.dim} metric={self.metric!r} "
            f"vectors={len(self)}>"
        )

    def save(self) -> None:
        """Write a snapshot, make it durable (fsync) and start an empty log.

        Costs next to nothing when nothing changed since the last snapshot.
        Raises StorageError (an OSError and a ValueError) on I/O failure,
        leaving the database as it was.
        """
        super().save()

    def compact(self) -> None:
        """Rebuild the graph from live vectors only and save the result.

        Afterwards ``deleted_count == 0`` and ``total_slots == len(db)``.
        """
        super().compact()

    def verify(self) -> None:
        """Check every checksum of the files and the graph's invariants.

        Raises CorruptionError naming the damaged file and offset.
        """
        super().verify()

    def export_json(self, path: "str | os.PathLike[str]", pretty: bool = False) -> None:
        """Write every live record to a JSON file (written whole, then renamed).

        The format is ``{"dim", "metric", "count", "records": [{"id",
        "vector", "metadata"}]}``; floats round-trip exactly.
        """
        super().export_json(os.fspath(path), pretty)

    def import_json(self, path: "str | os.PathLike[str]") -> None:
        """Upsert every record of a JSON export, as one all-or-nothing batch."""
        super().import_json(os.fspath(path))

