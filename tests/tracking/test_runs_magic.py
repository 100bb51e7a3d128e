"""%runs and %compare in a real IPython shell: the filter reaches the query as the user typed it."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import mlops_jupyter as mj


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext mlops_jupyter", store_history=True)
    return sh


@pytest.fixture
def runs():
    for name, model, loss in [("a", "rf", 0.3), ("b", "lr", 0.1), ("c", "rf", 0.2)]:
        with mj.start_run(name, experiment="magic") as run:
            run.log_params({"model": model, "lr": 0.01})
            run.log_metric("val loss", loss)


def magic(shell, line):
    result = shell.run_cell(line, store_history=True)
    result.raise_error()
    return result.result


@pytest.mark.parametrize("line, expected", [
    # the example in the docs: double quotes around a filter with single-quoted strings
    ("""%runs -f "params.model == 'rf'" """, ["c", "a"]),
    ("""%runs -f 'params.model == "rf"' """, ["c", "a"]),
    ("""%runs -f "params.lr = '0.01'" -o "metrics.`val loss` desc" """, ["a", "c", "b"]),
    ("""%runs -f params.model=='lr'""", ["b"]),
    ("""%runs -e magic -o 'metrics.`val loss`' -n 2""", ["b", "c"]),
])
def test_runs_magic_passes_quoted_filters_through(shell, runs, line, expected):
    assert list(magic(shell, line)["name"]) == expected


def test_compare_magic_filters_the_same_way(shell, runs):
    comparison = magic(shell, """%compare -e magic -f "params.model == 'rf'" """)
    assert sorted(comparison.runs["name"]) == ["a", "c"]
    assert not comparison.messages


def test_a_bad_filter_in_the_magic_shows_the_filter_error(shell, runs):
    # shown as a UsageError since issue 9 (was the FilterSyntaxError with a traceback)
    result = shell.run_cell("""%runs -f "metrics.`val loss` > 'high'" """)
    assert isinstance(result.error_in_exec, UsageError)
    assert type(result.error_in_exec.__cause__).__name__ == "FilterSyntaxError"
    assert "metrics.val loss is a number" in str(result.error_in_exec)


def test_quoted_experiment_names_with_spaces(shell):
    with mj.start_run("spaced", experiment="my exp"):
        pass
    assert list(magic(shell, '%runs -e "my exp"')["name"]) == ["spaced"]
    comparison = magic(shell, "%compare -e 'my exp'")
    assert list(comparison.runs["name"]) == ["spaced"]
