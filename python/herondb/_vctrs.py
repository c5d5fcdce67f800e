"""Migrating vctrs databases into herondb (api-decisions D20).

A directory holds a vctrs database when it has vctrs's files (``graph.vctrs``
with ``vectors.bin``, optionally ``vectors.sq8``, and/or ``wal.vctrs``) and no
herondb ``CURRENT``. :func:`migrate` reads it with the C++ reader
(``_core._vctrs_read``: the snapshot, then vctrs's write-ahead log replayed on
top), builds a herondb database from the records in a hidden folder inside the
destination, and publishes it by moving its files up, ``CURRENT`` last. So a
crash at any point leaves either the vctrs files alone (the next open migrates
again) or a complete herondb database; never half of one. The vctrs files are
never written, renamed or removed, so going back to vctrs stays possible.

While it works, the migration holds the destination's ``LOCK`` (the same
flock a herondb writer takes), so a second process that tries at the same time
gets DatabaseLockedError at once.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from . import _core
from .errors import DatabaseLockedError

#: vctrs's file names (vctrs 0.3.0).
VCTRS_FILES = ("graph.vctrs", "vectors.bin", "vectors.sq8", "wal.vctrs")
#: vctrs's default metric, used for a database that was never saved (its log
#: does not record the metric).
VCTRS_DEFAULT_METRIC = "cosine"

_TMP_PREFIX = ".herondb-migrate-"
_BATCH = 20_000
_M_RANGE = (2, 256)
_EF_RANGE = (1, 100_000)


def holds_vctrs(path: str) -> bool:
    """True if ``path`` is a directory with vctrs files and no herondb CURRENT."""
    if not os.path.isdir(path) or os.path.lexists(os.path.join(path, "CURRENT")):
        return False
    return any(os.path.lexists(os.path.join(path, f)) for f in ("graph.vctrs", "wal.vctrs", "vectors.bin"))


def holds_log_only_vctrs(path: str) -> bool:
    """True if ``path`` holds a vctrs database that was never saved (only its log)."""
    return holds_vctrs(path) and not os.path.lexists(os.path.join(path, "graph.vctrs"))


@dataclass
class MigrationReport:
    """What :func:`migrate` did."""

    source: str
    dest: str
    records: int
    dim: int
    metric: str
    metric_from: str  # "graph.vctrs", "argument" or "default"
    quantize: bool
    files: List[str]
    wal_entries: int
    torn_tail_bytes: int
    orphan_slots: int
    skipped: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for warnings and the command line."""
        parts = [f"{self.records:,} records", f"dim {self.dim}", f"metric {self.metric!r}"]
        if self.metric_from == "default":
            parts.append("vctrs's default metric: an unsaved vctrs database does not record its metric")
        text = (
            f"migrated the vctrs database in {self.source!r} ({', '.join(self.files)}"
            + (f"; {self.wal_entries} log entries replayed" if self.wal_entries else "")
            + f") to herondb in {self.dest!r}: {'; '.join(parts)}"
        )
        if self.torn_tail_bytes:
            text += (f"; the last {self.torn_tail_bytes} bytes of wal.vctrs were an entry cut short "
                     "(vctrs ignores it too)")
        if self.orphan_slots:
            text += (f"; {self.orphan_slots} vctrs slots without an id (left by add_many with a "
                     "repeated id, invisible in vctrs too) were not migrated")
        if self.skipped:
            text += f"; {len(self.skipped)} invalid records skipped"
        return text + ". The vctrs files are left untouched."


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _DirLock:
    """The flock on <dir>/LOCK that a herondb writer takes (storage/file_lock.h)."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(os.path.join(path, "LOCK"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self._fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DatabaseLockedError(
                    f"database {path} is locked by another process (a migration or a writer)"
                ) from None
            raise
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _check_not_locked(path: str) -> None:
    """DatabaseLockedError at once if someone holds <path>/LOCK; creates nothing."""
    try:
        fd = os.open(os.path.join(path, "LOCK"), os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return  # no LOCK file (or not one we can open): nobody holds it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise DatabaseLockedError(
                f"database {path} is locked by another process (a migration or a writer)"
            ) from None
        raise
    finally:
        os.close(fd)


def _canonical(metric: str) -> str:
    return str(_core._canonical_metric(metric))


def _in_range(value: Optional[int], bounds: "tuple[int, int]") -> Optional[int]:
    if value is None or not bounds[0] <= value <= bounds[1]:
        return None
    return value


def _invalid_records(ids: List[str], vectors: "np.ndarray[Any, Any]", metric: str) -> Dict[int, str]:
    """Records herondb cannot store (vctrs accepts them): index -> reason."""
    bad: Dict[int, str] = {}
    if len(ids):
        finite = np.isfinite(vectors).all(axis=1)
        for row in np.flatnonzero(~finite).tolist():
            bad[row] = "its vector holds NaN or infinity"
        if metric == "cosine":
            for row in np.flatnonzero(~vectors.any(axis=1)).tolist():
                bad.setdefault(row, "its vector is all zeros, which has no cosine direction")
    for i, id_ in enumerate(ids):
        if id_ == "":
            bad.setdefault(i, "its id is empty")
    return bad


def migrate(
    source: str,
    dest: Optional[str] = None,
    *,
    dim: Optional[int] = None,
    metric: Optional[str] = None,
    m: Optional[int] = None,
    ef_construction: Optional[int] = None,
    quantize: bool = False,
    skip_invalid: bool = False,
    progress: Optional[Callable[[int, int], None]] = None,
) -> Optional[MigrationReport]:
    """Build a herondb database in ``dest`` (default: ``source``) from the vctrs one in ``source``.

    ``dim`` and ``metric`` come from the vctrs files; a given one that
    contradicts them is a ValueError (api-decisions D12). A vctrs database that
    was never saved records no metric: ``metric`` is then taken as given, else
    vctrs's default ``"cosine"``. ``m``, ``ef_construction`` and ``quantize``
    default to vctrs's settings. Records that herondb refuses but vctrs
    accepted (NaN vectors, all-zero vectors under cosine, empty ids) make it a
    ValueError naming them, unless ``skip_invalid`` drops them (listed in the
    report). ``progress(done, total)`` is called as records are stored.

    Damage in a vctrs file is CorruptionError naming the file. On any error
    nothing is left behind in ``dest`` (apart from a lock file). Returns None,
    doing nothing, when another process finished migrating ``source`` in place
    while this one was reading it.
    """
    source = os.fspath(source)
    dest = source if dest is None else os.fspath(dest)
    same = os.path.abspath(dest) == os.path.abspath(source)
    if os.path.isdir(dest):
        _check_not_locked(dest)  # fail before the (possibly long) read, not after it
    data: Dict[str, Any] = _core._vctrs_read(source)
    ids: List[str] = data["ids"]
    vectors: "np.ndarray[Any, Any]" = data["vectors"]
    metas: List[Optional[Dict[str, Any]]] = data["metadatas"]

    where = f"the vctrs database in {source!r}"
    vdim = int(data["dim"])
    if vdim and dim is not None and dim != vdim:
        raise ValueError(f"{where} has dimension {vdim}; dim={dim} contradicts it")
    if not vdim:
        if dim is None:
            raise ValueError(
                f"{where} holds no vectors (its write-ahead log records no dimension); "
                "pass dim= to migrate it into an empty herondb database"
            )
        vdim = dim
        vectors = np.zeros((0, vdim), dtype=np.float32)
    if data["metric"] is not None:
        final_metric, metric_from = str(data["metric"]), "graph.vctrs"
        if metric is not None and _canonical(metric) != final_metric:
            raise ValueError(f"{where} uses metric {final_metric!r}; metric={metric!r} contradicts it")
    elif metric is not None:
        final_metric, metric_from = _canonical(metric), "argument"
    else:
        final_metric, metric_from = VCTRS_DEFAULT_METRIC, "default"

    bad = _invalid_records(ids, vectors, final_metric)
    skipped: List[str] = []
    if bad:
        if not skip_invalid:
            shown = "; ".join(f"{ids[i]!r}: {why}" for i, why in sorted(bad.items())[:5])
            raise ValueError(
                f"{where} holds {len(bad)} records that herondb does not store ({shown}"
                + (", ..." if len(bad) > 5 else "")
                + "). Fix or delete them with vctrs, or run `herondb migrate --skip-invalid` to leave them out"
            )
        keep = np.array([i not in bad for i in range(len(ids))], dtype=bool)
        skipped = [ids[i] for i in sorted(bad)]
        ids = [x for x, k in zip(ids, keep) if k]
        metas = [x for x, k in zip(metas, keep) if k]
        vectors = vectors[keep]

    report = MigrationReport(
        source=source, dest=dest, records=len(ids), dim=vdim, metric=final_metric,
        metric_from=metric_from, quantize=bool(quantize or data["quantized"]), files=list(data["files"]),
        wal_entries=int(data["wal_entries"]), torn_tail_bytes=int(data["torn_tail_bytes"]),
        orphan_slots=int(data["orphan_slots"]), skipped=skipped,
    )

    created_dest = False
    if not same:
        if os.path.lexists(dest) and not os.path.isdir(dest):
            raise ValueError(f"destination {dest!r} exists and is not a directory")
        if os.path.isdir(dest):
            if os.path.lexists(os.path.join(dest, "CURRENT")):
                raise ValueError(f"destination {dest!r} already holds a herondb database")
            if any(os.path.lexists(os.path.join(dest, f)) for f in VCTRS_FILES):
                raise ValueError(f"destination {dest!r} holds vctrs files; migrate it in place instead")
        else:
            os.makedirs(dest)
            created_dest = True
    try:
        lock = _DirLock(dest)
    except BaseException:
        if created_dest:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    try:
        if os.path.lexists(os.path.join(dest, "CURRENT")):
            # Another process finished the same migration while we were reading.
            lock.release()
            return None
        for entry in os.listdir(dest):  # leftovers of an interrupted migration
            if entry.startswith(_TMP_PREFIX):
                shutil.rmtree(os.path.join(dest, entry), ignore_errors=True)
        tmp = os.path.join(dest, _TMP_PREFIX + uuid.uuid4().hex)
        os.mkdir(tmp)
        try:
            _build(tmp, ids, vectors, metas, report, m=m if m is not None else _in_range(data["m"], _M_RANGE),
                   ef_construction=ef_construction if ef_construction is not None
                   else _in_range(data["ef_construction"], _EF_RANGE), progress=progress)
            _publish(tmp, dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        lock.release()
        if created_dest:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    lock.release()
    return report


def _build(tmp: str, ids: List[str], vectors: "np.ndarray[Any, Any]",
           metas: List[Optional[Dict[str, Any]]], report: MigrationReport, *, m: Optional[int],
           ef_construction: Optional[int], progress: Optional[Callable[[int, int], None]]) -> None:
    from .database import Database  # imported here: database.py imports this module

    db = Database(tmp, dim=report.dim, metric=report.metric, m=m, ef_construction=ef_construction,
                  quantize=report.quantize)
    try:
        total = len(ids)
        if progress is not None:
            progress(0, total)
        for lo in range(0, total, _BATCH):
            hi = min(lo + _BATCH, total)
            db.add_many(ids[lo:hi], np.ascontiguousarray(vectors[lo:hi]), metas[lo:hi])
            if progress is not None:
                progress(hi, total)
        db.save()
    finally:
        db.close()


def _publish(tmp: str, dest: str) -> None:
    """Move the built database's files into ``dest``, CURRENT last (each step durable)."""
    names = [n for n in sorted(os.listdir(tmp)) if n not in ("CURRENT", "LOCK", "CURRENT.tmp")]
    for name in names:
        os.replace(os.path.join(tmp, name), os.path.join(dest, name))
    _fsync_dir(dest)
    os.replace(os.path.join(tmp, "CURRENT"), os.path.join(dest, "CURRENT"))
    _fsync_dir(dest)

def migrate_on_open(path: str, dim: Any, metric: Any, m: Any, ef_construction: Any, quantize: bool,
                    read_only: bool) -> None:
    """Database(path, ...) on a vctrs directory: migrate it in place and warn once.

    Arguments are checked by the caller's types only; D12 contradictions are
    ValueErrors here, before anything is written.
    """
    if read_only:
        raise ValueError(
            f"{path!r} holds a vctrs database, not yet migrated to herondb; open it once without "
            "read_only=True (or run `herondb migrate`) to migrate it"
        )
    for name, value in (("dim", dim), ("m", m), ("ef_construction", ef_construction)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    report = migrate(path, dim=dim, metric=metric, m=m, ef_construction=ef_construction, quantize=quantize)
    if report is not None:
        warnings.warn(report.summary(), UserWarning, stacklevel=3)
