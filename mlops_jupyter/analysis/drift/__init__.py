"""Data drift between a reference and a current frame: per-column tests and a dataset verdict.

- :mod:`.report`: the result types (``DriftReport``, ``ColumnDrift``, ``Histogram``) and their
  text forms (``describe_column``, ``alert_payload``);
- :mod:`.statistics`: KS, Wasserstein, PSI, chi-square, Jensen-Shannon, histogram bins and
  p-value corrections on NumPy arrays. Self-contained (NumPy/SciPy only), so that the deploy
  layer can copy it into served model packages for live drift checks;
- :mod:`.compute`: ``compute_drift``: column kinds, sampling, thresholds and the verdict.
"""

from __future__ import annotations

from .compute import DEFAULT_THRESHOLDS, METHODS, compute_drift
from .report import ColumnDrift, DriftReport, Histogram, alert_payload, describe_column

__all__ = [
    "ColumnDrift",
    "DriftReport",
    "Histogram",
    "compute_drift",
    "describe_column",
    "alert_payload",
    "DEFAULT_THRESHOLDS",
    "METHODS",
]
