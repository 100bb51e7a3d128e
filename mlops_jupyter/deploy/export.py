"""Export a tracked model as a deployable package folder (and its ``.tar.gz``).

``export(store, ref)`` resolves ``ref`` (a run id, ``"churn/3"``, ``"churn@Production"``,
``"churn@champion"``), then writes, in the runtime's layout (``deploy/layout.py`` and
``deploy/runtime/README.md``):

- the runtime files and ``drift_statistics.py`` (``layout.copy_runtime``);
- ``model.skops``: the stored model bytes (checked against their hash when read), loaded
  here under the trust policy (``tracking/models.py``) before anything is written;
- ``reference.json``: the training snapshot's reference profile, for live drift;
- ``requirements.txt``: only what loading and predicting need, pinned to the versions of
  the training run's environment;
- ``Dockerfile``, ``kserve.yaml``, ``model-settings.json`` + ``mlserver_runtime.py`` and
  ``MODEL_CARD.md`` (``deploy/package_docs.py``);
- ``train.py`` with the run's input snapshots as ``data/*.parquet``
  (``deploy/training_script.py``): the training code, which prints the run's metrics again;
  ``.dockerignore`` keeps both out of the serving image;
- ``MLmodel``, ``python_env.yaml``, ``conda.yaml`` (``deploy/mlmodel.py``): the package as an
  MLflow model whose loader is the runtime's ``mlflow_loader.py``;
- ``mlops-model.json``: the manifest, with the SHA-256 of every other file and the result
  of the parity check;
- then ``<folder>.tar.gz`` next to the folder, the files at the archive's root (SageMaker
  extracts it into ``/opt/ml/model``, where ``serve.py serve`` looks).

Parity check: before returning, the exported ``serve.py`` is started in a subprocess on a
free loopback port, the first rows of the training snapshot are sent to ``/predict`` and
the answers compared with the predictions of the model loaded here. A difference is an
:class:`~mlops_jupyter.errors.ExportError` naming the rows; the folder is kept to debug.

A run without a training snapshot (an input of role ``train``) is refused: the package's
input schema (categories seen), its start-up probe, the parity check and the drift
reference all come from the training data. Decision: no half package without them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExportError, InvalidValueError, MlopsError, NotFoundError
from ..tracking.models import check_usable_run, choose_model
from . import layout
from .fast_path import write_fast_path
from .registry import ModelVersion, get_model_version, parse_model_ref

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store

__all__ = ["export", "ExportSource", "PARITY_ROWS", "REQUIREMENTS_NAME", "ARCHIVE_SUFFIX"]

PARITY_ROWS = 20  # rows of the training snapshot sent to the exported server
PARITY_TOLERANCE = 1e-9  # largest difference of a number (prediction, probability) allowed
START_TIMEOUT = 90.0  # seconds for the exported server to become ready
REQUIREMENTS_NAME = "requirements.txt"
ARCHIVE_SUFFIX = ".tar.gz"
TRAIN_ROLE = "train"
# What loading and predicting need, always: distribution -> import name. httptools: uvicorn's
# C HTTP parser, picked up when installed (its pure-Python h11 parser otherwise): same import
# time, measured ~40% more requests/s and ~25% lower latency on one-row predictions; uvloop
# is left out (14 MB, no Windows, little more gained here).
BASE_REQUIREMENTS = {"scikit-learn": "sklearn", "skops": "skops", "numpy": "numpy",
                     "scipy": "scipy", "pandas": "pandas", "uvicorn": "uvicorn",
                     "httptools": "httptools"}
# Model libraries a skops file may name beyond scikit-learn/NumPy/SciPy: module -> distribution
MODEL_LIBRARIES = {"xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost"}
SKIPPED_FILES = ("__pycache__",)
DOCKERIGNORE_NAME = ".dockerignore"


@dataclass(frozen=True)
class ExportSource:
    """What is exported: the run, its model artifact and, if registered, the version."""

    run_id: str
    run_name: str
    model: str
    version: ModelVersion | None
    record: dict[str, Any]

    @property
    def name(self) -> str:
        return self.version.name if self.version is not None else f"run-{self.run_id[:8]}"

    @property
    def version_label(self) -> str:
        return str(self.version.version) if self.version is not None else self.run_id[:8]

    @property
    def default_folder(self) -> str:
        if self.version is not None:
            return f"{self.version.name}-v{self.version.version}"
        return f"run-{self.run_id[:8]}"

    def describe(self) -> str:
        run = f"run {self.run_name!r} ({self.run_id[:8]})"
        return f"{self.version.ref} ({run})" if self.version is not None else run


# -- resolution ----------------------------------------------------------------------------
def resolve_source(store: Store, ref: Any) -> ExportSource:
    """The run and model ``ref`` names, checked exportable; errors name ``ref``."""
    from .registry import resolve_model_ref

    if not isinstance(ref, str) or not ref.strip():
        raise InvalidValueError(f"export needs a model reference: a run id, 'name/version', "
                                f"'name@stage' or 'name@alias'; got {ref!r:.80}")
    version = None
    model: str | None
    try:
        if parse_model_ref(ref) is not None:
            version = get_model_version(store, ref)
            run_id, model = version.run_id, version.model
        else:
            run_id, model = resolve_model_ref(store, ref)
    except NotFoundError as exc:
        raise NotFoundError(f"cannot export {ref!r}: {exc}") from None
    record = store.run_record(run_id)
    check_usable_run(record, doing=f"cannot export {ref!r}")
    model = choose_model(record, model, doing=f"cannot export {ref!r}",
                         several="register the one to export "
                                 "(mj.register(run_id, name, model=...)) and export 'name/version'")
    return ExportSource(run_id=run_id, run_name=record["name"], model=model, version=version,
                        record=record)


def training_frame(store: Store, source: ExportSource) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(training snapshot frame, its input row); ExportError when the run has none."""
    import pandas as pd

    from ..tracking.snapshots import load_snapshot_frame

    inputs = [i for i in source.record["inputs"] if i["role"] == TRAIN_ROLE]
    if not inputs:
        roles = sorted({i["role"] for i in source.record["inputs"]})
        raise NotFoundError(
            f"cannot export {source.describe()}: the run has no training snapshot (an input "
            f"of role 'train'; it has: {', '.join(roles) or 'none'}). The package's input "
            "schema, parity check and drift reference come from it: inside the run, call "
            "mj.snapshot(X_train, 'train') (or fit in a %%track cell), then export the new run")
    item = inputs[0]
    frame = load_snapshot_frame(store, item["id"])
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    return frame, item


def model_columns(model: Any, frame: pd.DataFrame, source: ExportSource) -> pd.DataFrame:
    """The training frame restricted to the model's input columns, in the model's order."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return frame
    names = [str(n) for n in names]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ExportError(
            f"cannot export {source.describe()}: the model reads columns its training "
            f"snapshot does not have: {', '.join(missing)}; snapshot the frame the model was "
            "fitted on")
    return frame[names]


# -- file contents --------------------------------------------------------------------------
def _json_value(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON records with exact floats (``to_json`` rounds to 10 digits)."""
    columns = [str(c) for c in frame.columns]
    return [{c: _json_value(v) for c, v in zip(columns, row, strict=True)}
            for row in frame.itertuples(index=False, name=None)]


def model_modules(data: bytes) -> set[str]:
    """Top-level modules the skops file names (``sklearn``, ``numpy``, ``xgboost``...)."""
    from ..tracking.models import nodes_by_name

    return {name.partition(".")[0] for name in nodes_by_name(data)}


def requirements(environment: dict[str, Any] | None, modules: set[str]) -> list[str]:
    """``requirements.txt`` lines: what loading and predicting need, at the training run's
    versions; a package the run did not import is pinned to the version installed here."""
    from importlib import metadata

    trained = {k.lower(): v for k, v in ((environment or {}).get("packages") or {}).items()}
    wanted = dict(BASE_REQUIREMENTS)
    for module, dist in MODEL_LIBRARIES.items():
        if module in modules:
            wanted[dist] = module
    lines = []
    for dist in sorted(wanted, key=str.lower):
        version = trained.get(dist.lower())
        note = ""
        if version is None:
            try:
                version = metadata.version(dist)
                note = "  # not imported by the training run: the version installed at export"
            except metadata.PackageNotFoundError:
                version = None
        lines.append(f"{dist}=={version}{note}" if version else dist)
    return lines


def output_schema(model: Any, predictions: Any) -> dict[str, Any]:
    import numpy as np

    out: dict[str, Any] = {"predict": {"dtype": str(np.asarray(predictions).dtype),
                                       "shape": [-1, *np.asarray(predictions).shape[1:]]}}
    classes = getattr(model, "classes_", None)
    if classes is not None:
        out["classes"] = [_json_value(c) for c in classes]
        out["predict_proba"] = hasattr(model, "predict_proba")
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_files(folder: Path) -> list[Path]:
    """Every file of the package (relative), sorted; ``__pycache__`` left out."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and not any(part in SKIPPED_FILES for part in p.parts))


def file_hashes(folder: Path) -> dict[str, str]:
    return {p.as_posix(): sha256_of(folder / p) for p in package_files(folder)
            if p.as_posix() != layout.MANIFEST_NAME}


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_archive(folder: Path) -> Path:
    """``<folder>.tar.gz`` with the package's files at its root (SageMaker's layout)."""
    archive = folder.with_name(folder.name + ARCHIVE_SUFFIX)
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for relative in package_files(folder):
            tar.add(folder / relative, arcname=relative.as_posix(), recursive=False)
    os.replace(partial, archive)
    return archive


# -- parity ---------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(port: int, method: str, path: str, body: bytes | None = None,
          timeout: float = 60) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def server_env() -> dict[str, str]:
    """The parity server's environment: ours, without the variables that steer serve.py
    (MLOPS_*, AIP_*) and without writing ``__pycache__`` into the package."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "AIP_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def serve_and_predict(folder: Path, rows: list[dict[str, Any]],
                      timeout: float = START_TIMEOUT) -> dict[str, Any]:
    """Start ``folder/serve.py`` on a free loopback port, POST ``rows`` to /predict, stop it;
    the JSON answer. ExportError (with the server's output) when it does not answer."""
    port = _free_port()
    log_path = folder.parent / f".{folder.name}.parity.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "serve.py", "--host", "127.0.0.1", "--port",
                                 str(port), "--log-level", "warning"],
                                cwd=folder, env=server_env(), stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ExportError(f"the exported server exited with code {proc.returncode} "
                                  f"before answering:\n{_tail(log_path)}", path=folder)
            try:
                if _http(port, "GET", "/v2/health/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ExportError(f"the exported server was not ready after {timeout:.0f} s:"
                                  f"\n{_tail(log_path)}", path=folder)
            time.sleep(0.05)
        status, body = _http(port, "POST", "/predict", json.dumps(rows).encode())
        if status != 200:
            raise ExportError(f"the exported server answered /predict with {status}: "
                              f"{body[:500].decode(errors='replace')}", path=folder)
        return json.loads(body)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log_path.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _difference(expected: Any, got: Any) -> float:
    """Largest absolute difference of two values (inf when they are not comparable)."""
    import numpy as np

    try:
        a = np.asarray(expected, dtype=np.float64)
        b = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return 0.0 if _json_value(expected) == got else math.inf
    if a.shape != b.shape:
        return math.inf
    both_nan = np.isnan(a) & np.isnan(b)
    diff = np.where(both_nan, 0.0, np.abs(a - b))
    return float(np.nanmax(np.where(np.isnan(diff), np.inf, diff))) if diff.size else 0.0


def compare_answers(model: Any, frame: pd.DataFrame, answer: dict[str, Any]
                    ) -> dict[str, Any]:
    """``parity``: rows, max_abs_diff, equal, and the rows that differ."""
    import numpy as np

    expected = list(model.predict(frame))
    got = list(answer.get("predictions") or [])
    expected_proba = None
    if answer.get("probabilities") is not None and hasattr(model, "predict_proba"):
        expected_proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
    differing, max_diff = [], 0.0
    for i in range(len(frame)):
        diff = _difference(expected[i], got[i]) if i < len(got) else math.inf
        if expected_proba is not None:
            diff = max(diff, _difference(expected_proba[i], answer["probabilities"][i]))
        max_diff = max(max_diff, diff)
        if not diff <= PARITY_TOLERANCE:
            differing.append(i)
    return {"rows": len(frame), "max_abs_diff": max_diff if math.isfinite(max_diff) else None,
            "equal": not differing and len(got) == len(frame), "differing_rows": differing,
            "compared": ["predictions", *(["probabilities"] if expected_proba is not None
                                          else [])]}


# -- the export ------------------------------------------------------------------------------
def _progress(total: int, desc: str, show: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", disable=not show, leave=True)


def _prepare_folder(folder: Path) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise InvalidValueError(f"out_dir {str(folder)!r} is a file; name a folder")
        if any(folder.iterdir()):
            if not (folder / layout.MANIFEST_NAME).is_file():
                raise InvalidValueError(
                    f"out_dir {str(folder)!r} exists and is not an exported package; "
                    "remove it or choose another out_dir")
            shutil.rmtree(folder)  # a previous export of a package: replaced
    folder.mkdir(parents=True, exist_ok=True)


def write_deployment_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Dockerfile, kserve.yaml, model-settings.json and mlserver_runtime.py; MLmodel,
    python_env.yaml and conda.yaml (MLflow's, over requirements.txt written before)."""
    from . import mlmodel
    from . import package_docs as docs

    pins = (folder / REQUIREMENTS_NAME).read_text(encoding="utf-8").splitlines()
    (folder / mlmodel.MLMODEL_NAME).write_text(mlmodel.mlmodel(manifest), encoding="utf-8")
    (folder / mlmodel.PYTHON_ENV_NAME).write_text(mlmodel.python_env_yaml(manifest),
                                                  encoding="utf-8")
    (folder / mlmodel.CONDA_ENV_NAME).write_text(mlmodel.conda_yaml(manifest, pins),
                                                 encoding="utf-8")

    (folder / docs.DOCKERFILE_NAME).write_text(docs.dockerfile(manifest), encoding="utf-8")
    (folder / docs.KSERVE_NAME).write_text(docs.kserve_yaml(manifest), encoding="utf-8")
    (folder / docs.MLSERVER_SETTINGS_NAME).write_text(docs.mlserver_settings(manifest),
                                                      encoding="utf-8")
    (folder / docs.MLSERVER_RUNTIME_NAME).write_text(docs.MLSERVER_RUNTIME, encoding="utf-8")


def write_training_files(store: Store, source: ExportSource, folder: Path) -> dict[str, Any]:
    """``train.py`` and the run's input snapshots as ``data/*.parquet``
    (``deploy/training_script.py``), plus a ``.dockerignore`` keeping both out of the
    serving image; the manifest's ``training_script`` entry.

    A run without recorded code (``mj.start_run`` outside a notebook cell) still exports:
    its ``train.py`` says so at the top and loads the data only; the entry records it
    (``"code": null``, nothing reproduced).
    """
    from ..tracking.records import RunRecord
    from .training_script import SCRIPT_NAME, script_metrics, write_training_script

    record = RunRecord.from_record(source.record, store)
    written = write_training_script(store, source.run_id, folder, without_code="load data")
    data = [p.relative_to(folder).as_posix() for p in written[1:]]
    # The training data has no place in a serving image (size, and who may read it).
    (folder / DOCKERIGNORE_NAME).write_text(
        f"# train.py and its data are for people, not for the server\n{SCRIPT_NAME}\ndata/\n",
        encoding="utf-8")
    if record.cell_source:
        code: dict[str, Any] | None = {
            "notebook": record.notebook_path, "execution_count": record.execution_count,
            "cell_id": record.cell_id,
            "earlier_cells": len((record.code_slice or {}).get("cells") or ())}
    else:
        code = None
    return {"file": SCRIPT_NAME, "data": data, "code": code,
            "reproduces": script_metrics(record),
            "note": None if code is not None else (
                "the run was not started in a notebook cell, so its code was not captured; "
                "train.py loads the training data only")}


def export(store: Store, ref: str, out_dir: str | Path | None = None, *,
           trusted: list[str] | None = None, parity_rows: int = PARITY_ROWS,
           progress: bool = True) -> Path:
    """Write the package of the model ``ref`` names into ``out_dir`` (default
    ``./exports/<name>-v<version>``, or ``./exports/run-<id8>`` for a run id) and
    ``<out_dir>.tar.gz``; check parity over HTTP; the folder's path.

    ``trusted``: type names to trust beyond the policy (as ``mj.load_model`` takes them);
    they are listed in the manifest. The deployment files (Dockerfile, KServe, MLServer) are
    written with the manifest, ``MODEL_CARD.md`` after the parity check it reports.
    """
    import numpy as np
    import skops.io as sio

    from ..tracking.models import model_from_bytes

    if not isinstance(parity_rows, int) or isinstance(parity_rows, bool) or parity_rows < 1:
        raise InvalidValueError(f"parity_rows must be an int >= 1; got {parity_rows!r:.80}")
    source = resolve_source(store, ref)
    with _progress(7, f"export {source.describe()}", progress) as bar:
        bar.set_postfix_str("model")
        _row, data = store.artifact(source.run_id, source.model)  # verified against its hash
        model = model_from_bytes(data, source.model, source.run_id, trusted)
        needed = sorted(sio.get_untrusted_types(data=data))
        bar.update()

        bar.set_postfix_str("training data")
        frame, train_input = training_frame(store, source)
        frame = model_columns(model, frame, source)
        predictions = np.asarray(model.predict(frame))
        bar.update()

        folder = Path(out_dir) if out_dir is not None else Path("exports") / source.default_folder
        folder = folder.resolve()
        _prepare_folder(folder)
        bar.set_postfix_str("files")
        copy_runtime_files = layout.copy_runtime(folder)
        (folder / layout.MODEL_NAME).write_bytes(data)
        write_json(folder / layout.REFERENCE_NAME, layout.reference_profile(frame, predictions))
        pins = requirements(source.record.get("environment"), model_modules(data))
        (folder / REQUIREMENTS_NAME).write_text("\n".join(pins) + "\n", encoding="utf-8")
        fast_path = write_fast_path(folder, model, frame)
        bar.update()

        bar.set_postfix_str("training script")
        training_script = write_training_files(store, source, folder)
        bar.update()

        bar.set_postfix_str("manifest")
        record = source.record
        manifest: dict[str, Any] = {
            "format_version": layout.FORMAT_VERSION,
            "name": source.name,
            "version": source.version_label,
            "run_id": source.run_id,
            "run_name": record["name"],
            "experiment": record["experiment"],
            "registered": None if source.version is None else {
                "ref": source.version.ref, "stage": source.version.stage,
                "aliases": list(source.version.aliases),
                "description": source.version.description},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "model": {"file": layout.MODEL_NAME, "format": "skops", "artifact": source.model,
                      "trusted_types": needed,
                      "class": f"{type(model).__module__}.{type(model).__qualname__}"},
            "params": {k: _json_value(v) if not isinstance(v, (list, dict)) else v
                       for k, v in record["params"].items()},
            "metrics": {k: _json_value(v) for k, v in record["metrics"].items()},
            "training_data": {"snapshot": train_input["name"],
                              "version": train_input["version"],
                              "fingerprint": train_input["fingerprint"],
                              "rows": train_input["n_rows"], "columns": len(frame.columns)},
            "input_schema": layout.input_schema(frame),
            "output_schema": output_schema(model, predictions),
            "input_example": records(frame.head(3)),
            "reference": {"file": layout.REFERENCE_NAME, "rows": len(frame)},
            "fast_path": fast_path,
            "runtime": {"files": copy_runtime_files},
            "training_script": training_script,
            "environment": {k: v for k, v in (record.get("environment") or {}).items()
                            if k in ("python", "implementation", "platform")},
        }
        write_deployment_files(folder, manifest)
        manifest["files"] = file_hashes(folder)
        write_json(folder / layout.MANIFEST_NAME, manifest)
        bar.update()

        bar.set_postfix_str("parity check")
        head = frame.head(parity_rows)
        answer = serve_and_predict(folder, records(head))
        parity = compare_answers(model, head, answer)
        manifest["parity"] = {k: parity[k] for k in ("rows", "max_abs_diff", "equal",
                                                     "compared")}
        bar.update()
        if not parity["equal"]:
            manifest["parity"]["differing_rows"] = parity["differing_rows"]
            write_json(folder / layout.MANIFEST_NAME, manifest)
            rows = ", ".join(map(str, parity["differing_rows"][:20]))
            raise ExportError(
                f"parity check failed for {source.describe()}: the exported server's answers "
                f"differ from the model's in rows {rows} of the first {parity['rows']} "
                f"training rows (largest difference {parity['max_abs_diff']}); the package is "
                f"kept in {folder} to debug", path=folder, rows=parity["differing_rows"])

        bar.set_postfix_str("archive")
        from .package_docs import MODEL_CARD_NAME, model_card

        (folder / MODEL_CARD_NAME).write_text(
            model_card(store, manifest, record, ref, pins), encoding="utf-8")
        manifest["files"] = file_hashes(folder)
        write_json(folder / layout.MANIFEST_NAME, manifest)
        write_archive(folder)
        bar.update()
    return folder


def load_exported_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / layout.MANIFEST_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MlopsError(f"{path} cannot be read: {exc}") from None
