"""Client: several named collections (each one a Database) under one root directory.

Layout: every collection lives in ``<root>/<name>/`` and is an ordinary herondb
database directory, so ``Database("<root>/<name>")`` opens it too (when no
Client holds it).

A subdirectory counts as a collection when its name is a valid collection name
and it holds a ``CURRENT`` file (every herondb database writes one when it is
created) or a ``LOCK`` file (created when a writer opens it), or when this
Client has it open. A vctrs collection (``graph.vctrs`` or ``wal.vctrs``)
counts too: opening it migrates it (see ``herondb._vctrs``). Other entries of the root (files, hidden folders, folders with other
names, empty folders left by an interrupted create) are not collections and are
never touched, except that ``create_collection`` may reuse an *empty* folder of
the right name.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from types import TracebackType
from typing import Dict, List, Optional, Type

from . import _core, _vctrs
from ._typing import PathLike
from .database import Database
from .errors import DatabaseLockedError

_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MARKER_FILES = ("CURRENT", "LOCK", "graph.vctrs", "wal.vctrs")  # vctrs's: migrated on open


def validate_collection_name(name: object) -> str:
    """Return ``name`` if it is a valid collection name, else raise.

    Valid names are 1 to 64 characters from ``A-Z a-z 0-9 _ -``. A non-string is
    a TypeError; anything else invalid (empty, ``..``, slashes, spaces, too
    long) is a ValueError that quotes the name.
    """
    if not isinstance(name, str):
        raise TypeError(f"collection name must be a str, got {type(name).__name__}")
    if not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"invalid collection name {name!r}: use 1 to 64 characters from "
            "A-Z, a-z, 0-9, '_' and '-'"
        )
    return name


class Client:
    """Manage named collections, each a :class:`Database` in its own subdirectory.

    ``Client(path)`` creates ``path`` if needed. The Client keeps one open handle
    per collection and hands out that same object every time the collection is
    asked for, so two parts of a program that use the same Client never fight
    over the database's write lock. A handle that was closed by its user is
    replaced by a freshly opened one on the next request. All methods are safe to
    call from several threads.

    ``with Client(path) as client:`` saves and closes every open collection on
    exit; :meth:`close` closes them without writing a snapshot (everything is
    already in each collection's write-ahead log).
    """

    def __init__(self, path: PathLike) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        root = os.fspath(path)
        if not isinstance(root, str):
            raise TypeError(f"path must be a str path, got {type(root).__name__}")
        if root == "":
            raise ValueError("client path must not be empty")
        if "\0" in root:
            raise ValueError("client path contains a NUL character")
        if os.path.exists(root) and not os.path.isdir(root):
            raise ValueError(f"client path {root!r} exists and is not a directory")
        os.makedirs(root, exist_ok=True)
        self._root = root
        self._lock = threading.RLock()
        self._handles: Dict[str, Database] = {}
        self._closed = False

    # ------------------------------------------------------------------ helpers

    @property
    def path(self) -> str:
        """The root directory holding the collections."""
        return self._root

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("this Client is closed")

    def _dir(self, name: str) -> str:
        return os.path.join(self._root, name)

    def _open_handle(self, name: str) -> Optional[Database]:
        handle = self._handles.get(name)
        if handle is not None and handle.closed:
            del self._handles[name]
            return None
        return handle

    def _on_disk(self, name: str) -> bool:
        folder = self._dir(name)
        return os.path.isdir(folder) and any(
            os.path.isfile(os.path.join(folder, marker)) for marker in _MARKER_FILES
        )

    def _exists(self, name: str) -> bool:
        return name in self._handles or self._on_disk(name)

    # --------------------------------------------------------------- public API

    def create_collection(
        self,
        name: str,
        dim: int,
        metric: Optional[str] = None,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantize: bool = False,
    ) -> Database:
        """Create the collection ``name`` and return its open handle.

        ``dim``, ``metric``, ``m``, ``ef_construction`` and ``quantize`` mean what
        they mean for :class:`Database`. Raises ValueError if the name is invalid,
        if the collection already exists, or if a non-empty folder that is not a
        collection is in the way; a failed create leaves nothing behind.
        """
        validate_collection_name(name)
        with self._lock:
            self._check_open()
            self._open_handle(name)
            if self._exists(name):
                raise ValueError(f"collection {name!r} already exists in {self._root!r}")
            folder = self._dir(name)
            created = False
            if os.path.lexists(folder):
                if not os.path.isdir(folder) or os.listdir(folder):
                    raise ValueError(
                        f"cannot create collection {name!r}: {folder!r} exists and is not a "
                        "herondb collection"
                    )
            else:
                os.mkdir(folder)
                created = True
            try:
                handle = Database(
                    folder, dim=dim, metric=metric, m=m, ef_construction=ef_construction, quantize=quantize
                )
            except BaseException:
                if created:
                    shutil.rmtree(folder, ignore_errors=True)
                raise
            self._handles[name] = handle
            return handle

    def get_collection(self, name: str) -> Database:
        """Return the open handle of the existing collection ``name``.

        Opens it (auto-detecting its dimension, metric and graph settings) unless
        this Client already has it open. Raises ValueError if there is no such
        collection, and :class:`DatabaseLockedError` if another process is writing
        to it.
        """
        validate_collection_name(name)
        with self._lock:
            self._check_open()
            handle = self._open_handle(name)
            if handle is not None:
                return handle
            if not self._on_disk(name):
                raise ValueError(f"collection {name!r} does not exist in {self._root!r}")
            handle = Database(self._dir(name))
            self._handles[name] = handle
            return handle

    def get_or_create_collection(self, name: str, dim: int, metric: Optional[str] = None) -> Database:
        """Open the collection ``name``, creating it with ``dim``/``metric`` if missing.

        When the collection exists, ``dim`` and ``metric`` are ignored (the stored
        ones win), except that ``metric`` is used to migrate a vctrs collection that
        was never saved (its log does not record one). The check and the create
        happen under the Client's lock, so two threads racing on the same name get
        the same handle.
        """
        validate_collection_name(name)
        with self._lock:
            self._check_open()
            if self._open_handle(name) is None and _vctrs.holds_log_only_vctrs(self._dir(name)):
                handle = Database(self._dir(name), metric=metric)
                self._handles[name] = handle
                return handle
            if self._open_handle(name) is not None or self._on_disk(name):
                return self.get_collection(name)
            return self.create_collection(name, dim, metric)

    def delete_collection(self, name: str) -> bool:
        """Delete the collection ``name`` and all its files.

        Every handle of this process on the collection (this Client's, another
        Client's, a plain ``Database`` on its folder) is stopped first: calls
        already running on it finish, later calls raise a "closed" ValueError,
        and none of them writes to the folder again. Returns True if the
        collection existed, False if not. Raises :class:`DatabaseLockedError`,
        deleting and closing nothing, when another process has the collection
        open for writing. The folder is first renamed away, so a crash midway
        never leaves a half-deleted collection that still looks like one.
        """
        validate_collection_name(name)
        with self._lock:
            self._check_open()
            handle = self._open_handle(name)
            if handle is None and not self._on_disk(name):
                return False
            folder = self._dir(name)
            if os.path.isdir(folder):
                # Prove no other process is writing to it: opening takes the write
                # lock (or shares this process's open database, which holds it).
                try:
                    probe = Database(folder)
                except DatabaseLockedError:
                    raise
                except ValueError:
                    pass  # damaged or unreadable: deleting it is still what was asked
                else:
                    probe.close()
                _core._close_databases_at(folder, f"its collection {name!r} was deleted")
            self._handles.pop(name, None)
            if handle is not None:
                handle.close()
            if not os.path.isdir(folder):
                return True
            doomed = os.path.join(self._root, f".deleting-{name}-{uuid.uuid4().hex}")
            os.rename(folder, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
            return True

    def list_collections(self) -> List[str]:
        """Names of all collections under the root, sorted alphabetically."""
        with self._lock:
            self._check_open()
            names = set()
            for handle_name in list(self._handles):
                if self._open_handle(handle_name) is not None:
                    names.add(handle_name)
            with os.scandir(self._root) as entries:
                for entry in entries:
                    if _NAME_RE.fullmatch(entry.name) and entry.is_dir() and self._on_disk(entry.name):
                        names.add(entry.name)
            return sorted(names)

    # ---------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Close every collection handle this Client opened. Idempotent.

        No snapshot is written: each handle's data is already in its write-ahead
        log. Use ``with Client(...)`` (or call ``save()`` on the handles) to also
        write snapshots.
        """
        with self._lock:
            handles, self._handles = self._handles, {}
            self._closed = True
        first_error: Optional[BaseException] = None
        for handle in handles.values():
            try:
                if not handle.closed:
                    handle.close()
            except Exception as exc:  # keep closing the others
                first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        with self._lock:
            handles = list(self._handles.values())
        first_error: Optional[BaseException] = None
        for handle in handles:
            try:
                if not handle.closed:
                    handle.__exit__(None, None, None)  # the Database's own "save and close"
            except Exception as exc2:
                first_error = first_error or exc2
        self.close()
        if first_error is not None and exc_type is None:
            raise first_error

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            return False
        with self._lock:
            self._open_handle(name)
            return not self._closed and self._exists(name)

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._handles)} open"
        return f"<herondb.Client path={self._root!r} ({state})>"


__all__ = ["Client", "validate_collection_name"]
