"""One way to show a number or a status, wherever it appears."""

from __future__ import annotations

import builtins
import doctest

import numpy as np

from mlops_jupyter import formatting
from mlops_jupyter.formatting import RUN_STATUSES, format_number, format_value, status_color


def test_docstring_examples(monkeypatch):
    # doctest's display hook leaves builtins._ behind, and IPython stops setting `_` when it
    # finds one there: the %%track tests that read `_` would fail after this one
    monkeypatch.setattr(builtins, "_", None, raising=False)
    assert doctest.testmod(formatting).failed == 0


def test_numbers_keep_significant_digits_and_switch_to_scientific_at_the_edges():
    assert format_number(0.123456) == "0.1235"
    assert format_number(0.123456, digits=3) == "0.123"
    assert format_number(0.0001234) == "1.234e-04"
    assert format_number(2_500_000.0) == "2.500e+06"
    assert format_number(0.0) == "0" and format_number(-0.0) == "0"
    assert format_number(float("nan")) == "NaN"
    assert format_number(float("-inf")) == "-inf"
    assert format_number(np.float32(0.5)) == "0.5"
    assert format_number(42) == "42" and format_number(np.int64(7)) == "7"
    assert format_number(np.int64(52000)) == "52000" and format_number(52000.4) == "52000"
    assert format_number(True) == "True"
    assert format_number(0.0512, percent=True) == "5.12%"


def test_values_of_params_and_tags():
    assert format_value(None) == "-"
    assert format_value([1, 0.25, "a"]) == "[1, 0.25, a]"
    assert format_value("rf") == "rf"
    assert format_value(np.float64(1e-9)) == "1.000e-09"


def test_every_status_has_its_own_colour_and_unknown_ones_are_grey():
    colours = [status_color(s) for s in RUN_STATUSES]
    assert "CRASHED" in RUN_STATUSES
    assert len(set(colours)) == len(RUN_STATUSES)
    assert status_color("SOMETHING_NEW") not in colours
    assert status_color("SOMETHING_NEW") == "#666666"  # grey
