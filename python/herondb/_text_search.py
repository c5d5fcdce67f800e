"""Text indexes, BM25 search and hybrid search: the methods Database gets.

Kept apart from database.py so the feature reads as one piece. Arguments
are type-checked here (TypeError with the parameter's name); values are
checked by the core (ValueError), and a rejected call changes nothing. See
docs/text-search.md.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple

from ._typing import Filter, Matrix, Vector

from ._core import SearchResult

if TYPE_CHECKING:
    from ._core import _Database as _Base
else:
    _Base = object

FUSIONS = ("rrf", "weighted")


def _need_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def _need_str_list(name: str, value: Any) -> List[str]:
    """``value`` as a list of str (a list or tuple of them), else TypeError."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of str, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(item).__name__}")
    return list(value)


def _opt_str(name: str, value: Any) -> Optional[str]:
    return None if value is None else _need_str(name, value)


def _need_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def _opt_int(name: str, value: Any) -> Optional[int]:
    return None if value is None else _need_int(name, value)


def _need_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def _check_filter(where_filter: Any) -> None:
    if where_filter is not None and not isinstance(where_filter, dict):
        raise TypeError(f"where_filter must be a dict or None, got {type(where_filter).__name__}")


def _hybrid_args(
    k: Any, field: Any, where_filter: Any, ef_search: Any, fusion: Any, rrf_k: Any, alpha: Any,
    candidates: Any,
) -> Tuple[float, float]:
    _need_int("k", k)
    _opt_str("field", field)
    _check_filter(where_filter)
    _opt_int("ef_search", ef_search)
    _need_str("fusion", fusion)
    if fusion not in FUSIONS:
        raise ValueError(f"fusion must be 'rrf' or 'weighted', got {fusion!r}")
    rrf = _need_number("rrf_k", rrf_k)
    if not math.isfinite(rrf) or rrf < 0:
        raise ValueError(f"rrf_k must be a finite number >= 0, got {rrf_k!r}")
    a = _need_number("alpha", alpha)
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    _opt_int("candidates", candidates)
    return rrf, a


class TextSearchMethods(_Base):
    """Text indexes and text / hybrid search (mixed into :class:`Database`)."""

    def create_text_index(
        self, field: str, language: str = "english", k1: float = 1.2, b: float = 0.75
    ) -> None:
        """Index the text in metadata ``field`` of every record, now and later.

        ``field`` may be a dotted path (``"doc.body"``), as in filters; a
        record whose field is missing or not a string is not in the index.
        ``language`` is ``"english"`` (stop words and Porter2 stemming) or
        ``"none"`` (case folding only); see :func:`herondb.analyze`. ``k1``
        and ``b`` are BM25's parameters (Lucene's defaults). The definition is
        write-ahead logged and saved with the database; the postings are
        rebuilt from the metadata when it opens. Raises ValueError when the
        field already has a text index, for an unknown language, or for
        ``k1 < 0`` or ``b`` outside [0, 1].
        """
        _need_str("field", field)
        _need_str("language", language)
        self._create_text_index(
            field, language, _need_number("k1", k1), _need_number("b", b)
        )

    def drop_text_index(self, field: str) -> None:
        """Remove the text index on ``field`` (ValueError when there is none)."""
        self._drop_text_index(_need_str("field", field))

    @property
    def text_indexes(self) -> List[str]:
        """The fields that have a text index, in creation order."""
        return [d["field"] for d in self._text_indexes()]

    def search_text(
        self,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
    ) -> List[SearchResult]:
        """The ``k`` records whose text best matches ``query``, by BM25.

        Only records holding at least one query term (after analysis) are
        returned, best first, at most ``k`` of them, and never fewer than
        ``min(k, such records matching where_filter)``. ``distance`` is the
        negated BM25 score, so lower is better as in :meth:`search`.
        ``field=None`` uses the only text index (ValueError naming them when
        there are several). ValueError for an empty query or ``k < 1``.
        """
        _need_str("query", query)
        _need_int("k", k)
        _opt_str("field", field)
        _check_filter(where_filter)
        return self._search_text(query, k, field, where_filter)

    def hybrid_search(
        self,
        vector: Vector,
        query: str,
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
        ef_search: Optional[int] = None,
        fusion: str = "rrf",
        rrf_k: float = 60,
        alpha: float = 0.5,
        candidates: Optional[int] = None,
    ) -> List[SearchResult]:
        """Vector search and text search fused into one ranking.

        Each side contributes its own top ``candidates`` records under the
        same ``where_filter`` (default ``max(2 * k, 50)``; at least ``k``).
        ``fusion="rrf"`` scores a record ``sum(1 / (rrf_k + rank))`` over the
        lists it is in (rank from 1); ``fusion="weighted"`` min-max
        normalizes each list's scores to [0, 1] and scores ``alpha * vector +
        (1 - alpha) * text`` (a record missing from a list gets 0 from it).
        Results are best first with ``distance`` = the negated fused score;
        ties go to the smaller id.
        """
        _need_str("query", query)
        rrf, a = _hybrid_args(k, field, where_filter, ef_search, fusion, rrf_k, alpha, candidates)
        return self._hybrid_search(
            vector, query, k, field, where_filter, ef_search, fusion, rrf, a, candidates
        )

    def hybrid_search_many(
        self,
        vectors: Matrix,
        queries: Sequence[str],
        k: int = 10,
        field: Optional[str] = None,
        where_filter: Optional[Filter] = None,
        ef_search: Optional[int] = None,
        fusion: str = "rrf",
        rrf_k: float = 60,
        alpha: float = 0.5,
        candidates: Optional[int] = None,
    ) -> List[List[SearchResult]]:
        """:meth:`hybrid_search` for pairs of (vector, query), in parallel."""
        queries = _need_str_list("queries", queries)
        rrf, a = _hybrid_args(k, field, where_filter, ef_search, fusion, rrf_k, alpha, candidates)
        return self._hybrid_search_many(
            vectors, queries, k, field, where_filter, ef_search, fusion, rrf, a, candidates
        )


__all__ = ["TextSearchMethods", "FUSIONS"]
