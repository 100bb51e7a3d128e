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

Decision on what cannot be stored exactly: ``object`` columns of mixed Python values (``"a"``
and ``1``), complex numbers and sparse columns raise ``TypeError`` naming the column and
suggesting a conversion; nothing is stringified silently. Column labels of other types
(arbitrary objects) raise ``TypeError`` too.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["frame_from_parquet_bytes", "frame_to_parquet_bytes"]

_META_KEY = b"mlops_jupyter"
_CATEGORIES_KEY = "mlops_jupyter.categories.{}"
_FORMAT_VERSION = 1


def frame_to_parquet_bytes(
    obj: pd.DataFrame | pd.Series, *, compression_level: int | None = None
) -> bytes:
    """Serialise ``obj`` to zstd Parquet bytes that :func:`frame_from_parquet_bytes` restores exactly."""
    meta: dict[str, Any] = {"format": _FORMAT_VERSION}
    if isinstance(obj, pd.Series):
        meta["kind"] = "series"
        meta["series_name"] = _encode_label(obj.name, "Series name")
        df = obj.to_frame(name="series" if not isinstance(obj.name, str) else obj.name)
    elif isinstance(obj, pd.DataFrame):
        meta["kind"] = "frame"
        df = obj
    else:
        raise TypeError(
            f"expected a pandas DataFrame or Series, got {type(obj).__module__}.{type(obj).__qualname__}"
        )
    meta["columns"] = _encode_columns(df.columns)
    index_names = {str(n) for n in df.index.names if n is not None}
    field_names = _field_names(df.columns, index_names)
    df = df.set_axis(field_names, axis=1)  # copy-on-write: no data is copied

    extra: dict[bytes, bytes] = {}
    categoricals: dict[str, bool] = {}
    replaced: dict[str, pd.Series] = {}
    for i, (field, column) in enumerate(df.items()):
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype) and not _string_categories(dtype):
            # Parquet keeps dictionaries of strings only: store codes + categories ourselves.
            replaced[field] = pd.Series(column.array.codes, index=df.index, name=field)
            categoricals[str(i)] = bool(dtype.ordered)
            cats = pa.Table.from_pandas(
                pd.DataFrame({"categories": dtype.categories}), preserve_index=False
            )
            extra[_CATEGORIES_KEY.format(i).encode()] = _ipc_bytes(cats)
    if replaced:
        df = df.assign(**replaced)
    meta["categoricals"] = categoricals
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

    table = _to_arrow(df, obj)
    objects = [i for i, (_, column) in enumerate(df.items()) if column.dtype == object]
    for i in objects:
        if pa.types.is_nested(table.schema.field(field_names[i]).type):
            label = obj.name if isinstance(obj, pd.Series) else obj.columns[i]
            raise TypeError(
                f"column {label!r} holds lists/dicts/tuples, which a snapshot cannot restore "
                "exactly (Parquet brings them back as arrays or dicts of another shape). "
                f"Convert it first, e.g. df[{label!r}].map(json.dumps)"
            )
    meta["objects"] = objects
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
        raise ValueError(
            f"this snapshot was written by a newer mlops-jupyter (format {meta['format']}); upgrade to read it"
        )
    if meta["categoricals"]:
        restored = {}
        for position, ordered in meta["categoricals"].items():
            i = int(position)
            blob = schema_meta[_CATEGORIES_KEY.format(i).encode()]
            categories = pd.Index(_ipc_table(blob).to_pandas()["categories"]).rename(None)
            codes = df.iloc[:, i].to_numpy()
            restored[i] = pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(categories, ordered=ordered)
            )
        for i, values in restored.items():
            df.isetitem(i, values)
    for i in meta["objects"]:
        if df.dtypes.iloc[i] != np.dtype(object):
            # pyarrow gives ints/bools/floats of an object column a numpy dtype: rebuild the
            # Python values (None stays None) to keep the object column exact.
            values = np.empty(len(df), dtype=object)
            values[:] = table.column(i).to_pylist()
            df.isetitem(i, values)
    for position, dtype in meta.get("units", {}).items():
        i = int(position)
        if str(df.dtypes.iloc[i]) != dtype:
            df.isetitem(i, df.iloc[:, i].astype(dtype))
    if meta.get("index_unit") and str(df.index.dtype) != meta["index_unit"]:
        df.index = df.index.astype(meta["index_unit"])
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


def _to_arrow(df: pd.DataFrame, original: pd.DataFrame | pd.Series) -> pa.Table:
    try:
        return pa.Table.from_pandas(df, preserve_index=None)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        # Find the column that failed so the message can name it with its real label.
        labels = [original.name] if isinstance(original, pd.Series) else list(original.columns)
        for label, (_, column) in zip(labels, df.items(), strict=True):
            try:
                pa.Table.from_pandas(column.to_frame(), preserve_index=False)
            except (pa.ArrowException, TypeError, ValueError) as column_exc:
                kinds = ""
                if column.dtype == object:
                    seen = sorted({type(v).__name__ for v in column.dropna().iloc[:1000]})
                    kinds = f" holding {', '.join(seen)} values"
                raise TypeError(
                    f"column {label!r} (dtype {column.dtype}{kinds}) cannot be stored exactly in a "
                    f"snapshot: {column_exc}. Convert it to a supported dtype first, e.g. "
                    f"df[{label!r}].astype(str)"
                ) from column_exc
        raise TypeError(f"the frame cannot be stored exactly in a snapshot: {exc}") from exc


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _ipc_table(blob: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.BufferReader(blob)).read_all()


def _string_categories(dtype: pd.CategoricalDtype) -> bool:
    categories = dtype.categories
    if categories.dtype == object:
        return pd.api.types.infer_dtype(categories) in ("string", "empty")
    return pd.api.types.is_string_dtype(categories.dtype)


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
    raise TypeError(
        f"{what} {label!r} of type {type(label).__name__} cannot be stored in a snapshot; "
        "use str, int, float, bool, None, tuples of those, or timestamps"
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
    raise ValueError(f"unknown label encoding {value!r}")
