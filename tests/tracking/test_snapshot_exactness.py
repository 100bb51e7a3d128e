"""mj.snapshot: awkward frames load back exactly, or are refused before anything is stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import mlops_jupyter as mj
from mlops_jupyter.errors import SnapshotError


def test_the_issues_examples_load_back_exactly():
    frames = {
        "mixed_bytes": pd.DataFrame({"a": pd.Series([b"x", "x", None], dtype=object)}),
        "mixed_zones": pd.DataFrame({"t": pd.Series(
            [pd.Timestamp("2020-01-01", tz="Europe/Berlin"),
             pd.Timestamp("2020-01-01", tz="Asia/Tokyo")], dtype=object)}),
        "no_columns": pd.DataFrame(index=range(4)),
    }
    for name, df in frames.items():
        mj.snapshot(df, name)
        restored = mj.load_snapshot(name)
        assert_frame_equal(df, restored, check_exact=True, check_index_type=True,
                           check_column_type=True)
        assert [repr(v) for v in restored.to_numpy().ravel()] == [
            repr(v) for v in df.to_numpy().ravel()
        ]
    assert len(mj.load_snapshot("no_columns")) == 4


def test_refused_frame_stores_nothing():
    df = pd.DataFrame({"ok": [1, 2], "tags": pd.Series([["a"], ["b", "c"]], dtype=object)})
    with pytest.raises(SnapshotError, match=r"column 'tags'.*nothing was stored.*json\.dumps"):
        mj.snapshot(df, "tagged")
    assert mj.snapshots().empty
    blobs = [p for p in Path(".").rglob("*") if p.is_file() and "artifacts" in p.parts]
    assert blobs == []
    assert np.array_equal(df["ok"], [1, 2])  # the frame itself is untouched
