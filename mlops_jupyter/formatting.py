"""How numbers, values and run statuses are shown, in one place.

Pure and cheap to import (no NumPy, no pandas): the analysis layer's text summaries, the
views and the tracked-cell summary line all format through here, so a number looks the same
in a drift alert, a comparison table and a run's summary.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["format_number", "format_value", "RUN_STATUSES", "STATUS_COLORS", "status_color"]

# Every status a run can have, in lifecycle order (CRASHED: its process died while RUNNING).
RUN_STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED", "CRASHED")
STATUS_COLORS = {"RUNNING": "#1a73e8", "FINISHED": "#2e7d32", "FAILED": "#c0392b",
                 "KILLED": "#8d6e63", "CRASHED": "#b9770e"}
_UNKNOWN_STATUS_COLOR = "#666666"


def status_color(status: str) -> str:
    """The colour a status badge uses (grey for a status this version does not know)."""
    return STATUS_COLORS.get(status, _UNKNOWN_STATUS_COLOR)


def format_number(x: Any, digits: int = 4, *, percent: bool = False,
                  sci_below: float = 1e-3, sci_from: float = 1e6) -> str:
    """``x`` with ``digits`` significant digits; scientific notation outside
    [``sci_below``, ``sci_from``); ``-`` for None, ``NaN``/``inf`` spelled out, exact 0 as ``0``.

    >>> format_number(0.912345), format_number(1234567.0), format_number(None)
    ('0.9123', '1.235e+06', '-')
    >>> format_number(0.1234, percent=True, digits=3)
    '12.3%'
    """
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    try:
        value = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if percent:
        return f"{value:.{max(digits - 2, 0)}%}"
    if value == 0:
        return "0"
    if isinstance(x, numbers.Integral) and abs(value) < sci_from:
        return str(int(x))  # NumPy integers too
    if abs(value) < sci_below or abs(value) >= sci_from:
        return f"{value:.{max(digits - 1, 0)}e}"
    if abs(value) >= 10**digits:  # "52000", not the "5.2e+04" that :g gives below sci_from
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def format_value(v: Any, digits: int = 4) -> str:
    """A param/metric/tag value as text: numbers through :func:`format_number`, lists as
    ``[a, b]``, anything else as ``str``."""
    if v is None or isinstance(v, bool):
        return "-" if v is None else str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(format_value(i, digits) for i in v) + "]"
    if isinstance(v, (int, float)) or type(v).__module__ == "numpy":
        return format_number(v, digits)
    return str(v)
