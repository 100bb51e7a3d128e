"""What the current front end can show."""

from __future__ import annotations


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can render); False in plain IPython/scripts."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None
