"""Type aliases shared by herondb's Python modules and stubs.

They describe what the API accepts, not what it stores: vectors may be given as
any sequence of numbers or as a numpy array of any floating dtype (float64 is
rounded to float32 once, on the way in); herondb always hands back plain Python
floats.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

#: A filesystem path: a ``str`` or anything ``os.fspath`` accepts.
PathLike = Union[str, os.PathLike[str]]

#: One vector: a sequence of numbers or a 1-D numpy array.
Vector = Union[Sequence[float], npt.NDArray[np.floating[Any]]]

#: Several vectors: a sequence of sequences or a 2-D numpy array of shape (n, dim).
Matrix = Union[Sequence[Sequence[float]], npt.NDArray[np.floating[Any]]]

#: JSON-like metadata attached to a vector.
Metadata = Dict[str, Any]

#: A ``where_filter`` document (see docs/filters.md).
Filter = Dict[str, Any]

#: Per-vector metadata for the batch calls; ``None`` entries mean "no metadata".
Metadatas = Sequence[Optional[Metadata]]

#: What ``get`` returns: the stored float32 values as floats, and the metadata.
Record = Tuple[List[float], Optional[Metadata]]

__all__ = ["PathLike", "Vector", "Matrix", "Metadata", "Metadatas", "Filter", "Record"]
