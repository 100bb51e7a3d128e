"""mj.export: the package folder a tracked or registered model becomes, checked file by file,
served in a subprocess where mlops_jupyter cannot be imported, and the errors a user meets."""

from __future__ import annotations

import ast
import hashlib
import json
import tarfile

import numpy as np
import pytest
from serving_helpers import (
    iris_frame,
    iris_mixed_frame,
    mixed_pipeline,
    numeric_pipeline,
    start_server,
)

import mlops_jupyter as mj
from mlops_jupyter.deploy import export as export_module
from mlops_jupyter.deploy.layout import RUNTIME_FILES

PACKAGE_FILES = {*RUNTIME_FILES, "drift_statistics.py", "mlops-model.json", "model.skops",
                 "reference.json", "requirements.txt", "MODEL_CARD.md", "Dockerfile",
                 "kserve.yaml", "model-settings.json", "mlserver_runtime.py", "train.py",
                 ".dockerignore", "data/iris_train-v1.parquet"}


def tracked_run(frame, target, model, name="iris", snapshot=True):
    with mj.start_run(name) as run:
        if snapshot:
            mj.snapshot(frame, f"{name}_train", role="train")
        run.log_model(model.fit(frame, target), "model")
        run.log_metric("accuracy", 0.97)
        run.log_param("C", 1.0)
    return run


def files_of(folder):
    """Every file of the package, relative, as the manifest and the tarball name them."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def manifest_of(folder):
    return json.loads((folder / "mlops-model.json").read_text())


def test_export_a_run_writes_every_file_with_matching_hashes_and_parity(tmp_path):
    X, y = iris_frame()
    run = tracked_run(X, y, numeric_pipeline())
    folder = mj.export(run.id)

    assert folder == (tmp_path / "exports" / f"run-{run.id[:8]}").resolve()
    assert files_of(folder) >= PACKAGE_FILES
    assert not (folder / "__pycache__").exists()
    manifest = manifest_of(folder)
    assert set(manifest["files"]) == files_of(folder) - {"mlops-model.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert manifest["run_id"] == run.id and manifest["name"] == f"run-{run.id[:8]}"
    assert manifest["params"]["C"] == 1.0 and manifest["metrics"]["accuracy"] == 0.97
    assert manifest["training_data"]["fingerprint"] == mj.get_run(run.id).inputs[0][
        "fingerprint"]
    assert [c["name"] for c in manifest["input_schema"]["columns"]] == list(X.columns)
    assert manifest["output_schema"]["classes"] == [0, 1, 2]
    assert manifest["parity"] == {"rows": 20, "max_abs_diff": 0.0, "equal": True,
                                  "compared": ["predictions", "probabilities"]}
    stored = mj.get_run(run.id).artifact_bytes("model")
    assert (folder / "model.skops").read_bytes() == stored

    requirements = (folder / "requirements.txt").read_text().splitlines()
    names = [line.split("==")[0] for line in requirements]
    assert names == ["httptools", "numpy", "pandas", "scikit-learn", "scipy", "skops",
                     "uvicorn"]
    env = mj.get_run(run.id).environment["packages"]
    assert f"scikit-learn=={env['scikit-learn']}" in requirements

    with tarfile.open(folder.with_name(folder.name + ".tar.gz")) as tar:
        assert {m.name for m in tar.getmembers() if m.isfile()} == files_of(folder)


def test_no_file_of_the_package_imports_mlops_jupyter(tmp_path):
    X, y = iris_frame()
    folder = mj.export(tracked_run(X, y, numeric_pipeline()).id)
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "mlops_jupyter" for n in names), path.name


def test_a_registered_version_serves_the_models_predictions_without_mlops_jupyter(tmp_path):
    X, y = iris_mixed_frame()
    model = mixed_pipeline([c for c in X.columns if c != "region"])
    run = tracked_run(X, y, model, name="mixed")
    mj.register(run.id, "iris", description="iris species from flower sizes")
    mj.register(run.id, "iris")
    mj.promote("iris", 2, "Production")
    folder = mj.export("iris@Production", tmp_path / "out" / "iris")

    assert folder == (tmp_path / "out" / "iris").resolve()
    manifest = manifest_of(folder)
    assert (manifest["name"], manifest["version"]) == ("iris", "2")
    assert manifest["registered"]["stage"] == "Production"
    assert manifest["parity"]["equal"] is True
    region = next(c for c in manifest["input_schema"]["columns"] if c["name"] == "region")
    assert region["categories"] == ["east", "north", "south"]

    server = start_server(folder, tmp_path)  # mlops_jupyter unimportable in the server
    try:
        rows = json.loads(X.iloc[::7].to_json(orient="records", double_precision=15))
        reply = server.post("/predict", rows)
        assert reply.status == 200, reply.body
        loaded = mj.load_model("iris/2")
        expected = loaded.predict(X.iloc[::7])
        assert reply.json()["predictions"] == list(expected)
        assert server.get("/v2/models/iris/versions/2").status == 200
    finally:
        server.stop()


def test_default_folder_of_a_version_and_reexport_replaces_it(tmp_path):
    X, y = iris_frame()
    run = tracked_run(X, y, numeric_pipeline())
    mj.register(run.id, "iris")
    first = mj.export("iris/1")
    assert first == (tmp_path / "exports" / "iris-v1").resolve()
    (first / "stale.txt").write_text("old")
    again = mj.export("iris@latest")
    assert again == first and not (first / "stale.txt").exists()


def test_out_dir_holding_something_else_is_refused(tmp_path):
    X, y = iris_frame()
    run = tracked_run(X, y, numeric_pipeline())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(mj.InvalidValueError, match="not an exported package"):
        mj.export(run.id, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_errors_name_what_cannot_be_exported():
    X, y = iris_frame()
    with pytest.raises(mj.NotFoundError, match="cannot export 'nosuch/1'.*no registered model"):
        mj.export("nosuch/1")
    with pytest.raises(mj.NotFoundError, match="cannot export 'abcdef12'"):
        mj.export("abcdef12")
    with mj.start_run("empty") as empty:
        mj.log_metric("accuracy", 0.5)
    with pytest.raises(mj.NotFoundError, match=f"run 'empty' \\({empty.id[:8]}\\) has no model"):
        mj.export(empty.id)
    with pytest.raises(ZeroDivisionError), mj.start_run("broken") as broken:
        broken.log_model(numeric_pipeline().fit(X, y), "model")
        1 / 0  # noqa: B018
    with pytest.raises(mj.InvalidValueError, match="run 'broken'.*is FAILED"):
        mj.export(broken.id)
    no_data = tracked_run(X, y, numeric_pipeline(), name="nodata", snapshot=False)
    with pytest.raises(mj.NotFoundError, match="has no training snapshot"):
        mj.export(no_data.id)


def test_a_parity_failure_names_the_rows_and_keeps_the_folder(tmp_path, monkeypatch):
    X, y = iris_frame()
    run = tracked_run(X, y, numeric_pipeline())
    real = export_module.serve_and_predict

    def tampered(folder, rows):
        answer = real(folder, rows)
        answer["predictions"][3] = 99
        return answer

    monkeypatch.setattr(export_module, "serve_and_predict", tampered)
    with pytest.raises(mj.ExportError, match="differ from the model's in rows 3 of") as info:
        mj.export(run.id, tmp_path / "bad")
    assert info.value.rows == [3] and (tmp_path / "bad" / "model.skops").is_file()
    parity = manifest_of(tmp_path / "bad")["parity"]
    assert parity["equal"] is False and parity["differing_rows"] == [3]
    assert not (tmp_path / "bad.tar.gz").exists()


def test_requirements_add_model_libraries_only_when_the_file_names_them():
    env = {"packages": {"scikit-learn": "1.5.0", "numpy": "2.0.0", "xgboost": "2.1.0"}}
    plain = export_module.requirements(env, {"sklearn", "numpy"})
    assert "scikit-learn==1.5.0" in plain and "numpy==2.0.0" in plain
    assert not any(line.startswith("xgboost") for line in plain)
    assert "xgboost==2.1.0" in export_module.requirements(env, {"sklearn", "xgboost"})


def test_records_keep_floats_exact():
    import pandas as pd

    frame = pd.DataFrame({"a": [0.1 + 0.2, np.nan], "b": ["x", None]})
    assert export_module.records(frame) == [{"a": 0.30000000000000004, "b": "x"},
                                            {"a": None, "b": None}]


def test_model_card_and_deployment_files_describe_the_version(tmp_path):
    import yaml

    X, y = iris_frame()
    run = tracked_run(X, y, numeric_pipeline())
    mj.explain(mj.load_model(run.id), X, max_rows=30, run_id=run.id)
    mj.register(run.id, "iris", description="Iris species from flower sizes; a demo")
    mj.promote("iris", 1, "Staging")
    folder = mj.export("iris/1")

    card = (folder / "MODEL_CARD.md").read_text()
    for heading in ("Intended use", "Training data", "Parameters", "Metrics", "Top features",
                    "Drift baseline", "Environment", "Lineage", "Audit trail", "Parity check"):
        assert f"## {heading}\n" in card, heading
    assert "Iris species from flower sizes; a demo" in card
    fingerprint = manifest_of(folder)["training_data"]["fingerprint"]
    assert card.count(f"`{fingerprint}`") == 2  # training data and lineage
    assert "| petal length (cm) | float64 | numeric | 0 | mean 3.758" in card
    assert "| accuracy | 0.97 |" in card and "| C | 1 |" in card
    top = mj.get_run(run.id).tags["explain.top_features"].split(", ")[0]
    assert f"| {top} | " in card
    assert "| promote | 1 | {\"stage\": \"None\"} | {\"stage\": \"Staging\"} |" in card
    assert "- **Model version**: iris/1 (Staging)" in card
    assert "first 20 training rows with exactly the model's predictions" in card
    assert "**equal**" in card
    # the serving path: NumPy alone for this linear pipeline, as the manifest records it
    fast = manifest_of(folder)["fast_path"]
    assert "## Serving path\n" in card
    assert ("scored with NumPy alone from `fast_path.json` (`StandardScaler` → "
            "`LogisticRegression`)") in card
    assert f"on {fast['checked_rows']} training rows" in card

    docker = (folder / "Dockerfile").read_text()
    assert "FROM python:${PYTHON_VERSION}-slim" in docker and "\nUSER model\n" in docker
    assert "HEALTHCHECK" in docker and "/v2/health/ready" in docker
    assert 'ENTRYPOINT ["python", "serve.py"]\nCMD ["serve"]' in docker
    service = yaml.safe_load((folder / "kserve.yaml").read_text())
    assert service["kind"] == "InferenceService" and service["metadata"]["name"] == "iris"
    container = service["spec"]["predictor"]["containers"][0]
    assert container["args"] == ["serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    settings = json.loads((folder / "model-settings.json").read_text())
    assert settings["implementation"] == "mlserver_runtime.PackageModel"
    assert [i["name"] for i in settings["inputs"]] == list(X.columns)
    ast.parse((folder / "mlserver_runtime.py").read_text())


def test_model_card_of_a_run_id_says_it_is_not_registered(tmp_path):
    X, y = iris_frame()
    folder = mj.export(tracked_run(X, y, numeric_pipeline()).id)
    card = (folder / "MODEL_CARD.md").read_text()
    assert "Not described: register the model" in card
    assert "Not registered: exported from a run id" in card
    assert "No stored explanation" in card


def test_cli_export_and_serve(tmp_path, capsys):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from serving_helpers import Server, free_port

    from mlops_jupyter.cli import main

    X, y = iris_frame()
    run = tracked_run(X, y, numeric_pipeline())
    assert main(["export", run.id[:8], "--out", "pkg"]) == 0
    out = capsys.readouterr().out
    folder = (tmp_path / "pkg").resolve()
    assert f"to {folder}" in out and f"mlops-jupyter serve {folder}" in out
    assert (tmp_path / "pkg.tar.gz").is_file()
    assert main(["export", "nosuch/1"]) == 2
    assert "error: cannot export 'nosuch/1'" in capsys.readouterr().err
    assert main(["serve", str(tmp_path)]) == 2
    assert "is not an exported model package" in capsys.readouterr().err

    repo = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": repo}

    def default_sigint():  # a test run may have SIGINT ignored, which children inherit
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    for stop, code in ((signal.SIGINT, 130), (signal.SIGTERM, None)):
        port = free_port()
        cli = subprocess.Popen([sys.executable, "-m", "mlops_jupyter.cli", "serve", str(folder),
                                "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, preexec_fn=default_sigint)
        server = Server(cli, port, tmp_path / "unused.log", time.perf_counter())
        try:
            deadline = time.monotonic() + 60
            while True:
                assert cli.poll() is None, "mlops-jupyter serve exited"
                try:
                    if server.get("/v2/health/ready", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "not ready in 60 s"
                time.sleep(0.05)
            reply = server.post("/predict", json.loads(X.head(5).to_json(orient="records")))
            assert reply.json()["predictions"] == list(mj.load_model(run.id).predict(X.head(5)))
            cli.send_signal(stop)  # Ctrl-C in a terminal; SIGTERM from a supervisor
            returned = cli.wait(timeout=60)  # the CLI kills a server not gone in 10 s
            assert code is None or returned == code, returned
            time.sleep(0.5)
            with pytest.raises(OSError):  # the server went with it
                server.get("/v2/health/ready", timeout=2)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()


def test_export_magic(tmp_path):
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    X, y = iris_frame()
    run = tracked_run(X, y, numeric_pipeline())
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext mlops_jupyter")
    with capture_output() as io:
        result = shell.run_cell(f'folder = %export {run.id[:8]} --out "my pkg"')
    assert result.error_in_exec is None, result.error_in_exec
    folder = shell.user_ns["folder"]
    assert folder == (tmp_path / "my pkg").resolve() and (folder / "serve.py").is_file()
    assert f"serve it: python {folder / 'serve.py'}" in io.stdout
    with capture_output():
        result = shell.run_cell("%export nosuch@Production")
    assert isinstance(result.error_in_exec, UsageError)
    assert str(result.error_in_exec).startswith("%export: cannot export 'nosuch@Production'")
