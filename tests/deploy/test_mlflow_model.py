"""An exported package is an MLflow model: ``mlflow.pyfunc.load_model(package)`` loads it
through the package's own loader (mlflow_loader.py: skops under the manifest's trust list)
and predicts what the in-notebook model predicts.

MLflow is not a dependency of this project nor of a package: it is installed with the
package's requirements.txt into a venv of its own (uv), where mlops_jupyter is not
installed, and driven there in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from venv_helpers import build_venv

from mlops_jupyter.deploy import mlmodel

pytestmark = pytest.mark.slow

MLFLOW = "mlflow-skinny>=3,<4"

# Runs in the MLflow venv: loads each package, predicts the frame given as JSON, and checks
# that MLflow's own schema check (from the signature) names a missing column.
SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import mlflow, pandas as pd
try:
    import mlops_jupyter
    sys.exit("mlops_jupyter is importable in the MLflow venv")
except ImportError:
    pass
out = {}
for folder, frame in json.load(open(sys.argv[1])).items():
    data = pd.DataFrame(frame["data"], columns=frame["columns"]).astype(frame["dtypes"])
    model = mlflow.pyfunc.load_model(folder)
    schema = model.metadata.get_input_schema()
    try:
        model.predict(data.drop(columns=[data.columns[-1]]))
        missing = None
    except Exception as exc:
        missing = f"{type(exc).__name__}: {exc}"
    out[folder] = {
        "predictions": model.predict(data).tolist(),
        "loader": model.loader_module,
        "inputs": [[c.name, c.type.name] for c in schema.inputs],
        "outputs": [c.type.name for c in model.metadata.get_output_schema().inputs],
        "missing_column": missing,
        "mlflow": mlflow.__version__,
    }
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def mlflow_venv(tmp_path_factory, exported):
    """MLflow (skinny: no server, no UI) and the package's requirements, nothing else."""
    requirements = exported["classifier"].folder / "requirements.txt"
    assert requirements.read_text() == (exported["regressor"].folder
                                        / "requirements.txt").read_text()
    venv = build_venv(tmp_path_factory.mktemp("mlflow") / "venv", MLFLOW, "-r",
                      str(requirements))
    print(f"\nMLflow venv built in {venv.seconds:.1f} s")
    return venv


def frame_json(X) -> dict:
    return {"columns": list(X.columns), "dtypes": {c: str(t) for c, t in X.dtypes.items()},
            "data": [[v.item() if hasattr(v, "item") else v for v in row]
                     for row in X.itertuples(index=False)]}


def test_mlflow_loads_the_package_and_predicts_what_the_model_predicts(
        exported, mlflow_venv, tmp_path):
    frames = {str(e.folder): frame_json(e.X) for e in exported.values()}
    request = tmp_path / "frames.json"
    request.write_text(json.dumps(frames))
    started = time.perf_counter()
    done = subprocess.run([str(mlflow_venv.python), "-c", SCRIPT, str(request)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=mlflow_venv.env())
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"load + predict in the MLflow venv: {time.perf_counter() - started:.1f} s")
    answers = json.loads(done.stdout.strip().splitlines()[-1])

    clf, reg = exported["classifier"], exported["regressor"]
    got = answers[str(clf.folder)]
    assert got["mlflow"].startswith("3.")
    assert got["loader"] == "mlflow_loader"
    expected = clf.model.predict(clf.X)
    assert expected.dtype.kind in "UO"  # string class labels
    assert got["predictions"] == expected.tolist()
    assert got["inputs"] == [[c, "double"] for c in clf.X.columns[:-1]] + [["region", "string"]]
    assert got["outputs"] == ["string"]  # what spark_udf takes as its result type
    assert "region" in got["missing_column"]  # MLflow enforces the signature

    got = answers[str(reg.folder)]
    np.testing.assert_allclose(got["predictions"], reg.model.predict(reg.X), rtol=0,
                               atol=1e-12)
    assert dict(got["inputs"])["batch"] == "long"
    assert got["outputs"] == ["double"]
    assert "batch" in got["missing_column"]


def test_the_loader_refuses_another_module_named_like_the_runtimes(exported, tmp_path):
    """MLflow finds the runtime's modules by plain name (``code: .``): a "predictor" module
    imported earlier in the process must not stand in for the package's."""
    folder = exported["classifier"].folder
    (tmp_path / "predictor.py").write_text(
        "class Predictor: pass\nclass InputError(Exception): pass\n")
    script = ("import sys; sys.path.insert(0, sys.argv[2]); import predictor; "
              "sys.path.insert(0, sys.argv[1]); import mlflow_loader")
    done = subprocess.run([sys.executable, "-c", script, str(folder), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert "ImportError" in done.stderr and str(tmp_path / "predictor.py") in done.stderr
    ok = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                         "import mlflow_loader; m = mlflow_loader._load_pyfunc(sys.argv[1]); "
                         "print(m.predictor.classes)", str(folder)],
                        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "setosa" in ok.stdout


def test_mlmodel_files_are_in_the_package_and_hashed(exported):
    folder = exported["classifier"].folder
    manifest = json.loads((folder / "mlops-model.json").read_text())
    for name in ("MLmodel", "python_env.yaml", "conda.yaml", "mlflow_loader.py"):
        assert name in manifest["files"], name
    text = (folder / "MLmodel").read_text()
    assert "loader_module: mlflow_loader" in text and 'code: "."' in text
    assert "-r requirements.txt" in (folder / "python_env.yaml").read_text()
    pins = [line.split("#")[0].strip()
            for line in (folder / "requirements.txt").read_text().splitlines()]
    yaml = pytest.importorskip("yaml")  # PyYAML, what MLflow reads conda.yaml with
    conda = yaml.safe_load((folder / "conda.yaml").read_text())
    pip_section = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict))
    assert pip_section == [pin for pin in pins if pin]


def test_yaml_strings_round_trip_through_a_yaml_loader():
    yaml = pytest.importorskip("yaml")  # PyYAML, what MLflow reads MLmodel with
    names = ["plain", "3.10", "yes", "a: b", 'quote " and \\ back', "tab\there", "naïve",
             "emoji \U0001F600", "-r requirements.txt", "", "null", "#hash", "new\nline"]
    text = "\n".join(mlmodel._yaml({"values": names, "nested": {"k": names[1]}}))
    assert yaml.safe_load(text) == {"values": names, "nested": {"k": "3.10"}}


def test_a_column_mlflow_has_no_type_for_leaves_the_signature_out():
    manifest = {"input_schema": {"columns": [
        {"name": "a", "kind": "numeric", "dtype": "float64"},
        {"name": "b", "kind": "other", "dtype": "object"}]},
        "output_schema": {"predict": {"dtype": "int64", "shape": [-1]}}}
    assert mlmodel.signature(manifest) is None
    manifest["input_schema"]["columns"].pop()
    sig = mlmodel.signature(manifest)
    assert json.loads(sig["inputs"]) == [{"type": "double", "name": "a", "required": True}]
    assert json.loads(sig["outputs"]) == [{"type": "long", "required": True}]
