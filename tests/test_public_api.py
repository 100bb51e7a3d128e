"""The public surface: every name of ``mj.__all__`` resolves, every function documents itself
and says what it returns, result types load only when asked for, and renamed keywords keep
working for one release with a DeprecationWarning naming the new one."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import warnings

import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter import api


def test_every_exported_name_resolves_and_the_root_exports_the_api():
    for name in mj.__all__:
        assert getattr(mj, name) is not None, name
    for name in api.__all__:
        assert getattr(mj, name) is getattr(api, name), name


def test_result_and_error_types_are_the_ones_the_functions_return():
    from mlops_jupyter import errors
    from mlops_jupyter.analysis.compare import Comparison, RunDiff
    from mlops_jupyter.analysis.drift import DriftReport
    from mlops_jupyter.analysis.explain import Explanation
    from mlops_jupyter.data.diff import SnapshotDiff
    from mlops_jupyter.tracking.artifact import Artifact
    from mlops_jupyter.tracking.records import RunRecord
    from mlops_jupyter.tracking.runs_frame import RunsFrame
    from mlops_jupyter.tracking.snapshots import Snapshot

    assert (mj.DriftReport, mj.Explanation, mj.Comparison, mj.RunDiff, mj.SnapshotDiff,
            mj.RunRecord, mj.Snapshot, mj.RunsFrame, mj.Artifact) == (
        DriftReport, Explanation, Comparison, RunDiff, SnapshotDiff, RunRecord, Snapshot,
        RunsFrame, Artifact)
    error_types = {name for name, value in vars(errors).items()
                   if isinstance(value, type) and issubclass(value, Exception)}
    assert error_types <= set(mj.__all__)
    with pytest.raises(mj.NotFoundError):
        mj.get_run("0123abcd")
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        mj.NoSuchThing  # noqa: B018


PUBLIC_FUNCTIONS = [name for name in api.__all__
                    if inspect.isfunction(getattr(api, name))]


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_every_public_function_has_a_docstring_and_a_return_annotation(name):
    function = getattr(mj, name)
    doc = inspect.getdoc(function) or ""
    assert len(doc.splitlines()[0]) > 10, f"mj.{name} has no docstring summary"
    assert inspect.signature(function).return_annotation is not inspect.Signature.empty, (
        f"mj.{name} has no return annotation")


def test_functions_with_arguments_document_them_numpydoc_style():
    undocumented = {}
    for name in PUBLIC_FUNCTIONS:
        function = getattr(mj, name)
        doc = inspect.getdoc(function) or ""
        params = [p for p in inspect.signature(function).parameters.values()
                  if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
        if len(params) > 1 and name not in ("set_store",):  # _store.py is documented apart
            missing = [p.name for p in params if p.name not in doc]
            if "Parameters\n----------" not in doc or missing:
                undocumented[name] = missing
    assert undocumented == {}


def test_import_loads_neither_pandas_nor_the_result_types():
    code = (
        "import sys, json\n"
        "import mlops_jupyter as mj\n"
        "mj.NotFoundError, mj.Run, mj.start_run\n"
        "before = [m for m in ('pandas', 'numpy', 'sklearn', 'plotly', 'mlops_jupyter.analysis.drift',"
        " 'mlops_jupyter.tracking.runs_frame') if m in sys.modules]\n"
        "mj.DriftReport\n"
        "print(json.dumps([before, 'mlops_jupyter.analysis.drift' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, loaded_on_access = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == [] and loaded_on_access


@pytest.fixture
def two_runs():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    with mj.start_run("one") as one:
        one.log_metric("accuracy", 0.5)
    with mj.start_run("two", parent=one) as two:
        two.log_metric("accuracy", 0.6)
    return one, two, frame


def _deprecated(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert len(messages) == 1, messages
    return result, messages[0]


def test_old_keywords_still_work_with_a_warning_naming_the_new_one(two_runs):
    one, two, frame = two_runs
    comparison, message = _deprecated(lambda: mj.compare(runs=[one.id]))
    assert "use run_ids=" in message
    assert set(comparison.runs["run_id"]) == {one.id, two.id}  # with its child run
    assert set(mj.compare(run_ids=[one.id]).runs["run_id"]) == {one.id, two.id}

    report, message = _deprecated(lambda: mj.drift(frame, frame, sample=2))
    assert "use max_rows=" in message and report.sample == 2
    assert mj.drift(frame, frame, max_rows=2).sample == 2

    parent, message = _deprecated(lambda: two.parent_id)
    assert parent == one.id == two.parent_run_id == mj.get_run(two.id).parent_run_id
    assert "parent_run_id" in message

    diff = mj.compare([one.id]).diff(one.id, two.id[:8])
    assert (diff.a_run_id, diff.b_run_id) == (one.id, two.id)
    a_id, message = _deprecated(lambda: diff.a_id)
    assert a_id == one.id and "a_run_id" in message

    snap = mj.snapshot(frame, "frame")
    rows, message = _deprecated(lambda: snap.rows)
    assert rows == snap.n_rows == 4 and "n_rows" in message
    assert list(mj.snapshots()[["n_rows", "n_columns"]].iloc[0]) == [4, 1]


def test_old_and_new_keyword_together_or_an_unknown_one_is_a_type_error(two_runs):
    one, _, frame = two_runs
    with pytest.raises(TypeError, match="pass run_ids= only"):
        mj.compare([one.id], runs=[one.id])
    with pytest.raises(TypeError, match="unexpected keyword argument 'runz'"):
        mj.compare(runz=[one.id])
    with pytest.raises(TypeError, match="unexpected keyword argument 'samples'"):
        mj.drift(frame, frame, samples=2)


def test_explain_run_keyword_is_run_id():
    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = LinearRegression().fit(X, [0.0, 1.0, 2.0, 3.0])
    with mj.start_run("target") as target:
        pass
    mj.explain(model, X, run_id=target.id[:8])
    assert mj.get_run(target.id).tags["explain.top_features"].startswith("a")
    _, message = _deprecated(lambda: mj.explain(model, X, run=target.id))
    assert "use run_id=" in message


def test_snapshot_and_log_input_link_the_same_default_role():
    frame = pd.DataFrame({"a": [1, 2]})
    with mj.start_run() as run:
        mj.snapshot(frame, "via_api")
        run.log_input(frame.assign(a=[3, 4]), "via_run")
    roles = {i["name"]: i["role"] for i in mj.get_run(run.id).inputs}
    assert roles == {"via_api": "train", "via_run": "train"}
    assert inspect.signature(mj.snapshot).parameters["role"].default == "train"
    assert inspect.signature(mj.Run.log_input).parameters["role"].default == "train"
