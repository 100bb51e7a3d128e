"""``mlops-jupyter``: the store from a terminal (runs, one run, snapshots, models), and
exporting, serving and batch scoring with model packages."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlops-jupyter", description=__doc__)
    parser.add_argument("--store", help="store folder or SQLAlchemy URL (default: MLOPS_STORE / nearest .mlops)")
    sub = parser.add_subparsers(dest="command", required=True)
    runs = sub.add_parser("runs", help="list runs")
    runs.add_argument("-e", "--experiment")
    runs.add_argument("-f", "--filter", help="e.g. \"metrics.accuracy > 0.9\"")
    runs.add_argument("-o", "--order-by", help="e.g. \"metrics.accuracy desc\"")
    runs.add_argument("-n", "--limit", type=int, default=20)
    show = sub.add_parser("show", help="one run: params, metrics, models, inputs")
    show.add_argument("run_id")
    sub.add_parser("snapshots", help="list snapshots")
    models = sub.add_parser("models", help="list registered models, or one model's versions")
    models.add_argument("name", nargs="?", help="a registered model: list its versions")
    export = sub.add_parser("export", help="write a deployable package of a model")
    export.add_argument("ref", help="a run id, NAME/VERSION, NAME@STAGE or NAME@ALIAS")
    export.add_argument("--out", help="the package folder (default ./exports/<name>-v<version>)")
    serve = sub.add_parser("serve", help="serve an exported package over HTTP (its serve.py)")
    serve.add_argument("package", help="the package folder mlops-jupyter export wrote")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    predict = sub.add_parser(
        "predict", help="score a Parquet or CSV file with an exported package, in batches",
        description="Score a Parquet or CSV file with an exported package's model, in Arrow "
                    "record batches (a file larger than memory streams through), into Parquet "
                    "or CSV: a 'prediction' column and, for a classifier, one "
                    "'probability_<class>' column per class.")
    predict.add_argument("package", help="the package folder mlops-jupyter export wrote")
    predict.add_argument("input", help="a Parquet (.parquet, .pq) or CSV (.csv) file")
    predict.add_argument("--out", required=True,
                         help="where to write the predictions: .csv for CSV, else Parquet")
    predict.add_argument("--batch-size", type=int, default=None,
                         help="rows scored at a time (default 100,000); memory grows with "
                              "it, not with the file")
    predict.add_argument("--keep", action="append", default=[], metavar="COLS",
                         help="input columns copied to the output, e.g. an id "
                              "(comma-separated; repeatable)")
    predict.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "predict":
        return _predict(args)
    try:
        _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a terminal gets one line, never a traceback
        print(f"error: {_one_error(exc)}", file=sys.stderr)
        return 2
    return 0


def _one_error(exc: BaseException) -> str:
    """The message of ``exc``: ours as written (a filter error keeps its caret lines),
    anything else as its type and first line."""
    from .errors import MlopsError

    if isinstance(exc, MlopsError):
        return str(exc)
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _run(args: argparse.Namespace) -> None:
    import pandas as pd

    from . import api as mj  # the public API (the package root adds only the IPython hooks)

    if args.store:
        mj.set_store(args.store)
    pd.set_option("display.width", 200)
    if args.command == "runs":
        frame = mj.runs(experiment=args.experiment, filter=args.filter,
                        order_by=args.order_by, limit=args.limit)
        if not len(frame):
            print("no runs")
            return
        columns = ["run_id", "name", "experiment", "status", "duration"] + [
            c for c in frame.columns if c.startswith("metrics.")]
        frame = frame[columns].assign(run_id=frame.run_id.str[:8])
        print(frame.to_string(index=False))
    elif args.command == "show":
        record = mj.get_run(args.run_id)
        print(f"run {record.id} '{record.name}' [{record.status}] experiment {record.experiment}")
        for title, values in (("params", record.params), ("metrics", record.metrics),
                              ("tags", record.tags)):
            print(f"{title}:")
            for key, value in sorted(values.items()):
                print(f"  {key} = {value!r}")
        print(f"models: {', '.join(record.models) or '-'}")
        for item in record.inputs:
            print(f"input {item['role']}: {item['name']} v{item['version']} "
                  f"({item['n_rows']} rows, {item['fingerprint'][:12]})")
        if record.error:
            print(record.error)
    elif args.command == "snapshots":
        frame = mj.snapshots()
        print(frame.drop(columns=["id"]).to_string(index=False) if len(frame) else "no snapshots")
    elif args.command == "models":
        _print_models(mj, args.name)
    elif args.command == "export":
        folder = mj.export(args.ref, args.out)
        print(f"exported {args.ref} to {folder} (and {folder.name}.tar.gz next to it)")
        print(f"serve it: mlops-jupyter serve {folder}")


def _serve(args: argparse.Namespace) -> int:
    """Run the package's own serve.py (as a container would) until it stops; its exit code.
    Nothing of this project is imported into the server."""
    import os
    import subprocess
    from pathlib import Path

    from .deploy.layout import MANIFEST_NAME

    folder = Path(args.package).resolve()
    missing = [n for n in ("serve.py", MANIFEST_NAME) if not (folder / n).is_file()]
    if missing:
        print(f"error: {folder} is not an exported model package (no {' or '.join(missing)}); "
              "write one with mlops-jupyter export REF", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    command = [sys.executable, str(folder / "serve.py"), "--package", str(folder),
               "--host", args.host, "--port", str(args.port), "--workers", str(args.workers)]
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_PACKAGE_DIR"}
    process = subprocess.Popen(command, cwd=folder, env=env)
    import signal

    # A supervisor stops us with SIGTERM: pass it on, or the server would outlive us.
    signal.signal(signal.SIGTERM, lambda signum, _frame: process.send_signal(signum))
    try:
        return process.wait()
    except KeyboardInterrupt:
        # uvicorn stops on SIGTERM after its open requests; one that hangs must not hold the
        # terminal: kill after 10 s.
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return 130


def _predict(args: argparse.Namespace) -> int:
    """Score a file with the package's own runtime (its batch.py), in this process: the
    predictions are those of the package's code, whatever version of this project runs it."""
    import importlib.util
    from pathlib import Path

    from .deploy.layout import MANIFEST_NAME

    folder = Path(args.package).resolve()
    if not (folder / MANIFEST_NAME).is_file():
        print(f"error: {folder} is not an exported model package (no {MANIFEST_NAME}); "
              "write one with mlops-jupyter export REF", file=sys.stderr)
        return 2
    if not (folder / "batch.py").is_file():
        print(f"error: {folder} has no batch.py: it was exported before offline scoring "
              "existed; export it again with mlops-jupyter export REF", file=sys.stderr)
        return 2
    spec = importlib.util.spec_from_file_location("batch", folder / "batch.py")
    batch = importlib.util.module_from_spec(spec)
    sys.modules["batch"] = batch  # dataclasses look their module up there
    spec.loader.exec_module(batch)  # puts the package folder on sys.path for its siblings
    return batch.run(folder, args.input, args.out,
                     batch_size=args.batch_size or batch.DEFAULT_BATCH_SIZE,
                     keep=batch.columns_option(args.keep), progress=not args.quiet)


def _aliases(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{alias}={version}" for alias, version in sorted(value.items())) or "-"
    return ", ".join(value) or "-"


def _print_models(mj, name: str | None) -> None:
    if name is None:
        frame = mj.models()
        if not len(frame):
            print("no registered models (mj.register(run_id, name) adds one)")
            return
        frame = frame.assign(aliases=frame["aliases"].map(_aliases),
                             created_at=frame["created_at"].dt.strftime("%Y-%m-%d %H:%M"))
        columns = ["name", "latest_version", "production_version", "aliases", "description"]
    else:
        frame = mj.model_versions(name)
        frame = frame.assign(aliases=frame["aliases"].map(_aliases),
                             run_id=frame["run_id"].str[:8],
                             created_at=frame["created_at"].dt.strftime("%Y-%m-%d %H:%M"))
        columns = ["version", "stage", "aliases", "run_id", "model", "created_at", "created_by",
                   "description"]
    print(frame[columns].astype(object).fillna("-").to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
