"""Peer half of bench_drift_scale.py: Evidently's Spark engine on the same Parquet files.

Runs inside benchmarks/.venv-evidently-spark (evidently==0.7.23, pandas<3, pyspark, pyarrow,
psutil). Evidently 0.7 keeps its Spark engine in the legacy API only
(``evidently.legacy.spark.engine.SparkEngine``; the new ``evidently.Report`` has no engine), so
this is the legacy ``Report([DataDriftTable()]).run(..., engine=SparkEngine)`` on two Spark
DataFrames read with ``spark.read.parquet`` on ``local[N]``. Evidently's defaults pick the
tests: normalised Wasserstein for numeric columns, Jensen-Shannon for categorical ones (more
than 1,000 reference rows), threshold 0.1.

Timed: from reading the Parquet files to the finished report (Spark session start-up
reported apart). Memory: this process (the Python driver) and the JVM it starts (and any
Python workers), sampled every 0.2 s with psutil; peak RSS per process. Prints one JSON line.

usage: evidently_spark_drift_peer.py REF_GLOB CUR_GLOB [--master local[2]] [--driver-memory 4g]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import warnings


class TreeSampler(threading.Thread):
    """Peak RSS (MB) of this process and each of its descendants, labelled by role."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process()
        self.interval = interval
        self.peaks: dict[int, tuple[str, float]] = {}
        self.done = threading.Event()

    def sample(self) -> None:
        import psutil

        for p in [self.root, *self.root.children(recursive=True)]:
            try:
                rss = p.memory_info().rss / 2**20
                exe = p.cmdline()[0] if p.cmdline() else ""
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            role = ("driver" if p.pid == self.root.pid else "jvm" if exe.endswith("java")
                    else "python_worker")
            self.peaks[p.pid] = (role, max(rss, self.peaks.get(p.pid, (role, 0.0))[1]))

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.sample()

    def result(self) -> dict[str, list[int]]:
        self.done.set()
        self.join()
        roles: dict[str, list[int]] = {}
        for role, rss in self.peaks.values():
            roles.setdefault(role, []).append(round(rss))
        return {role: sorted(values) for role, values in roles.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="4g")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    os.environ["PYSPARK_PYTHON"] = sys.executable

    sampler = TreeSampler()
    sampler.start()
    t0 = time.perf_counter()
    import evidently
    import pyspark
    from evidently.legacy.metrics import DataDriftTable
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report
    from evidently.legacy.spark.engine import SparkEngine
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master(args.master).appName("evidently_spark_drift")
             .config("spark.ui.enabled", "false")
             .config("spark.driver.memory", args.driver_memory).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    reference = spark.read.parquet(args.reference)
    current = spark.read.parquet(args.current)
    # the benchmark's columns: n* float64, c* strings (pandas categoricals in the files)
    mapping = ColumnMapping(
        numerical_features=[c for c in reference.columns if c.startswith("n")],
        categorical_features=[c for c in reference.columns if c.startswith("c")],
    )
    report = Report(metrics=[DataDriftTable()])
    report.run(reference_data=reference, current_data=current, column_mapping=mapping,
               engine=SparkEngine)
    result = report.as_dict()["metrics"][0]["result"]
    seconds = time.perf_counter() - started
    rows = (reference.count(), current.count())
    spark.stop()
    drifted = sorted(name for name, col in result["drift_by_columns"].items()
                     if col["drift_detected"])
    tests = sorted({col["stattest_name"] for col in result["drift_by_columns"].values()})
    print(json.dumps({
        "tool": "evidently-spark",
        "evidently": evidently.__version__,
        "pyspark": pyspark.__version__,
        "master": args.master,
        "seconds": seconds,
        "startup_s": started - t0,
        "rows": rows,
        "n_columns": result["number_of_columns"],
        "n_drifted": result["number_of_drifted_columns"],
        "drifted_columns": drifted,
        "stattests": tests,
        "peak_rss_mb": sampler.result(),
    }))


if __name__ == "__main__":
    main()
