"""The public Python API: ``import mlops_jupyter as mj``.

This package is the API layer: it opens the store and orchestrates what spans the store and
the pure layers below (load runs, then compare them; resolve a snapshot, then measure drift).
Each area is a private module; this ``__init__`` is the whole public surface:

- ``_store``: ``set_store``, ``get_store``
- ``_runs``: ``start_run``, the ``log_*`` functions, ``runs``, ``get_run``, ``load_model``
- ``_snapshots``: ``snapshot``, ``load_snapshot``, ``snapshots``, ``diff_snapshots``
- ``_analysis``: ``drift``, ``explain`` (and the frame/run resolution they share)
- ``_compare``: ``compare``
- ``_registry``: ``register``, ``promote``, ``set_alias``, ``delete_alias``, ``models``,
  ``model_versions``, ``audit_log``, ``lineage`` (``ModelVersion``, ``Lineage``)

Importing it is cheap: the modules import the store, pandas and the analysis code inside
the functions that need them.
"""

from __future__ import annotations

from ..deploy.lineage import Lineage
from ..deploy.registry import ModelVersion
from ..tracking.run import Run
from ._analysis import drift, explain
from ._compare import compare
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

__all__ = [
    "set_store", "get_store", "start_run", "active_run", "log_param", "log_params", "log_metric",
    "log_metrics", "set_tag", "set_tags", "log_artifact", "log_model", "runs", "get_run",
    "load_model", "snapshot", "load_snapshot", "snapshots", "diff_snapshots", "drift", "explain",
    "compare",
    "close_stores",
    "register", "promote", "set_alias", "delete_alias", "models", "model_versions",
    "audit_log", "lineage",
    "Run", "ModelVersion", "Lineage",
]
