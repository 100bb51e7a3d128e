"""Benchmark: serving one model three ways on this machine, the same client for all three.

    .venv/bin/python benchmarks/bench_serve.py [--requests 2000] [--seconds 10] [--starts 3]
                                               [--no-peer] [--report-only]

The model: ``StandardScaler + LogisticRegression`` fitted on load_breast_cancer (a DataFrame,
30 numeric columns, seeded split; ``mlflow_serve_peer.make_data``/``make_pipeline``, so both
sides fit the same model with the same scikit-learn). Served, one worker each:

(a) ours: the model tracked in a run (training snapshot + ``log_model``) in a temporary
    store and exported with ``mj.export`` (the user's path: parity check, fast path,
    requirements.txt), then started with ``python serve.py --port P`` from a throwaway venv
    (``_work/serve/venv-ours``, uv) built only from the package's ``requirements.txt``, as a
    deployment would (this project not installed there). Without uv: this venv's Python.
(b) MLflow 3.17.0: ``mlflow models serve -m DIR --env-manager local -p P -w 1`` from
    ``benchmarks/.venv-mlflow`` (peer_env.py), the model saved there with
    ``mlflow.sklearn.save_model`` with a signature and an input example (``mlflow_serve_peer.py``).
    MLflow 3 serves a FastAPI app on uvicorn.
(c) bare: a plain ASGI callable that reads the body and returns a constant JSON, on the
    same uvicorn in the same venv as ours: the floor of this machine and server setup.

Every request body is the same for the three: ``{"dataframe_records": [one test row]}``
(MLflow's format, which ours accepts too), POST to /predict (ours), /invocations (MLflow), /
(bare), the rows taken in turn from the test split. The client is Python ``http.client`` with
one keep-alive connection per thread. Measured:

- latency: ``--requests`` sequential single-row requests after 200 warm-up ones: p50, p99;
- throughput: 4 client threads, each its own keep-alive connection, for ``--seconds``;
- cold start: process start to the first 200 from the ready route (ours /v2/health/ready,
  MLflow /ping, bare /), polled every 10 ms, median of ``--starts`` starts;
- installed size: ours = the package folder + the site-packages of venv-ours (without uv:
  the installed files of the requirements' distributions and their dependencies, from
  importlib.metadata); MLflow = the size of .venv-mlflow's site-packages;
- the model's own one-row predict time in-process, no HTTP: ``json.loads`` of the body +
  ``pd.DataFrame(records)`` + ``pipeline.predict`` (what the floor uses), and our runtime's
  parse + predict (``payloads.batch_from_json`` + ``Predictor.predict``, probabilities too,
  as the server runs it: the NumPy fast path when the export wrote one).

Targets (issue 10): ours p50 <= 1.5 x (bare p50 + model predict), ours throughput >= 5 x
MLflow's, ours cold start < 1 s. Responses differ in what they carry: ours returns predictions,
class labels and probabilities, MLflow predictions only. Predictions over HTTP are checked
against the in-process ones on both sides. Single-threaded BLAS on all sides. Not a test (CI
does not run it). Results: a table on stdout and ``benchmarks/_work/serve.json``.
"""

from __future__ import annotations

import os

THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}
os.environ.update(THREAD_ENV)  # before NumPy is imported, here and in every server

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
SERVE_WORK = WORK / "serve"
MLFLOW_REQUIREMENTS = ["mlflow==3.17.0"]  # shared with bench_tracking.py / bench_snapshot.py
WARMUP = 200
CLIENTS = 4

BARE_APP = '''"""The floor: an ASGI app that reads the body and returns a constant."""
BODY = b'{"predictions": [0]}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
'''

sys.path.insert(0, str(HERE))
from mlflow_serve_peer import make_data, make_pipeline  # noqa: E402
from peer_env import peer_python  # noqa: E402

# --------------------------------------------------------------------------- helpers


def loadavg() -> list[str] | None:
    p = Path("/proc/loadavg")
    return p.read_text().split()[:3] if p.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def dir_size(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def distribution_closure(requirements: list[str]) -> list[str]:
    """The installed distributions ``requirements`` need, dependencies included (no extras)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: dict[str, str] = {}
    todo = list(requirements)
    while todo:
        name = canonicalize_name(Requirement(todo.pop()).name)
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = f"{dist.metadata['Name']}=={dist.version}"
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(str(req))
    return sorted(seen.values(), key=str.lower)


def package_venv(requirements: Path) -> Path | None:
    """The python of a throwaway venv holding only ``requirements`` (uv); None without uv."""
    uv = shutil.which("uv")
    if uv is None:
        return None
    venv = SERVE_WORK / "venv-ours"
    shutil.rmtree(venv, ignore_errors=True)
    try:
        subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True,
                       timeout=120)
        # compiled, as pip (and so a Docker build) does: the timed starts must not compile
        subprocess.run([uv, "pip", "install", "-q", "--compile-bytecode", "-p",
                        str(venv / "bin" / "python"), "-r", str(requirements)], check=True,
                       timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"[serve] throwaway venv failed ({exc}); serving from this venv, sizes from "
              "importlib.metadata", file=sys.stderr)
        return None
    return venv / "bin" / "python"


def site_packages(python: Path) -> Path:
    return next((python.parent.parent / "lib").glob("python*/site-packages"))


def distribution_size(pin: str) -> int:
    from importlib import metadata

    dist = metadata.distribution(pin.split("==")[0])
    total = 0
    for f in dist.files or []:
        p = Path(dist.locate_file(f))
        if p.is_file():
            total += p.stat().st_size
    return total


# --------------------------------------------------------------------------- servers


class Proc:
    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], log: Path):
        self.log = log
        self.started = time.perf_counter()
        with open(log, "wb") as out:
            # own session: `mlflow models serve` starts uvicorn as a child; stop() ends the group
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        else:  # the leader exited; its children may not have
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass


def wait_ready(proc: Proc, port: int, path: str, timeout: float = 180) -> float:
    """Seconds from process start to the first 200 on ``path``."""
    deadline = proc.started + timeout
    while time.perf_counter() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.proc.returncode}:\n"
                               f"{proc.log.read_text(errors='replace')[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                return time.perf_counter() - proc.started
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.01)
    proc.stop()
    raise RuntimeError(f"not ready in {timeout} s:\n{proc.log.read_text(errors='replace')[-3000:]}")


def server_specs(package: Path, ours_python: Path, mlflow_model: Path | None,
                 mlflow_python: Path | None) -> dict:
    """name -> (argv builder(port), cwd, env, ready path, predict path)."""
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("MLOPS_", "AIP_")) and k != "PYTHONPATH"}
    base_env.update(THREAD_ENV)
    specs = {}
    # ours: the package's own venv, no PYTHONPATH (the package imports nothing of this project)
    specs["ours"] = (lambda port: [str(ours_python), "serve.py", "--port", str(port)],
                     package, base_env, "/v2/health/ready", "/predict")
    if mlflow_model is not None:
        env = dict(base_env)
        env["PATH"] = f"{mlflow_python.parent}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(mlflow_python.parent.parent)
        mlflow_cli = mlflow_python.parent / "mlflow"
        specs["mlflow"] = (lambda port: [str(mlflow_cli), "models", "serve", "-m",
                                         str(mlflow_model), "--env-manager", "local",
                                         "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
                           SERVE_WORK, env, "/ping", "/invocations")
    specs["bare"] = (lambda port: [str(ours_python), "-m", "uvicorn", "bare_app:app",
                                   "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                   "--no-access-log", "--log-level", "warning"],
                     SERVE_WORK, base_env, "/", "/")
    return specs


# --------------------------------------------------------------------------- client


class Client:
    """One keep-alive connection; POST a JSON body, return (status, body)."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json"}

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.conn.request("POST", path, body=body, headers=self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def close(self) -> None:
        self.conn.close()


def latency(port: int, path: str, bodies: list[bytes], n: int) -> dict:
    client = Client(port)
    try:
        for i in range(WARMUP):
            status, _ = client.post(path, bodies[i % len(bodies)])
            assert status == 200, status
        times = []
        bad = 0
        for i in range(n):
            body = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            status, _ = client.post(path, body)
            times.append(time.perf_counter() - t0)
            bad += status != 200
    finally:
        client.close()
    return {"p50_ms": percentile(times, 50) * 1e3, "p99_ms": percentile(times, 99) * 1e3,
            "mean_ms": statistics.fmean(times) * 1e3, "n": n, "errors": bad}


def throughput(port: int, path: str, bodies: list[bytes], seconds: float) -> dict:
    counts = [0] * CLIENTS
    errors = [0] * CLIENTS
    stop = threading.Event()
    start = threading.Barrier(CLIENTS + 1)

    def worker(k: int) -> None:
        client = Client(port)
        try:
            client.post(path, bodies[k])  # connect before the clock starts
            start.wait()
            i = k
            while not stop.is_set():
                status, _ = client.post(path, bodies[i % len(bodies)])
                counts[k] += 1
                errors[k] += status != 200
                i += CLIENTS
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"req_s": sum(counts) / elapsed, "requests": sum(counts), "seconds": elapsed,
            "errors": sum(errors), "clients": CLIENTS}


def predictions_over_http(port: int, path: str, bodies: list[bytes]) -> list:
    client = Client(port)
    try:
        out = []
        for body in bodies:
            status, reply = client.post(path, body)
            assert status == 200, (status, reply[:300])
            out.extend(json.loads(reply)["predictions"])
        return out
    finally:
        client.close()


def bench_server(name: str, spec, bodies: list[bytes], args, check: list | None) -> dict:
    argv_for, cwd, env, ready, path = spec
    starts = []
    result: dict = {}
    for i in range(args.starts):
        port = free_port()
        proc = Proc(argv_for(port), cwd, env, SERVE_WORK / f"{name}-{i}.log")
        try:
            starts.append(wait_ready(proc, port, ready))
            print(f"[serve] {name}: ready in {starts[-1]:.2f} s", file=sys.stderr)
            if i == args.starts - 1:  # measure on the last one
                if check is not None:
                    got = predictions_over_http(port, path, bodies)
                    result["predictions_match"] = got == check
                result["latency"] = latency(port, path, bodies, args.requests)
                print(f"[serve] {name}: p50 {result['latency']['p50_ms']:.2f} ms",
                      file=sys.stderr)
                result["throughput"] = throughput(port, path, bodies, args.seconds)
                print(f"[serve] {name}: {result['throughput']['req_s']:.0f} req/s",
                      file=sys.stderr)
        finally:
            proc.stop()
    result["cold_start_s"] = statistics.median(starts)
    result["cold_starts_s"] = starts
    return result


# --------------------------------------------------------------------------- in-process


def in_process(package: Path, model, bodies: list[bytes], n: int) -> dict:
    import pandas as pd

    def timed(fn) -> float:
        for body in bodies[:50]:
            fn(body)
        times = []
        for i in range(n):
            body = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            fn(body)
            times.append(time.perf_counter() - t0)
        return percentile(times, 50) * 1e3

    def plain(body: bytes):
        return model.predict(pd.DataFrame(json.loads(body)["dataframe_records"]))

    sys.path.insert(0, str(package))  # the runtime's modules (payloads, predictor, ...)
    try:
        import payloads
        from predictor import Predictor

        predictor = Predictor(package, lazy=True)  # as the server loads it

        def runtime(body: bytes):
            batch, _ = payloads.batch_from_json(payloads.parse_json(body), predictor)
            return predictor.predict(batch)

        return {"model_predict_ms": timed(plain), "runtime_predict_ms": timed(runtime),
                "runtime_path": predictor.path}
    finally:
        sys.path.remove(str(package))


# --------------------------------------------------------------------------- report


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def report(results: dict) -> list[dict]:
    s = results["servers"]
    ours, mlf, bare = s.get("ours", {}), s.get("mlflow"), s.get("bare", {})
    inproc = results["in_process"]
    floor = bare["latency"]["p50_ms"] + inproc["model_predict_ms"]
    rows = []

    def lat(d, key):
        return d["latency"][key] if d else None

    def thr(d):
        return d["throughput"]["req_s"] if d else None

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    def size_mb(key):
        v = results["sizes"].get(key)
        return None if v is None else v / 1e6

    rows.append(("p50 latency, 1 row (ms)", lat(ours, "p50_ms"), lat(mlf, "p50_ms"),
                 lat(bare, "p50_ms"), ratio(lat(mlf, "p50_ms"), lat(ours, "p50_ms")),
                 f"<= 1.5 x floor ({1.5 * floor:.2f})",
                 lat(ours, "p50_ms") <= 1.5 * floor))
    rows.append(("p99 latency, 1 row (ms)", lat(ours, "p99_ms"), lat(mlf, "p99_ms"),
                 lat(bare, "p99_ms"), ratio(lat(mlf, "p99_ms"), lat(ours, "p99_ms")), "", None))
    rows.append((f"throughput, {CLIENTS} clients (req/s)", thr(ours), thr(mlf), thr(bare),
                 ratio(thr(ours), thr(mlf)), ">= 5 x MLflow",
                 None if mlf is None else thr(ours) >= 5 * thr(mlf)))
    rows.append(("cold start to ready (s)", ours.get("cold_start_s"),
                 mlf and mlf["cold_start_s"], bare.get("cold_start_s"),
                 ratio(mlf and mlf["cold_start_s"], ours.get("cold_start_s")), "< 1 s",
                 ours.get("cold_start_s", 99) < 1.0))
    rows.append(("installed size (MB)", size_mb("ours"), size_mb("mlflow"), None,
                 ratio(size_mb("mlflow"), size_mb("ours")), "info", None))
    rows.append(("model predict in-process, 1 row (ms)", inproc["runtime_predict_ms"], None,
                 None, None, f"plain sklearn: {inproc['model_predict_ms']:.3f}", None))
    out = []
    print()
    print(f"floor = bare p50 {bare['latency']['p50_ms']:.3f} ms + model predict "
          f"{inproc['model_predict_ms']:.3f} ms = {floor:.3f} ms")
    print("| measure | ours | MLflow 3.17 | bare uvicorn | MLflow/ours (ours/MLflow for req/s) "
          "| target | verdict |")
    print("|---|---|---|---|---|---|---|")
    for name, o, m, b, r, target, ok in rows:
        digits = 0 if "req/s" in name or "MB" in name else (3 if "predict" in name else 2)
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        rtxt = "-" if r is None else f"{r:.1f}x"
        print(f"| {name} | {fmt(o, digits)} | {fmt(m, digits)} | {fmt(b, digits)} | {rtxt} "
              f"| {target} | {verdict} |")
        out.append({"measure": name, "ours": o, "mlflow": m, "bare": b, "ratio": r,
                    "target": target, "verdict": verdict})
    sizes = results["sizes"]
    how = ("a throwaway uv venv" if sizes.get("venv_site_packages") is not None
           else "importlib.metadata")
    print(f"\nours installed: package folder {sizes['package_folder'] / 1e3:.0f} kB + "
          f"site-packages {(sizes['ours'] - sizes['package_folder']) / 1e6:.0f} MB ({how}) "
          f"for {', '.join(sizes['requirements'])}")
    fast = results.get("fast_path") or {}
    print(f"\nfast path: {fast.get('file') or 'none'} "
          f"({fast.get('reason') or ', '.join(fast.get('steps', []))})")
    checks = {k: v.get("predictions_match") for k, v in s.items() if "predictions_match" in v}
    print(f"\npredictions over HTTP equal in-process: {checks}; runtime path: "
          f"{inproc['runtime_path']}; load (1/5/15 min) before {results['load_before']} "
          f"after {results['load_after']}")
    return out


# --------------------------------------------------------------------------- the package


def export_package(X_train, y_train) -> tuple[Path, object]:
    """The pipeline fitted in a tracked run of a temporary store and exported with mj.export
    into _work/serve/package; (package folder, fitted model)."""
    store = SERVE_WORK / "store"
    shutil.rmtree(store, ignore_errors=True)
    os.environ["MLOPS_STORE"] = str(store)
    os.environ.pop("MLOPS_ARTIFACTS", None)
    sys.path.insert(0, str(ROOT))
    import mlops_jupyter as mj

    model = make_pipeline()
    with mj.start_run("bench_serve") as run:
        mj.snapshot(X_train, "breast_cancer_train", role="train")
        run.log_model(model.fit(X_train, y_train), "model")
    package = mj.export(run.id, SERVE_WORK / "package")
    mj.close_stores()
    return package, model


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="sequential requests")
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput duration")
    parser.add_argument("--starts", type=int, default=3, help="cold starts per server")
    parser.add_argument("--no-peer", action="store_true", help="skip MLflow")
    parser.add_argument("--report-only", action="store_true",
                        help="re-print the table from _work/serve.json")
    args = parser.parse_args()
    out_json = WORK / "serve.json"
    if args.report_only:
        report(json.loads(out_json.read_text()))
        return
    SERVE_WORK.mkdir(parents=True, exist_ok=True)
    results: dict = {"load_before": loadavg(), "python": platform.python_version(),
                     "cpus": os.cpu_count(), "args": vars(args)}

    X_train, X_test, y_train, _ = make_data()
    package, model = export_package(X_train, y_train)
    import sklearn

    results["versions"] = {"sklearn": sklearn.__version__}
    results["fast_path"] = json.loads((package / "mlops-model.json").read_text())["fast_path"]
    (SERVE_WORK / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    records = json.loads(X_test.to_json(orient="records"))
    bodies = [json.dumps({"dataframe_records": [r]}).encode() for r in records]
    expected = [int(v) for v in model.predict(X_test)]
    requirements = (package / "requirements.txt").read_text().split("\n")
    requirements = [line.split("#")[0].strip() for line in requirements
                    if line.split("#")[0].strip()]
    ours_python = package_venv(package / "requirements.txt")
    results["ours_python"] = str(ours_python or sys.executable)

    mlflow_model = mlflow_python = None
    if not args.no_peer:
        mlflow_python = peer_python("mlflow", MLFLOW_REQUIREMENTS)
        mlflow_model = SERVE_WORK / "mlflow-model"
        out = subprocess.run([str(mlflow_python), str(HERE / "mlflow_serve_peer.py"),
                              str(mlflow_model)], check=True, capture_output=True, text=True,
                             env={**os.environ, **THREAD_ENV})
        peer = json.loads(out.stdout.strip().splitlines()[-1])
        results["versions"].update(mlflow=peer["mlflow"], peer_sklearn=peer["sklearn"])
        results["peer_fit_matches"] = peer["predictions"] == expected

    results["in_process"] = in_process(package, model, bodies, args.requests)
    print(f"[serve] in-process: {results['in_process']}", file=sys.stderr)

    specs = server_specs(package, ours_python or Path(sys.executable), mlflow_model,
                         mlflow_python)
    results["servers"] = {}
    for name in ("bare", "ours", "mlflow"):
        if name in specs:
            check = expected if name != "bare" else None
            results["servers"][name] = bench_server(name, specs[name], bodies, args, check)

    results["sizes"] = {"package_folder": dir_size(package), "requirements": requirements}
    if ours_python is not None:
        results["sizes"]["venv_site_packages"] = dir_size(site_packages(ours_python))
    else:
        pins = distribution_closure(requirements)
        results["sizes"]["runtime_distributions"] = {p: distribution_size(p) for p in pins}
        results["sizes"]["venv_site_packages"] = None
    results["sizes"]["ours"] = results["sizes"]["package_folder"] + (
        results["sizes"]["venv_site_packages"]
        if results["sizes"]["venv_site_packages"] is not None
        else sum(results["sizes"]["runtime_distributions"].values()))
    if mlflow_python is not None:
        results["sizes"]["mlflow"] = dir_size(site_packages(mlflow_python))
    results["load_after"] = loadavg()
    results["table"] = report(results)
    out_json.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {out_json}")


if __name__ == "__main__":
    main()
