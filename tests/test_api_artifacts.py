"""log_model / log_artifact return the stored artifact: loadable, readable, findable again."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj


@pytest.fixture
def data():
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
    return X, [0, 0, 0, 1, 1, 1]


def test_log_model_returns_the_model_artifact_which_loads_back(data):
    X, y = data
    model = LogisticRegression(C=0.5).fit(X, y)
    with mj.start_run() as run:
        artifact = mj.log_model(model, "clf", X_example=X)
    assert isinstance(artifact, mj.Artifact)
    assert (artifact.run_id, artifact.name, artifact.kind) == (run.id, "clf", "model")
    assert len(artifact.blob_hash) == 64 and artifact.size == len(artifact.read_bytes()) > 0
    assert artifact.meta["class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert artifact.meta["feature_names"] == ["a", "b"]
    loaded = artifact.load()
    assert type(loaded) is LogisticRegression and loaded.C == 0.5
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # the same artifact, read back from the store
    assert mj.get_run(run.id).artifact("clf") == artifact
    assert mj.get_run(run.id).artifact("clf").load().C == 0.5
    assert repr(artifact).startswith(f"Artifact(run_id='{run.id[:8]}', name='clf', kind='model'")


def test_run_log_model_and_log_artifact_return_artifacts_too(data, tmp_path):
    X, y = data
    path = tmp_path / "notes.txt"
    path.write_text("first")
    with mj.start_run() as run:
        model_artifact = run.log_model(LogisticRegression().fit(X, y))
        file_artifact = run.log_artifact(path, meta={"author": "me"})
        byte_artifact = mj.log_artifact(b"\x00\x01", "raw.bin", kind="table")
    assert model_artifact.name == "model" and model_artifact.load().predict(X).shape == (6,)
    assert (file_artifact.name, file_artifact.kind, dict(file_artifact.meta)) == (
        "notes.txt", "file", {"author": "me"})
    assert file_artifact.read_bytes() == b"first"
    assert (byte_artifact.kind, byte_artifact.size, byte_artifact.read_bytes()) == (
        "table", 2, b"\x00\x01")
    assert {a["name"] for a in mj.get_run(run.id).artifacts} == {"model", "notes.txt", "raw.bin"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        file_artifact.name = "other"  # type: ignore[misc]


def test_an_artifact_reads_the_bytes_it_was_logged_with_even_after_a_new_version():
    with mj.start_run() as run:
        first = run.log_artifact(b"version one", "report.txt")
        second = run.log_artifact(b"version two", "report.txt")
    assert first.read_bytes() == b"version one" and second.read_bytes() == b"version two"
    assert mj.get_run(run.id).artifact("report.txt") == second


def test_load_on_a_file_and_unknown_names_say_what_to_do():
    with mj.start_run() as run:
        artifact = run.log_artifact(b"text", "notes.txt")
    with pytest.raises(mj.InvalidValueError, match=r"is a 'file', not a model: .*read_bytes\(\)"):
        artifact.load()
    with pytest.raises(mj.NotFoundError, match="has no artifact 'nope'; it has: notes.txt"):
        mj.get_run(run.id).artifact("nope")


def test_log_model_outside_a_run_is_an_error(data):
    X, y = data
    with pytest.raises(mj.NoActiveRunError):
        mj.log_model(LogisticRegression().fit(X, y))
