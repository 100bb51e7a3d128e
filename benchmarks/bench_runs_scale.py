"""Benchmark: ``mj.runs(filter, order_by, limit=100)`` and the whole runs table over 100,000
runs (10 params, 5 metrics each) on SQLite and PostgreSQL, side by side with MLflow's
``search_runs`` on the same runs.

    python benchmarks/bench_runs_scale.py [--runs N] [--mlflow-runs N] [--reps N]
                                          [--no-postgres] [--no-peer]

Ours: the runs of ``bench_lab_api.make_data`` (p0 in a/b/c, p1..p9 numbers, m0..m4 one
value each) written with the store's batch write (``bench_lab_api.write_runs``: one
transaction of the store's tables) into an embedded store and into a PostgreSQL database
(``MLOPS_BENCH_POSTGRES`` = a server URL such as ``postgresql+psycopg://postgres@host:5432``,
else a throwaway server is started with Debian's initdb/pg_ctl as the tests do). Each query
is timed in process through ``mj.runs`` (median of --reps after a warm-up; PostgreSQL is
ANALYZEd after the load, as autovacuum does).  Targets:
limit=100 queries < 0.5 s, the whole table < 5 s.

MLflow (``mlflow_runs_scale_peer.py`` in benchmarks/.venv-mlflow, see peer_env.py): writing
a run costs MLflow ~10 ms (create_run + log_batch + set_terminated), so it gets the first
--mlflow-runs of the same runs in a ``sqlite:///`` store; ``search_runs(max_results=100,
filter_string, order_by)`` and all runs (``mlflow.search_runs``)
(MLflow fetches them page by page) are timed, and ours is timed again on a store of the same count for the ratio. MLflow has
no ``or`` and no ``not``: those rows have no peer. Results: a table on stdout and
``benchmarks/_work/runs_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
MLFLOW_REQUIREMENTS = ["mlflow==3.17.0"]
# name: (our filter, order_by, MLflow's filter or None when it cannot say it, MLflow's order)
QUERIES = {
    "no filter": (None, None, "", None),
    "metric > x": ("metrics.m0 > 0.5", None, "metrics.m0 > 0.5", None),
    "param or metric": ("metrics.m0 > 0.9 or params.p0 = 'a'", None, None, None),
    "not": ("not (metrics.m1 < 0.5)", None, None, None),
    "order metric": (None, "metrics.m1 DESC", "", ["metrics.m1 DESC"]),
    "order param": (None, "params.p1 DESC", "", ["params.p1 DESC"]),
    "filter+order": ("metrics.m0 > 0.5 and params.p0 = 'a'", "metrics.m1 DESC",
                     "metrics.m0 > 0.5 and params.p0 = 'a'", ["metrics.m1 DESC"]),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str | None:
    import glob

    found = shutil.which(name)
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found or (candidates[-1] if candidates else None)


class Postgres:
    """A throwaway PostgreSQL server (as tests/conftest.py's postgres_server starts one)."""

    def __init__(self) -> None:
        initdb, self.pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not self.pg_ctl:
            raise SystemExit("PostgreSQL binaries not found: apt-get install postgresql, or set "
                             "MLOPS_BENCH_POSTGRES, or pass --no-postgres")
        self.base = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.data, sock = self.base / "data", self.base / "sock"
        sock.mkdir()
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            for path in (self.base, sock):
                shutil.chown(path, "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*self.prefix, initdb, "-D", str(self.data), "-U", "postgres", "-A",
                        "trust", "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        port = free_port()
        subprocess.run([*self.prefix, self.pg_ctl, "start", "-D", str(self.data), "-l",
                        str(self.base / "log"), "-w", "-t", "60", "-o",
                        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"],
                       check=True, capture_output=True)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"

    def stop(self) -> None:
        subprocess.run([*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def new_database(server: str) -> str:
    import sqlalchemy as sa

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{server}/{name}"


def time_ours(spec: str, reps: int, whole_reps: int) -> dict:
    import mlops_jupyter as mj

    mj.set_store(spec)
    out = {}
    for name, (filter, order, _, _) in QUERIES.items():
        frame = mj.runs(filter=filter, order_by=order, limit=100)  # warm-up
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            mj.runs(filter=filter, order_by=order, limit=100)
            times.append(time.perf_counter() - t0)
        out[name] = {"median_s": statistics.median(times), "rows": len(frame)}
    times = []
    for _ in range(whole_reps):
        t0 = time.perf_counter()
        frame = mj.runs()
        times.append(time.perf_counter() - t0)
    out["whole table"] = {"median_s": statistics.median(times), "rows": len(frame),
                          "columns": frame.shape[1]}
    mj.set_store(None)
    return out


def write(spec: str, runs: list[dict], artifacts: Path) -> float:
    from bench_lab_api import write_runs

    os.environ["MLOPS_ARTIFACTS"] = artifacts.as_uri()
    seconds = write_runs(spec, runs)
    if spec.startswith("postgresql"):
        # What autovacuum does within a minute of a bulk load: without statistics the
        # planner guesses, and the first minute after a load is not what a team lives with.
        import sqlalchemy as sa

        engine = sa.create_engine(spec, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()
    return seconds


def main() -> None:
    from bench_lab_api import make_data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--mlflow-runs", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--whole-reps", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    runs = make_data(args.runs, steps=1)
    results: dict = {"runs": args.runs, "python": platform.python_version(),
                     "cpus": os.cpu_count()}
    server = None
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        tmp_path = Path(tmp)
        specs = {"SQLite": str(tmp_path / "embedded")}
        if not args.no_postgres:
            url = os.environ.get("MLOPS_BENCH_POSTGRES")
            if not url:
                server = Postgres()
                url = server.url
            specs["PostgreSQL"] = new_database(url)
        try:
            for backend, spec in specs.items():
                write_s = write(spec, runs, tmp_path / f"blobs-{backend}")
                print(f"[{backend}] wrote {args.runs:,} runs in {write_s:.1f} s", file=sys.stderr)
                results[backend] = {"write_s": write_s,
                                    **time_ours(spec, args.reps, args.whole_reps)}
            if not args.no_peer:
                from peer_env import run_peer

                small = str(tmp_path / "small")
                write(small, runs[:args.mlflow_runs], tmp_path / "blobs-small")
                results["SQLite, MLflow's count"] = time_ours(small, args.reps,
                                                              args.whole_reps)
                data = tmp_path / "runs.json"
                data.write_text(json.dumps(runs[:args.mlflow_runs]))
                peer_dir = tmp_path / "mlflow"
                peer_dir.mkdir()
                results["MLflow"] = run_peer(
                    "mlflow", MLFLOW_REQUIREMENTS, HERE / "mlflow_runs_scale_peer.py",
                    str(peer_dir), str(data), str(args.reps),
                    json.dumps({k: [v[2], v[3]] for k, v in QUERIES.items()}))
        finally:
            if server is not None:
                server.stop()
    report(results, args)
    (WORK / "runs_scale.json").write_text(json.dumps(results, indent=2))


def report(results: dict, args) -> None:
    print(f"mj.runs over {args.runs:,} runs (10 params, 5 metrics), limit=100, median of "
          f"{args.reps}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    backends = [b for b in ("SQLite", "PostgreSQL") if b in results]
    peer = results.get("MLflow")
    head = f"{'query':<18}" + "".join(f"{b + ' s':>14}" for b in backends)
    if peer:
        n = peer["runs"]
        head += f"{f'ours@{n:,} s':>16}{f'MLflow@{n:,} s':>18}{'MLflow/ours':>13}"
    print(head + f"{'target':>9}")
    for name in [*QUERIES, "whole table"]:
        line = f"{name:<18}"
        target = 5.0 if name == "whole table" else 0.5
        ok = True
        for b in backends:
            value = results[b][name]["median_s"]
            ok = ok and value < target
            line += f"{value:>14.3f}"
        if peer:
            mine = results["SQLite, MLflow's count"][name]["median_s"]
            theirs = (peer.get(name) or {}).get("median_s")
            line += f"{mine:>16.3f}" + (f"{theirs:>18.3f}{theirs / mine:>12.1f}x"
                                        if theirs else f"{'-':>18}{'-':>13}")
        print(line + f"{'< ' + str(target):>9} {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
