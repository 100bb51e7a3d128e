"""mlops-jupyter: track, compare, check for drift, explain and ship models from a notebook.

``import mlops_jupyter as mj`` is cheap: heavy parts (scikit-learn, plotly, shap, SQLAlchemy's
dialects) load when first used.
"""

from __future__ import annotations

from ._version import __version__  # noqa: E402
from .api import *  # noqa: E402,F401,F403
from .api import __all__ as _api_all  # noqa: E402

__all__ = ["__version__", *_api_all]


def load_ipython_extension(ipython):  # noqa: D401 - IPython's hook name
    """``%load_ext mlops_jupyter``: registers %%track, %runs and the result displays."""
    from .magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython):
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)


def _register_displays() -> None:
    import sys

    # Only when running inside IPython: a plain script must not pay IPython's import (~0.2 s).
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from .views import register_formatters

        register_formatters(shell)


_register_displays()
