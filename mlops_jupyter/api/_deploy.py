"""Export a model as a deployable package: a thin wrapper over
:mod:`mlops_jupyter.deploy.export` (which holds the work) on the store in use."""

from __future__ import annotations

from pathlib import Path

from ._store import get_store


def export(ref: str, out_dir: str | Path | None = None, *,
           trusted: list[str] | None = None) -> Path:
    """Write a deployable package of a model: a folder plus ``<folder>.tar.gz``.

    The folder holds the model (skops), ``mlops-model.json`` (manifest with input/output
    schema, params, metrics, training data fingerprint, SHA-256 of every file),
    ``requirements.txt`` (pinned, only what predicting needs), ``reference.json`` (for
    live drift), ``serve.py`` with the runtime it imports (nothing of mlops-jupyter), and
    ``train.py`` with the run's data snapshots (``data/*.parquet``): the tracked cell and
    the earlier cells it depends on, as a script that prints the run's metrics again (for a
    run started outside a notebook cell, it says so and loads the data only).
    Before returning, the exported server is started on loopback and its answers to the
    first training rows are compared with the model's (``parity`` in the manifest).

    Parameters
    ----------
    ref : str
        A run id (or unique prefix), ``"churn/3"``, ``"churn@Production"`` or
        ``"churn@champion"``.
    out_dir : str or Path, optional
        The package folder; default ``./exports/<name>-v<version>`` (a registered
        version) or ``./exports/run-<id8>`` (a run id). A previous export there is replaced.
    trusted : list of str, optional
        Type names to trust beyond the automatic policy, as ``mj.load_model`` takes them.

    Returns
    -------
    Path
        The package folder (the archive is next to it).

    Raises
    ------
    NotFoundError
        An unknown reference, a run without a model or without a training snapshot.
    InvalidValueError
        A FAILED/KILLED run, or a run with several models (register the one to export).
    UntrustedTypesError
        The model needs types outside the trust list (pass them as ``trusted=``).
    ExportError
        The exported server did not start, or its answers differ (the rows are named;
        the folder is kept to debug).

    Examples
    --------
    >>> path = mj.export("churn@Production")          # doctest: +SKIP
    >>> # python exports/churn-v3/serve.py --port 8000
    """
    from ..deploy.export import export as _export

    return _export(get_store(), ref, out_dir, trusted=trusted)
