"""Rendering of result objects (ipywidgets + plotly) with static fallbacks.

Result dataclasses live in ``analysis/`` and ``data/`` and know nothing about display.
IPython is told how to show them here, *by name*, so that neither the result modules nor
the heavy rendering libraries are imported before a result is actually displayed.
"""

from __future__ import annotations

import importlib
from typing import Any

# (module of the result type, type name) -> "module:function" that displays it.
# The function takes the result object, calls IPython.display.display itself, and returns None.
DISPLAY_FUNCTIONS: dict[tuple[str, str], str] = {
    ("mlops_jupyter.analysis.drift.report", "DriftReport"):
        "mlops_jupyter.views.drift_view:display_drift_report",
    ("mlops_jupyter.analysis.explain.result", "Explanation"):
        "mlops_jupyter.views.explain_view:display_explanation",
    ("mlops_jupyter.analysis.compare.comparison", "Comparison"):
        "mlops_jupyter.views.compare_view:display_comparison",
    ("mlops_jupyter.tracking.runs_frame", "RunsFrame"):
        "mlops_jupyter.views.runs_table:display_runs_table",
}


def _lazy(target: str):
    module_name, func_name = target.split(":")

    def show(obj: Any) -> bool:
        func = getattr(importlib.import_module(module_name), func_name)
        func(obj)
        return True  # tells IPython the object was displayed

    return show


def register_formatters(shell: Any) -> None:
    """Register the display functions with an IPython shell (cheap: imports nothing)."""
    formatter = shell.display_formatter.ipython_display_formatter
    for (module_name, type_name), target in DISPLAY_FUNCTIONS.items():
        formatter.for_type_by_name(module_name, type_name, _lazy(target))
