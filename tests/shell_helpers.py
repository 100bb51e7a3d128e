"""A real IPython shell with the extension loaded, for tests that run cells in-process."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

import mlops_jupyter as mj


def loaded_shell() -> InteractiveShell:
    """The process's InteractiveShell with ``%load_ext mlops_jupyter`` run in it."""
    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext mlops_jupyter", store_history=True)
    return sh


def run_cell(shell: InteractiveShell, source: str, **kwargs):
    """Run ``source`` as a cell with history; the cell must not raise."""
    result = shell.run_cell(source, **{"store_history": True, **kwargs})
    assert result.error_in_exec is None, result.error_in_exec
    return result


def only_run(name: str):
    """The one run called ``name`` in the store, read back in full."""
    frame = mj.runs(filter=f"name == '{name}'")
    assert len(frame) == 1, frame
    return mj.get_run(frame.run_id[0])
