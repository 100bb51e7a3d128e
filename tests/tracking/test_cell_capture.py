"""Which cell a run records: the one executing the code that started it, never one the shell
ran earlier (a shell outlives its cells: a test or script that created one, a thread)."""

from __future__ import annotations

import threading

import pytest
from shell_helpers import loaded_shell, only_run, run_cell

import mlops_jupyter as mj


@pytest.fixture(scope="module")
def shell():
    return loaded_shell()


def test_a_run_started_by_plain_code_after_a_cell_records_no_cell(shell):
    run_cell(shell, "earlier_cell_value = 1", cell_id="cell-earlier")
    with mj.start_run("from-plain-code"):
        mj.log_metric("accuracy", 0.5)
    record = only_run("from-plain-code")
    assert record.cell_source is None
    assert record.execution_count is None and record.cell_id is None


def start_run_in_a_thread(name):
    """Not cell code: a helper of this test module, as a library would be."""
    def work():
        with mj.start_run(name):
            pass

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_a_thread_started_during_a_cell_does_not_record_that_cell(shell):
    shell.user_ns["start_run_in_a_thread"] = start_run_in_a_thread
    run_cell(shell, "start_run_in_a_thread('from-a-thread')\nmarker_of_the_cell = 2",
        cell_id="cell-thread")
    record = only_run("from-a-thread")
    assert record.cell_source is None and record.cell_id is None


def test_a_helper_called_by_a_cell_records_the_calling_cell(shell):
    shell.user_ns["start_run_here"] = lambda name: mj.start_run(name).end()
    result = run_cell(shell, "start_run_here('via-helper')  # the calling cell", cell_id="cell-h")
    record = only_run("via-helper")
    assert record.cell_source == "start_run_here('via-helper')  # the calling cell"
    assert record.cell_id == "cell-h"
    assert record.execution_count == result.execution_count


def test_a_cell_run_without_history_records_its_own_code(shell):
    run_cell(shell, "unrelated = 3")
    run_cell(shell, "import mlops_jupyter as mj\nwith mj.start_run('no-history'):\n    pass",
        store_history=False)
    assert "mj.start_run('no-history')" in only_run("no-history").cell_source


def test_execution_count_and_cell_id_are_the_cells_own(shell, capsys):
    plain = run_cell(shell, "import mlops_jupyter as mj\nmj.start_run('counted').end()",
                cell_id="cell-counted")
    record = only_run("counted")
    assert (record.execution_count, record.cell_id) == (plain.execution_count, "cell-counted")

    first = run_cell(shell, "slice_base = 10", cell_id="cell-base")
    tracked = run_cell(shell, "%%track counted-track\nslice_result = slice_base * 2",
                  cell_id="cell-tracked")
    capsys.readouterr()
    record = only_run("counted-track")
    assert (record.execution_count, record.cell_id) == (tracked.execution_count, "cell-tracked")
    assert [(c["execution_count"], c["cell_id"]) for c in record.code_slice["cells"]] == [
        (first.execution_count, "cell-base")]
