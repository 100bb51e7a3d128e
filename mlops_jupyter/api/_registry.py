"""The model registry: register a run's model, promote versions, aliases, audit, lineage.

Thin wrappers over :mod:`mlops_jupyter.deploy.registry` (which holds the rules) and
:mod:`mlops_jupyter.deploy.lineage`, on the store in use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._store import get_store

if TYPE_CHECKING:
    import pandas as pd

    from ..deploy.lineage import Lineage
    from ..deploy.registry import ModelVersion


def register(run_id: str, name: str, *, model: str | None = None,
             description: str | None = None) -> ModelVersion:
    """Register run ``run_id``'s model as the next version (1, 2, ...) of model ``name``.

    Parameters
    ----------
    run_id : str
        The run (id or unique prefix) whose model is registered; FINISHED or RUNNING.
    name : str
        The registered model's name; created on its first version.
    model : str, optional
        The run's model artifact, needed when the run saved several.
    description : str, optional
        Intended use, shown in the model card.

    Returns
    -------
    ModelVersion
        The new version (``ref`` is ``"name/version"``), stage ``None``.

    Raises
    ------
    NotFoundError
        An unknown run, or a run without that model.
    InvalidValueError
        A FAILED/KILLED/CRASHED run, or several models and no ``model=``.

    Examples
    --------
    >>> mv = mj.register(run.id, "churn", description="monthly churn")  # doctest: +SKIP
    >>> mv.ref, mv.stage                                                 # doctest: +SKIP
    ('churn/1', 'None')
    """
    from ..deploy import registry

    return registry.register(get_store(), run_id, name, model=model, description=description)


def promote(name: str, version: int, stage: str | None, *,
            archive_existing: bool = True) -> ModelVersion:
    """Move a version to a stage: None, Staging, Production or Archived (any case).

    Parameters
    ----------
    name : str
        The registered model.
    version : int
        The version to move.
    stage : str or None
        ``None``, ``"Staging"``, ``"Production"`` or ``"Archived"``.
    archive_existing : bool, default True
        Promoting to Production archives the previous Production version unless False.

    Returns
    -------
    ModelVersion
        The version in its new stage. Every change is written to the audit log.

    Examples
    --------
    >>> mj.promote("churn", 3, "Production")  # doctest: +SKIP
    """
    from ..deploy import registry

    return registry.promote(get_store(), name, version, stage,
                            archive_existing=archive_existing)


def set_alias(name: str, alias: str, version: int) -> ModelVersion:
    """Point ``alias`` (``"champion"``) of model ``name`` at ``version``.

    Parameters
    ----------
    name : str
        The registered model.
    alias : str
        A name that is not a stage and not ``latest``.
    version : int
        The version it points at; moving an alias is one audited change.

    Returns
    -------
    ModelVersion
        The version now carrying the alias; ``mj.load_model("name@alias")`` loads it.
    """
    from ..deploy import registry

    return registry.set_alias(get_store(), name, alias, version)


def delete_alias(name: str, alias: str) -> None:
    """Remove ``alias`` from model ``name`` (an audited change).

    Parameters
    ----------
    name : str
        The registered model.
    alias : str
        The alias to remove.
    """
    from ..deploy import registry

    registry.delete_alias(get_store(), name, alias)


def models() -> pd.DataFrame:
    """Registered models: name, latest_version, production_version, aliases, versions,
    description, created_at."""
    from ..deploy import registry

    return registry.models(get_store())


def model_versions(name: str) -> pd.DataFrame:
    """The versions of model ``name``: version, stage, aliases, run_id, model, description,
    created_at, created_by."""
    from ..deploy import registry

    return registry.model_versions(get_store(), name)


def audit_log(name: str | None = None) -> pd.DataFrame:
    """Every registry change (of model ``name`` only, if given), oldest first: time, user,
    host, action, model, version, from, to."""
    from ..deploy import registry

    return registry.audit_log(get_store(), name)


def lineage(ref: str) -> Lineage:
    """Where a model comes from: ``"churn/3"``, ``"churn@Production"``, ``"churn@champion"``
    or a run id -> run (params, metrics) -> cell code and slice -> training snapshots ->
    environment -> git commit."""
    from ..deploy.lineage import lineage as _lineage

    return _lineage(get_store(), ref)
