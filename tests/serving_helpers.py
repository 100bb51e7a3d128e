"""Model packages built by hand (the layout deploy/export.py writes) and servers started on them.

Fixtures using these are in tests/deploy/conftest.py.

``build_package`` writes a package folder: the runtime files and drift_statistics.py copied
by ``deploy.layout.copy_runtime``, the model saved with skops, ``reference.json`` and
``mlops-model.json``. ``start_server`` runs ``python serve.py`` in that folder in a subprocess
on a free loopback port, with a PYTHONPATH that holds only an import blocker: any import of
mlops_jupyter in the server (the venv has it installed in editable mode) fails loudly.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlops_jupyter.deploy.layout import (
    MANIFEST_NAME,
    MODEL_NAME,
    REFERENCE_NAME,
    copy_runtime,
    input_schema,
    reference_profile,
)

BLOCKER = '''"""Test import blocker: a served package must not import mlops_jupyter."""
import sys


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "mlops_jupyter" or name.startswith("mlops_jupyter."):
            raise ModuleNotFoundError(f"the served package imported {name}")
        return None


sys.meta_path.insert(0, _Blocker())
'''


def iris_frame() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_iris

    X, y = load_iris(as_frame=True, return_X_y=True)
    return X, y


def iris_mixed_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """Iris plus a string column "region", string class labels (the BYTES paths)."""
    from sklearn.datasets import load_iris

    X, y = iris_frame()
    X = X.copy()
    X["region"] = np.random.default_rng(0).choice(["north", "south", "east"], len(X))
    return X, load_iris().target_names[y]


def numeric_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


def mixed_pipeline(numeric: list[str]):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer([("num", StandardScaler(), numeric),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"])])
    return Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=500))])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_package(dest: Path, model: Any, frame: pd.DataFrame, *, name: str,
                  version: str = "1", trusted: list[str] | None = None,
                  reject_unseen: tuple[str, ...] = ()) -> Path:
    """Write a servable package for a fitted ``model`` trained on ``frame`` into ``dest``."""
    import skops.io as sio

    dest.mkdir(parents=True, exist_ok=True)
    copy_runtime(dest)
    data = sio.dumps(model)
    (dest / MODEL_NAME).write_bytes(data)
    if trusted is None:
        trusted = sorted(sio.get_untrusted_types(data=data))
    reference = reference_profile(frame, model.predict(frame))
    (dest / REFERENCE_NAME).write_text(json.dumps(reference), encoding="utf-8")
    example = json.loads(frame.head(3).to_json(orient="records"))
    manifest = {
        "format_version": 1,
        "name": name,
        "version": version,
        "run_id": "0123456789abcdef0123456789abcdef",
        "created": "2026-01-01T00:00:00Z",
        "model": {"file": MODEL_NAME, "format": "skops", "trusted_types": trusted,
                  "class": f"{type(model).__module__}.{type(model).__qualname__}"},
        "input_schema": input_schema(frame, reject_unseen),
        "output_schema": {"predict": {"dtype": str(np.asarray(model.predict(frame)).dtype)}},
        "reference": {"file": REFERENCE_NAME, "rows": len(frame)},
        "input_example": example,
        "files": {p.name: _sha256(p) for p in sorted(dest.iterdir())
                  if p.is_file() and p.name != MANIFEST_NAME},
    }
    (dest / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return dest


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log_path: Path
    started: float  # perf_counter at process start
    ready_after: float = 0.0  # seconds from process start to the first 200 from the ready route

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             timeout: float = 30) -> Reply:
        headers = dict(headers or {})
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def server_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    blocker_dir = tmp / "blocker"
    blocker_dir.mkdir(exist_ok=True)
    (blocker_dir / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLOPS_", "AIP_")) and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(blocker_dir)  # the blocker only: never the repository
    env.update(extra or {})
    return env


def start_server(package: Path, tmp: Path, *args: str, port: int | None = None,
                 env: dict[str, str] | None = None, ready_path: str = "/v2/health/ready",
                 timeout: float = 90, python: str | Path | None = None) -> Server:
    """``python``: another interpreter (a venv of the package's own requirements), started
    with no PYTHONPATH at all; by default this one, with the import blocker on it."""
    port = port or free_port()
    log_path = tmp / f"server-{port}.log"
    argv = [str(python or sys.executable), "serve.py", *args]
    environment = server_env(tmp, env)
    if python is not None:
        environment.pop("PYTHONPATH", None)
    if "--port" not in args and "serve" not in args:
        argv += ["--port", str(port)]
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=package, env=environment, stdout=log,
                                stderr=subprocess.STDOUT)
    server = Server(proc, port, log_path, started)
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve.py exited with {proc.returncode}:\n{server.log()}")
        try:
            if server.get(ready_path, timeout=2).status == 200:
                server.ready_after = time.perf_counter() - started
                return server
        except OSError:
            pass
        time.sleep(0.02)
    server.stop()
    raise AssertionError(f"serve.py did not become ready in {timeout} s:\n{server.log()}")
