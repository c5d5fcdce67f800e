"""Exceptions raised by herondb.

All of them subclass ValueError, so code written against the reference API
(which documents ValueError) keeps working.
"""

from __future__ import annotations


class HeronDBError(ValueError):
    """Base class of herondb's own errors."""


class DatabaseLockedError(HeronDBError):
    """Another process holds the write lock on this database."""


class CorruptionError(HeronDBError):
    """A file failed its checksum or structure check; the message names it."""


class StorageError(OSError, ValueError):
    """An I/O operation failed (disk full, permission denied, ...).

    It is both an OSError (``errno`` is set) and a ValueError. The database is
    left as it was before the call that failed.
    """


__all__ = ["HeronDBError", "DatabaseLockedError", "CorruptionError", "StorageError"]
