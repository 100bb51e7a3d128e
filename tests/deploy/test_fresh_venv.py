"""An exported package served from a virtual environment built only from its
requirements.txt (uv, this project not installed, no PYTHONPATH): ``python serve.py`` in the
package folder answers /predict and V2 infer with the in-notebook model's predictions."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def records(X) -> list[dict]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in X.to_dict("records")]


def v2_inputs(X) -> list[dict]:
    """One input per column: FP64 floats, INT64 integers, BYTES strings."""
    inputs = []
    for name, series in X.items():
        datatype = {"f": "FP64", "i": "INT64"}.get(series.dtype.kind, "BYTES")
        inputs.append({"name": name, "shape": [len(series)], "datatype": datatype,
                       "data": series.tolist()})
    return inputs


def test_the_venv_holds_only_the_requirements(exported, package_venv):
    pins = [line.split("#")[0].strip().lower() for line in
            (exported["classifier"].folder / "requirements.txt").read_text().splitlines()]
    installed = [d.lower() for d in package_venv.distributions()]
    assert set(pins) <= set(installed), (pins, installed)
    assert not any(d.startswith(("mlops-jupyter", "mlops_jupyter")) for d in installed)
    probe = subprocess.run([str(package_venv.python), "-c", "import mlops_jupyter"],
                           capture_output=True, text=True, env=package_venv.env(), timeout=60)
    assert probe.returncode != 0 and "No module named 'mlops_jupyter'" in probe.stderr
    size = package_venv.installed_bytes()
    print(f"\npackage venv: built in {package_venv.seconds:.1f} s, site-packages "
          f"{size / 2**20:.0f} MiB, {len(installed)} distributions: {', '.join(installed)}")
    assert size < 400 * 2**20  # the pinned scientific stack only, nothing like MLflow's GBs


def test_predict_and_v2_infer_equal_the_in_notebook_predictions(exported, fresh_servers):
    for name, item in exported.items():
        server, model, X = fresh_servers[name], item.model, item.X
        expected = model.predict(X)
        reply = server.post("/predict", records(X))
        assert reply.status == 200, (name, reply.body, server.log()[-2000:])
        body = reply.json()
        if name == "classifier":
            assert body["predictions"] == expected.tolist()
            assert body["classes"] == model.classes_.tolist()
            np.testing.assert_allclose(body["probabilities"], model.predict_proba(X),
                                       rtol=0, atol=1e-12)
        else:
            np.testing.assert_allclose(body["predictions"], expected, rtol=0, atol=1e-12)

        reply = server.post(f"/v2/models/{item.name}/infer",
                            {"id": f"fresh-{name}", "inputs": v2_inputs(X)})
        assert reply.status == 200, (name, reply.body)
        answer = reply.json()
        assert answer["id"] == f"fresh-{name}" and answer["model_name"] == item.name
        predict = next(o for o in answer["outputs"] if o["name"] == "predict")
        assert predict["shape"] == [len(X)]
        if name == "classifier":
            assert predict["datatype"] == "BYTES" and predict["data"] == expected.tolist()
        else:
            assert predict["datatype"] == "FP64"
            np.testing.assert_allclose(predict["data"], expected, rtol=0, atol=1e-12)
        print(f"{name}: ready {server.ready_after:.2f} s after start")
