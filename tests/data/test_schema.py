"""infer_schema / column_kind: the coarse column families the rest of the package relies on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.data import (
    ColumnSchema,
    column_kind,
    infer_schema,
    schema_from_json,
    schema_to_json,
)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.Series([1.5, np.nan]), "numeric"),
        (pd.Series([1, 2], dtype="int8"), "numeric"),
        (pd.Series([1, None], dtype="Int64"), "numeric"),
        (pd.Series([1.0, None], dtype="Float64"), "numeric"),
        (pd.Series([1, None], dtype="int64[pyarrow]"), "numeric"),
        (pd.Series([True, False]), "boolean"),
        (pd.Series([True, None], dtype="boolean"), "boolean"),
        (pd.Series(np.array([True, None], dtype=object)), "boolean"),
        (pd.Series(["a", "b"], dtype="category"), "categorical"),
        (pd.Series(pd.to_datetime(["2020-01-01"])), "datetime"),
        (pd.Series(pd.to_datetime(["2020-01-01"]).tz_localize("UTC")), "datetime"),
        (pd.Series(["a", None], dtype="str"), "string"),
        (pd.Series(["a", None], dtype="string"), "string"),
        (pd.Series(np.array(["a", None], dtype=object)), "string"),
        (pd.Series(np.array(["a", 1], dtype=object)), "other"),
        (pd.Series(pd.to_timedelta([1], unit="s")), "other"),
        (pd.Series([1 + 2j]), "other"),
    ],
)
def test_column_kind(values, kind):
    assert column_kind(values) == kind


def test_infer_schema_in_column_order_with_nulls_seen():
    df = pd.DataFrame(
        {
            "age": [31, 42, 27],
            "income": [1.0, np.nan, 3.5],
            "city": pd.array(["Oslo", "Lima", None], dtype="str"),
            1: [True, False, True],
        }
    )
    assert infer_schema(df) == (
        ColumnSchema("age", "int64", "numeric", False),
        ColumnSchema("income", "float64", "numeric", True),
        ColumnSchema("city", "str", "string", True),
        ColumnSchema("1", "bool", "boolean", False),
    )


def test_series_is_one_column():
    assert infer_schema(pd.Series([1.0], name="x")) == (
        ColumnSchema("x", "float64", "numeric", False),
    )


def test_json_round_trip():
    schema = infer_schema(
        pd.DataFrame({"a": [1], "b": pd.Categorical(["x"]), "t": pd.to_datetime(["2020"])})
    )
    data = json.loads(json.dumps(schema_to_json(schema)))
    assert data[1] == {"name": "b", "dtype": "category", "kind": "categorical", "nullable": False}
    assert schema_from_json(data) == schema


def test_bad_json_and_bad_kind_are_rejected():
    with pytest.raises(ValueError, match="no 'kind'"):
        schema_from_json([{"name": "a", "dtype": "int64", "nullable": False}])
    with pytest.raises(ValueError, match="kind must be one of"):
        ColumnSchema("a", "int64", "number", False)
    with pytest.raises(TypeError, match="expected a pandas DataFrame or Series"):
        infer_schema([1, 2])


def test_frozen():
    column = ColumnSchema("a", "int64", "numeric", False)
    with pytest.raises(AttributeError):
        column.name = "b"  # type: ignore[misc]
