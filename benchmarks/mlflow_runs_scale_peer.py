"""Peer half of bench_runs_scale.py: MLflow's ``search_runs`` over the same runs, in
benchmarks/.venv-mlflow.

    python mlflow_runs_scale_peer.py WORKDIR RUNS_JSON REPS QUERIES_JSON

The runs (bench_lab_api.make_data's dicts) written with MlflowClient.log_batch into a
``sqlite:///`` store; then per query ``MlflowClient.search_runs(max_results=100,
filter_string, order_by)`` (queries with no MLflow filter are skipped), and the whole table
as ``mlflow.search_runs`` (a DataFrame; MLflow pages through the store), median of REPS
after a warm-up. Prints one JSON object as its last stdout line.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path


def main() -> None:
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    workdir, runs_json, reps = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    queries = json.loads(sys.argv[4])
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment = client.create_experiment("bench")
    runs = json.loads(runs_json.read_text())
    now = int(time.time() * 1000)
    t0 = time.perf_counter()
    for run in runs:
        rid = client.create_run(experiment, run_name=run["name"]).info.run_id
        client.log_batch(rid, params=[Param(k, str(v)) for k, v in run["params"].items()],
                         metrics=[Metric(k, v, now + s, s) for k, values in run["metrics"].items()
                                  for s, v in enumerate(values)])
        client.set_terminated(rid)
    results: dict = {"runs": len(runs), "write_s": time.perf_counter() - t0}

    def timed(call) -> tuple[float, int]:
        call()  # warm-up
        times, n = [], 0
        for _ in range(reps):
            t0 = time.perf_counter()
            n = len(call())
            times.append(time.perf_counter() - t0)
        return statistics.median(times), n

    for name, (filter_string, order_by) in queries.items():
        if filter_string is None:
            continue
        median, n = timed(lambda f=filter_string, o=order_by: client.search_runs(
            [experiment], filter_string=f, max_results=100, order_by=o))
        results[name] = {"median_s": median, "rows": n}
    median, n = timed(lambda: mlflow.search_runs([experiment]))
    results["whole table"] = {"median_s": median, "rows": n}
    print(json.dumps(results))


if __name__ == "__main__":
    os.environ.setdefault("MLFLOW_TRACKING_URI", "")
    main()
