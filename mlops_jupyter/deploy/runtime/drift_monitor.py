"""Live drift: a bounded window of recent inputs against the package's reference profile.

Part of the serving runtime. The statistics are those of ``mj.drift``: ``drift_statistics``
is ``mlops_jupyter/analysis/drift/statistics.py``, copied into the package by the export
(one source, never a second copy), and so is the verdict rule (``column_verdict``: the test
by reference size, the thresholds, the drift score), ``mj.drift``'s "auto" method with its
default thresholds:

- numeric columns: KS test (p < 0.05) while the reference has at most 1,000 values, the
  Wasserstein distance normalised by the reference std (>= 0.1) above; PSI reported too;
- categorical, string and boolean columns, and numeric columns with at most 5 distinct
  reference values: chi-square test (p < 0.05) up to 1,000 reference values, Jensen-Shannon
  distance (>= 0.1) above; unseen categories listed;
- every column: a change of 5 points or more in the share of missing values is drift, and
  in numeric columns in the share of infinite values;
- the dataset drifts when at least half of the tested columns drift.

The reference holds the training values themselves when there were at most
``max_values`` of them (the results then equal ``mj.drift`` on the same frames), otherwise
evenly spaced quantiles of them (``"exact": false`` in the answer).

The window keeps the last ``window`` rows seen by this process (``--drift-window``); with
``--drift-log PATH`` every scored row is also appended to a JSON-lines file, one object per
row: ``{"time", "model", "version", "inputs": {...}, "prediction"}``.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from typing import Any

import numpy as np

# drift_statistics imports SciPy (half a second): loaded on the first report, not at start-up
st: Any = None

DATASET_DRIFT_SHARE = 0.5
MAX_UNSEEN_LISTED = 20
DEFAULT_WINDOW = 5000
DEFAULT_MIN_ROWS = 30


def load_statistics() -> Any:
    """The drift statistics module (imported on first use)."""
    global st
    if st is None:
        import drift_statistics

        st = drift_statistics
    return st


def label(value: Any) -> str:
    """A category's name, as ``mj.drift`` writes it: 1.0 and 1 are both "1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_float(value: Any, kind: str) -> float:
    if value is None:
        return math.nan
    if kind == "datetime":
        try:
            return float(np.datetime64(value, "ns").astype(np.int64))
        except (ValueError, TypeError):
            return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class DriftMonitor:
    def __init__(self, reference: dict[str, Any], model_name: str = "", model_version: str = "",
                 window: int = DEFAULT_WINDOW, log_path: str | None = None):
        if window < 1:
            raise ValueError(f"the drift window must hold at least 1 row, not {window}")
        self.model_name = model_name
        self.model_version = model_version
        self.window = window
        self.reference = reference
        self.columns: dict[str, dict[str, Any]] = {}
        for name, ref in reference["columns"].items():
            ref = dict(ref)
            if "values" in ref:
                ref["_sorted"] = np.asarray(ref["values"], dtype=np.float64)
            self.columns[name] = ref
        self.recent: dict[str, deque] = {n: deque(maxlen=window) for n in self.columns}
        self.seen = 0  # rows added since start
        self._log = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115

    @property
    def n_rows(self) -> int:
        return min(self.seen, self.window)

    def add(self, columns: dict[str, list[Any]], predictions: list[Any] | None = None) -> None:
        n = 0
        for name, values in columns.items():
            window = self.recent.get(name)
            if window is not None:
                window.extend(values)
                n = len(values)
        if not n and columns:
            n = len(next(iter(columns.values())))
        self.seen += n
        if self._log is not None:
            self._write_log(self._log, columns, predictions, n)

    def _write_log(self, log: Any, columns: dict[str, list[Any]],
                   predictions: list[Any] | None, n: int) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
        names = list(columns)
        lines = []
        for i in range(n):
            row = {"time": stamp, "model": self.model_name, "version": self.model_version,
                   "inputs": {k: columns[k][i] for k in names}}
            if predictions is not None:
                row["prediction"] = predictions[i]
            lines.append(json.dumps(row, default=str))
        log.write("\n".join(lines) + "\n")
        log.flush()

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    # ------------------------------------------------------------------ the report

    def report(self, min_rows: int = DEFAULT_MIN_ROWS) -> dict[str, Any]:
        load_statistics()
        n = self.n_rows
        out: dict[str, Any] = {
            "model": self.model_name, "version": self.model_version,
            "n_reference": self.reference.get("rows"), "n_current": n,
            "window": self.window, "rows_seen": self.seen, "min_rows": min_rows,
            "drift_share_threshold": DATASET_DRIFT_SHARE,
        }
        if n < min_rows:
            out.update(status="collecting", dataset_drift=False, share_drifted=0.0,
                       drifted_columns=[], columns=[],
                       message=f"{n} recent rows; drift is computed from {min_rows}")
            return out
        rows = []
        for name, ref in self.columns.items():
            try:
                rows.append(self._column(name, ref, list(self.recent[name])))
            except Exception as exc:  # one odd column must never sink the whole report
                rows.append({"column": name, "kind": ref.get("kind"), "status": "not tested",
                             "reason": f"{type(exc).__name__}: {exc}", "drifted": False,
                             "drift_score": 0.0})
        tested = [r for r in rows if r["status"] != "not tested"]
        drifted = [r["column"] for r in tested if r["drifted"]]
        share = len(drifted) / len(tested) if tested else 0.0
        rows.sort(key=lambda r: (r["status"] == "not tested", not r["drifted"],
                                 -r["drift_score"]))
        out.update(status="ok", dataset_drift=bool(tested) and share >= DATASET_DRIFT_SHARE,
                   share_drifted=share, drifted_columns=drifted, columns=rows)
        return out

    def _column(self, name: str, ref: dict[str, Any], values: list[Any]) -> dict[str, Any]:
        kind = ref.get("kind", "numeric")
        n = len(values)
        ref_rows = max(int(ref.get("rows", 0)), 1)
        ref_missing = int(ref.get("missing", 0)) / ref_rows
        cur_missing = sum(1 for v in values if v is None
                          or (type(v) is float and math.isnan(v))) / n
        base: dict[str, Any] = {
            "column": name, "kind": kind, "reference_missing": ref_missing,
            "current_missing": cur_missing,
            "missing_drifted": st.share_drifted(ref_missing, cur_missing),
        }
        if cur_missing == 1.0:
            verdict = st.column_verdict("missing only", missing=(ref_missing, cur_missing))
            return {**base, "status": "missing only", "test": "missing share",
                    "threshold": verdict.threshold,
                    "drifted": verdict.drifted, "drift_score": verdict.drift_score,
                    "reason": "all recent values are missing"}
        if "counts" in ref:
            return self._categorical(base, ref, values)
        return self._numeric(base, ref, values, kind, ref_rows)

    def _numeric(self, base: dict[str, Any], ref: dict[str, Any], values: list[Any], kind: str,
                 ref_rows: int) -> dict[str, Any]:
        a = ref["_sorted"]
        b, n_inf = st.sorted_finite(np.array([_to_float(v, kind) for v in values]))
        ref_infinite, cur_infinite = int(ref.get("infinite", 0)) / ref_rows, n_inf / len(values)
        shares = {"missing": (base["reference_missing"], base["current_missing"]),
                  "infinite": (ref_infinite, cur_infinite)}
        base = {**base, "reference_infinite": ref_infinite, "current_infinite": cur_infinite,
                "infinite_drifted": st.share_drifted(ref_infinite, cur_infinite)}
        if len(b) == 0:
            verdict = st.column_verdict("broken", **shares)
            return {**base, "status": "broken", "drifted": verdict.drifted,
                    "drift_score": verdict.drift_score, "reason": "no finite recent value"}
        n_ref = int(ref.get("count", len(a)))
        test = st.auto_test("numeric", n_ref)
        num = st.numeric_statistics(a, b)
        statistic = num.ks_statistic if test == "ks" else num.wasserstein_norm
        verdict = st.column_verdict("tested", test, statistic=statistic, p_value=num.ks_p_value,
                                    distance=num.wasserstein_norm,
                                    distance_name="wasserstein_norm", **shares)
        return {**base, "status": "tested", "test": test, "statistic": statistic,
                "p_value": num.ks_p_value, "distance": num.wasserstein_norm,
                "distance_name": "wasserstein_norm", "psi": num.psi,
                "threshold": verdict.threshold, "reference_count": n_ref,
                "current_count": int(len(b)), "exact": bool(ref.get("exact", True)),
                "drifted": verdict.drifted, "drift_score": verdict.drift_score}

    def _categorical(self, base: dict[str, Any], ref: dict[str, Any],
                     values: list[Any]) -> dict[str, Any]:
        ref_counts: dict[str, int] = ref["counts"]
        cur_counts: dict[str, int] = {}
        for v in values:
            if v is None or (type(v) is float and math.isnan(v)):
                continue
            key = label(v)
            cur_counts[key] = cur_counts.get(key, 0) + 1
        labels = list(ref_counts) + [k for k in cur_counts if k not in ref_counts]
        r = np.array([ref_counts.get(k, 0) for k in labels], dtype=np.int64)
        c = np.array([cur_counts.get(k, 0) for k in labels], dtype=np.int64)
        n_ref = int(r.sum())
        test = st.auto_test("categorical", n_ref)
        cat = st.categorical_statistics(r, c)
        statistic = cat.chi2_statistic if test == "chisquare" else cat.jensenshannon
        verdict = st.column_verdict(
            "tested", test, statistic=statistic, p_value=cat.chi2_p_value,
            distance=cat.jensenshannon, distance_name="jensenshannon",
            missing=(base["reference_missing"], base["current_missing"]))
        unseen = [labels[i] for i in st.unseen_order(r, c)]
        return {**base, "status": "tested", "test": test, "statistic": statistic,
                "p_value": cat.chi2_p_value, "distance": cat.jensenshannon,
                "distance_name": "jensenshannon", "psi": cat.psi,
                "threshold": verdict.threshold, "reference_count": n_ref,
                "current_count": int(c.sum()), "unseen_categories": unseen[:MAX_UNSEEN_LISTED],
                "n_unseen": len(unseen), "drifted": verdict.drifted,
                "drift_score": verdict.drift_score}
