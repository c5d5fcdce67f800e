"""The Database class: a persistent vector collection with an HNSW index."""

from __future__ import annotations

import os
from typing import Any, Optional

from . import _core, _vctrs
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

    A directory that holds a vctrs database is migrated on the first
    writable open (its files are left untouched; a UserWarning says what was
    migrated); see docs/migrating-from-vctrs.md.

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
        fspath = os.fspath(path)
        # A vctrs database is migrated first (D20). An empty path or one with a
        # NUL is left to the core, which refuses it before touching anything
        # ("" would otherwise probe the current directory).
        if fspath and "\0" not in fspath and _vctrs.holds_vctrs(fspath):
            _vctrs.migrate_on_open(fspath, dim, metric, m, ef_construction, quantize, read_only)
        super().__init__(
            fspath,
            _check_int("dim", dim),
            metric,
            _check_int("m", m),
            _check_int("ef_construction", ef_construction),
            quantize,
            read_only,
            sync,
        )
        self._opened = True

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
        # Never raises and never waits: a handle whose constructor failed
        # (tracebacks that format locals show it) has no database, and the
        # vector count comes from the counts kept for non-waiting readers.
        if not getattr(self, "_opened", False):
            return "<herondb.Database (not open)>"
        try:
            if self.closed:
                return "<herondb.Database (closed)>"
            live = self._counts()[0]
            return (
                f"<herondb.Database path={self.path!r} dim={self.dim} metric={self.metric!r} "
                f"vectors={live}>"
            )
        except Exception:
            return "<herondb.Database (not open)>"

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

        The layout is vctrs's, ``{"version": 1, "dim", "metric", "count",
        "vectors": [{"id", "vector", "metadata"}]}``, so vctrs imports it too;
        floats round-trip exactly.
        """
        super().export_json(os.fspath(path), pretty)

    def import_json(self, path: "str | os.PathLike[str]") -> None:
        """Upsert every record of a JSON export, as one all-or-nothing batch.

        Reads vctrs's exports and herondb's (also the older ``"records"``
        layout). A dimension mismatch is a ValueError and imports nothing.
        """
        super().import_json(os.fspath(path))

