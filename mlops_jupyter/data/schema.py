"""Column schema of a frame: name, dtype, kind and whether nulls were seen.

``kind`` is the coarse family the rest of the package reasons with (profiles, drift tests,
input validation of a served model): one of ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "KINDS",
    "ColumnSchema",
    "column_kind",
    "infer_schema",
    "schema_from_json",
    "schema_to_json",
]

KINDS = ("numeric", "boolean", "categorical", "datetime", "string", "other")


@dataclass(frozen=True)
class ColumnSchema:
    """One column. ``nullable`` is True when the data had at least one missing value.

    ``name`` is the column label as a string (``str(label)`` for non-string labels, e.g. the
    tuple of a MultiIndex column).
    """

    name: str
    dtype: str
    kind: str
    nullable: bool

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")


def column_kind(series: pd.Series | pd.Index) -> str:
    """Return the kind of a column: numeric, boolean, categorical, datetime, string or other.

    Timedeltas and complex numbers are "other"; an ``object`` column is "string" when every
    non-missing value is a ``str``, "boolean" when every one is a ``bool``, otherwise "other".
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return "other"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if dtype == np.dtype(object):
        # An object column can hold anything: look at the values themselves.
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        return {"string": "string", "empty": "string", "boolean": "boolean"}.get(inferred, "other")
    if pd.api.types.is_string_dtype(dtype):
        return "string"
    return "other"


def infer_schema(df: pd.DataFrame | pd.Series) -> tuple[ColumnSchema, ...]:
    """Schema of every column, in column order (a Series is one column named ``str(name)``)."""
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"expected a pandas DataFrame or Series, got {type(df).__module__}.{type(df).__qualname__}"
        )
    return tuple(
        ColumnSchema(
            name=name if isinstance(name, str) else str(name),
            dtype=str(column.dtype),
            kind=column_kind(column),
            nullable=bool(column.isna().any()),
        )
        for name, column in df.items()
    )


def schema_to_json(schema: Iterable[ColumnSchema]) -> list[dict[str, Any]]:
    """Plain dicts (``name``, ``dtype``, ``kind``, ``nullable``), ready for ``json.dumps``."""
    return [asdict(column) for column in schema]


def schema_from_json(data: Iterable[Mapping[str, Any]]) -> tuple[ColumnSchema, ...]:
    """Inverse of :func:`schema_to_json`; a missing key or an unknown kind raises ``ValueError``."""
    out = []
    for i, item in enumerate(data):
        try:
            out.append(
                ColumnSchema(
                    name=str(item["name"]),
                    dtype=str(item["dtype"]),
                    kind=str(item["kind"]),
                    nullable=bool(item["nullable"]),
                )
            )
        except KeyError as exc:
            raise ValueError(f"schema entry {i} has no {exc.args[0]!r}: {dict(item)!r}") from None
    return tuple(out)
