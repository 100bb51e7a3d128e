"""%%track in a real IPython shell: the cell behaves as untracked, and the run holds what it did."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError
from shell_helpers import loaded_shell, only_run

import mlops_jupyter as mj


@pytest.fixture(scope="module")
def shell():
    return loaded_shell()


def run(shell, source):
    return shell.run_cell(source, store_history=True)


def test_output_value_and_variables_are_unchanged(shell, capsys):
    result = run(shell, "%%track plain\nvalue = 41\nprint('hello')\nvalue + 1")
    assert result.error_in_exec is None
    out = capsys.readouterr().out
    assert "hello" in out and "42" in out
    assert shell.user_ns["_"] == 42 and shell.user_ns["value"] == 41
    record = only_run("plain")
    assert record.status == "FINISHED"
    assert record.cell_source.rstrip("\n") == "value = 41\nprint('hello')\nvalue + 1"
    assert record.params == {"value": 41}
    assert record.artifact_bytes("output.txt").startswith(b"hello\n"), "printed output is kept"


def test_failure_records_traceback_and_reraises_same_exception(shell, capsys):
    result = run(shell, "%%track broken\nboom = ValueError('bad input 7')\nraise boom")
    assert result.error_in_exec is shell.user_ns["boom"], "the user's own exception object"
    out = capsys.readouterr().out
    assert out.count("-" * 75) == 1, "the traceback is shown once, not twice"
    assert "bad input 7" in out
    record = only_run("broken")
    assert record.status == "FAILED"
    assert "ValueError: bad input 7" in record.error


def test_keyboard_interrupt_is_killed(shell):
    result = run(shell, "%%track stopped\nraise KeyboardInterrupt")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert only_run("stopped").status == "KILLED"


def test_sklearn_fit_records_params_metrics_model_and_training_data(shell):
    run(shell, "from sklearn.datasets import load_iris\n"
               "X, y = load_iris(return_X_y=True, as_frame=True)")
    result = run(shell, """%%track forest -e iris --tag owner=ana
from sklearn.ensemble import RandomForestClassifier
n_estimators = 15
clf = RandomForestClassifier(n_estimators=n_estimators, max_depth=3, random_state=0)
clf.fit(X, y)
train_accuracy = clf.score(X, y)
not_a_metric = 3
""")
    assert result.error_in_exec is None
    record = only_run("forest")
    assert record.experiment == "iris" and record.tags == {"owner": "ana"}
    assert record.params["n_estimators"] == 15 and record.params["max_depth"] == 3
    assert record.params["estimator"] == "RandomForestClassifier"
    assert record.metrics["train_accuracy"] == pytest.approx(shell.user_ns["train_accuracy"])
    assert "not_a_metric" not in record.metrics
    assert record.models == ["clf"]
    model = record.load_model()
    X = shell.user_ns["X"]
    np.testing.assert_array_equal(model.predict(X), shell.user_ns["clf"].predict(X))
    pd.testing.assert_frame_equal(record.load_input("train"), X)
    roles = {i["role"]: i["name"] for i in record.inputs}
    assert roles == {"train": "X", "train_target": "y"}
    # The code slice holds the cell that made X and y, so the run can be rebuilt.
    assert any("load_iris" in c["source"] for c in record.code_slice["cells"])
    assert record.environment["packages"]["scikit-learn"]


def test_fit_inside_pipeline_is_one_model(shell):
    run(shell, """%%track pipe
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=300)).fit(X, y)
f1 = f1_score(y, pipe.predict(X), average="macro")  # fits a LabelEncoder inside sklearn
""")
    record = only_run("pipe")
    assert record.models == ["pipe"], "fits made inside library code are not the user's models"
    assert 0 < record.metrics["f1"] <= 1
    assert record.params["logisticregression__C"] == 0.5


def test_grid_search_records_child_runs(shell):
    run(shell, """%%track search
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier
gs = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 4]}, cv=3).fit(X, y)
""")
    record = only_run("search")
    assert len(record.children) == 3
    children = mj.runs(filter=f"parent_run_id == '{record.id}'", order_by="params.max_depth")
    assert list(children["params.max_depth"]) == [1, 2, 4]
    assert children["metrics.mean_test_score"].notna().all()
    assert record.metrics["best_cv_score"] == pytest.approx(shell.user_ns["gs"].best_score_)
    assert record.params["best.max_depth"] == shell.user_ns["gs"].best_params_["max_depth"]


def test_explicit_params_metrics_and_snapshots(shell):
    run(shell, "import pandas as pd\nframe = pd.DataFrame({'a': [1, 2, 3]})\nsettings = {'k': 2}")
    run(shell, """%%track explicit --params settings --metrics total --snapshot frame --no-autolog
import mlops_jupyter as mj
total = int(frame.a.sum())
mj.log_metric("custom", 1.5)
""")
    record = only_run("explicit")
    assert record.params["settings"] == {"k": 2}
    assert record.metrics["total"] == 6 and record.metrics["custom"] == 1.5
    assert [i["name"] for i in record.inputs] == ["frame"]


def test_logging_after_the_cell_does_not_leak_into_its_run(shell):
    run(shell, "%%track sealed\nx = 1")
    result = run(shell, "import mlops_jupyter as mj\nmj.log_metric('late', 1.0)")
    assert type(result.error_in_exec).__name__ == "NoActiveRunError"
    assert "late" not in only_run("sealed").metrics


def test_rerun_with_different_code_warns_about_reproducibility(shell):
    shell.run_cell("base_value = 10\nother = 1", store_history=True, cell_id="cell-A")
    shell.run_cell("other = 2", store_history=True, cell_id="cell-A")  # edited: no base_value
    run(shell, "%%track uses-stale\nresult_value = base_value * 2")
    record = only_run("uses-stale")
    assert any("base_value" in w and "re-run" in w for w in record.warnings)


def test_bad_tag_argument_is_a_clear_error(shell, capsys):
    # a usage error since issue 9 (was a ValueError with a traceback); tests/test_magics.py
    # checks that it is shown as one line
    result = run(shell, "%%track --tag novalue\nx = 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert str(result.error_in_exec) == "%%track --tag novalue: write tags as key=value"


def test_start_run_in_a_cell_records_that_cell(shell):
    run(shell, "import mlops_jupyter as mj\nwith mj.start_run('manual') as r:\n    r.log_metric('x', 1.0)")
    record = only_run("manual")
    assert "with mj.start_run('manual')" in record.cell_source


def test_two_searches_in_one_cell_name_and_tag_their_candidates(shell, capsys):
    run(shell, "from sklearn.datasets import load_iris\n"
               "X, y = load_iris(return_X_y=True, as_frame=True)")
    capsys.readouterr()
    run(shell, """%%track two-searches
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier
from sklearn.linear_model import LogisticRegression
gs_tree = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 4]}, cv=3)
gs_tree.fit(X, y)
gs_lr = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
""")
    summary = capsys.readouterr().out
    record = only_run("two-searches")
    children = mj.runs(filter=f"parent_run_id == '{record.id}'")
    assert len(children) == 5
    assert children.name.is_unique, list(children.name)
    by_search = children.groupby("tags.search")
    assert by_search.size().to_dict() == {"gs_tree": 3, "gs_lr": 2}
    tree = children[children["tags.search"] == "gs_tree"]
    assert sorted(tree["params.max_depth"]) == [1, 2, 4]
    assert tree["params.C"].isna().all(), "no candidate of one search is filed under the other"
    assert all(n.startswith("two-searches/gs_tree/candidate-") for n in tree.name)
    assert set(children["tags.search.candidate"]) == {"0", "1", "2"}
    line = next(line for line in summary.splitlines() if "two-searches" in line)
    snapshots = line.split("snapshots ", 1)[1].split(" | ")[0].split(", ")
    assert len(snapshots) == len(set(snapshots)) == 2, line


def test_quoted_names_experiments_tags_and_lists_arrive_without_their_quotes(shell):
    # IPython's parse_argstring keeps the quotes a shell would remove (arg_split is non-POSIX).
    result = run(shell, '%%track "my run" -e "my exp" --tag "team=data science" '
                        "--params 'alpha,beta'\nalpha = 1\nbeta = 2\ngamma = 3")
    assert result.error_in_exec is None
    frame = mj.runs(experiment="my exp")
    assert list(frame["name"]) == ["my run"]
    record = mj.get_run(frame.run_id[0])
    assert record.experiment == "my exp"
    assert record.tags["team"] == "data science"
    assert {"alpha", "beta"} <= set(record.params)
