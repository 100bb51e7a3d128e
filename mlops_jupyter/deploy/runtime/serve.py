"""Serve this model package over HTTP.

    python serve.py --host 127.0.0.1 --port 8000 [--workers N] [--max-body-mb 10]
    python serve.py serve      # in a container (SageMaker runs `docker run IMAGE serve`):
                               # listens on 0.0.0.0, port $AIP_HTTP_PORT or 8080

Scoring a Parquet or CSV file offline (no server): ``python batch.py data.parquet --out
preds.parquet`` (batch.py --help).

The package is the folder holding this file (or --package DIR, or $MLOPS_PACKAGE_DIR; when
started as ``serve`` in a SageMaker container whose package has no model, /opt/ml/model,
where SageMaker extracts the model tarball). README.md lists the routes.

Needs only what requirements.txt lists; nothing of mlops-jupyter.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST_NAME = "mlops-model.json"
SAGEMAKER_MODEL_DIR = Path("/opt/ml/model")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="serve.py", description="Serve this model package over HTTP.",
        epilog="To score a Parquet or CSV file offline: python batch.py data.parquet "
               "--out preds.parquet (see python batch.py --help).")
    parser.add_argument("command", nargs="?", choices=["serve"],
                        help="container mode: host 0.0.0.0, port $AIP_HTTP_PORT or 8080")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1; "
                                       "0.0.0.0 in container mode)")
    parser.add_argument("--port", type=int, help="port (default $AIP_HTTP_PORT, else 8000; "
                                                 "8080 in container mode)")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("MLOPS_WORKERS", 1)),
                        help="worker processes (default 1)")
    parser.add_argument("--max-body-mb", type=float, default=10.0,
                        help="largest request body accepted, in MB (default 10); larger: 413")
    parser.add_argument("--package", help="the package folder (default: this file's folder)")
    parser.add_argument("--drift-window", type=int, default=None,
                        help="recent rows kept for /monitor/drift (default 5000)")
    parser.add_argument("--drift-log", help="append every scored row to this JSON-lines file")
    parser.add_argument("--log-level", default="info",
                        choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.max_body_mb <= 0:
        parser.error("--max-body-mb must be positive")
    if args.drift_window is not None and args.drift_window < 1:
        parser.error("--drift-window must be at least 1")
    return args


def package_dir(args: argparse.Namespace) -> Path:
    if args.package:
        return Path(args.package).resolve()
    if os.environ.get("MLOPS_PACKAGE_DIR"):
        return Path(os.environ["MLOPS_PACKAGE_DIR"]).resolve()
    if (args.command == "serve" and not (HERE / MANIFEST_NAME).is_file()
            and (SAGEMAKER_MODEL_DIR / MANIFEST_NAME).is_file()):
        return SAGEMAKER_MODEL_DIR
    return HERE


def address(args: argparse.Namespace) -> tuple[str, int]:
    """(host, port): the options, else $AIP_HTTP_PORT (Vertex AI), else the defaults of the
    mode (container: 0.0.0.0:8080, as SageMaker expects; otherwise 127.0.0.1:8000)."""
    container = args.command == "serve"
    host = args.host or ("0.0.0.0" if container else "127.0.0.1")
    port = args.port or int(os.environ.get("AIP_HTTP_PORT") or (8080 if container else 8000))
    return host, port


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    host, port = address(args)
    # Every worker builds its app from the environment (uvicorn starts them as new processes).
    os.environ["MLOPS_PACKAGE_DIR"] = str(package_dir(args))
    os.environ["MLOPS_MAX_BODY_BYTES"] = str(int(args.max_body_mb * 1024 * 1024))
    os.environ["MLOPS_LOG_LEVEL"] = args.log_level
    if args.drift_window is not None:
        os.environ["MLOPS_DRIFT_WINDOW"] = str(args.drift_window)
    if args.drift_log:
        os.environ["MLOPS_DRIFT_LOG"] = str(Path(args.drift_log).resolve())
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # the runtime modules sit next to this file

    import uvicorn
    from app import create_app
    from manifest import ManifestError

    options = dict(host=host, port=port, log_level=args.log_level, access_log=False,
                   server_header=False, timeout_graceful_shutdown=25)
    if args.workers == 1:
        try:
            application = create_app()
        except ManifestError as exc:  # a broken or untrusted package: say why, no traceback
            print(f"serve.py: {exc}", file=sys.stderr)
            return 2
        uvicorn.run(application, **options)
    else:
        uvicorn.run("app:create_app", factory=True, workers=args.workers, app_dir=str(HERE),
                    **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
