"""Score a file offline with this package's model, in Arrow record batches.

    python batch.py data.parquet --out preds.parquet [--batch-size 100000] [--keep id,date]
    python batch.py data.csv --out preds.csv        # --out *.csv writes CSV, else Parquet

Also ``mlops-jupyter predict PACKAGE data.parquet --out preds.parquet`` where mlops-jupyter is
installed (it runs this file). Needs pyarrow and, for the progress bar, tqdm, besides
requirements.txt: ``pip install pyarrow tqdm``.

The file is read ``--batch-size`` rows at a time (Parquet: ``ParquetFile.iter_batches``, row
group by row group; CSV: ``pyarrow.csv.open_csv``), each slice scored and appended to the
output, so memory holds one slice (and, for Parquet, the row group it comes from), never
the file. Output columns: the ``--keep`` columns as read, then
``prediction`` and, for a classifier, ``probability_<class>`` per class (the ``classes`` of
the /predict response, in that order). Columns of the file the model does not take are
not read.

The rules are the server's (predictor.py): a missing column or a value of the wrong type
is an error naming the column, the row and the file, with the message the server's 422
gives; CSV cells are read as the server reads a text/csv body (payloads.py). When every
column is numeric, a slice goes to the model as the float64 matrix the server builds, so
the predictions are the server's. A slice whose columns Arrow cannot convert exactly goes
through the server's per-value checks, which either accept it or say what is wrong.

Nothing is left under the output's name unless every row was scored: rows are written to a
temporary file next to it, renamed at the end. Exit status: 0 done, 2 the input, the
options or the package were refused (one line on stderr saying why), 130 interrupted.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_BATCH_SIZE = 100_000
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv",)
PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the runtime modules sit next to this file

from manifest import ManifestError  # noqa: E402
from payloads import CSV_FALSE, CSV_TRUE, csv_value  # noqa: E402
from predictor import Batch, InputError, Predictor  # noqa: E402


class BatchError(Exception):
    """The file cannot be scored as asked: the message names the file (and column, row)."""


@dataclass(frozen=True)
class Summary:
    rows: int
    seconds: float
    out: Path


def _pyarrow() -> tuple[Any, Any, Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq
    except ImportError:
        raise BatchError("scoring a file needs pyarrow, which requirements.txt does not "
                         "list (the server does not need it): pip install pyarrow tqdm") from None
    return pa, pc, pcsv, pq


def file_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise BatchError(f"{path}: unknown file type; give a Parquet ({', '.join(PARQUET_SUFFIXES)})"
                     f" or CSV ({', '.join(CSV_SUFFIXES)}) file")


# --------------------------------------------------------------------------- reading


def _csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            header = next(csv.reader(fh), None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise BatchError(f"cannot read {path} as CSV: {exc}") from None
    if not header:
        raise BatchError(f"{path} is empty: expected a CSV header line naming the columns")
    return header


def open_input(path: Path, wanted: list[str], batch_size: int
               ) -> tuple[list[str], Iterator[Any], int | None]:
    """(columns of the file, batches of the ``wanted`` columns present, rows or None)."""
    pa, _, pcsv, pq = _pyarrow()
    kind = file_format(path)
    if not path.is_file():
        raise BatchError(f"{path}: no such file")
    try:
        if kind == "parquet":
            reader = pq.ParquetFile(path)
            names = list(reader.schema_arrow.names)
            present = [n for n in wanted if n in names]
            return names, _row_groups(reader, present, batch_size), reader.metadata.num_rows
        names = _csv_header(path)
        present = [n for n in wanted if n in names]
        # Every cell as text, converted below by the server's CSV rules; an empty cell is
        # missing, as in a text/csv request.
        convert = pcsv.ConvertOptions(
            column_types={n: pa.string() for n in present}, include_columns=present,
            strings_can_be_null=True, quoted_strings_can_be_null=True, null_values=[""])
        reader = pcsv.open_csv(path, convert_options=convert)
        return names, iter(reader), None
    except (OSError, pa.ArrowException) as exc:
        raise BatchError(f"cannot read {path} as {kind}: {exc}") from None


def _row_groups(reader: Any, columns: list[str], batch_size: int) -> Iterator[Any]:
    """The batches of a Parquet file, one row group at a time: one ``iter_batches`` over the
    whole file kept every row group it had decoded (peak memory grew with the file: 540 MB
    for 5M rows x 10 floats, 210 MB for 1M, pyarrow 26); one reader per row group does not."""
    for group in range(reader.num_row_groups):
        yield from reader.iter_batches(batch_size=batch_size, row_groups=[group],
                                       columns=columns)


def rebatch(batches: Iterator[Any], size: int) -> Iterator[Any]:
    """Tables of exactly ``size`` rows (the last one shorter) from batches of any size."""
    import pyarrow as pa

    pending: list[Any] = []
    rows = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        pending.append(batch)
        rows += batch.num_rows
        while rows >= size:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, size).combine_chunks()
            rest = table.slice(size)
            pending, rows = rest.to_batches(), rest.num_rows
    if rows:
        yield pa.Table.from_batches(pending).combine_chunks()


# --------------------------------------------------------------------------- converting


class Converter:
    """Arrow columns -> the Batch the server would build from the same values."""

    def __init__(self, predictor: Predictor, from_csv: bool):
        self.predictor = predictor
        self.from_csv = from_csv

    def batch(self, table: Any, first_row: int) -> Batch:
        if self.predictor.uses_matrix:
            fast = self._numeric(table)
            if fast is not None:
                return fast
        return self._checked(table, first_row)

    def _numeric(self, table: Any) -> Batch | None:
        """float64 columns straight from Arrow, or None when a column needs the value checks
        (a type Arrow cannot convert exactly, text that does not parse, unseen categories)."""
        pa, pc, _, _ = _pyarrow()
        columns: dict[str, np.ndarray] = {}
        complete = True
        for col in self.predictor.columns:
            arr = _one_array(table.column(col.name))
            if col.categories is not None and col.unseen == "reject":
                return None
            t = arr.type
            if pa.types.is_null(t):
                arr = pa.nulls(len(arr), pa.float64())
            elif col.kind == "numeric" and (pa.types.is_integer(t) or pa.types.is_floating(t)
                                            or pa.types.is_decimal(t)):
                arr = pc.cast(arr, pa.float64(), safe=False)  # as np.asarray(ints, float64)
            elif col.kind == "numeric" and self.from_csv and pa.types.is_string(t):
                try:
                    arr = pc.cast(arr, pa.float64())
                except pa.ArrowInvalid:
                    return None  # e.g. " 1.5", which float() reads: the server's rules decide
            elif col.kind == "boolean" and pa.types.is_boolean(t):
                arr = pc.cast(arr, pa.float64())
            elif col.kind == "boolean" and self.from_csv and pa.types.is_string(t):
                true = pc.is_in(arr, value_set=pa.array(sorted(CSV_TRUE)))
                false = pc.is_in(arr, value_set=pa.array(sorted(CSV_FALSE)))
                if not pc.all(pc.or_(pc.is_null(arr), pc.or_(true, false))).as_py():
                    return None
                arr = pc.if_else(pc.is_null(arr), pa.scalar(None, pa.float64()),
                                 pc.cast(true, pa.float64()))
            else:
                return None
            values = pc.fill_null(arr, float("nan")).to_numpy(zero_copy_only=False)
            if complete and not np.isfinite(values).all():
                complete = False
            columns[col.name] = values
        return Batch(columns, table.num_rows, complete)  # type: ignore[arg-type]

    def _checked(self, table: Any, first_row: int) -> Batch:
        """The server's path: Python values, checked one by one (messages name the row)."""
        pa, pc, _, _ = _pyarrow()
        mapping: dict[str, list[Any]] = {}
        for col in self.predictor.columns:
            arr = _one_array(table.column(col.name))
            t = arr.type
            if self.from_csv:
                mapping[col.name] = [None if v is None else csv_value(v, col)
                                     for v in arr.to_pylist()]
                continue
            if pa.types.is_decimal(t):
                arr = pc.cast(arr, pa.float64())
            elif col.kind == "datetime" and (pa.types.is_timestamp(t) or pa.types.is_date(t)):
                arr = pc.cast(arr, pa.string())  # the ISO text a JSON request carries
            mapping[col.name] = arr.to_pylist()
        return self.predictor.from_columns(mapping, first_row=first_row)


def _one_array(column: Any) -> Any:
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column


# --------------------------------------------------------------------------- writing


class Output:
    """Parquet or CSV written under a temporary name; ``commit`` renames it into place."""

    def __init__(self, path: Path):
        self.path = path
        self.format = "csv" if path.name.lower().endswith(CSV_SUFFIXES) else "parquet"
        if not path.parent.is_dir():
            raise BatchError(f"--out {path}: the folder {path.parent} does not exist")
        self.partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        self.writer: Any = None

    def write(self, table: Any) -> None:
        pa, _, pcsv, pq = _pyarrow()
        if self.writer is None:
            if self.format == "csv":
                self.writer = pcsv.CSVWriter(str(self.partial), table.schema)
            else:
                self.writer = pq.ParquetWriter(str(self.partial), table.schema)
        self.writer.write_table(table)

    def commit(self) -> None:
        self.writer.close()
        self.writer = None
        os.replace(self.partial, self.path)

    def discard(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:  # noqa: BLE001 - the file is deleted next anyway
                pass
        self.partial.unlink(missing_ok=True)


def output_table(predictor: Predictor, kept: Any, result: Any) -> Any:
    pa, _, _, _ = _pyarrow()
    names = list(kept.column_names)
    arrays = [kept.column(n) for n in names]
    predictions = result.predictions
    arrays.append(pa.array(predictions.tolist() if predictions.dtype.kind == "O" else predictions))
    names.append(PREDICTION)
    if result.probabilities is not None:
        for j, label in enumerate(predictor.classes or []):
            arrays.append(pa.array(result.probabilities[:, j]))
            names.append(f"{PROBABILITY_PREFIX}{label}")
    return pa.Table.from_arrays(arrays, names=names)


# --------------------------------------------------------------------------- scoring


def _progress(total: int | None, name: str, show: bool) -> Any:
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None  # the package runs without tqdm: no bar
    return tqdm(total=total, desc=f"scoring {name}", unit="rows", unit_scale=True,
                file=sys.stderr, mininterval=0.5)


def score_file(package: str | Path, source: str | Path, out: str | Path, *,
               batch_size: int = DEFAULT_BATCH_SIZE, keep: list[str] | tuple[str, ...] = (),
               progress: bool = True, predictor: Predictor | None = None) -> Summary:
    """Score ``source`` (Parquet or CSV) with the package's model into ``out``.

    Raises BatchError (naming the file, the column and the row) when the file cannot be
    read or does not fit the model's input schema; ``out`` is then left as it was.
    """
    source, out = Path(source), Path(out)
    if batch_size < 1:
        raise BatchError("--batch-size must be at least 1")
    if out.resolve() == source.resolve():
        raise BatchError(f"--out {out} is the input file: write the predictions elsewhere")
    predictor = predictor or Predictor(package)
    keep = list(dict.fromkeys(keep))
    clash = [k for k in keep if k == PREDICTION or k.startswith(PROBABILITY_PREFIX)]
    if clash:
        raise BatchError(f"--keep {', '.join(map(repr, clash))}: the output's own column names; "
                         "rename the column in the file")
    wanted = list(dict.fromkeys([*predictor.names, *keep]))
    names, batches, total = open_input(source, wanted, batch_size)
    missing_keep = [k for k in keep if k not in names]
    if missing_keep:
        raise BatchError(f"{source}: --keep column(s) {', '.join(map(repr, missing_keep))} "
                         f"not in the file; it has {', '.join(map(repr, names[:20]))}")
    missing = [n for n in predictor.names if n not in names]
    if missing:
        try:  # the server's message for the same request
            predictor.from_columns({n: [None] for n in predictor.names if n in names})
        except InputError as exc:
            raise BatchError(f"{source}: {exc.message}") from None
        raise BatchError(f"{source}: missing column(s) {', '.join(map(repr, missing))}")
    pa = _pyarrow()[0]
    converter = Converter(predictor, from_csv=file_format(source) == "csv")
    output = Output(out)
    bar = _progress(total, source.name, progress)
    started = time.perf_counter()
    rows = 0
    try:
        try:
            for table in rebatch(batches, batch_size):
                try:
                    batch = converter.batch(table, rows)
                    result = predictor.predict(batch)
                except InputError as exc:  # the server's 422 for this slice of the file
                    raise BatchError(f"{source}, rows {rows}-{rows + table.num_rows - 1}: "
                                     f"{exc.message}") from None
                output.write(output_table(predictor, table.select(keep), result))
                rows += table.num_rows
                if bar is not None:
                    bar.update(table.num_rows)
        except (OSError, pa.ArrowException) as exc:
            raise BatchError(f"{source}: failed after row {rows}: {exc}") from None
        if not rows:
            raise BatchError(f"{source} has no rows to score")
        output.commit()
    except BaseException:
        output.discard()
        raise
    finally:
        if bar is not None:
            bar.close()
    return Summary(rows, time.perf_counter() - started, out)


def columns_option(values: list[str]) -> list[str]:
    """``--keep a,b --keep c`` -> ["a", "b", "c"]."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def run(package: str | Path, source: str | Path, out: str | Path, *, batch_size: int,
        keep: list[str], progress: bool) -> int:
    """score_file for a command line: an exit status, one line on stderr when refused."""
    try:
        summary = score_file(package, source, out, batch_size=batch_size, keep=keep,
                             progress=progress)
    except (BatchError, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    rate = summary.rows / summary.seconds if summary.seconds else float("inf")
    print(f"scored {summary.rows} rows in {summary.seconds:.1f} s "
          f"({rate:,.0f} rows/s) -> {summary.out}", file=sys.stderr)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="a Parquet (.parquet, .pq) or CSV (.csv) file")
    parser.add_argument("--out", required=True,
                        help="where to write the predictions: .csv for CSV, else Parquet")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"rows scored at a time (default {DEFAULT_BATCH_SIZE:,}); "
                             "memory grows with it, not with the file")
    parser.add_argument("--keep", action="append", default=[], metavar="COLS",
                        help="columns of the input copied to the output, e.g. an id "
                             "(comma-separated; repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="batch.py", description="Score a Parquet or CSV file with this package's model, "
                                     "in batches, into a Parquet or CSV file.")
    add_arguments(parser)
    parser.add_argument("--package", default=str(HERE),
                        help="the package folder (default: this file's folder)")
    args = parser.parse_args(argv)
    return run(args.package, args.input, args.out, batch_size=args.batch_size,
               keep=columns_option(args.keep), progress=not args.quiet)


if __name__ == "__main__":
    sys.exit(main())
