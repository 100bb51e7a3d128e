"""Benchmark: the lab extension's ``GET mlops/api/runs`` over 10,000 runs, through a real
``jupyter server`` over HTTP, side by side with MLflow's ``runs/search`` REST endpoint.

    python benchmarks/bench_lab_api.py [--runs N] [--reps N] [--no-peer]

Ours: N runs (10 params p0..p9, 5 metrics m0..m4 with 5 steps each; p0 in a/b/c) written in
one transaction of the store's tables (the store's write API), under a temp server root;
a ``jupyter server`` (this interpreter's, with the installed extension) started on it; then
each query timed as the panel sends it (first page of 200, keep-alive HTTP connection,
token header), median of --reps after a warm-up:

- ``default``: newest first;
- ``order``: ``order=metrics.m1 DESC``;
- ``filter+order``: ``filter=metrics.m0 > 0.5 and params.p0 = 'a'``, ordered by m1;
- ``or-filter``: ``metrics.m0 > 0.5 or params.p0 = 'a'`` ordered by ``params.p1`` (not
  expressible in SQL exactly: the runs' few named columns are filtered in the frame);
- ``status``: the change token the panel polls every second.

Rows carry min/max/latest and the number of steps of every metric. Target: < 100 ms.
MLflow: ``mlflow_lab_api_peer.py`` in benchmarks/.venv-mlflow (peer_env.py): the same runs
through MlflowClient.log_batch, ``mlflow server`` on them, ``POST runs/search`` with
max_results=200 and the same filter/order (MLflow returns the latest value only; it has no
OR). Results: a table on stdout and ``benchmarks/_work/lab_api.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
MLFLOW_REQUIREMENTS = ["mlflow==3.17.0"]
TOKEN = "bench-token"
QUERIES = {
    "default": {},
    "order": {"order": "metrics.m1 DESC"},
    "filter+order": {"filter": "metrics.m0 > 0.5 and params.p0 = 'a'",
                     "order": "metrics.m1 DESC"},
    "or-filter": {"filter": "metrics.m0 > 0.5 or params.p0 = 'a'", "order": "params.p1 DESC"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_data(n_runs: int, steps: int = 5, seed: int = 0) -> list[dict]:
    """Runs as plain dicts; the peer builds the same ones from the same seed."""
    rng = random.Random(seed)
    runs = []
    for i in range(n_runs):
        params = {"p0": rng.choice("abc"), **{f"p{j}": round(rng.random(), 6) for j in range(1, 10)}}
        metrics = {f"m{j}": [rng.random() for _ in range(steps)] for j in range(5)}
        runs.append({"id": uuid.UUID(int=rng.getrandbits(128)).hex, "name": f"run-{i}",
                     "params": params, "metrics": metrics, "duration": rng.random()})
    return runs


def write_runs(store_dir: Path, runs: list[dict]) -> float:
    """Write ``runs`` into the store at ``store_dir`` in one transaction; seconds taken."""
    from mlops_jupyter.store import open_store
    from mlops_jupyter.store import schema as t

    store = open_store(str(store_dir))
    t0 = time.perf_counter()
    start = time.time() - len(runs)
    rows, params, metrics, latest = [], [], [], []
    with store.write() as conn:
        experiment = store.experiment_id(conn, "bench")
        for i, run in enumerate(runs):
            begin = start + i
            rows.append({"id": run["id"], "experiment_id": experiment, "name": run["name"],
                         "status": "FINISHED", "start_time": begin,
                         "end_time": begin + run["duration"], "notebook_path": "bench.ipynb"})
            params += [{"run_id": run["id"], "key": k, "value": v}
                       for k, v in run["params"].items()]
            for key, values in run["metrics"].items():
                metrics += [{"run_id": run["id"], "key": key, "value": v, "step": s,
                             "timestamp": begin + s} for s, v in enumerate(values)]
                latest.append({"run_id": run["id"], "key": key, "value": values[-1],
                               "step": len(values) - 1, "timestamp": begin + len(values) - 1})
        conn.execute(t.runs.insert(), rows)
        conn.execute(t.params.insert(), params)
        conn.execute(t.metrics.insert(), metrics)
        conn.execute(t.latest_metrics.insert(), latest)
    return time.perf_counter() - t0


def start_server(root: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_STORE"}
    home = root.parent / "home"
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "rt"))
    return subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}",
         "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", "--allow-root",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
         "--ServerApp.jpserver_extensions={'mlops_jupyter': True}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed_get(conn: http.client.HTTPConnection, path: str, params: dict) -> tuple[float, dict]:
    query = urllib.parse.urlencode(params)
    t0 = time.perf_counter()
    conn.request("GET", f"/mlops/api/{path}?{query}", headers={"Authorization": f"token {TOKEN}"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - t0
    if response.status != 200:
        raise RuntimeError(f"GET {path} {params}: {response.status} {body[:300]!r}")
    return elapsed, json.loads(body)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc): load-robust, unlike wall
    time on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_ours(n_runs: int, reps: int, workdir: Path) -> dict:
    root = workdir / "root"
    root.mkdir(parents=True)
    write_s = write_runs(root / ".mlops", make_data(n_runs))
    port = free_port()
    server = start_server(root, port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        deadline = time.monotonic() + 120
        while True:
            try:
                timed_get(conn, "status", {})
                break
            except (ConnectionError, OSError, http.client.HTTPException):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("jupyter server did not start") from None
                time.sleep(0.5)
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        results = {"write_s": write_s}
        for name, params in {**QUERIES, "status": None}.items():
            path, query = ("status", {}) if params is None else ("runs", {**params, "limit": 200})
            timed_get(conn, path, query)  # warm-up
            times = []
            cpu0 = cpu_seconds(server.pid)
            for _ in range(reps):
                elapsed, body = timed_get(conn, path, query)
                times.append(elapsed)
            cpu = (cpu_seconds(server.pid) - cpu0) / reps
            results[name] = {"median_ms": statistics.median(times) * 1000,
                             "min_ms": min(times) * 1000, "server_cpu_ms": cpu * 1000,
                             "total": body.get("total", body.get("runs"))}
            if params is not None:
                first = body["runs"][0]["metrics"]["m1"]
                assert set(first) == {"latest", "min", "max", "steps"} and first["steps"] == 5
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp:
        ours = bench_ours(args.runs, args.reps, Path(tmp))
    peer = None
    if not args.no_peer:
        from peer_env import run_peer

        with tempfile.TemporaryDirectory(prefix="bench-lab-mlflow-") as tmp:
            peer = run_peer("mlflow", MLFLOW_REQUIREMENTS, HERE / "mlflow_lab_api_peer.py",
                            tmp, str(args.runs), str(args.reps))
    print(f"GET runs over {args.runs:,} runs (first page of 200, median of {args.reps}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"{'query':<14}{'ours ms':>10}{'(min)':>8}{'server CPU ms':>15}{'MLflow ms':>12}"
          f"{'ratio':>8}  matching runs")
    for name in [*QUERIES, "status"]:
        mine = ours[name]["median_ms"]
        theirs = (peer or {}).get(name, {}).get("median_ms")
        ratio = f"{theirs / mine:.1f}x" if theirs else "-"
        shown = f"{theirs:.1f}" if theirs else "-"
        print(f"{name:<14}{mine:>10.1f}{ours[name]['min_ms']:>8.1f}"
              f"{ours[name]['server_cpu_ms']:>15.1f}{shown:>12}{ratio:>8}  {ours[name]['total']}")
    out = {"runs": args.runs, "reps": args.reps, "python": platform.python_version(),
           "loadavg": os.getloadavg(), "ours": ours, "mlflow": peer}
    (WORK / "lab_api.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
