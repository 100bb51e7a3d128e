"""Putting rendered content into widgets."""

from __future__ import annotations

from typing import Any


def show_in(output: Any, bundle: dict[str, Any] | None) -> None:
    """Make ``bundle`` (a mimebundle) the only content of an ``ipywidgets.Output``.

    Sets the widget's ``outputs`` state directly instead of capturing a ``display`` call:
    no clear/capture message round trips (nbclient lost track of a cell's execution on
    those now and then), nothing printed outside a kernel, and each redraw is one message.
    """
    output.outputs = () if bundle is None else (
        {"output_type": "display_data", "data": bundle, "metadata": {}},)
