"""mj.drift / mj.explain wired to the store: run ids stand for their model and training data,
results are stored with the active run, and drift is ranked by what the model relies on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor

import mlops_jupyter as mj


@pytest.fixture
def trained_run():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"strong": rng.normal(size=600), "weak": rng.normal(size=600),
                      "noise": rng.normal(size=600)})
    y = 5 * X["strong"] + 0.3 * X["weak"] + rng.normal(scale=0.1, size=600)
    with mj.start_run("train") as run:
        model = RandomForestRegressor(n_estimators=20, max_depth=5, random_state=0).fit(X, y)
        run.log_model(model, "model", X_example=X)
        run.log_input(X, "features", role="train")
    return run.id, X, model


def test_drift_against_a_run_uses_its_training_snapshot_and_logs(trained_run):
    run_id, X, _ = trained_run
    rng = np.random.default_rng(1)
    current = X.assign(weak=X["weak"] + 3.0, noise=rng.normal(size=len(X)))
    with mj.start_run("monitor") as monitor:
        report = mj.drift(run_id[:10], current)
    assert report.drifted_columns == ["weak"]
    record = mj.get_run(monitor.id)
    assert record.metrics["drift.share"] == pytest.approx(1 / 3)
    assert record.metrics["drift.n_columns"] == 3
    stored = json.loads(record.artifact_bytes("drift_report.json"))
    assert type(report).from_dict(stored).drifted_columns == ["weak"]


def test_explain_a_run_stores_explanation_and_drift_then_weighs_by_importance(trained_run):
    run_id, X, model = trained_run
    explanation = mj.explain(run_id, max_rows=200, run_id=run_id)
    assert explanation.top_features(1)[0][0] == "strong"
    record = mj.get_run(run_id)
    assert record.tags["explain.top_features"].startswith("strong")
    # Both shifted by the same amount: the one the model relies on is ranked first.
    current = X.assign(strong=X["strong"] + 1.0, noise=X["noise"] + 1.0)
    report = mj.drift(run_id, current)
    assert report.importance_given
    ranked = [c.column for c in sorted(report.columns, key=lambda c: -(c.weighted_score or 0))]
    assert ranked[0] == "strong"


def test_unknown_reference_is_a_clear_error():
    from mlops_jupyter.errors import NotFoundError

    with pytest.raises(NotFoundError, match="neither a snapshot name/id nor a run id"):
        mj.drift("no-such-thing", pd.DataFrame({"a": [1.0]}))
    with pytest.raises(TypeError, match="expected a DataFrame"):
        mj.drift([1, 2, 3], pd.DataFrame({"a": [1.0]}))


def test_drift_and_explain_magics(trained_run):
    from IPython.core.interactiveshell import InteractiveShell

    run_id, X, model = trained_run
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext mlops_jupyter")
    shell.user_ns.update(ref=X, cur=X.assign(noise=X["noise"] * 4), model=model)
    result = shell.run_cell("report = %drift ref cur --correction bh")
    assert result.error_in_exec is None
    assert shell.user_ns["report"].drifted_columns == ["noise"]
    result = shell.run_cell("expl = %explain model ref --max-rows 50")
    assert result.error_in_exec is None
    assert shell.user_ns["expl"].n_rows_explained == 50


def test_explain_magic_row_shows_that_row(trained_run, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    from mlops_jupyter.views import explain_view

    shown = {}
    monkeypatch.setattr(explain_view, "display_explanation",
                        lambda expl, row=None, **kw: shown.update(expl=expl, row=row))
    _, X, model = trained_run
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext mlops_jupyter")
    shell.user_ns.update(model=model, frame=X.set_index(X.index + 1000))
    result = shell.run_cell("%explain model frame --row 1437 --max-rows 40")
    assert result.error_in_exec is None
    expl = shown["expl"]
    assert expl.n_rows_explained == 40
    # X was sampled, yet the asked-for row is among the explained ones and is the one shown
    assert expl.data.index[shown["row"]] == 1437
