"""Exact Parquet round trip of a DataFrame or Series (the bytes of a snapshot blob).

``frame_from_parquet_bytes(frame_to_parquet_bytes(df))`` passes
``pandas.testing.assert_frame_equal(df, restored)`` with dtype and index-type checks on for:
numeric numpy dtypes, nullable ``Int*``/``UInt*``/``Float*``/``boolean``, ``str`` and ``string``,
``object`` columns of strings, categoricals (ordered or not, any category type, unused
categories kept), datetimes with or without a time zone (any unit), timedeltas, periods,
intervals, Arrow-backed dtypes, and indexes: ``RangeIndex``, named indexes, datetime indexes
(with their ``freq``), ``MultiIndex`` rows.

The file stays a normal Parquet file (zstd, the pandas metadata pyarrow writes, string column
names where the labels are unique strings) so any Parquet reader can open it. What pyarrow's
own metadata cannot restore is kept under the schema metadata key ``mlops_jupyter``:

- column labels of any JSON-encodable kind (str, int, float, bool, None, tuples, timestamps),
  duplicated labels, a ``RangeIndex`` of columns, ``MultiIndex`` columns and their names;
- categoricals whose categories are not strings (Parquet only keeps string dictionaries):
  written as their integer codes, the categories kept as an Arrow IPC blob;
- the frequency of a ``DatetimeIndex``/``TimedeltaIndex``;
- whether the object was a Series (and its name), so a Series comes back as a Series.

``object`` columns: pyarrow gives each column one Arrow type and converts silently to it
(``b"x"`` next to ``"x"`` becomes bytes, ``1`` next to ``2.5`` becomes ``1.0``, Timestamps of
several time zones end in one zone, ``Decimal("1.1")`` becomes ``Decimal("1.10")``). So only a
column of one plain kind (all ``str``, all ``bytes``, all ``int``, all ``float``, all ``bool``,
all ``datetime.date``) with one kind of missing value (None, NaN, ``pd.NA`` or ``NaT``) is
written as the Arrow type it is; any other ``object`` column is written as type-tagged text
(one string per value, e.g. ``"i1"``, ``"f0x1.4p+1"``, ``"sabc"``, the format version says so) and
decoded value by value: ``str``, ``bytes``, ``int`` of any size, ``float`` (NaN, -0.0),
``bool``, ``Decimal`` (its exact text), ``datetime``/``date``/``time``/``timedelta``,
``pd.Timestamp`` (unit and time zone of each value), ``pd.Timedelta``, ``pd.Period``, None,
NaN, ``pd.NA``, ``pd.NaT``. NumPy scalars come back as the Python scalar (``np.int64(1)`` ->
``1``), as the fingerprint already counts them. Object categories use the same encoding.

Decision on what cannot be stored exactly: an ``object`` column holding lists, dicts, tuples,
complex numbers, intervals or arbitrary objects, an ``object`` index level that is not of one
plain kind, complex and sparse columns raise :class:`~mlops_jupyter.errors.SnapshotError`
naming the column and suggesting a conversion, before anything is written; nothing is
stringified silently. Column labels of other types (arbitrary objects) are refused too.

A frame with rows and no columns keeps its rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import SnapshotError

__all__ = ["frame_from_parquet_bytes", "frame_to_parquet_bytes"]

_META_KEY = b"mlops_jupyter"
_CATEGORIES_KEY = "mlops_jupyter.categories.{}"
# 1: the first format. 2: type-tagged object columns/categories, rows kept without columns;
# written only when used, so a frame that needs neither stays readable by older versions.
_FORMAT_VERSION = 2


def frame_to_parquet_bytes(
    obj: pd.DataFrame | pd.Series, *, compression_level: int | None = None
) -> bytes:
    """Serialise ``obj`` to zstd Parquet bytes that :func:`frame_from_parquet_bytes` restores exactly.

    Raises :class:`~mlops_jupyter.errors.SnapshotError` naming the column (or index level) and
    a conversion to make when a value cannot be restored exactly; nothing is written then.
    """
    meta: dict[str, Any] = {"format": 1}
    if isinstance(obj, pd.Series):
        meta["kind"] = "series"
        meta["series_name"] = _encode_label(obj.name, "Series name")
        df = obj.to_frame(name="series" if not isinstance(obj.name, str) else obj.name)
        labels: list[Any] = [obj.name]
    elif isinstance(obj, pd.DataFrame):
        meta["kind"] = "frame"
        df = obj
        labels = list(obj.columns)
    else:
        raise TypeError(
            f"expected a pandas DataFrame or Series, got {type(obj).__module__}.{type(obj).__qualname__}"
        )
    meta["columns"] = _encode_columns(df.columns)
    meta["index_names"] = [_encode_label(n, "index name") for n in df.index.names]
    df = df.set_axis(df.index.set_names(_index_field_names(df.index.names)), axis=0)
    index_names = {n for n in df.index.names if n is not None}
    field_names = _field_names(df.columns, index_names)
    df = df.set_axis(field_names, axis=1)  # copy-on-write: no data is copied
    meta["index_objects"] = _plan_index(df.index)
    if df.shape[1] == 0 and isinstance(df.index, pd.RangeIndex) and len(df.index):
        # No column to carry the row count: pyarrow would bring back no rows at all.
        meta["format"] = 2
        meta["range_rows"] = [df.index.start, df.index.stop, df.index.step]

    extra: dict[bytes, bytes] = {}
    categoricals: dict[str, bool] = {}
    tagged_categories: list[int] = []
    replaced: dict[str, pd.Series] = {}
    for i, (field, column) in enumerate(df.items()):
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype) and not _string_categories(dtype):
            # Parquet keeps dictionaries of strings only: store codes + categories ourselves.
            replaced[field] = pd.Series(column.array.codes, index=df.index, name=field)
            categoricals[str(i)] = bool(dtype.ordered)
            categories: Any = dtype.categories
            if categories.dtype == object:
                # Mixed kinds of categories (b"x" and "x", 1 and "1") are tagged like columns.
                where = f"a category of column {labels[i]!r}"
                categories = pd.Series(_tag_all(categories.to_numpy(), where), dtype=object)
                tagged_categories.append(i)
                meta["format"] = 2
            cats = pa.Table.from_pandas(
                pd.DataFrame({"categories": categories}), preserve_index=False
            )
            extra[_CATEGORIES_KEY.format(i).encode()] = _ipc_bytes(cats)
    meta["categoricals"] = categoricals
    meta["tagged_categories"] = tagged_categories

    plans: dict[int, dict[str, Any]] = {}
    for i, (field, column) in enumerate(df.items()):
        if column.dtype == object and field not in replaced:
            plans[i] = _plan_objects(column.to_numpy(), labels[i])
            if plans[i].get("tagged"):
                replaced[field] = _tagged_series(column, labels[i])
    if replaced:
        df = df.assign(**replaced)
    # Parquet has no second resolution (s -> ms): remember units to cast back exactly.
    meta["units"] = {
        str(i): str(column.dtype)
        for i, (_, column) in enumerate(df.items())
        if isinstance(column.dtype, (np.dtype, pd.DatetimeTZDtype)) and column.dtype.kind in "mM"
    }
    if not isinstance(df.index, pd.MultiIndex) and df.index.dtype.kind in "mM":
        meta["index_unit"] = str(df.index.dtype)
    index = df.index
    if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)) and index.freq is not None:
        meta["index_freq"] = index.freqstr

    table = _to_arrow(df, obj, labels, plans)
    if any(plan.get("tagged") for plan in plans.values()):
        meta["format"] = 2
    meta["objects"] = sorted(plans)  # what format-1 readers rebuild as Python objects
    meta["object_columns"] = {str(i): plan for i, plan in plans.items()}
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[_META_KEY] = json.dumps(meta).encode()
    schema_meta.update(extra)
    table = table.replace_schema_metadata(schema_meta)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", compression_level=compression_level)
    return sink.getvalue().to_pybytes()


def frame_from_parquet_bytes(data: bytes) -> pd.DataFrame | pd.Series:
    """Restore what :func:`frame_to_parquet_bytes` wrote (a Series comes back as a Series).

    Parquet bytes from another writer are read with pyarrow's usual pandas conversion.
    """
    table = pq.read_table(pa.BufferReader(data))
    schema_meta = table.schema.metadata or {}
    df = table.to_pandas()
    if _META_KEY not in schema_meta:
        return df
    meta = json.loads(schema_meta[_META_KEY])
    if meta.get("format", 0) > _FORMAT_VERSION:
        raise SnapshotError(
            f"this snapshot was written by a newer mlops-jupyter (format {meta['format']}); "
            "upgrade mlops-jupyter to read it"
        )
    if meta.get("range_rows"):
        df = pd.DataFrame(index=pd.RangeIndex(*meta["range_rows"], name=df.index.name))
    tagged_categories = set(meta.get("tagged_categories", []))
    if meta["categoricals"]:
        restored = {}
        for position, ordered in meta["categoricals"].items():
            i = int(position)
            blob = schema_meta[_CATEGORIES_KEY.format(i).encode()]
            categories = _ipc_table(blob).column("categories")
            if i in tagged_categories:
                categories = pd.Index(_untag_all(categories), dtype=object)
            else:
                categories = pd.Index(categories.to_pandas()).rename(None)
            codes = df.iloc[:, i].to_numpy()
            restored[i] = pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(categories, ordered=ordered)
            )
        for i, values in restored.items():
            df.isetitem(i, values)
    object_columns = meta.get("object_columns")
    if object_columns is None:  # format 1 before null kinds were recorded
        object_columns = {str(i): {"legacy": True} for i in meta["objects"]}
    for position, plan in object_columns.items():
        i = int(position)
        if plan.get("legacy") and df.dtypes.iloc[i] == np.dtype(object):
            continue
        # As a Series: a bare object array would be inferred again (Timestamps -> datetime64).
        values = _restore_objects(table.column(i), plan)
        df.isetitem(i, pd.Series(values, index=df.index, dtype=object, copy=False))
    for position, dtype in meta.get("units", {}).items():
        i = int(position)
        if str(df.dtypes.iloc[i]) != dtype:
            df.isetitem(i, df.iloc[:, i].astype(dtype))
    if meta.get("index_unit") and str(df.index.dtype) != meta["index_unit"]:
        df.index = df.index.astype(meta["index_unit"])
    if meta.get("index_objects"):
        df.index = _restore_index(df.index, meta["index_objects"])
    if "index_names" in meta:
        df.index = df.index.set_names([_decode_label(n) for n in meta["index_names"]])
    freq = meta.get("index_freq")
    if freq is not None:
        index_type = (
            pd.DatetimeIndex if isinstance(df.index, pd.DatetimeIndex) else pd.TimedeltaIndex
        )
        df.index = index_type(df.index, freq=freq)
    if meta["kind"] == "series":
        series = df.iloc[:, 0]
        series.name = _decode_label(meta["series_name"])
        return series
    df.columns = _decode_columns(meta["columns"])
    return df


# -- Arrow helpers ------------------------------------------------------------------------------


_CONVERSION_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError)


def _to_arrow(
    df: pd.DataFrame, original: pd.DataFrame | pd.Series, labels: list[Any],
    plans: dict[int, dict[str, Any]],
) -> pa.Table:
    """``df`` as an Arrow table; an object column Arrow would coerce is tagged instead."""
    while True:
        try:
            table = pa.Table.from_pandas(df, preserve_index=None)
        except _CONVERSION_ERRORS as exc:
            i, column_exc = _failing_column(df)
            if i is None:
                raise SnapshotError(
                    f"the frame cannot be stored exactly in a snapshot: {exc}. Convert its "
                    "index first (e.g. df.reset_index()) or the column that holds unusual values"
                ) from exc
            if i in plans and not plans[i].get("tagged"):
                plans[i] = {"tagged": True}  # e.g. ints beyond int64: keep them as text
                df = df.assign(**{df.columns[i]: _tagged_series(df.iloc[:, i], labels[i])})
                continue
            column = df.iloc[:, i]
            raise SnapshotError(
                f"column {labels[i]!r} (dtype {column.dtype}) cannot be stored exactly in a "
                f"snapshot: {column_exc}. Convert it to a supported dtype first, e.g. "
                f"df[{labels[i]!r}].astype(str)"
            ) from column_exc
        coerced = [
            i for i, plan in plans.items()
            if not plan.get("tagged") and not _ARROW_KIND[plan["kind"]](table.column(i).type)
        ]
        if not coerced:
            return table
        for i in coerced:
            plans[i] = {"tagged": True}
            df = df.assign(**{df.columns[i]: _tagged_series(df.iloc[:, i], labels[i])})


def _failing_column(df: pd.DataFrame) -> tuple[int | None, Exception | None]:
    for i, (_, column) in enumerate(df.items()):
        try:
            pa.Table.from_pandas(column.to_frame(), preserve_index=False)
        except _CONVERSION_ERRORS as exc:
            return i, exc
    return None, None


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _ipc_table(blob: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.BufferReader(blob)).read_all()


def _string_categories(dtype: pd.CategoricalDtype) -> bool:
    # Object categories go our own way (tagged): Parquet would return them as ``str`` dtype.
    categories = dtype.categories
    return categories.dtype != object and pd.api.types.is_string_dtype(categories.dtype)


def _index_field_names(names: list[Any]) -> list[str | None]:
    """Arrow names of index levels: a str name kept when unique, others made up (meta has them)."""
    out: list[str | None] = []
    for i, name in enumerate(names):
        if name is None or (isinstance(name, str) and names.count(name) == 1
                            and not name.startswith("__index_level_")):
            out.append(name)
        else:
            out.append(f"__index_level_{i}__")
    return out


def _field_names(columns: pd.Index, reserved: set[str]) -> list[str]:
    """Arrow field names: the labels themselves when they are unique strings, else made unique."""
    names: list[str] = []
    seen = set(reserved)
    for i, label in enumerate(columns):
        name = label if isinstance(label, str) else str(label)
        if name in seen or name.startswith("__index_level_"):
            name = f"{name} #{i}"
        seen.add(name)
        names.append(name)
    return names


# -- object columns -----------------------------------------------------------------------------

# The kinds pyarrow stores without changing a value, and the Arrow type each must become.
_ARROW_KIND = {
    "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
    "bytes": lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t),
    "integer": pa.types.is_int64,
    "floating": pa.types.is_float64,
    "boolean": pa.types.is_boolean,
    "date": pa.types.is_date32,
    "empty": pa.types.is_null,
}
_NULLS: dict[str, Any] = {"None": None, "nan": math.nan, "NA": pd.NA, "NaT": pd.NaT}


def _null_kind(value: Any) -> str | None:
    if value is None:
        return "None"
    if value is pd.NA:
        return "NA"
    if value is pd.NaT:
        return "NaT"
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return "nan"
    return None


def _plan_objects(values: np.ndarray, label: Any) -> dict[str, Any]:
    """How to store one object column: as its Arrow type when that is exact, else tagged."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in _ARROW_KIND:
        return {"tagged": True}
    mask = pd.isna(values)
    if kind == "date" and any(type(v) is not dt.date for v in values[~mask]):
        return {"tagged": True}  # datetimes count as dates for infer_dtype; Arrow would cut them
    kinds = {_null_kind(v) for v in values[mask]} if mask.any() else {"None"}
    if len(kinds) != 1 or None in kinds:
        return {"tagged": True}  # None next to NaN: Arrow has one null, keep which was which
    return {"kind": kind, "null": kinds.pop()}


def _tagged_series(column: pd.Series, label: Any) -> pd.Series:
    return pd.Series(_tag_all(column.to_numpy(), f"column {label!r}"), index=column.index,
                     name=column.name, dtype=object)


def _tag_all(values: np.ndarray, where: str) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for j, value in enumerate(values):
        try:
            out[j] = _tag(value)
        except _Unsupported as exc:
            label = where.rsplit(" ", 1)[-1]
            if isinstance(value, (list, dict, tuple, set)):
                advice = f"e.g. df[{label}].map(json.dumps)"
                what = "lists/dicts/tuples"
            else:
                advice = f"e.g. df[{label}].astype(str)"
                what = f"{type(value).__module__}.{type(value).__qualname__} values"
            raise SnapshotError(
                f"{where} holds {what} ({exc}), which a snapshot cannot restore exactly; "
                f"nothing was stored. Convert it first, {advice}"
            ) from None
    return out


class _Unsupported(Exception):
    pass


def _tz_name(tz: Any) -> str:
    try:
        return pa.lib.tzinfo_to_string(tz)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise _Unsupported(f"time zone {tz!r}") from exc


def _tag(value: Any) -> str | None:  # noqa: C901, PLR0911, PLR0912 - one branch per type
    """One value as type-tagged text that :func:`_untag` turns back into an equal, same-type value."""
    if value is None:
        return None
    if isinstance(value, np.generic) and not isinstance(value, (np.datetime64, np.timedelta64)):
        value = value.item()
    kind = type(value)
    if kind is str:
        return "s" + value
    if kind is bool:
        return "b1" if value else "b0"
    if kind is int:
        return "i" + str(value)
    if kind is float:
        return "f" + value.hex()
    if kind is bytes:
        return "y" + base64.b64encode(value).decode("ascii")
    if kind is decimal.Decimal:
        return "d" + str(value)
    if value is pd.NA:
        return "A"
    if value is pd.NaT:
        return "Z"
    if kind is pd.Timestamp:
        tz = "" if value.tzinfo is None else _tz_name(value.tzinfo)
        return f"T{value.unit}|{value.asm8.view('i8')}|{tz}"
    if kind is pd.Timedelta:
        return f"U{value.unit}|{value.asm8.view('i8')}"
    if kind is pd.Period:
        return f"P{value.freqstr}|{value.ordinal}"
    if kind is dt.datetime:
        if value.tzinfo is None:
            return f"E{value.fold}{value.isoformat()}|"
        utc = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return f"E{value.fold}{utc.isoformat()}|{_tz_name(value.tzinfo)}"
    if kind is dt.date:
        return "D" + value.isoformat()
    if kind is dt.time and value.tzinfo is None:
        return f"t{value.fold}{value.isoformat()}"
    if kind is dt.timedelta:
        return f"S{value.days}|{value.seconds}|{value.microseconds}"
    raise _Unsupported(f"e.g. {value!r}"[:80])


def _untag(text: str | None) -> Any:  # noqa: C901, PLR0911 - one branch per tag
    if text is None:
        return None
    tag, body = text[0], text[1:]
    if tag == "s":
        return body
    if tag == "b":
        return body == "1"
    if tag == "i":
        return int(body)
    if tag == "f":
        return float.fromhex(body)
    if tag == "y":
        return base64.b64decode(body)
    if tag == "d":
        return decimal.Decimal(body)
    if tag == "A":
        return pd.NA
    if tag == "Z":
        return pd.NaT
    if tag == "T":
        unit, value, tz = body.split("|")
        stamp = pd.Timestamp(np.datetime64(int(value), unit))
        return stamp.tz_localize("UTC").tz_convert(tz) if tz else stamp
    if tag == "U":
        unit, value = body.split("|")
        return pd.Timedelta(np.timedelta64(int(value), unit))
    if tag == "P":
        freq, ordinal = body.split("|")
        return pd.Period(ordinal=int(ordinal), freq=freq)
    if tag == "E":
        when, tz = body[1:].split("|")
        value = dt.datetime.fromisoformat(when)
        if tz:
            zone = pd.Timestamp(0, tz="UTC").tz_convert(tz).tzinfo  # the zone pandas gives tz
            value = value.replace(tzinfo=dt.timezone.utc).astimezone(zone)
        return value.replace(fold=int(body[0]))
    if tag == "D":
        return dt.date.fromisoformat(body)
    if tag == "t":
        return dt.time.fromisoformat(body[1:]).replace(fold=int(body[0]))
    if tag == "S":
        days, seconds, micros = body.split("|")
        return dt.timedelta(days=int(days), seconds=int(seconds), microseconds=int(micros))
    raise SnapshotError(f"unknown value tag {tag!r} in a snapshot; upgrade mlops-jupyter")


def _untag_all(chunked: pa.ChunkedArray | pa.Array) -> np.ndarray:
    out = np.empty(len(chunked), dtype=object)
    out[:] = [_untag(v) for v in chunked.to_pylist()]
    return out


def _restore_objects(chunked: pa.ChunkedArray, plan: dict[str, Any]) -> np.ndarray:
    if plan.get("tagged"):
        return _untag_all(chunked)
    values = np.empty(len(chunked), dtype=object)
    if pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type) or (
        pa.types.is_binary(chunked.type) or pa.types.is_large_binary(chunked.type)
    ):
        values[:] = chunked.to_numpy(zero_copy_only=False)  # fast path; nulls are None
    else:
        values[:] = chunked.to_pylist()
    null = plan.get("null", "None")
    if null != "None" and chunked.null_count:
        values[chunked.is_null().to_numpy(zero_copy_only=False)] = _NULLS[null]
    return values


def _plan_index(index: pd.Index) -> dict[str, dict[str, Any]]:
    """Object index levels of one plain kind (restored as object), or a SnapshotError."""
    plans = {}
    for level in range(index.nlevels):
        values = index.get_level_values(level)
        if values.dtype != object:
            continue
        plan = _plan_objects(values.to_numpy(), index.names[level])
        if plan.get("tagged"):
            name = index.names[level]
            kinds = sorted({type(v).__name__ for v in values[:1000]})
            raise SnapshotError(
                f"index level {name!r} holds {', '.join(kinds)} values that a snapshot cannot "
                "restore exactly as an index; nothing was stored. Move it into a column "
                "(df.reset_index()), where mixed values are kept exactly, or convert it "
                "(e.g. df.index = df.index.astype(str))"
            )
        plans[str(level)] = plan
    return plans


def _restore_index(index: pd.Index, plans: dict[str, dict[str, Any]]) -> pd.Index:
    levels = [index.get_level_values(i) for i in range(index.nlevels)]
    for position, plan in plans.items():
        level = levels[int(position)]
        values = np.empty(len(level), dtype=object)
        values[:] = level.tolist()
        mask = pd.isna(values)
        if mask.any():
            values[mask] = _NULLS[plan.get("null", "None")]
        levels[int(position)] = pd.Index(values, dtype=object, name=level.name)
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_arrays(levels, names=index.names)
    return levels[0]


# -- labels -------------------------------------------------------------------------------------


def _encode_columns(columns: pd.Index) -> dict[str, Any]:
    out: dict[str, Any] = {"names": [_encode_label(n, "column index name") for n in columns.names]}
    if isinstance(columns, pd.RangeIndex):
        out["range"] = [columns.start, columns.stop, columns.step]
        return out
    out["multi"] = isinstance(columns, pd.MultiIndex)
    out["dtype"] = None if out["multi"] else str(columns.dtype)
    out["labels"] = [_encode_label(label, "column label") for label in columns]
    return out


def _decode_columns(spec: dict[str, Any]) -> pd.Index:
    names = [_decode_label(n) for n in spec["names"]]
    if "range" in spec:
        return pd.RangeIndex(*spec["range"], name=names[0])
    labels = [_decode_label(label) for label in spec["labels"]]
    if spec["multi"]:
        return pd.MultiIndex.from_tuples(labels, names=names)
    return pd.Index(labels, dtype=spec["dtype"], name=names[0], tupleize_cols=False)


def _encode_label(label: Any, what: str) -> Any:
    if isinstance(label, np.generic):
        label = label.item()
    if label is None or isinstance(label, (bool, int, str)):
        return label
    if isinstance(label, float):
        return label if math.isfinite(label) else {"float": repr(label)}
    if isinstance(label, tuple):
        return {"tuple": [_encode_label(v, what) for v in label]}
    if isinstance(label, pd.Timestamp):
        return {"timestamp": label.isoformat()}
    if isinstance(label, pd.Timedelta):
        return {"timedelta": label.isoformat()}
    raise SnapshotError(
        f"{what} {label!r} of type {type(label).__name__} cannot be stored in a snapshot; "
        "rename it to a str, int, float, bool, None, a tuple of those, or a timestamp"
    )


def _decode_label(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "tuple" in value:
        return tuple(_decode_label(v) for v in value["tuple"])
    if "float" in value:
        return float(value["float"])
    if "timestamp" in value:
        return pd.Timestamp(value["timestamp"])
    if "timedelta" in value:
        return pd.Timedelta(value["timedelta"])
    raise SnapshotError(f"unknown label encoding {value!r} in a snapshot; upgrade mlops-jupyter")
