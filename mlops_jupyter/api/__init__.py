"""The public Python API: ``import mlops_jupyter as mj``.

This package is the API layer: it opens the store and orchestrates what spans the store and
the pure layers below (load runs, then compare them; resolve a snapshot, then measure drift).
Each area is a private module; this ``__init__`` is the whole public surface:

- ``_store``: ``set_store``, ``get_store``
- ``_runs``: ``start_run``, ``end_run``, the ``log_*`` functions, ``runs``, ``get_run``,
  ``load_model``
- ``_snapshots``: ``snapshot``, ``load_snapshot``, ``snapshots``, ``diff_snapshots``
- ``_analysis``: ``drift``, ``explain`` (and the frame/run resolution they share)
- ``_compare``: ``compare``
- ``_registry``: ``register``, ``promote``, ``set_alias``, ``delete_alias``, ``models``,
  ``model_versions``, ``audit_log``, ``lineage`` (``ModelVersion``, ``Lineage``)
- ``_deploy``: ``export`` (the deployable package), ``batch_predict``

It also exports every type a user may need to name (``isinstance``, annotations): the
result types and the exceptions of :mod:`mlops_jupyter.errors`.

Importing it is cheap: the modules import the store, pandas and the analysis code inside
the functions that need them, and the result types that live beside pandas-using code
(``DriftReport``, ``RunsFrame``...) load on first access (PEP 562 ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import (
    ExportError,
    FilterSyntaxError,
    IntegrityError,
    InvalidNameError,
    InvalidValueError,
    MlopsError,
    NoActiveRunError,
    NotFoundError,
    SnapshotError,
    StoreError,
    StoreVersionError,
    UntrustedTypesError,
)
from ..tracking.run import Run
from ._analysis import drift, explain
from ._compare import compare
from ._deploy import batch_predict, export
from ._registry import (
    audit_log,
    delete_alias,
    lineage,
    model_versions,
    models,
    promote,
    register,
    set_alias,
)
from ._runs import (
    active_run,
    end_run,
    get_run,
    load_model,
    log_artifact,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    runs,
    set_tag,
    set_tags,
    start_run,
)
from ._snapshots import diff_snapshots, load_snapshot, snapshot, snapshots
from ._store import close_stores, get_store, set_store

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ imports them on first use
    from ..analysis.compare import Comparison, RunDiff
    from ..analysis.drift import DriftReport
    from ..analysis.explain import Explanation
    from ..data.diff import SnapshotDiff
    from ..deploy.lineage import Lineage
    from ..deploy.registry import ModelVersion
    from ..tracking.artifact import Artifact
    from ..tracking.records import RunRecord
    from ..tracking.runs_frame import RunsFrame
    from ..tracking.snapshots import Snapshot

# name -> the module (relative to this package) that defines it, imported on first access
LAZY_TYPES = {
    "DriftReport": "..analysis.drift",
    "Explanation": "..analysis.explain",
    "Comparison": "..analysis.compare",
    "RunDiff": "..analysis.compare",
    "SnapshotDiff": "..data.diff",
    "RunRecord": "..tracking.records",
    "Snapshot": "..tracking.snapshots",
    "RunsFrame": "..tracking.runs_frame",
    "Artifact": "..tracking.artifact",
    "ModelVersion": "..deploy.registry",
    "Lineage": "..deploy.lineage",
}

__all__ = [
    # functions
    "set_store", "get_store", "close_stores", "start_run", "end_run", "active_run", "log_param",
    "log_params", "log_metric", "log_metrics", "set_tag", "set_tags", "log_artifact", "log_model",
    "runs", "get_run", "load_model", "snapshot", "load_snapshot", "snapshots", "diff_snapshots",
    "drift", "explain", "compare",
    # the model registry
    "register", "promote", "set_alias", "delete_alias", "models", "model_versions", "audit_log",
    "lineage",
    # the deployable package
    "export", "batch_predict",
    # result types (all but Run load on first access)
    "Run", "DriftReport", "Explanation", "Comparison", "RunDiff", "SnapshotDiff", "RunRecord",
    "Snapshot", "RunsFrame", "Artifact", "ModelVersion", "Lineage",
    # errors (mlops_jupyter.errors)
    "MlopsError", "StoreError", "StoreVersionError", "IntegrityError", "InvalidNameError",
    "InvalidValueError", "FilterSyntaxError", "NotFoundError", "NoActiveRunError", "SnapshotError",
    "UntrustedTypesError", "ExportError",
]


def __getattr__(name: str) -> Any:
    module = LAZY_TYPES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY_TYPES))
