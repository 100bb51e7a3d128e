"""Peer half of bench_lab_api.py: MLflow's runs/search REST endpoint over the same runs, in
benchmarks/.venv-mlflow.

    python mlflow_lab_api_peer.py WORKDIR N REPS

The runs of bench_lab_api.make_data (same seed) written with MlflowClient.log_batch into a
``sqlite:///`` store, then ``mlflow server`` on it and ``POST /api/2.0/mlflow/runs/search``
(max_results=200) timed with the same filters and orders, median of REPS after a warm-up.
Prints one JSON object as its last stdout line.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
QUERIES = {  # MLflow has no OR: the or-filter is left out
    "default": {},
    "order": {"order_by": ["metrics.m1 DESC"]},
    "filter+order": {"filter": "metrics.m0 > 0.5 and params.p0 = 'a'",
                     "order_by": ["metrics.m1 DESC"]},
}


def main() -> None:
    from bench_lab_api import make_data
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    workdir, n_runs, reps = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("bench")
    t0 = time.perf_counter()
    now = int(time.time() * 1000)
    for run in make_data(n_runs):
        created = client.create_run(experiment, run_name=run["name"])
        rid = created.info.run_id
        client.log_batch(rid, params=[Param(k, str(v)) for k, v in run["params"].items()],
                         metrics=[Metric(k, v, now + s, s) for k, values in run["metrics"].items()
                                  for s, v in enumerate(values)])
        client.set_terminated(rid)
    write_s = time.perf_counter() - t0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri, "--host",
         "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("GET", "/health")
                health = conn.getresponse()
                health.read()
                if health.status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("mlflow server did not start")
            time.sleep(0.5)
        results = {"write_s": write_s}
        for name, extra in QUERIES.items():
            body = json.dumps({"experiment_ids": [experiment], "max_results": 200, **extra})
            times = []
            for rep in range(reps + 1):
                t0 = time.perf_counter()
                conn.request("POST", "/api/2.0/mlflow/runs/search", body=body,
                             headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    raise RuntimeError(f"{name}: {response.status} {data[:300]!r}")
                if rep:
                    times.append(time.perf_counter() - t0)
            results[name] = {"median_ms": statistics.median(times) * 1000,
                             "min_ms": min(times) * 1000,
                             "returned": len(json.loads(data).get("runs", []))}
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(results))


if __name__ == "__main__":
    os.environ.setdefault("MLFLOW_TRACKING_URI", "")
    main()
