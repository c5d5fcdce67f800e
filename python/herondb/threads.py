"""The process's worker threads.

Every Database and Client collection in a process shares one pool of worker
threads for batch inserts, ``search_many``, compaction and calibration. It
is created when the first database opens and never resized. Its size is, in
order: the value given to :func:`set_threads` before that, the environment
variable ``HERONDB_THREADS``, or one thread per hardware thread.
"""

from __future__ import annotations

from . import _core


def set_threads(n: int) -> None:
    """Size the shared worker pool (``n`` >= 1; the calling thread counts as one).

    Call it before the first database is opened. Raises ``ValueError`` for a
    bad ``n`` and ``RuntimeError`` once the pool exists (its size is fixed).
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1 or n > 4095:
        raise ValueError(f"n must be between 1 and 4095, got {n}")
    if not _core._set_threads(n):
        raise RuntimeError(
            f"the shared thread pool already exists with {_core._threads()} threads; "
            "call herondb.set_threads() before opening the first database"
        )


def thread_count() -> int:
    """How many threads the shared pool has (or will have when created)."""
    return int(_core._threads())
