"""The on-disk format of a sharded herondb database: routing, manifest, folder checks.

Shared by herondb.sharded (ShardedDatabase) and herondb.ray (the datasink and
readers); nothing here opens a database. See herondb/sharded.py for the
layout and the guarantees, and docs/scale-out.md for the user's view.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import re
from typing import Any, Dict, Iterable, List, Sequence

from .errors import CorruptionError

MANIFEST_NAME = "SHARDS.json"
FORMAT_NAME = "herondb-sharded"
FORMAT_VERSION = 1
ROUTING_NAME = "blake2b64-mod"
ROUTING_VERSION = 1
MAX_SHARDS = 4096
# Where herondb.ray's datasink stages rows while it builds (see herondb/ray.py).
STAGING_DIR = ".herondb-staging"

_SHARD_DIR_RE = re.compile(r"shard-(\d{4})")
# Files a plain herondb database directory holds (see docs/storage-format.md).
_PLAIN_MARKERS = ("CURRENT", "LOCK")
_DISTANCE = operator.attrgetter("distance")

# --------------------------------------------------------------------- routing


def shard_for_id(id: str, num_shards: int) -> int:
    """The shard (0 .. num_shards-1) that holds ``id``: routing ``blake2b64-mod`` v1.

    ``int.from_bytes(blake2b(id.encode("utf-8"), digest_size=8).digest(),
    "little") % num_shards``. Stable across processes, machines and Python
    versions. A non-str id is a TypeError; a str that is not valid Unicode
    (lone surrogates) is a ValueError.
    """
    if not isinstance(id, str):
        raise TypeError(f"id must be a str, got {type(id).__name__}")
    try:
        data = id.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("id is not valid Unicode") from None
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return int.from_bytes(digest, "little") % num_shards


def shard_dir_name(index: int) -> str:
    """The folder name of shard ``index``: ``shard-0000``, ``shard-0001``, ..."""
    return f"shard-{index:04d}"


# -------------------------------------------------------------------- manifest


def _canonical(body: Dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(path: str, body: Dict[str, Any]) -> None:
    """Write ``<path>/SHARDS.json`` atomically: temporary file, fsync, rename, dir fsync."""
    doc = dict(body)
    doc.pop("checksum", None)
    doc["checksum"] = "sha256:" + hashlib.sha256(_canonical(doc)).hexdigest()
    data = json.dumps(doc, sort_keys=True, indent=1).encode("utf-8") + b"\n"
    final = os.path.join(path, MANIFEST_NAME)
    tmp = final + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    fsync_dir(path)


def read_manifest(path: str) -> Dict[str, Any]:
    """Read and check ``<path>/SHARDS.json``; CorruptionError (naming the file) if damaged."""
    file = os.path.join(path, MANIFEST_NAME)
    try:
        with open(file, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ValueError(f"no sharded database at {path!r}: {MANIFEST_NAME} is missing") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorruptionError(f"{file}: not a valid manifest ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("checksum"), str):
        raise CorruptionError(f"{file}: not a valid manifest (no checksum)")
    body = {k: v for k, v in doc.items() if k != "checksum"}
    want = "sha256:" + hashlib.sha256(_canonical(body)).hexdigest()
    if doc["checksum"] != want:
        raise CorruptionError(f"{file}: checksum mismatch (the manifest is damaged)")
    if body.get("format") != FORMAT_NAME:
        raise CorruptionError(f"{file}: not a herondb sharded manifest")
    if body.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{file}: sharded format version {body.get('format_version')!r} is not supported "
            f"(this herondb reads version {FORMAT_VERSION})"
        )
    routing = body.get("routing")
    if routing != {"name": ROUTING_NAME, "version": ROUTING_VERSION}:
        raise ValueError(f"{file}: unknown routing function {routing!r}")
    n = body.get("num_shards")
    counts = body.get("shard_counts")
    if (
        not isinstance(n, int)
        or not 1 <= n <= MAX_SHARDS
        or not isinstance(counts, list)
        or len(counts) != n
        or not isinstance(body.get("dim"), int)
        or not isinstance(body.get("metric"), str)
    ):
        raise CorruptionError(f"{file}: inconsistent manifest fields")
    return body


def is_plain_database(path: str) -> bool:
    return any(os.path.exists(os.path.join(path, f)) for f in _PLAIN_MARKERS)


def describe_path(path: str) -> str:
    """What ``path`` holds: ``"sharded"``, ``"plain"``, ``"incomplete"``, ``"empty"`` or ``"other"``.

    ``"incomplete"`` is a directory with shard folders but no manifest (a
    build that did not finish); ``"empty"`` includes a path that does not exist.
    """
    if not os.path.exists(path):
        return "empty"
    if not os.path.isdir(path):
        return "other"
    if os.path.exists(os.path.join(path, MANIFEST_NAME)):
        return "sharded"
    if is_plain_database(path):
        return "plain"
    names = [n for n in os.listdir(path) if n != MANIFEST_NAME + ".tmp"]
    if not names:
        return "empty"
    if all(_SHARD_DIR_RE.fullmatch(n) or n == STAGING_DIR for n in names):
        return "incomplete"
    return "other"


def plain_error(path: str) -> ValueError:
    return ValueError(
        f"{path!r} holds a plain herondb database, not a sharded one: "
        "open it with herondb.Database"
    )


# ----------------------------------------------------------------- helpers


def check_metadata_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if not -(2**63) <= value <= 2**64 - 1:
            raise ValueError(
                f"metadata integer at {where} does not fit in a 64-bit integer (from -2**63 to 2**64-1)"
            )
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"metadata value {value!r} at {where} is not a finite number")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"metadata keys must be str, got {type(key).__name__}")
            check_metadata_value(item, f"{where}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            check_metadata_value(item, f"{where}[{n}]")
        return
    raise TypeError(f"metadata value of type {type(value).__name__} is not JSON-serializable")


def merge_top_k(lists: Iterable[Sequence[Any]], k: int) -> List[Any]:
    """The ``k`` results with the smallest ``distance`` over several sorted lists.

    Ties keep the order of ``lists`` (shard order), then each list's own order.
    """
    merged: List[Any] = []
    for part in lists:
        merged.extend(part)
    merged.sort(key=_DISTANCE)
    return merged[:k]
