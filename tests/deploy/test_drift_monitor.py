"""The served package's live drift monitor (drift_monitor.py, run in-process from a built
package folder) gives mj.drift's verdicts and scores on the same frames: both use the one
verdict rule of analysis/drift/statistics.py (copied into the package)."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.deploy.layout import reference_profile

RUNTIME = ("drift_monitor", "drift_statistics")


@pytest.fixture
def monitor_module(iris_package):
    sys.path.insert(0, str(iris_package))
    for name in RUNTIME:
        sys.modules.pop(name, None)
    try:
        yield importlib.import_module("drift_monitor")
    finally:
        sys.path.remove(str(iris_package))
        for name in RUNTIME:
            sys.modules.pop(name, None)


def live_report(module, reference: pd.DataFrame, current: pd.DataFrame) -> dict:
    monitor = module.DriftMonitor(reference_profile(reference), window=len(current))
    monitor.add({c: [None if pd.isna(v) else v for v in current[c].tolist()]
                 for c in current.columns})
    return {row["column"]: row for row in monitor.report(min_rows=1)["columns"]}


def assert_same_verdicts(live: dict, expected) -> None:
    for name, row in live.items():
        col = expected.column(name)
        assert (row["status"], row.get("test")) == (col.status, col.test), name
        assert row["drifted"] == col.drifted, name
        assert row["drift_score"] == pytest.approx(col.drift_score, rel=1e-9), name


def test_a_column_turning_infinite_drifts_live_as_in_mj_drift(monitor_module):
    import mlops_jupyter as mj

    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=2000), "y": rng.normal(size=2000)})
    current = pd.DataFrame({"x": rng.normal(size=200), "y": rng.normal(size=200)})
    current.loc[:29, "x"] = np.inf  # 15% infinite: no test can place them
    expected = mj.drift(reference, current)
    assert expected.column("x").drifted and not expected.column("y").drifted
    live = live_report(monitor_module, reference, current)
    assert live["x"]["drifted"] and live["x"]["infinite_drifted"]
    assert_same_verdicts(live, expected)


def test_shifted_and_missing_columns_score_as_in_mj_drift(monitor_module):
    import mlops_jupyter as mj

    rng = np.random.default_rng(1)
    n = 3000  # above 1,000 reference values: the distances decide
    reference = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                              "c": rng.choice(["u", "v", "w"], n),
                              "d": rng.normal(size=n)})
    current = pd.DataFrame({"a": rng.normal(0.3, 1, 400), "b": rng.normal(size=400),
                            "c": rng.choice(["u", "v", "w", "z"], 400, p=[.5, .2, .2, .1]),
                            "d": rng.normal(size=400)})
    current.loc[:99, "b"] = np.nan  # 25% missing
    current["d"] = np.nan  # all missing: "missing only"
    expected = mj.drift(reference, current)
    live = live_report(monitor_module, reference, current)
    assert live["d"]["status"] == "missing only" and live["d"]["drifted"]
    assert_same_verdicts(live, expected)
    small = live_report(monitor_module, reference.head(500), current)  # the tests decide
    assert {r["test"] for r in small.values() if r["status"] == "tested"} == {"ks", "chisquare"}
    assert_same_verdicts(small, mj.drift(reference.head(500), current))
