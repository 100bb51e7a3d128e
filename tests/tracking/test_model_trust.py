"""Loading a model never runs code a crafted model file brings with it.

Each attack is a real skops file: a fitted model whose schema.json was edited so that one
attribute is built by a callable of the attacker's choosing, stored as a run's model artifact.
"""

from __future__ import annotations

import gc
import io
import json
import zipfile
from functools import partial

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import UntrustedTypesError


def _fitted_model_bytes() -> bytes:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
    return sio.dumps(LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1]))


def _json(value) -> dict:
    return {"__class__": type(value).__name__, "__module__": "builtins",
            "__loader__": "JsonNode", "content": json.dumps(value), "is_json": True}


def _tuple(*items) -> dict:
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
            "content": [_json(i) for i in items]}


def _with_attribute(data: bytes, attr: str, node: dict) -> bytes:
    """The skops file ``data`` with one more attribute on its top object, built by ``node``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    attrs = schema["content"]
    attrs["content"][attr] = node
    attrs["key_types"]["content"].append(
        {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            body = json.dumps(schema) if item == "schema.json" else src.read(item)
            dst.writestr(item, body)
    return out.getvalue()


def _store_model(data: bytes, with_training_data: bool = False) -> str:
    with mj.start_run("crafted") as run:
        if with_training_data:
            frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
            mj.snapshot(frame, "train", role="train")
        run.log_artifact(data, "model", kind="model")
    return run.id


def exec_attack(marker) -> bytes:
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    return _with_attribute(_fitted_model_bytes(), "payload", {
        "__class__": "exec", "__module__": "builtins", "__loader__": "ConstructorFromReduceNode",
        "content": _tuple(code),
    })


def test_model_reducing_through_builtins_exec_is_refused_by_load_model(tmp_path):
    marker = tmp_path / "pwned"
    run_id = _store_model(exec_attack(marker))
    with pytest.raises(UntrustedTypesError) as info:
        mj.load_model(run_id)
    assert not marker.exists(), "loading the model executed code from the file"
    assert info.value.types == ["builtins.exec"]
    message = str(info.value)
    assert "builtins.exec" in message and "trusted=['builtins.exec']" in message
    assert f"run {run_id[:8]}" in message and "'model'" in message


def test_model_reducing_through_builtins_exec_is_refused_by_explain(tmp_path):
    marker = tmp_path / "pwned"
    run_id = _store_model(exec_attack(marker), with_training_data=True)
    with pytest.raises(UntrustedTypesError, match="builtins.exec"):
        mj.explain(run_id)
    assert not marker.exists(), "mj.explain(run_id) executed code from the model file"
    # also through the record
    with pytest.raises(UntrustedTypesError):
        mj.get_run(run_id).load_model()
    assert not marker.exists()


def test_numpy_constructor_called_with_file_arguments_is_refused(tmp_path):
    # numpy.memmap(path, mode="w+") creates (or truncates) any file: a class from a trusted
    # package is not safe when the file decides the arguments it is called with.
    target = tmp_path / "clobbered"
    data = _with_attribute(_fitted_model_bytes(), "payload", {
        "__class__": "memmap", "__module__": "numpy", "__loader__": "ConstructorFromReduceNode",
        "content": _tuple(str(target), "uint8", "w+", 0, [4]),
    })
    run_id = _store_model(data)
    with pytest.raises(UntrustedTypesError) as info:
        mj.load_model(run_id)
    assert info.value.types == ["numpy.memmap"]
    assert not target.exists()


def test_numpy_class_with_a_finalizer_is_refused(tmp_path):
    # numpy's DataSource removes its ``_destpath`` folder when garbage collected: built from
    # the file's attributes, it deletes any folder once the model is dropped.
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "notes.txt").write_text("keep me")
    node = {
        "__class__": "DataSource", "__module__": "numpy.lib._datasource", "__loader__": "ObjectNode",
        "content": {
            "__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
            "content": {"_istmpdest": _json(True), "_destpath": _json(str(victim))},
            "key_types": {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                          "content": [{"__class__": "str", "__module__": "builtins",
                                       "__loader__": "TypeNode"}] * 2},
        },
    }
    run_id = _store_model(_with_attribute(_fitted_model_bytes(), "payload", node))
    with pytest.raises(UntrustedTypesError) as info:
        model = mj.load_model(run_id)
        del model
    gc.collect()
    assert (victim / "notes.txt").read_text() == "keep me"
    assert info.value.types == ["numpy.lib._datasource.DataSource"]


def test_functions_other_than_ufuncs_need_explicit_trust():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X = pd.DataFrame({"a": [0.5, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    y = [0, 0, 1, 1]
    clip = make_pipeline(FunctionTransformer(partial(np.clip, a_min=0, a_max=2)),
                         LogisticRegression()).fit(X, y)
    log1p = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression()).fit(X, y)
    with mj.start_run() as run:
        run.log_model(clip, "clip")
        run.log_model(log1p, "log1p")
    # a NumPy ufunc (pure arithmetic on arrays) is trusted as skops trusts it
    assert mj.load_model(run.id, "log1p").predict(X).tolist() == log1p.predict(X).tolist()
    # a function is called by the model with arguments from the file: never trusted unseen
    with pytest.raises(UntrustedTypesError) as info:
        mj.load_model(run.id, "clip")
    assert sorted(info.value.types) == ["functools.partial", "numpy.clip"]
    assert "trusted=['functools.partial', 'numpy.clip']" in str(info.value)
    loaded = mj.load_model(run.id, "clip", trusted=["functools.partial", "numpy.clip"])
    assert loaded.predict(X).tolist() == clip.predict(X).tolist()


def test_explicit_trust_loads_a_type_outside_the_automatic_list(tmp_path):
    marker = tmp_path / "pwned"
    run_id = _store_model(exec_attack(marker))
    # the user saw the type and chose to trust it: then (and only then) it runs
    model = mj.load_model(run_id, trusted=["builtins.exec"])
    assert marker.read_text() == "pwned"
    assert model.payload is None


def test_usual_models_load_without_trusted():
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80),
                      "c": rng.choice(["x", "y", "z"], 80)})
    y = (X["a"] > 0).astype(int)
    num = X[["a", "b"]]
    models = {
        "pipe": (make_pipeline(ColumnTransformer([("n", StandardScaler(), ["a", "b"]),
                                                  ("c", OneHotEncoder(), ["c"])]),
                               LogisticRegression()), X),
        "forest": (RandomForestClassifier(n_estimators=5, random_state=0), num),
        "hgb": (HistGradientBoostingClassifier(max_iter=5), num),
        "grid": (GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2), num),
    }
    with mj.start_run() as run:
        for name, (model, data) in models.items():
            run.log_model(model.fit(data, y), name)
    for name, (model, data) in models.items():
        loaded = mj.load_model(run.id, name)
        assert loaded.predict(data).tolist() == model.predict(data).tolist(), name
