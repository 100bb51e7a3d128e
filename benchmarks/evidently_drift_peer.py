"""Peer half of bench_drift.py: Evidently 0.7 DataDriftPreset on the same parquet files.

Runs inside benchmarks/.venv-evidently (evidently==0.7.23, pandas<3). Prints one JSON line:
seconds for Report.run, seconds for save_html, the HTML size, and Evidently's verdict.

usage: evidently_drift_peer.py REF.parquet CUR.parquet OUT.html
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    ref_path, cur_path, html_path = sys.argv[1:4]
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    reference = pd.read_parquet(ref_path)
    current = pd.read_parquet(cur_path)

    started = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(current, reference)  # (current, reference) order
    run_seconds = time.perf_counter() - started

    started = time.perf_counter()
    snapshot.save_html(html_path)
    html_seconds = time.perf_counter() - started

    drifted, share = [], None
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif config.get("type", "").endswith("ValueDrift"):
            value, threshold = float(metric["value"]), float(config.get("threshold", 0.1))
            is_p_value = "p_value" in config.get("method", "").lower()  # KS / chi-square
            if (value < threshold) if is_p_value else (value >= threshold):
                drifted.append(config["column"])
    print(json.dumps({
        "tool": "evidently",
        "run_seconds": run_seconds,
        "html_seconds": html_seconds,
        "seconds": run_seconds + html_seconds,
        "html_bytes": os.path.getsize(html_path),
        "share_drifted": share,
        "drifted_columns": sorted(drifted),
    }))


if __name__ == "__main__":
    main()
