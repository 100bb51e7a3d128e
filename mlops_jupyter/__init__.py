"""mlops-jupyter: track, compare, check for drift, explain and ship models from a notebook.

``import mlops_jupyter as mj`` is cheap: heavy parts (scikit-learn, plotly, shap, SQLAlchemy's
dialects) load when first used, and so do the result types defined beside them
(``mj.DriftReport``, ``mj.RunsFrame``...: PEP 562 ``__getattr__``).
"""

# ruff: noqa: F401 - the package root re-exports api/; __all__ is api.__all__
from __future__ import annotations

import typing as _typing

from . import api as _api
from ._version import __version__
from .api import LAZY_TYPES as _LAZY_TYPES
from .api import (
    ExportError,
    FilterSyntaxError,
    IntegrityError,
    InvalidNameError,
    InvalidValueError,
    MlopsError,
    NoActiveRunError,
    NotFoundError,
    Run,
    SnapshotError,
    StoreError,
    StoreVersionError,
    UntrustedTypesError,
    active_run,
    audit_log,
    batch_predict,
    close_stores,
    compare,
    delete_alias,
    diff_snapshots,
    drift,
    end_run,
    explain,
    export,
    get_run,
    get_store,
    lineage,
    load_model,
    load_snapshot,
    log_artifact,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    model_versions,
    models,
    promote,
    register,
    runs,
    set_alias,
    set_store,
    set_tag,
    set_tags,
    snapshot,
    snapshots,
    start_run,
)

if _typing.TYPE_CHECKING:  # loaded on first access by __getattr__ below
    from .api import (
        Artifact,
        Comparison,
        DriftReport,
        Explanation,
        Lineage,
        ModelVersion,
        RunDiff,
        RunRecord,
        RunsFrame,
        Snapshot,
        SnapshotDiff,
    )

# Not ``from .api import *``: that would look up every name of api.__all__, importing the
# lazily loaded result types (and pandas) at once. The names above are imported for readers
# and type checkers; the list itself is api's, so the two cannot drift apart.
__all__ = ["__version__", *_api.__all__]


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY_TYPES:
        value = getattr(_api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_TYPES))


def load_ipython_extension(ipython: _typing.Any) -> None:  # noqa: D401 - IPython's hook name
    """``%load_ext mlops_jupyter``: registers %%track, %runs and the result displays."""
    from .magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: _typing.Any) -> None:
    """``%unload_ext mlops_jupyter``: stops recording cell history for code slices."""
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter server extension (the lab extension's REST API): mlops_jupyter.server,
    which imports jupyter_server only when the server loads it."""
    return [{"module": "mlops_jupyter.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The built front end (``labextension/`` -> ``mlops_jupyter/labextension``), for
    ``jupyter labextension develop . --overwrite`` during front-end work."""
    return [{"src": "labextension", "dest": "mlops-jupyter"}]


def _register_displays() -> None:
    import sys

    # Only when running inside IPython: a plain script must not pay IPython's import (~0.2 s).
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from .views import register_formatters

        register_formatters(shell)


_register_displays()
