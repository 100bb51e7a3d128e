"""The files an export writes for people and platforms: ``MODEL_CARD.md``, ``Dockerfile``,
``kserve.yaml`` (a KServe InferenceService), ``model-settings.json`` with
``mlserver_runtime.py`` (MLServer).

Each is built from the package's manifest (``deploy/export.py`` writes it first) plus what
the store knows (lineage, audit trail, stored explanation). Text only: nothing here starts a
server or touches the package's runtime files.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..formatting import format_value

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["MODEL_CARD_NAME", "DOCKERFILE_NAME", "KSERVE_NAME", "MLSERVER_SETTINGS_NAME",
           "MLSERVER_RUNTIME_NAME", "model_card", "dockerfile", "kserve_yaml",
           "mlserver_settings", "MLSERVER_RUNTIME", "training_code_section"]

MODEL_CARD_NAME = "MODEL_CARD.md"
DOCKERFILE_NAME = "Dockerfile"
KSERVE_NAME = "kserve.yaml"
MLSERVER_SETTINGS_NAME = "model-settings.json"
MLSERVER_RUNTIME_NAME = "mlserver_runtime.py"
DEFAULT_PYTHON = "3.11"
CONTAINER_PORT = 8080  # serve.py's port in container mode (SageMaker's)
TOP_FEATURES = 10


def _cell(value: Any) -> str:
    """A Markdown table cell: the value's text, pipes escaped, on one line."""
    text = value if isinstance(value, str) else format_value(value)
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _profile_rows(profile: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for name, col in (profile.get("columns") or {}).items():
        kind = col.get("kind", "")
        if kind == "numeric":
            summary = (f"mean {format_value(col.get('mean'))}, std {format_value(col.get('std'))}"
                       f", min {format_value(col.get('min'))}, max {format_value(col.get('max'))}")
        elif kind in ("categorical", "string", "boolean"):
            top = ", ".join(f"{v} ({n})" for v, n in (col.get("top") or [])[:5])
            summary = f"{col.get('distinct')} distinct; most frequent: {top}"
        elif kind == "datetime":
            summary = f"{col.get('min')} to {col.get('max')}"
        else:
            summary = ""
        rows.append((name, col.get("dtype", ""), kind, col.get("nulls", 0), summary))
    return rows


def _top_features(record: dict[str, Any]) -> list[tuple[str, float]] | None:
    for artifact in record["artifacts"]:
        if artifact["name"] == "explanation.json":
            top = (artifact.get("meta") or {}).get("top_features")
            if top:
                return [(str(name), float(value)) for name, value in top][:TOP_FEATURES]
    return None


def model_card(store: Store, manifest: dict[str, Any], record: dict[str, Any],
               ref: str, requirements: list[str]) -> str:
    """``MODEL_CARD.md``: intended use, training data, params, metrics, top features, drift
    baseline, environment, lineage, audit trail and the parity check."""
    from .lineage import lineage
    from .registry import audit_log

    name, version = manifest["name"], manifest["version"]
    registered = manifest.get("registered")
    out = [f"# Model card: {name} v{version}\n",
           f"Exported by mlops-jupyter on {manifest['created']} from {ref!r}: model "
           f"`{manifest['model']['class']}`, run `{manifest['run_id']}`.\n"]

    out.append("## Intended use\n")
    description = None
    if registered is not None:
        description = registered.get("description")
        if description is None:
            model = store.registered_model(name)
            description = model.get("description") if model else None
    out.append((description or "Not described: register the model with "
                "`mj.register(run_id, name, description=...)` to say what it is for.") + "\n")

    data = manifest["training_data"]
    out.append("## Training data\n")
    out.append(f"Snapshot `{data['snapshot']}` version {data['version']}: {data['rows']} rows, "
               f"{data['columns']} input columns, fingerprint `{data['fingerprint']}`.\n")
    try:
        profile = store.snapshot_row(data["snapshot"], data["version"]).get("profile") or {}
    except Exception:  # the card is documentation: a missing profile is not an export error
        profile = {}
    inputs = {c["name"] for c in manifest["input_schema"]["columns"]}
    profile = {**profile, "columns": {k: v for k, v in (profile.get("columns") or {}).items()
                                      if k in inputs}}
    if profile["columns"]:
        out.append(_table(("column", "dtype", "kind", "missing", "summary"),
                          _profile_rows(profile)))

    out.append("## Parameters\n")
    params = manifest.get("params") or {}
    out.append(_table(("param", "value"), sorted(params.items())) if params else "None logged.\n")
    out.append("## Metrics\n")
    metrics = manifest.get("metrics") or {}
    out.append(_table(("metric", "value"), sorted(metrics.items())) if metrics
               else "None logged.\n")

    out.append("## Top features\n")
    top = _top_features(record)
    out.append(_table(("feature", "importance (mean absolute SHAP)"), top) if top else
               "No stored explanation: `mj.explain(model, X, run_id=...)` stores one.\n")

    out.append("## Drift baseline\n")
    out.append(f"`reference.json` profiles the {manifest['reference']['rows']} training rows "
               "(sorted values of numeric columns, category counts of the others, and the "
               "model's predictions). The server's `/monitor/drift` compares its recent inputs "
               "with it using the statistics of `mj.drift` (KS / chi-square p < 0.05, or "
               "Wasserstein / Jensen-Shannon >= 0.1 above 1,000 reference values; dataset "
               "drift when half of the columns drift).\n")

    out.append("## Environment\n")
    env = manifest.get("environment") or {}
    out.append(f"Trained with {env.get('implementation') or 'Python'} {env.get('python', '?')}"
               + (f" on {env['platform']}" if env.get("platform") else "") + ". "
               "Serving needs (`requirements.txt`):\n\n"
               + "".join(f"- `{line.split('#')[0].strip()}`\n" for line in requirements))

    training = manifest.get("training_script")
    if training:
        out.append("## Training code\n")
        out.append(training_code_section(training))

    out.append("## Lineage\n")
    try:
        out.append(lineage(store, ref).to_markdown())
    except Exception as exc:  # documentation: say what is missing, do not fail the export
        out.append(f"Not available: {exc}\n")

    out.append("## Audit trail\n")
    if registered is None:
        out.append("Not registered: exported from a run id, no registry events.\n")
    else:
        log = audit_log(store, name)
        rows = [(r["time"].strftime("%Y-%m-%d %H:%M:%S UTC"), f"{r['user']}@{r['host']}", r["action"],
                 "" if r["version"] is None or str(r["version"]) == "<NA>" else r["version"],
                 json.dumps(r["from"]) if r["from"] is not None else "",
                 json.dumps(r["to"]) if r["to"] is not None else "")
                for _, r in log.iterrows()]
        out.append(_table(("time", "who", "action", "version", "from", "to"), rows))

    out.append("## Parity check\n")
    parity = manifest.get("parity") or {}
    out.append(f"The exported server (`serve.py`, started on loopback at export) answered the "
               f"first {parity.get('rows')} training rows with "
               + ("exactly the model's predictions" if parity.get("max_abs_diff") == 0 else
                  f"a largest difference of {parity.get('max_abs_diff')}")
               + f" ({' and '.join(parity.get('compared') or ['predictions'])}): "
               + ("**equal**" if parity.get("equal") else "**different**") + ".\n")
    out.append(fast_path_section(manifest.get("fast_path") or {}))
    return "\n".join(out)


def fast_path_section(fast_path: dict[str, Any]) -> str:
    """The card's "Serving path" paragraph: whether the server scores with NumPy alone."""
    if fast_path.get("file"):
        steps = " → ".join(f"`{s.rsplit('.', 1)[-1]}`" for s in fast_path.get("steps") or ())
        return ("## Serving path\n\n"
                f"Complete numeric rows are scored with NumPy alone from `{fast_path['file']}` "
                f"({steps}), checked at export against the model on "
                f"{fast_path.get('checked_rows')} training rows (largest difference "
                f"{fast_path.get('max_abs_diff')}); the server is ready without loading "
                "scikit-learn. A row with a missing value is scored by the model itself "
                "(`model.skops`, loaded then, or at start with `MLOPS_PRELOAD_MODEL=1`).\n")
    reason = fast_path.get("reason") or "not recorded"
    return ("## Serving path\n\n"
            f"Every row is scored by the model itself (`model.skops`): no NumPy fast path "
            f"({reason}).\n")


def training_code_section(training: dict[str, Any]) -> str:
    """The card's "Training code" paragraph: what ``train.py`` is and how to run it."""
    data = ", ".join(f"`{d}`" for d in training.get("data") or ()) or "no data files"
    run = ("```console\n$ cd <this folder>\n$ python train.py\n```\n\n"
           "It needs pandas and pyarrow (for the data files) and the libraries the run "
           "imported, listed at its top; not mlops-jupyter, and no store.\n")
    code = training.get("code")
    if code is None:
        return ("**The run's code was not captured**: the run was not started in a notebook "
                "cell (`mj.start_run` from a script, a test or a thread), so "
                f"`{training['file']}` cannot train the model again. It loads the training "
                f"data the run recorded ({data}) for you to add the training code.\n\n" + run)
    cell = f"In[{code['execution_count']}]" if code.get("execution_count") else "the cell"
    notebook = f" of `{code['notebook']}`" if code.get("notebook") else ""
    metrics = training.get("reproduces") or []
    prints = (f"prints the run's metrics ({', '.join(f'`{m}`' for m in metrics)}) as JSON on "
              "its last line, to compare with the table above" if metrics else
              "prints no metrics: the run's metrics were no variables of the tracked cell")
    return (f"`{training['file']}` is the code that trained this model: the tracked cell "
            f"({cell}{notebook}) and the {code.get('earlier_cells', 0)} earlier cell(s) it "
            "depends on, in execution order, IPython magics and display-only lines removed. "
            f"It loads the training data from the run's snapshots ({data}) and {prints}:"
            "\n\n" + run)


def dockerfile(manifest: dict[str, Any]) -> str:
    """A slim image running the package as a non-root user; ``serve`` (SageMaker's container
    argument) is the default command. The base is the training run's Python (minor version),
    so the pinned wheels exist for it; 3.11 when it is unknown."""
    python = (manifest.get("environment") or {}).get("python") or ""
    match = re.match(r"^(3\.\d+)", python)
    base = match.group(1) if match else DEFAULT_PYTHON
    return f"""\
# {manifest['name']} v{manifest['version']}, exported by mlops-jupyter.
#   docker build -t {_dns_name(manifest['name'])}:{manifest['version']} .
#   docker run -p {CONTAINER_PORT}:{CONTAINER_PORT} {_dns_name(manifest['name'])}:{manifest['version']}
# SageMaker starts `docker run IMAGE serve`: the same thing (0.0.0.0, port {CONTAINER_PORT},
# or $AIP_HTTP_PORT on Vertex AI). Extra options follow `serve`: `serve --workers 2`.
ARG PYTHON_VERSION={base}
FROM python:${{PYTHON_VERSION}}-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 model
WORKDIR /opt/model
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=model:model . .
USER model
EXPOSE {CONTAINER_PORT}
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('AIP_HTTP_PORT', '{CONTAINER_PORT}') + '/v2/health/ready', timeout=4)"]
ENTRYPOINT ["python", "serve.py"]
CMD ["serve"]
"""


def _dns_name(name: str) -> str:
    """A Kubernetes (DNS-1123) name from a model name: lower case, [a-z0-9-]."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (cleaned or "model")[:63].rstrip("-") or "model"


def kserve_yaml(manifest: dict[str, Any]) -> str:
    """A KServe InferenceService running the package's image (custom container)."""
    name = _dns_name(manifest["name"])
    return f"""\
# KServe InferenceService for {manifest['name']} v{manifest['version']}: build and push the
# image of ./Dockerfile, set `image:` below, then `kubectl apply -f kserve.yaml`.
# The container speaks the Open Inference Protocol V2 (/v2/models/{manifest['name']}/infer)
# and /predict; KServe routes to port {CONTAINER_PORT}.
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
  labels:
    mlops-jupyter/run-id: "{manifest['run_id']}"
    mlops-jupyter/version: "{manifest['version']}"
spec:
  predictor:
    containers:
      - name: kserve-container
        image: REGISTRY/{name}:{manifest['version']}  # <- your registry
        args: ["serve"]
        ports:
          - containerPort: {CONTAINER_PORT}
            protocol: TCP
        readinessProbe:
          httpGet:
            path: /v2/health/ready
            port: {CONTAINER_PORT}
        livenessProbe:
          httpGet:
            path: /v2/health/live
            port: {CONTAINER_PORT}
        resources:
          requests:
            cpu: 500m
            memory: 512Mi
          limits:
            memory: 1Gi
"""


def mlserver_settings(manifest: dict[str, Any]) -> str:
    """MLServer's ``model-settings.json``: the package's own runtime class
    (``mlserver_runtime.PackageModel``), which loads the model through ``predictor.py``
    (skops, the manifest's trust list): MLServer's sklearn runtime would unpickle a file."""
    settings = {
        "name": manifest["name"],
        "implementation": "mlserver_runtime.PackageModel",
        "parameters": {"uri": ".", "version": str(manifest["version"])},
        "inputs": [{"name": c["name"],
                    "datatype": "BYTES" if c["kind"] in ("string", "categorical", "datetime")
                    else "BOOL" if c["kind"] == "boolean" else "FP64", "shape": [-1]}
                   for c in manifest["input_schema"]["columns"]],
    }
    return json.dumps(settings, indent=2) + "\n"


MLSERVER_RUNTIME = '''\
"""MLServer runtime of this package: `pip install mlserver && mlserver start .` serves it
with model-settings.json. Loads the model as serve.py does (predictor.py: skops, the trust
list of mlops-model.json, the input schema checks); needs mlserver installed besides
requirements.txt. Requests: one input per column, or MLServer's "pd" content type."""

from __future__ import annotations

import os
import sys

from mlserver import MLModel
from mlserver.codecs import NumpyCodec, PandasCodec
from mlserver.types import InferenceRequest, InferenceResponse

HERE = os.path.dirname(os.path.abspath(__file__))


class PackageModel(MLModel):
    async def load(self) -> bool:
        if HERE not in sys.path:
            sys.path.insert(0, HERE)
        from predictor import Predictor

        self._predictor = Predictor(HERE)
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        frame = PandasCodec.decode_request(payload)
        batch = self._predictor.from_columns({str(c): frame[c].tolist() for c in frame.columns})
        result = self._predictor.predict(batch, probabilities=False)
        output = NumpyCodec.encode_output("predict", result.predictions)
        return InferenceResponse(model_name=self.name, model_version=self.version,
                                 id=payload.id, outputs=[output])
'''
