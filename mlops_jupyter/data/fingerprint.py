"""Full-content fingerprint of a DataFrame or Series.

``fingerprint(obj)`` is a 32-hex-character xxh3-128 digest over every value, every column name,
every dtype and the index (names and values). Unlike MLflow's dataset digest (first 10,000 rows,
8 hex characters, some dtypes ignored: mlflow #11560, #21845) a change anywhere changes it.

How it stays fast: each column is hashed from the buffers it already has in memory (numpy
arrays, Arrow buffers of ``str`` columns, category codes, datetime int64 views) without going
through ``pd.util.hash_pandas_object`` or a full Arrow conversion. How it stays stable: only
bytes that mean something are hashed, always little-endian and length-prefixed:

- values under null slots are replaced by a fixed filler and the null mask is hashed on its own;
- Arrow slice offsets and chunking are removed (string offsets are rebased to 0 and widened to
  int64, so ``string`` and ``large_string`` storage of the same ``str`` column hash alike);
- validity bitmaps are never hashed bit-packed, so padding bits cannot leak in;
- every NaN is hashed as the one canonical NaN (pandas cannot tell NaN payloads apart).

Decisions:

- A Series is hashed like a one-column frame whose column is the Series (its ``name``, which
  may be ``None``), under a different tag, so ``fingerprint(s) != fingerprint(s.to_frame())``.
- A ``RangeIndex`` hashes like the int64 index of the same values: the fingerprint is about
  content, not about how pandas chose to store the index.
- ``-0.0`` and ``0.0`` hash differently (they are different values, e.g. for ``1 / x``).
- ``object`` columns are hashed value by value from a type-tagged canonical encoding (so ``1``
  and ``"1"`` differ). This is slower than the typed paths; values whose ``repr`` contains a
  memory address (arbitrary objects) are not stable across processes.
"""

from __future__ import annotations

import decimal
import math
import struct
import sys
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

__all__ = ["fingerprint"]

_LITTLE = sys.byteorder == "little"
_VERSION = b"mlops-jupyter-fingerprint-v1"
_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


def fingerprint(obj: pd.DataFrame | pd.Series) -> str:
    """Return the 32-hex-char xxh3-128 digest of ``obj``'s full content (values, names, dtypes, index).

    >>> fingerprint(pd.DataFrame({"a": [1, 2]})) == fingerprint(pd.DataFrame({"a": [1, 2]}))
    True
    """
    h = xxhash.xxh3_128()
    _put(h, _VERSION)
    if isinstance(obj, pd.DataFrame):
        _put(h, b"frame")
        _put(h, _token(list(obj.columns.names)))
        _put_int(h, obj.shape[1])
        for name, column in obj.items():
            _hash_named(h, name, column)
    elif isinstance(obj, pd.Series):
        _put(h, b"series")
        _hash_named(h, obj.name, obj)
    else:
        raise TypeError(
            f"expected a pandas DataFrame or Series, got {type(obj).__module__}.{type(obj).__qualname__}"
        )
    _hash_index(h, obj.index)
    return h.hexdigest()


# -- framing -----------------------------------------------------------------------------------


def _put(h: Any, data: bytes | memoryview) -> None:
    # Length prefix: concatenations of different pieces can never produce the same stream.
    _put_int(h, memoryview(data).nbytes)
    h.update(data)


def _put_int(h: Any, value: int) -> None:
    h.update(struct.pack("<q", value))


def _put_array(h: Any, arr: np.ndarray) -> None:
    arr = np.ascontiguousarray(arr)
    order = arr.dtype.byteorder
    if order == ">" or (order == "=" and not _LITTLE):  # hash little-endian bytes everywhere
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    _put(h, memoryview(arr).cast("B"))


def _token(value: Any) -> bytes:
    """Canonical, type-tagged bytes for a label or an object value (stable across processes)."""
    if value is None:
        return b"N"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return b"b1" if value else b"b0"
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, float):
        return b"f" + (b"nan" if math.isnan(value) else float.hex(value).encode())
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes):
        return b"y" + value
    if isinstance(value, (tuple, list)):
        tag = b"t" if isinstance(value, tuple) else b"l"
        parts = [_token(v) for v in value]
        return tag + b"".join(struct.pack("<q", len(p)) + p for p in parts)
    if isinstance(value, decimal.Decimal):
        # Its exact text: a snapshot keeps "1.10" apart from "1.1", so must deduplication.
        return b"d" + str(value).encode()
    if isinstance(value, pd.Timestamp):
        # The offset alone would merge Berlin and Paris (and s with ns), which a snapshot keeps apart.
        zone = "" if value.tzinfo is None else str(value.tzinfo)
        return b"T" + f"{value.isoformat()}|{zone}|{value.unit}".encode()
    if isinstance(value, pd.Timedelta):
        return b"D" + f"{value.value}|{value.unit}".encode()
    if value is pd.NaT:
        return b"NaT"
    if value is pd.NA:
        return b"NA"
    kind = type(value)
    return b"o" + f"{kind.__module__}.{kind.__qualname__}:{value!r}".encode(
        "utf-8", "surrogatepass"
    )


# -- columns and indexes -----------------------------------------------------------------------


def _hash_named(h: Any, name: Any, values: pd.Series) -> None:
    _put(h, _token(name))
    _hash_values(h, values)


def _hash_index(h: Any, index: pd.Index) -> None:
    _put(h, b"index")
    _put(h, _token(list(index.names)))
    if isinstance(index, pd.MultiIndex):
        _put_int(h, index.nlevels)
        for level in range(index.nlevels):
            _hash_values(h, index.get_level_values(level))
    else:
        _put_int(h, 1)
        _hash_values(h, index)


def _hash_values(h: Any, values: pd.Series | pd.Index) -> None:
    """Hash the dtype, the length and the values of one column or index level."""
    dtype = values.dtype
    _put(h, str(dtype).encode())
    _put_int(h, len(values))
    if isinstance(dtype, pd.CategoricalDtype):
        cat = values.array
        _put(h, b"ordered" if dtype.ordered else b"unordered")
        _hash_values(h, dtype.categories)
        _put_array(h, cat.codes)  # -1 marks missing: no filler needed
    elif isinstance(dtype, pd.DatetimeTZDtype):
        _put_array(h, values.array.asi8)  # NaT is the int64 minimum: deterministic
    elif isinstance(dtype, np.dtype):
        _hash_numpy(h, values.to_numpy())
    elif hasattr(values.array, "__arrow_array__"):
        _hash_extension(h, values)
    else:
        _hash_objects(h, values.to_numpy(dtype=object))


def _hash_numpy(h: Any, arr: np.ndarray) -> None:
    kind = arr.dtype.kind
    if kind in "iub":
        _put_array(h, arr)
    elif kind in "fc":
        _put_array(h, _canonical_nan(arr))
    elif kind in "mM":
        _put_array(h, arr.view(np.int64))
    elif kind == "O":
        _hash_objects(h, arr)
    else:  # fixed-width bytes/unicode/void: raw bytes are the content
        _put_array(h, arr.view(np.uint8) if arr.dtype.itemsize else arr)


def _canonical_nan(arr: np.ndarray) -> np.ndarray:
    nan = np.isnan(arr)
    if nan.any():
        arr = arr.copy()
        arr[nan] = np.nan
    return arr


def _hash_extension(h: Any, values: pd.Series | pd.Index) -> None:
    """Masked (Int64, Float64, boolean, ...) and Arrow-backed (``str``, ArrowDtype) arrays."""
    arr = values.array
    mask = np.asarray(pd.isna(arr), dtype=bool)
    if isinstance(arr, _MASKED):
        # pandas' masked arrays: fill the slots under the mask so their stale values cannot matter.
        _put_array(h, mask)
        dtype = arr.dtype.numpy_dtype
        data = arr.to_numpy(dtype=dtype, na_value=dtype.type(0))
        _hash_numpy(h, data)
        return
    chunked = arr.__arrow_array__()
    if isinstance(chunked, pa.Array):
        chunked = pa.chunked_array([chunked])
    _hash_arrow(h, chunked, mask)


def _hash_arrow(h: Any, chunked: pa.ChunkedArray, mask: np.ndarray) -> None:
    typ = chunked.type
    if pa.types.is_string_view(typ) or pa.types.is_string(typ):
        chunked = chunked.cast(pa.large_string())
    elif pa.types.is_binary_view(typ) or pa.types.is_binary(typ):
        chunked = chunked.cast(pa.large_binary())
    typ = chunked.type
    if (
        pa.types.is_integer(typ)
        or pa.types.is_floating(typ)
        or pa.types.is_temporal(typ)
        or pa.types.is_boolean(typ)
    ):
        # Fixed-width Arrow columns (int64[pyarrow], ...): mask + values with nulls filled.
        _put_array(h, mask)
        arr = chunked.combine_chunks()
        if pa.types.is_temporal(typ):
            arr = arr.view(pa.int64() if arr.type.bit_width == 64 else pa.int32())
        filler = pa.scalar(False if pa.types.is_boolean(typ) else 0, type=arr.type)
        _hash_numpy(h, pc.fill_null(arr, filler).to_numpy(zero_copy_only=False))
        return
    if not (pa.types.is_large_string(typ) or pa.types.is_large_binary(typ)):
        # Nested, decimal, ... Arrow types are rare in frames: hash them value by value.
        _hash_objects(h, np.asarray(chunked.to_pylist(), dtype=object))
        return
    _put_array(h, mask)
    arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    if arr.null_count:
        arr = pc.fill_null(arr, "" if pa.types.is_large_string(typ) else b"")
    n, offset = len(arr), arr.offset
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype="<i8", count=n + 1, offset=offset * 8)
    start, end = int(offsets[0]), int(offsets[-1])
    _put_array(h, offsets - start if start else offsets)
    data = buffers[2]
    _put(h, memoryview(data)[start:end] if data is not None else b"")


def _hash_objects(h: Any, arr: np.ndarray) -> None:
    if pd.api.types.infer_dtype(arr, skipna=False) == "string":
        _put(h, b"all-str")
        strings = pa.array(arr, type=pa.large_string())
        _hash_arrow(h, pa.chunked_array([strings]), np.zeros(len(arr), dtype=bool))
        return
    _put(h, b"tokens")
    for value in arr:
        _put(h, _token(value))
