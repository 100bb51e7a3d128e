"""Export a model as a deployable package: a thin wrapper over
:mod:`mlops_jupyter.deploy.export` (which holds the work) on the store in use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def batch_predict(model_ref_or_package: str | Path, data: Any, *, engine: str = "local",
                  out: str | Path | None = None, keep: Sequence[str] = (),
                  batch_size: int | None = None, progress: bool = True) -> Any:
    """Score a DataFrame or Parquet files with an exported model, in one process, on Dask
    or on Spark.

    The model is the exported package's (the code the server runs, loaded from the package
    folder), loaded once per worker process and kept there: the predictions are the
    server's, which are the in-notebook model's (the export checked it).

    Parameters
    ----------
    model_ref_or_package : str or Path
        An exported package folder, or a model reference (run id, ``"churn/3"``,
        ``"churn@Production"``), which is exported first to a temporary folder with
        :func:`export` (so its parity check runs; it takes a few seconds). The folder must
        be readable at the same path by every worker.
    data : pandas.DataFrame, str, Path, dask.dataframe.DataFrame or pyspark.sql.DataFrame
        The rows to score: a frame, or a Parquet file, folder or glob (``"data/*.parquet"``).
    engine : {"local", "dask", "spark"}
        ``"local"``: this process, Arrow slices of ``batch_size`` rows with a progress bar.
        ``"dask"``: ``map_partitions`` on the current Dask scheduler (a
        ``distributed.Client`` if one is open). ``"spark"``: ``mapInPandas`` on the active
        Spark session (or a new local one). A Dask frame needs ``"dask"``, a Spark frame
        ``"spark"``.
    out : str or Path, optional
        Write the predictions as Parquet there and return the path: one file for
        ``"local"``, a folder of part files for Dask and Spark. Replaced if it exists.
    keep : sequence of str
        Input columns copied to the output before the predictions (e.g. an id).
    batch_size : int, optional
        Rows per slice for ``"local"`` (default 100,000): memory grows with it.
    progress : bool
        A tqdm progress bar for ``"local"``.

    Returns
    -------
    pandas.DataFrame, dask.dataframe.DataFrame, pyspark.sql.DataFrame or Path
        Columns ``keep``, ``prediction`` and, for a classifier, ``probability_<class>``
        per class: pandas for ``"local"`` (the input frame's index), a lazy Dask frame for
        ``"dask"``, a Spark frame for ``"spark"``; the path when ``out`` is given.

    Raises
    ------
    InvalidValueError
        An unknown engine, a frame of another engine, a column the model takes missing
        from the data (named), values the model cannot take (the server's message).
    NotFoundError
        No package at the path, an unknown reference, no Parquet file matching ``data``.

    Examples
    --------
    >>> preds = mj.batch_predict("exports/churn-v3", df)                  # doctest: +SKIP
    >>> mj.batch_predict("churn@Production", "s/*.parquet", engine="dask",
    ...                  out="preds/")                                       # doctest: +SKIP
    """
    from ..deploy.batch_engines import batch_predict as _batch_predict

    folder = Path(model_ref_or_package)
    if not folder.is_dir():
        folder = _temporary_export(str(model_ref_or_package))
    return _batch_predict(folder, data, engine=engine, out=out, keep=keep,
                          batch_size=batch_size, progress=progress)


def _temporary_export(ref: str) -> Path:
    """Export ``ref`` to a temporary folder removed when the process exits (a lazy Dask or
    Spark result still reads it after batch_predict returns)."""
    import atexit
    import shutil
    import tempfile

    parent = Path(tempfile.mkdtemp(prefix="mlops-batch-"))
    atexit.register(shutil.rmtree, parent, True)
    return export(ref, parent / "package")
