"""The command line reads the same store as the notebook."""

from __future__ import annotations

import mlops_jupyter as mj
from mlops_jupyter.cli import main


def test_runs_show_and_errors(capsys):
    with mj.start_run("cli-run", experiment="term") as run:
        run.log_metric("accuracy", 0.875)
        run.log_param("C", 2.0)
    assert main(["runs", "-f", "metrics.accuracy > 0.8"]) == 0
    out = capsys.readouterr().out
    assert "cli-run" in out and "0.875" in out
    assert main(["show", run.id[:8]]) == 0
    out = capsys.readouterr().out
    assert "C = 2.0" in out and "accuracy = 0.875" in out
    assert main(["runs", "-f", "metrics.accuracy >"]) == 2
    assert "position 18" in capsys.readouterr().err
    assert main(["show", "ffffffff"]) == 2
