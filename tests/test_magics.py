"""The magics in a real IPython shell: what the user typed wrong is one line (IPython's
UsageError, no traceback), every option reaches the API, and %explain --row returns the
explanation it shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import mlops_jupyter as mj
from mlops_jupyter.errors import NotFoundError


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext mlops_jupyter", store_history=True)
    return sh


@pytest.fixture
def frames(shell):
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"age": rng.normal(40, 5, 400), "code": rng.integers(0, 3, 400),
                        "city": rng.choice(["a", "b"], 400)})
    cur = ref.assign(age=ref["age"] + 10)
    shell.user_ns.update(ref=ref, cur=cur, not_a_frame=[1, 2, 3])
    return ref, cur


def shown_error(shell, source: str) -> str:
    """Run ``source``; it must fail with a UsageError shown as its message and nothing else."""
    with capture_output() as io:
        result = shell.run_cell(source)
    assert result.error_before_exec is None
    assert isinstance(result.error_in_exec, UsageError), repr(result.error_in_exec)
    message = str(result.error_in_exec)
    assert io.stdout == "", "no traceback"
    # the message is the last thing shown (a progress bar of the work before it may precede it)
    assert io.stderr.endswith(f"UsageError: {message}\n")
    assert "Traceback" not in io.stderr
    return message


# -- %drift ------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, expected", [
    ("%drift ref cur --bogus", "unrecognized arguments: --bogus"),
    ("%drift ref cur --threshold abc", "--threshold: expected a number, got 'abc'"),
    ("%drift ref cur --threshold age=x", "--threshold: expected a number, got 'x'"),
    ("%drift ref cur --threshold age", None),  # a bare word is not a number either
    ("%drift ref cur --method age=", "--method 'age=': write NAME=VALUE pairs"),
    ("%drift ref cur --sample 0", "--sample: expected a positive whole number, got '0'"),
    ("%drift ref cur --sample 10,x", "the seed must be a whole number"),
    ("%drift ref", "the following arguments are required: current"),
])
def test_drift_bad_options_are_one_line(shell, frames, line, expected):
    message = shown_error(shell, line)
    assert "\n" not in message
    if expected is not None:
        assert expected in message


@pytest.mark.parametrize("line, expected", [
    ("%drift ref no_such_thing",
     "%drift: 'no_such_thing' is neither a snapshot name/id nor a run id"),
    ("%drift ref not_a_frame",
     "%drift: not_a_frame is a list, not a DataFrame (or the name of a snapshot or run)"),
    ("%drift ref cur --method magic",
     "%drift: method must be one of auto, ks, chisquare, wasserstein, jensenshannon, psi; "
     "got 'magic'"),
    ("%drift ref cur --correction holm",
     "%drift: correction must be None, 'bonferroni' or 'bh', not 'holm'"),
    ("%drift ref cur --columns height",
     "%drift: none of the requested columns 'height' is in both frames (reference: "
     "'age', 'code', 'city'; current: 'age', 'code', 'city')"),
    ("%drift ref cur --alert nobody",
     "%drift --alert nobody: expected 'log', an http(s) webhook URL or the name of a variable "
     "holding a callable"),
])
def test_drift_names_and_values_the_api_refuses_are_one_line(shell, frames, line, expected):
    assert shown_error(shell, line) == expected


def test_the_usage_error_keeps_the_api_error_as_its_cause(shell, frames):
    with capture_output():
        result = shell.run_cell("%drift ref no_such_thing")
    assert isinstance(result.error_in_exec.__cause__, NotFoundError)


def test_a_library_error_under_the_magic_keeps_its_traceback(shell):
    # Not a usage error: pandas refuses the frame; the user needs to see where.
    class Broken(pd.DataFrame):
        @property
        def columns(self):
            raise ValueError("broken frame")

    shell.user_ns["broken"] = Broken({"a": [1.0]})
    with capture_output() as io:
        result = shell.run_cell("%drift broken broken")
    assert type(result.error_in_exec) is ValueError
    assert "Traceback" in io.stdout or "-----" in io.stdout


def test_drift_takes_every_option_mj_drift_takes(shell, frames):
    alerts = []
    shell.user_ns["on_drift"] = alerts.append
    shell.run_cell("report = %drift ref cur --columns age,code --categorical code "
                   "--method age=wasserstein --threshold wasserstein=0.5 --sample 100,3 "
                   "--alert on_drift").raise_error()
    report = shell.user_ns["report"]
    by_name = {c.column: c for c in report.columns}
    assert sorted(by_name) == ["age", "code"]  # --columns: city left out
    assert by_name["code"].kind == "categorical"  # --categorical: integer codes as categories
    assert by_name["age"].test == "wasserstein"  # --method per column
    assert by_name["age"].threshold == 0.5  # --threshold per method
    assert by_name["age"].reference_count == 100  # --sample: 100 of 400 rows
    assert alerts == [report]  # --alert: the callable variable, called with the report
    shell.run_cell("plain = %drift ref cur --threshold 0.2 --correction bonferroni --method ks")
    plain = shell.user_ns["plain"]
    assert {c.column: c.threshold for c in plain.columns} == {"age": 0.2, "code": 0.2,
                                                               "city": 0.2}
    assert {c.test for c in plain.columns} == {"ks", "chisquare"}  # ks's counterpart for city
    assert all(c.p_value_adjusted is not None for c in plain.columns)


def test_drift_snapshot_names_on_the_line_are_looked_up(shell, frames):
    ref, cur = frames
    mj.snapshot(ref, "train-frame")
    shell.run_cell("r = %drift train-frame cur --columns age").raise_error()
    assert shell.user_ns["r"].drifted_columns == ["age"]


# -- %runs, %compare ---------------------------------------------------------------------------
def test_runs_bad_limit_and_bad_filter_are_usage_errors(shell):
    with mj.start_run("one"):
        mj.log_metric("loss", 0.5)
    assert "argument -n/--limit: invalid int value: 'many'" in shown_error(shell, "%runs -n many")
    message = shown_error(shell, """%runs -f "metrics.loss > 'high'" """)
    assert message.startswith("%runs: ")
    assert "metrics.loss is a number" in message


def test_compare_bad_option_is_a_usage_error(shell):
    assert "argument --last: invalid int value: 'x'" in shown_error(shell, "%compare --last x")


# -- %%track -----------------------------------------------------------------------------------
@pytest.mark.parametrize("tag", ["novalue", "=value"])
def test_track_malformed_tag_is_a_usage_error_and_the_cell_does_not_run(shell, tag):
    shell.user_ns.pop("ran_the_cell", None)
    message = shown_error(shell, f"%%track --tag {tag}\nran_the_cell = 1")
    assert message == f"%%track --tag {tag}: write tags as key=value"
    assert "ran_the_cell" not in shell.user_ns
    assert mj.runs().empty


def test_track_unknown_option_is_a_usage_error(shell):
    assert "unrecognized arguments: --paramz" in shown_error(shell, "%%track --paramz a\nx = 1")


def test_track_a_name_start_run_refuses_is_a_usage_error_and_the_cell_does_not_run(shell):
    shell.user_ns.pop("ran_the_cell", None)
    message = shown_error(shell, "%%track -e 'bad\tname'\nran_the_cell = 1")
    assert message.startswith("%%track: experiment name 'bad\\tname' contains")
    assert "ran_the_cell" not in shell.user_ns
    assert mj.runs().empty


def test_track_the_cells_own_mlops_error_propagates_unchanged(shell):
    shell.run_cell("from mlops_jupyter.errors import NotFoundError")
    result = shell.run_cell("%%track -q mine\nboom = NotFoundError('my own lookup')\nraise boom")
    assert result.error_in_exec is shell.user_ns["boom"], "the cell's exception, not a UsageError"
    assert mj.get_run(mj.runs().run_id[0]).status == "FAILED"


# -- %explain ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def models():
    from sklearn.linear_model import LinearRegression, LogisticRegression

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)},
                     index=pd.RangeIndex(500, 620))
    classes = np.where(X["a"] > 0.5, "high", np.where(X["a"] < -0.5, "low", "mid"))
    clf = LogisticRegression(max_iter=500).fit(X, classes)
    Y = pd.DataFrame({"first": X["a"] * 2, "second": X["b"] - X["a"]})
    multi = LinearRegression().fit(X, Y)
    return X, clf, multi


def test_explain_class_index_and_target_reach_the_explanation(shell, models):
    X, clf, multi = models
    shell.user_ns.update(X=X, clf=clf, multi=multi)
    shell.run_cell("e_class = %explain clf X --class-index 2").raise_error()
    assert shell.user_ns["e_class"].class_index == 2
    assert shell.user_ns["e_class"].class_names[2] == "mid"
    shell.run_cell("e_target = %explain multi X --target 1").raise_error()
    assert shell.user_ns["e_target"].class_index == 1
    assert shell.user_ns["e_target"].target_names == ["0", "1"]


@pytest.mark.parametrize("line, expected", [
    ("%explain clf X --class-index 7", "%explain: class_index must be an integer in 0..2, got 7"),
    ("%explain clf X --class-index one", "argument --class-index: invalid int value: 'one'"),
    ("%explain multi X --target third",
     "%explain: target must be a target position in 0..1 or one of the names "
     "['0', '1'], got 'third'"),
    ("%explain clf X --row 7", "%explain --row 7: X has no row with that index label"),
    ("%explain clf no_such_data",
     "%explain: no snapshot 'no_such_data'; snapshots in this store: none"),
    ("%explain clf X --max-rows 0",
     "%explain: max_rows must be a positive number of rows or None, got 0"),
])
def test_explain_bad_arguments_are_one_line(shell, models, line, expected):
    X, clf, multi = models
    shell.user_ns.update(X=X, clf=clf, multi=multi)
    assert shown_error(shell, line) == expected


def test_explain_data_may_be_a_snapshot_name(shell, models):
    X, clf, _ = models
    mj.snapshot(X, "scoring-set")
    shell.user_ns.update(clf=clf)
    shell.run_cell("from_store = %explain clf scoring-set").raise_error()
    assert list(shell.user_ns["from_store"].data.index) == list(X.index)


def test_explain_row_shows_that_row_once_and_returns_the_explanation(shell, models, monkeypatch):
    from mlops_jupyter.analysis.explain import Explanation
    from mlops_jupyter.views import explain_view

    X, clf, _ = models
    shown = []
    monkeypatch.setattr(explain_view, "display_explanation",
                        lambda expl, row=None, **kw: shown.append((expl, row)))
    shell.user_ns.update(X=X, clf=clf)

    # assigned: shown (on the row), and kept
    shell.run_cell("kept = %explain clf X --row 537 --max-rows 20").raise_error()
    kept = shell.user_ns["kept"]
    assert isinstance(kept, Explanation) and kept.n_rows_explained == 20
    assert len(shown) == 1 and shown[0][0] is kept
    assert kept.data.index[shown[0][1]] == 537, "X was sampled, yet row 537 is the one shown"

    # the cell's last expression: the value of the cell, shown once, not a second time below
    shown.clear()
    result = shell.run_cell("%explain clf X --row 600 --max-rows 20", store_history=True)
    result.raise_error()
    assert isinstance(result.result, Explanation)
    assert len(shown) == 1 and shown[0][0] is result.result
    assert result.result.data.index[shown[0][1]] == 600

    # the next display of an explanation is not skipped
    shown.clear()
    shell.run_cell("kept", store_history=True).raise_error()
    assert shown == [(kept, None)]


def test_registry_magics_register_promote_and_list(shell):
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    ids = []
    for C in (1.0, 2.0):
        with mj.start_run() as run:
            run.log_model(LogisticRegression(C=C).fit(X, [0, 0, 1, 1]), "clf")
        ids.append(run.id)
    shell.user_ns.update(first=ids[0][:8], second=ids[1][:8])
    for run_id in ids:
        result = shell.run_cell(f'mv = %register {run_id[:8]} churn -d "monthly churn"')
        assert result.error_in_exec is None, result.error_in_exec
    assert (shell.user_ns["mv"].version, shell.user_ns["mv"].run_id) == (2, ids[1])
    assert shell.run_cell("%promote churn 1 Production").error_in_exec is None
    result = shell.run_cell("%promote churn 2 Production")
    assert result.error_in_exec is None
    versions = shell.run_cell("%models churn").result
    assert dict(zip(versions["version"], versions["stage"], strict=True)) == \
        {1: "Archived", 2: "Production"}
    listed = shell.run_cell("%models").result
    assert list(listed["name"]) == ["churn"]
    assert mj.load_model("churn@Production").C == 2.0

    assert "version must be a whole number" in shown_error(shell, "%promote churn two Staging")
    assert "%promote" in shown_error(shell, "%promote churn 1 Shipping")
    assert "%register" in shown_error(shell, "%register ffffffff churn")
