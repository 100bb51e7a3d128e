"""Partitioned data: a Parquet path or glob, a Dask or a Spark DataFrame, reduced partition by
partition with a function and a merge, on the engine that holds the data.

Thin on purpose: no statistics here, only "run ``fn`` on every pandas partition where it lives
and merge the results". ``fn`` and ``merge`` must be picklable (module-level functions) and
``merge`` associative; results travel as bytes (``encode``/``decode``) so that Spark can carry
them in a binary column. Dask and PySpark are imported only when such a frame is given.
"""

from __future__ import annotations

import glob as _glob
import os
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

__all__ = ["is_partitioned", "engine_of", "reduce_partitions", "parquet_files",
           "looks_like_parquet", "column_names"]

_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def looks_like_parquet(obj: Any) -> bool:
    """A str/path naming Parquet data: a file or glob ending in .parquet, or a directory."""
    if isinstance(obj, os.PathLike):
        obj = os.fspath(obj)
    if not isinstance(obj, str):
        return False
    if any(c in obj for c in "*?[") or obj.lower().endswith(_PARQUET_SUFFIXES):
        return True
    return os.path.isdir(obj)


def engine_of(obj: Any) -> str | None:
    """"parquet", "dask", "spark" or None (anything else: not partitioned data)."""
    if looks_like_parquet(obj):
        return "parquet"
    module = type(obj).__module__ or ""
    if module.startswith("dask") and hasattr(obj, "to_delayed"):
        return "dask"
    if module.startswith("pyspark") and hasattr(obj, "mapInPandas"):
        return "spark"
    return None


def is_partitioned(obj: Any) -> bool:
    return engine_of(obj) is not None


def parquet_files(path: str | os.PathLike) -> list[str]:
    """The Parquet files a path, a directory or a glob names, sorted; an error naming the
    pattern when it matches none."""
    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(_glob.glob(os.path.join(path, "**", "*"), recursive=True))
        files = [f for f in files if f.lower().endswith(_PARQUET_SUFFIXES)]
    else:
        files = sorted(_glob.glob(path)) if any(c in path for c in "*?[") else (
            [path] if os.path.exists(path) else [])
    if not files:
        raise FileNotFoundError(f"no Parquet file matches {path!r}: check the path or glob")
    return files


def column_names(obj: Any) -> list[str]:
    """The column names of partitioned data (the union over the files of a glob)."""
    engine = engine_of(obj)
    if engine == "parquet":
        import pyarrow.parquet as pq

        names: dict[str, None] = {}
        for f in parquet_files(obj):
            names.update(dict.fromkeys(pq.read_schema(f).names))
        return [n for n in names if not n.startswith("__index_level_")]
    return [str(c) for c in obj.columns]


def _parquet_batches(path: Any, columns: list[str] | None,
                     batch_rows: int) -> Iterator[pd.DataFrame]:
    """Record batches of every file, one at a time (memory bounded by a batch, not a file).

    A file lacking a requested column yields batches without it: the caller counts what it sees.
    """
    import pyarrow.parquet as pq

    for f in parquet_files(path):
        pf = pq.ParquetFile(f)
        names = [n for n in pf.schema_arrow.names if not n.startswith("__index_level_")]
        wanted = names if columns is None else [c for c in columns if c in names]
        if pf.metadata.num_rows == 0:
            yield pf.schema_arrow.empty_table().select(wanted).to_pandas()
            continue
        # row group by row group: one iter_batches over a file keeps decoded row groups alive
        for rg in range(pf.num_row_groups):
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[rg], columns=wanted):
                yield batch.to_pandas()


def _tree_merge(items: list[Any], merge: Callable[[Any, Any], Any]) -> Any:
    while len(items) > 1:
        nxt = [merge(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]


def _spark_part(fn: Callable, encode: Callable, args: tuple) -> Callable:
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        acc = None
        merge = args[-1]
        for pdf in batches:  # one Arrow batch at a time (spark.sql.execution.arrow.maxRecords...)
            part = fn(pdf, *args[:-1])
            acc = part if acc is None else merge(acc, part)
        if acc is not None:
            yield pd.DataFrame({"result": [encode(acc)]})
    return run


def reduce_partitions(data: Any, fn: Callable[..., Any], merge: Callable[[Any, Any], Any],
                      encode: Callable[[Any], bytes], decode: Callable[[bytes], Any],
                      *args: Any, columns: list[str] | None = None,
                      batch_rows: int = 1_000_000, progress: bool = False) -> Any:
    """``merge`` of ``fn(partition, *args)`` over every partition of ``data``.

    Parquet: pyarrow batches of at most ``batch_rows`` rows in this process (tqdm progress).
    Dask: one task per partition and a tree of merges, on the active ``distributed`` client if
    any. Spark: ``mapInPandas`` (one result per Spark partition), merged on the driver.
    """
    engine = engine_of(data)
    if engine == "parquet":
        from tqdm.auto import tqdm

        acc = None
        for pdf in tqdm(_parquet_batches(data, columns, batch_rows), desc="partitions",
                        unit="batch", disable=not progress):
            part = fn(pdf, *args)
            acc = part if acc is None else merge(acc, part)
        return acc
    if engine == "dask":
        import dask
        from dask import delayed

        frame = data if columns is None else data[[c for c in columns if c in data.columns]]
        fn_d, merge_d = delayed(fn, pure=True), delayed(merge, pure=True)
        parts = [fn_d(p, *args) for p in frame.to_delayed()]
        (result,) = dask.compute(_tree_merge(parts, merge_d))
        return result
    if engine == "spark":
        frame = data if columns is None else data.select(*[c for c in columns
                                                            if c in data.columns])
        out = frame.mapInPandas(_spark_part(fn, encode, (*args, merge)), "result binary")
        parts = [decode(bytes(r["result"])) for r in out.collect()]
        if not parts:  # no partition had a batch: the profile of no rows
            return fn(frame.limit(0).toPandas(), *args)
        return _tree_merge(parts, merge)
    raise TypeError(f"not partitioned data: {type(data).__name__}")
