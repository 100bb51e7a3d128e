"""Run comparison: which run is best, and why (pure: frames in, frozen dataclasses out).

- :mod:`.comparison`: :class:`Comparison` and :func:`build_comparison` (runs, metric
  directions and best values, selection), the table order and sorting;
- :mod:`.layouts`: what the charts draw (parallel-coordinates axes, metric curves, final values);
- :mod:`.diff`: :class:`RunDiff`, the diff of two runs (:func:`diff_runs`).

The names below are the public surface; import them from here.
"""

from __future__ import annotations

from ..metric_names import metric_direction
from .comparison import (
    DEFAULT_SELECTED,
    Comparison,
    MetricInfo,
    RunSource,
    TableRow,
    build_comparison,
    filter_runs,
    run_label,
    sort_frame,
    table_rows,
)
from .diff import InputChange, PackageChange, RunDiff, ValueChange, diff_runs
from .layouts import (
    Axis,
    Curve,
    ParallelCoordinates,
    final_values,
    metric_curves,
    parallel_coordinates,
)

__all__ = [
    "Comparison", "MetricInfo", "TableRow", "Axis", "ParallelCoordinates", "Curve",
    "ValueChange", "PackageChange", "InputChange", "RunDiff", "RunSource",
    "build_comparison", "metric_direction", "filter_runs", "table_rows", "sort_frame",
    "parallel_coordinates", "metric_curves", "final_values", "diff_runs", "run_label",
    "DEFAULT_SELECTED",
]
