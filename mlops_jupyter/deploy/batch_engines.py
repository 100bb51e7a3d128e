"""Batch scoring with an exported package on one process, Dask or Spark (``mj.batch_predict``).

Every engine scores with the package's own runtime (its batch.py, predictor.py...: the code
the server runs), loaded from the package folder, never with this project's copy, so the
predictions are the server's. Each process loads the model once and keeps it in
``_RUNTIMES``, keyed by the package folder and the SHA-256 of its manifest (which lists the
SHA-256 of every file): a Dask worker or a Spark Python worker scores all its partitions
with one load, and a re-exported package under the same path is loaded again.

dask, distributed and pyspark are imported only by the engine that needs them.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidValueError, NotFoundError
from .layout import MANIFEST_NAME

ENGINES = ("local", "dask", "spark")
PREDICTION = "prediction"  # batch.py's output column names
PROBABILITY_PREFIX = "probability_"

_RUNTIMES: dict[tuple[str, str], tuple[Any, Any]] = {}  # (folder, manifest sha) -> (batch, Predictor)
_LOCK = threading.Lock()
LOADS: list[tuple[str, str]] = []  # every load of this process (tests read it on workers)


# --------------------------------------------------------------------------- the runtime


def package_key(folder: str | Path) -> tuple[str, str]:
    """(absolute folder, SHA-256 of its manifest): what a cached runtime is valid for."""
    folder = Path(folder).resolve()
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        raise NotFoundError(f"{folder} is not an exported model package (no {MANIFEST_NAME}); "
                            "write one with mj.export(ref) or mlops-jupyter export REF")
    if not (folder / "batch.py").is_file():
        raise NotFoundError(f"{folder} has no batch.py: it was exported before batch scoring "
                            "existed; export it again with mj.export(ref)")
    return str(folder), hashlib.sha256(manifest.read_bytes()).hexdigest()


def _import_runtime(folder: Path) -> Any:
    """The package's batch.py as a module, its siblings (predictor, manifest...) imported
    from the package folder. The runtime imports its modules by plain name; those names are
    taken from ``sys.modules`` only while loading and put back after, so two packages (or a
    user's own module called ``predictor``) in one process do not stand in for each other."""
    names = {p.stem for p in folder.glob("*.py")}
    saved = {n: sys.modules.pop(n) for n in list(sys.modules) if n in names}
    unique = f"_mlops_batch_{hashlib.sha1(str(folder).encode()).hexdigest()[:12]}"
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(unique, folder / "batch.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)
    return module


def runtime(folder: str | Path, sha: str | None = None) -> tuple[Any, Any]:
    """(batch module, Predictor) of the package, loaded once per process."""
    key = package_key(folder) if sha is None else (str(folder), sha)
    with _LOCK:
        found = _RUNTIMES.get(key)
        if found is None:
            batch = _import_runtime(Path(key[0]))
            found = (batch, batch.Predictor(key[0]))
            _RUNTIMES[key] = found
            LOADS.append(key)
    return found


def load_count() -> int:
    """How many times this process loaded a package (``client.run(load_count)`` on Dask)."""
    return len(LOADS)


# --------------------------------------------------------------------------- one frame


def check_columns(predictor: Any, columns: Sequence[str], keep: Sequence[str],
                  where: str) -> None:
    missing = [n for n in predictor.names if n not in columns]
    if missing:
        raise InvalidValueError(
            f"{where} lacks column(s) {', '.join(map(repr, missing))} that the model takes; "
            f"it has {', '.join(map(repr, list(columns)[:20]))}")
    missing_keep = [k for k in keep if k not in columns]
    if missing_keep:
        raise InvalidValueError(f"keep: column(s) {', '.join(map(repr, missing_keep))} not in "
                                f"{where}")
    clash = [k for k in keep if k == PREDICTION or k.startswith(PROBABILITY_PREFIX)]
    if clash:
        raise InvalidValueError(f"keep: {', '.join(map(repr, clash))} is a name of the output's "
                                "own columns; rename the column first")


def score_table(batch: Any, predictor: Any, table: Any, keep: Sequence[str],
                first_row: int = 0) -> Any:
    """An Arrow table of input rows -> the Arrow table of batch.py's output columns."""
    converter = batch.Converter(predictor, from_csv=False)
    try:
        result = predictor.predict(converter.batch(table, first_row))
    except batch.InputError as exc:  # the server's 422 for these rows
        raise InvalidValueError(f"rows {first_row}-{first_row + table.num_rows - 1}: "
                                f"{exc.message}") from None
    return batch.output_table(predictor, table.select(list(keep)), result)


def score_pandas(frame: Any, folder: str, sha: str, keep: Sequence[str] = (),
                 schema: Any = None) -> Any:
    """One pandas partition scored with the worker's cached runtime; the index is kept.
    An empty partition gives the empty frame of ``schema`` (the output's Arrow schema)."""
    import pyarrow as pa

    batch, predictor = runtime(folder, sha)
    if not len(frame) and schema is not None:
        out = schema.empty_table().to_pandas()
    else:
        wanted = list(dict.fromkeys([*predictor.names, *keep]))
        table = pa.Table.from_pandas(frame[wanted], preserve_index=False)
        out = score_table(batch, predictor, table, keep).to_pandas()
    out.index = frame.index
    return out


def read_manifest(folder: str | Path) -> dict[str, Any]:
    import json

    return json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))


def output_dtype(manifest: dict[str, Any]) -> str:
    return str(manifest.get("output_schema", {}).get("predict", {}).get("dtype", "object"))


def output_schema(predictor: Any, kept: Any, manifest: dict[str, Any]) -> Any:
    """The Arrow schema of the output: the ``kept`` columns' (a non-empty sample frame), the
    prediction's type from the manifest's output schema, a float64 per class probability."""
    import numpy as np
    import pyarrow as pa

    fields = list(pa.Schema.from_pandas(kept, preserve_index=False))
    dtype = np.dtype(output_dtype(manifest))
    fields.append(pa.field(PREDICTION, pa.string() if dtype.kind in "UO"
                           else pa.from_numpy_dtype(dtype)))
    if predictor.has_probabilities:
        fields += [pa.field(f"{PROBABILITY_PREFIX}{label}", pa.float64())
                   for label in predictor.classes or []]
    return pa.schema(fields)


# --------------------------------------------------------------------------- local


def parquet_files(data: str | Path) -> list[Path]:
    text = str(data)
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True))
        if not files:
            raise NotFoundError(f"no file matches {text!r}")
        return files
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and p.name.lower().endswith((".parquet", ".pq")))
        if not files:
            raise NotFoundError(f"{path} holds no Parquet file (*.parquet, *.pq)")
        return files
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    return [path]


def score_local(folder: str, sha: str, data: Any, out: Path | None, keep: Sequence[str],
                batch_size: int, progress: bool) -> Any:
    """Arrow slices of ``batch_size`` rows, one after the other, with a progress bar."""
    import pandas as pd
    import pyarrow as pa

    batch, predictor = runtime(folder, sha)
    wanted = list(dict.fromkeys([*predictor.names, *keep]))
    if isinstance(data, pd.DataFrame):
        check_columns(predictor, list(data.columns), keep, "the DataFrame")
        sources = [("the DataFrame", len(data), _frame_slices(data[wanted], batch_size))]
    else:
        sources = []
        for path in parquet_files(data):
            names, batches, rows = batch.open_input(path, wanted, batch_size)
            check_columns(predictor, names, keep, str(path))
            sources.append((str(path), rows, batch.rebatch(batches, batch_size)))
    total = sum(rows for _, rows, _ in sources)
    bar = batch._progress(total, "rows", progress)
    output = batch.Output(out) if out is not None else None
    tables: list[Any] = []
    done = 0
    try:
        for where, _, slices in sources:
            first = 0
            for table in slices:
                try:
                    scored = score_table(batch, predictor, table, keep, first)
                except InvalidValueError as exc:
                    raise InvalidValueError(f"{where}, {exc}") from None
                if output is not None:
                    output.write(scored)
                else:
                    tables.append(scored)
                first += table.num_rows
                done += table.num_rows
                if bar is not None:
                    bar.update(table.num_rows)
        if not done:
            raise InvalidValueError("no rows to score")
        if output is not None:
            output.commit()
            return out
    except BaseException:
        if output is not None:
            output.discard()
        raise
    finally:
        if bar is not None:
            bar.close()
    result = pa.concat_tables(tables).to_pandas()
    if isinstance(data, pd.DataFrame):
        result.index = data.index
    return result


def _frame_slices(frame: Any, size: int) -> Iterator[Any]:
    import pyarrow as pa

    for start in range(0, len(frame), size):
        yield pa.Table.from_pandas(frame.iloc[start:start + size], preserve_index=False)


# --------------------------------------------------------------------------- Dask


def score_dask(folder: str, sha: str, data: Any, out: Path | None, keep: Sequence[str]) -> Any:
    """``map_partitions`` with ``meta``: lazy; each worker loads the package once."""
    try:
        import dask.dataframe as dd
    except ImportError:
        raise InvalidValueError("engine='dask' needs dask and distributed: "
                                "pip install 'mlops-jupyter[dask]'") from None
    import pandas as pd

    _, predictor = runtime(folder, sha)  # here too: the output's columns, early errors
    if isinstance(data, pd.DataFrame):
        frame = dd.from_pandas(data, npartitions=max(1, min(len(data) // 100_000 + 1, 64)))
    elif isinstance(data, dd.DataFrame):
        frame = data
    else:
        wanted = list(dict.fromkeys([*predictor.names, *keep]))
        files = [str(p) for p in parquet_files(data)]
        import pyarrow.parquet as pq

        check_columns(predictor, pq.read_schema(files[0]).names, keep, files[0])
        # a partition per row group: dask's default merges row groups up to its blocksize
        # (one 5M-row partition of a 400 MB file: one busy worker of 2 GB, the other idle)
        frame = dd.read_parquet(files, columns=wanted, split_row_groups=True)
    check_columns(predictor, list(frame.columns), keep, "the Dask DataFrame")
    # meta: the frame Arrow converts an empty output to, as it converts every partition's
    schema = output_schema(predictor, frame._meta_nonempty[list(keep)], read_manifest(folder))
    meta = schema.empty_table().to_pandas()
    scored = frame.map_partitions(score_pandas, folder, sha, list(keep), schema, meta=meta)
    if out is None:
        return scored
    scored.to_parquet(str(out), overwrite=True, write_index=False)
    return out


# --------------------------------------------------------------------------- Spark


def _spark_type(dtype: str) -> Any:
    import numpy as np
    from pyspark.sql import types as T

    kind = np.dtype(dtype).kind
    if kind == "b":
        return T.BooleanType()
    if kind in "iu":
        return T.LongType()
    if kind == "f":
        return T.DoubleType()
    return T.StringType()


def spark_partition_scorer(folder: str, sha: str, keep: list[str], columns: list[str]):
    """The function ``mapInPandas`` runs on the Python workers: a worker keeps the package
    loaded between tasks (Spark reuses its Python workers: spark.python.worker.reuse)."""
    def score(frames: Iterator[Any]) -> Iterator[Any]:
        for frame in frames:
            if len(frame):
                yield score_pandas(frame, folder, sha, keep)[columns]
    return score


def score_spark(folder: str, sha: str, data: Any, out: Path | None, keep: Sequence[str]) -> Any:
    """``mapInPandas`` with the output schema of the manifest."""
    try:
        from pyspark.sql import DataFrame as SparkFrame
        from pyspark.sql import SparkSession
        from pyspark.sql import types as T
    except ImportError:
        raise InvalidValueError("engine='spark' needs pyspark (and Java): "
                                "pip install 'mlops-jupyter[spark]'") from None
    import pandas as pd

    _, predictor = runtime(folder, sha)
    if isinstance(data, SparkFrame):
        frame = data
    else:
        spark = SparkSession.getActiveSession()
        if spark is None:
            # a new local session: its Python workers run this Python (Spark's default is
            # "python3" on PATH, which may lack this environment's packages)
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            spark = SparkSession.builder.getOrCreate()
        if isinstance(data, pd.DataFrame):
            frame = spark.createDataFrame(data)
        else:
            frame = spark.read.parquet(*[str(p) for p in parquet_files(data)])
    check_columns(predictor, frame.columns, keep, "the Spark DataFrame")
    wanted = list(dict.fromkeys([*predictor.names, *keep]))
    fields = [frame.schema[k] for k in keep]
    fields.append(T.StructField(PREDICTION, _spark_type(output_dtype(read_manifest(folder)))))
    if predictor.has_probabilities:
        fields += [T.StructField(f"{PROBABILITY_PREFIX}{label}", T.DoubleType())
                   for label in predictor.classes or []]
    schema = T.StructType(fields)
    scored = frame.select(*wanted).mapInPandas(
        spark_partition_scorer(folder, sha, list(keep), schema.fieldNames()), schema)
    if out is None:
        return scored
    scored.write.mode("overwrite").parquet(str(out))
    return out


# --------------------------------------------------------------------------- entry


def _kind(data: Any) -> str:
    module = type(data).__module__
    if module.startswith("pyspark."):
        return "spark"
    if module.startswith(("dask.", "dask_expr")):
        return "dask"
    return "other"


def batch_predict(folder: str | Path, data: Any, *, engine: str = "local",
                  out: str | Path | None = None, keep: Sequence[str] = (),
                  batch_size: int | None = None, progress: bool = True) -> Any:
    """Score ``data`` with the package in ``folder`` on ``engine`` (see mj.batch_predict)."""
    if engine not in ENGINES:
        raise InvalidValueError(f"engine={engine!r}: unknown engine; use one of "
                                f"{', '.join(map(repr, ENGINES))}")
    kind = _kind(data)
    if kind != "other" and kind != engine:
        raise InvalidValueError(f"data is a {kind.title()} DataFrame but engine={engine!r}: "
                                f"pass engine={kind!r} (or convert the frame)")
    if kind == "other" and not isinstance(data, (str, Path)):
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise InvalidValueError(
                f"data is a {type(data).__name__}: give a pandas, Dask or Spark DataFrame or "
                "a Parquet path or glob")
    keep = list(dict.fromkeys(keep))
    folder, sha = package_key(folder)
    out = None if out is None else Path(out)
    if out is not None and not out.parent.is_dir():
        raise NotFoundError(f"out={str(out)!r}: the folder {out.parent} does not exist")
    if engine == "local":
        batch, _ = runtime(folder, sha)
        size = batch_size or batch.DEFAULT_BATCH_SIZE
        if size < 1:
            raise InvalidValueError(f"batch_size={size}: must be at least 1")
        return score_local(folder, sha, data, out, keep, size, progress)
    if engine == "dask":
        return score_dask(folder, sha, data, out, keep)
    return score_spark(folder, sha, data, out, keep)
