"""Every curl line of docs/deploy.md, run with the real curl against a served package of the
page's churn model, answers the status and the body shown under it.

The page's convention: a ```bash block holding one curl command, followed by a fenced block
with the example answer. An answer starting with ``HTTP/1.1 NNN`` expects that status (and
the header lines shown); otherwise a 2xx. A JSON answer must have the same keys as the real
one and the same values for the keys in ``SAME_VALUES``; a text answer is the same text, or,
for Prometheus lines, the same series. ``localhost:8000`` is the page's
``mlops-jupyter serve`` command (run as written, on a free port); ``localhost:8080`` is its
Vertex AI command (run as written, with a free port as ``AIP_HTTP_PORT``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ci_rules import missing
from serving_helpers import Server, free_port

import mlops_jupyter as mj
from mlops_jupyter.deploy.layout import RUNTIME_DIR

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
STATUS_LINE = re.compile(r"^HTTP/1\.1 (\d{3})")
SAME_VALUES = ("model", "version", "predictions", "classes", "id", "live", "ready", "name",
               "versions", "model_name", "model_version", "parameters", "error", "missing",
               "unexpected", "columns", "expected_columns", "inputs", "status", "n_reference")


def churn_frame() -> tuple[pd.DataFrame, pd.Series]:
    """The customers of example_notebooks/deploy.ipynb (the same seed and rules)."""
    rng = np.random.default_rng(7)
    n = 4000
    customers = pd.DataFrame({
        "tenure_months": rng.integers(1, 73, n).astype(float),
        "monthly_charges": rng.normal(70, 20, n).clip(20, 130).round(2),
        "support_calls": rng.poisson(1.5, n).astype(float),
        "plan": rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.3, 0.2]),
    })
    logit = (-0.06 * customers.tenure_months + 0.03 * customers.monthly_charges
             + 0.6 * customers.support_calls - 0.8 * (customers.plan == "premium") - 1.0)
    churned = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="churned")
    return customers, churned


def export_churn() -> Path:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    customers, churned = churn_frame()
    X_train, _, y_train, _ = train_test_split(customers, churned, test_size=0.25,
                                              random_state=0, stratify=churned)
    numeric = ["tenure_months", "monthly_charges", "support_calls"]
    model = Pipeline([
        ("prep", ColumnTransformer([("num", StandardScaler(), numeric),
                                    ("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])])),
        ("clf", LogisticRegression(max_iter=1000)),
    ])
    with mj.start_run("churn-logreg", experiment="churn") as run:
        mj.snapshot(X_train, "X_train", role="train")
        run.log_model(model.fit(X_train, y_train), "model")
    mj.register(run.id, "churn", description="monthly churn risk of a customer")
    mj.promote("churn", 1, "Production")
    return mj.export("churn@Production")


# --------------------------------------------------------------------------- the page


def blocks(text: str) -> list[tuple[str, str, int, int]]:
    """Fenced blocks: (language, body, start, end offsets)."""
    return [(m[1], m[2], m.start(), m.end()) for m in FENCE.finditer(text)]


def curl_examples(text: str) -> list[tuple[str, str]]:
    """(curl command, example answer) in page order."""
    found = blocks(text)
    examples = []
    for i, (lang, body, _start, end) in enumerate(found):
        if lang != "bash" or "curl " not in body:
            continue
        assert body.count("curl ") == 1, f"one curl command per block:\n{body}"
        assert i + 1 < len(found) and not text[end:found[i + 1][2]].strip(), \
            f"no example answer right under:\n{body}"
        examples.append((body.strip(), found[i + 1][1]))
    return examples


def command_line(text: str, pattern: str) -> str:
    lines = [line for _l, body, _s, _e in blocks(text) for line in body.splitlines()
             if re.search(pattern, line)]
    assert len(lines) == 1, (pattern, lines)
    return lines[0].split("#")[0].strip()


# --------------------------------------------------------------------------- answers


def split_http(raw: bytes) -> tuple[int | None, list[str], str]:
    """(status, header lines, body) of curl -i output; (None, [], text) without -i."""
    text = raw.decode("utf-8", errors="replace")
    if not text.startswith("HTTP/"):
        return None, [], text
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.splitlines()
    return int(lines[0].split()[1]), [h.lower() for h in lines[1:]], body


def documented(answer: str) -> tuple[int | None, list[str], str]:
    match = STATUS_LINE.match(answer)
    if not match:
        return None, [], answer
    head, _, body = answer.partition("\n\n")
    return int(match[1]), [h.lower() for h in head.splitlines()[1:]], body


def series(text: str) -> set[str]:
    """Prometheus sample names with their labels (values differ run to run)."""
    return {line.rsplit(" ", 1)[0] for line in text.splitlines()
            if line.strip() and not line.startswith("#")}


def compare_bodies(doc_body: str, real_body: str) -> list[str]:
    doc_body, real_body = doc_body.strip(), real_body.strip()
    try:
        doc_json = json.loads(doc_body) if doc_body else None
    except ValueError:
        doc_json = None
    if doc_json is not None:
        real = json.loads(real_body)
        if not isinstance(doc_json, dict):
            return [] if doc_json == real else [f"answer {real!r}"]
        problems = []
        if set(doc_json) != set(real):
            problems.append(f"keys {sorted(real)} (page: {sorted(doc_json)})")
        for key in SAME_VALUES:
            if key in doc_json and key in real and doc_json[key] != real[key] \
                    and not (key == "columns" and isinstance(real[key], list)):  # drift rows
                problems.append(f"{key} = {real[key]!r} (page: {doc_json[key]!r})")
        if "outputs" in doc_json:
            names = [o["name"] for o in real.get("outputs", [])]
            if names != [o["name"] for o in doc_json["outputs"]]:
                problems.append(f"outputs {names}")
        return problems
    if doc_body.startswith("# ") or "mlops_" in doc_body:  # Prometheus text
        missing = series(doc_body) - series(real_body)
        return [f"series not served: {sorted(missing)}"] if missing else []
    return [] if doc_body == real_body else [f"answer {real_body!r}"]


def run_curl(command: str, ports: dict[str, int], cwd: Path, out: Path) -> tuple[int, bytes]:
    for name, port in ports.items():
        command = command.replace(name, f"127.0.0.1:{port}")
    assert command.rstrip().split("|")[-1].lstrip().startswith("curl "), command
    command = f"{command} -o {shlex.quote(str(out))} -w '%{{http_code}}'"
    done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    return int(done.stdout.strip()), out.read_bytes()


# --------------------------------------------------------------------------- servers


def wait_ready(server: Server, path: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"the server exited:\n{log.read_text()}")
        try:
            if server.get(path, timeout=2).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"not ready in 120 s:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the serve CLI passes it on to serve.py
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_every_curl_line_of_the_deploy_page_answers_as_shown(tmp_path):
    if shutil.which("curl") is None:
        missing("curl is not installed (apt-get install curl)")
    text = DOC.read_text(encoding="utf-8")
    examples = curl_examples(text)
    assert len(examples) >= 25, len(examples)  # every endpoint, format and error class
    package = export_churn()
    assert package == (tmp_path / "exports" / "churn-v1").resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "AIP_"))}

    # the page's serve command, as written, on a free port
    serve_line = command_line(text, r"^mlops-jupyter serve exports/\S+ .*--port 8000")
    argv = shlex.split(serve_line)
    port_a = free_port()
    argv[argv.index("--port") + 1] = str(port_a)
    log_a = tmp_path / "serve-cli.log"
    with open(log_a, "wb") as log:
        cli = subprocess.Popen([sys.executable, "-m", "mlops_jupyter.cli", *argv[1:]],
                               cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    # the page's Vertex AI command, as written, with a free port
    vertex_line = command_line(text, r"AIP_PREDICT_ROUTE=.*python serve.py serve")
    words = shlex.split(vertex_line)
    aip = dict(w.split("=", 1) for w in words if re.match(r"^AIP_\w+=", w))
    assert aip["AIP_HTTP_PORT"] == "8080" and words[-3:] == ["python", "serve.py", "serve"]
    port_b = free_port()
    log_b = tmp_path / "serve-vertex.log"
    with open(log_b, "wb") as log:
        vertex = subprocess.Popen(
            [sys.executable, "serve.py", "serve", "--host", "127.0.0.1"], cwd=package,
            env={**env, **aip, "AIP_HTTP_PORT": str(port_b)}, stdout=log,
            stderr=subprocess.STDOUT)
    try:
        wait_ready(Server(cli, port_a, log_a, 0.0), "/v2/health/ready", log_a)
        wait_ready(Server(vertex, port_b, log_b, 0.0), aip["AIP_HEALTH_ROUTE"], log_b)
        ports = {"localhost:8000": port_a, "localhost:8080": port_b}
        failures = []
        for n, (command, answer) in enumerate(examples):
            status, raw = run_curl(command, ports, tmp_path, tmp_path / f"answer-{n}")
            want_status, want_headers, want_body = documented(answer)
            got_status, got_headers, body = split_http(raw)
            problems = []
            if got_status is not None and got_status != status:
                problems.append(f"curl -i shows {got_status}, -w {status}")
            if want_status is None:
                if not 200 <= status < 300:
                    problems.append(f"status {status}")
            elif status != want_status:
                problems.append(f"status {status} (page: {want_status})")
            problems += [f"no header {h!r}" for h in want_headers if h not in got_headers]
            problems += compare_bodies(want_body, body)
            if problems:
                failures.append(f"{command}\n  " + "\n  ".join(problems)
                                + f"\n  real answer: {body[:600]}")
        assert not failures, "\n\n".join(failures)

        # the Logs section shows the fields of the real log lines
        logs = text.split("\n## Logs\n", 1)[1]
        request_doc, loaded_doc = (json.loads(b) for lang, b, _s, _e in blocks(logs)[:2]
                                   if lang == "json")
        lines = [json.loads(line) for line in log_a.read_text().splitlines()
                 if line.startswith("{")]
        request = next(r for r in lines if r.get("path") == "/predict" and r["status"] == 200)
        loaded = next(r for r in lines if r.get("event") == "model loaded")
        assert set(request) == set(request_doc)
        assert set(loaded) == set(loaded_doc)
        assert request_doc["route"] == request["route"] and loaded_doc["model"] == "churn"
    finally:
        stop(cli)
        stop(vertex)
    assert not server_answers(port_a) and not server_answers(port_b)

    # the MLServer settings shown are the package's own
    mlserver = next(json.loads(b) for lang, b, _s, _e in blocks(text)
                    if lang == "json" and '"implementation"' in b)
    assert mlserver == json.loads((package / "model-settings.json").read_text())


def server_answers(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --------------------------------------------------------------------------- the package's README


def test_the_package_readme_curl_lines_work_against_its_example_model(iris_server):
    """The README copied into every package calls an iris model "iris" version 3: the
    conftest's ``iris_server``. Every curl line of it answers 2xx (``-f``: an HTTP error
    fails the line)."""
    if shutil.which("curl") is None:
        missing("curl is not installed (apt-get install curl)")
    readme = (RUNTIME_DIR / "README.md").read_text(encoding="utf-8")
    scripts = [body for lang, body, _s, _e in blocks(readme) if lang == "bash" and "curl " in body]
    assert sum(s.count("curl ") for s in scripts) >= 8
    for script in scripts:
        script = script.replace("localhost:8000", f"127.0.0.1:{iris_server.port}")
        script = script.replace("curl -s ", "curl -sSf -o /dev/null ")
        done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"{script}\n{done.stderr}"


def test_the_package_readme_says_how_to_install_run_and_containerise_it():
    readme = (RUNTIME_DIR / "README.md").read_text(encoding="utf-8")
    commands = "\n".join(body for lang, body, _s, _e in blocks(readme) if lang == "bash")
    for needed in ("python -m venv", "pip install -r requirements.txt", "python serve.py --host",
                   "python serve.py serve", "docker build", "docker run"):
        assert needed in commands, needed
    # every option of serve.py is explained
    source = (RUNTIME_DIR / "serve.py").read_text(encoding="utf-8")
    options = set(re.findall(r'add_argument\("(--[\w-]+)"', source))
    assert len(options) >= 8, options
    assert not [o for o in options if f"`{o}" not in readme], options
    # the examples are of another model: the reader is told where this one's inputs are
    assert "this package's inputs" in " ".join(readme.split()).lower()
