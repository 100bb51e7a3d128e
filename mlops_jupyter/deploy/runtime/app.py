"""The model server: a plain ASGI application (no web framework) over one Predictor.

Part of the serving runtime. Routes (README.md has a curl line for each):

    POST /predict                 records / columns / rows / {"instances"} -> predictions
    GET  /v2                      Open Inference Protocol V2: server metadata
    GET  /v2/health/live|ready    V2 health
    GET  /v2/models/{name}[/versions/{v}]          model metadata
    GET  /v2/models/{name}[/versions/{v}]/ready    model readiness
    POST /v2/models/{name}[/versions/{v}]/infer    inference
    GET  /ping, POST /invocations SageMaker (JSON or text/csv; Accept: text/csv answers CSV)
    AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE            Vertex AI (defaults /health and /predict)
    GET  /metrics                 Prometheus text format
    GET  /monitor/drift           recent inputs against the reference profile (?min_rows=N)

Why no framework: a served one-row prediction costs well under a millisecond; a framework's
routing, validation and serialisation layers cost more than that (MLflow's FastAPI scoring
server and MLServer both measure several times slower than a bare app on the same server).
Routing here is one dict lookup, the body is read once, and the response is one JSON dump.

Errors are ``{"error": "..."}`` with the HTTP status (400 malformed, 404 unknown route or
model, 405 wrong method, 413 body over the limit, 415 unknown content type, 422 input that
does not fit the schema, 500 a bug, 503 a row that needs a model file that could not be
loaded). An exception in a handler is logged with its traceback
and answered 500; the server keeps serving. One JSON log line per request goes to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import payloads
from manifest import load_reference
from metrics import Metrics
from predictor import InputError, Predictor

RUNTIME_VERSION = "1"
SERVER_NAME = "mlops-jupyter-runtime"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
INLINE_MAX_ROWS = 1000  # bigger batches are scored in a thread: health checks stay answered
JSON = b"application/json"

log = logging.getLogger("mlops.serve")


class Response:
    __slots__ = ("status", "body", "content_type", "rows", "error", "headers")

    def __init__(self, status: int, body: bytes = b"", content_type: bytes = JSON,
                 rows: int = 0, error: str | None = None,
                 headers: list[tuple[bytes, bytes]] | None = None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.rows = rows
        self.error = error
        self.headers = headers


def error(status: int, message: str, details: dict[str, Any] | None = None) -> Response:
    return Response(status, payloads.json_bytes({"error": message, **(details or {})}),
                    error=message)


def ok(obj: Any, rows: int = 0) -> Response:
    return Response(200, payloads.json_bytes(obj), rows=rows)


class BodyTooLarge(Exception):
    pass


class Disconnected(Exception):
    pass


class Request:
    __slots__ = ("method", "path", "query", "headers", "body", "params")

    def __init__(self, method: str, path: str, query: bytes, headers: dict[bytes, bytes]):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = b""
        self.params: dict[str, str] = {}

    def content_type(self) -> str:
        return self.headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode(
            "latin-1")

    def query_param(self, name: str) -> str | None:
        values = parse_qs(self.query.decode("latin-1")).get(name)
        return values[-1] if values else None


class App:
    """The ASGI application. ``App(package_dir)`` loads the model; uvicorn calls the object."""

    def __init__(self, package_dir: str | Path, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 drift_window: int | None = None, drift_log: str | None = None,
                 health_route: str | None = None, predict_route: str | None = None,
                 preload_model: bool = False):
        started = time.perf_counter()
        # lazy: with a fast path, ready after NumPy and fast_path.json; the skops model (and
        # scikit-learn) loads on the first batch that needs it, or now in the background
        # when preload_model is set
        self.predictor = Predictor(package_dir, lazy=True)
        self.preload_model = preload_model
        manifest = self.predictor.manifest
        self.name, self.version = manifest.name, manifest.version
        self.max_body_bytes = max_body_bytes
        reference = load_reference(manifest)
        self.drift = None
        if reference is not None:
            from drift_monitor import DEFAULT_WINDOW, DriftMonitor

            self.drift = DriftMonitor(reference, self.name, self.version,
                                      drift_window or DEFAULT_WINDOW, drift_log)
        self.metrics = Metrics(self.name, self.version, self.predictor.is_classifier,
                               _prediction_buckets(manifest.raw, reference))
        self.outputs = ["predict"] + (["predict_proba"] if self.predictor.has_probabilities
                                      else [])
        self.routes: dict[str, tuple[str, dict[str, Any]]] = {}
        add = self._add
        add("/", {"GET": self.index})
        add("/predict", {"POST": self.predict})
        add("/ping", {"GET": self.ping})
        add("/invocations", {"POST": self.invocations})
        add("/metrics", {"GET": self.prometheus})
        add("/monitor/drift", {"GET": self.monitor_drift})
        add("/v2", {"GET": self.v2_server})
        add("/v2/health/live", {"GET": self.live})
        add("/v2/health/ready", {"GET": self.ready})
        # Vertex AI names its routes in the environment; defaults when run elsewhere
        if (health_route or "/health") not in self.routes:
            add(health_route or "/health", {"GET": self.ready})
        if predict_route and predict_route not in self.routes:
            add(predict_route, {"POST": self.predict})
        self.load_seconds = time.perf_counter() - started
        _log_json("info", event="model loaded", model=self.name, version=self.version,
                  seconds=round(self.load_seconds, 3),
                  path=self.predictor.path, model_file_loaded=self.predictor.model_loaded,
                  drift_monitor=self.drift is not None, pid=os.getpid())

    def _load_model(self, trigger: str) -> None:
        """Load the skops model (in a worker thread: the event loop keeps answering)."""
        started = time.perf_counter()
        try:
            self.predictor.load_model()
        except Exception as exc:
            _log_json("error", event="model file not loaded", trigger=trigger,
                      error=f"{type(exc).__name__}: {exc}")
            raise
        _log_json("info", event="model file loaded", trigger=trigger,
                  seconds=round(time.perf_counter() - started, 3),
                  path=("matrix" if self.predictor.uses_matrix else "dataframe"))

    def _add(self, path: str, methods: dict[str, Any]) -> None:
        self.routes[path] = (path, methods)

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.preload_model and not self.predictor.model_loaded:
                    threading.Thread(target=self._preload, name="preload-model",
                                     daemon=True).start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.drift is not None:
                    self.drift.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _preload(self) -> None:
        with contextlib.suppress(Exception):  # logged; a request needing it answers 503
            self._load_model("preload")

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        request = Request(method, path, scope.get("query_string", b""), dict(scope["headers"]))
        route, handler, response = self._resolve(request)
        if handler is not None:
            try:
                if method == "POST":
                    request.body = await self._read_body(request, receive)
                response = await handler(request)
            except InputError as exc:
                response = error(exc.status, exc.message, exc.details)
            except BodyTooLarge:
                response = error(413, f"the request body is over the limit of "
                                      f"{self.max_body_bytes:,} bytes (--max-body-mb)")
            except Disconnected:
                return
            except Exception as exc:  # a bug: answer 500, log it, keep serving
                _log_json("error", event="unhandled exception", method=method, path=path,
                          error=f"{type(exc).__name__}: {exc}",
                          traceback=traceback.format_exc())
                response = error(500, f"internal error: {type(exc).__name__}: {exc}")
        headers = [(b"content-type", response.content_type),
                   (b"content-length", str(len(response.body)).encode())]
        if response.headers:
            headers.extend(response.headers)
        await send({"type": "http.response.start", "status": response.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        seconds = time.perf_counter() - started
        self.metrics.observe_request(route, method, response.status, seconds)
        client = scope.get("client")
        _log_json("info" if response.status < 500 else "error", method=method, path=path,
                  route=route, status=response.status, ms=round(seconds * 1000, 3),
                  rows=response.rows, client=client[0] if client else None,
                  **({"error": response.error} if response.error else {}))

    def _resolve(self, request: Request) -> tuple[str, Any, Response]:
        """(route label, handler or None, response when there is no handler)."""
        path = request.path
        found = self.routes.get(path)
        if found is None and path.startswith("/v2/models/"):
            found = self._model_route(request)
        if found is None:
            return "other", None, error(404, f"no route {path}; see GET / for the routes")
        route, methods = found
        handler = methods.get(request.method)
        if handler is None:
            allowed = ", ".join(methods)
            response = error(405, f"{request.method} is not allowed on {route}; use {allowed}")
            response.headers = [(b"allow", allowed.encode())]
            return route, None, response
        return route, handler, response_placeholder

    def _model_route(self, request: Request) -> tuple[str, dict[str, Any]] | None:
        parts = [unquote(p) for p in request.path[len("/v2/models/"):].split("/")]
        if not parts or not parts[0]:
            return None
        request.params["name"] = parts[0]
        rest = parts[1:]
        route = "/v2/models/{name}"
        if len(rest) >= 2 and rest[0] == "versions":
            request.params["version"] = rest[1]
            route += "/versions/{version}"
            rest = rest[2:]
        if not rest:
            return route, {"GET": self.v2_model}
        if rest == ["ready"]:
            return route + "/ready", {"GET": self.v2_model_ready}
        if rest == ["infer"]:
            return route + "/infer", {"POST": self.v2_infer}
        return None

    async def _read_body(self, request: Request, receive: Any) -> bytes:
        limit = self.max_body_bytes
        declared = request.headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    # ------------------------------------------------------------------ scoring

    async def _score(self, batch: Any, probabilities: bool) -> Any:
        predictor = self.predictor
        if predictor.needs_model(batch):
            try:
                await asyncio.to_thread(self._load_model, "request")
            except Exception as exc:
                raise InputError(f"the model file could not be loaded, so rows with missing "
                                 f"or non-finite values cannot be scored: {exc}", 503) from None
        if batch.n_rows > INLINE_MAX_ROWS:
            result = await asyncio.to_thread(predictor.predict, batch, probabilities)
        else:
            result = predictor.predict(batch, probabilities)
        predictions = result.predictions.tolist()
        self.metrics.observe_predictions(predictions)
        if self.drift is not None:
            self.drift.add(batch.columns, predictions)
        return result

    def _check_model(self, request: Request) -> Response | None:
        name = request.params.get("name")
        if name != self.name:
            return error(404, f"unknown model {name!r}; this server serves {self.name!r}")
        version = request.params.get("version")
        if version is not None and version != self.version:
            return error(404, f"model {self.name!r} has no version {version!r}; this server "
                              f"serves version {self.version!r}")
        return None

    async def predict(self, request: Request) -> Response:
        if request.content_type() == "text/csv":
            return await self._csv(request)
        batch, style = payloads.batch_from_json(payloads.parse_json(request.body),
                                                self.predictor)
        result = await self._score(batch, style != "instances")
        return ok(payloads.predict_response(self.predictor, result, style), batch.n_rows)

    async def invocations(self, request: Request) -> Response:
        ctype = request.content_type()
        if ctype == "text/csv":
            return await self._csv(request)
        if ctype not in ("application/json", "", "application/jsonlines+json"):
            return error(415, f"content type {ctype!r} is not supported; send "
                              "application/json or text/csv")
        return await self.predict(request)

    async def _csv(self, request: Request) -> Response:
        batch = payloads.batch_from_csv(request.body, self.predictor)
        want_csv = b"text/csv" in request.headers.get(b"accept", b"")
        result = await self._score(batch, not want_csv)
        if want_csv:
            return Response(200, payloads.csv_response(result), b"text/csv", batch.n_rows)
        return ok(payloads.predict_response(self.predictor, result, "records"), batch.n_rows)

    async def v2_infer(self, request: Request) -> Response:
        problem = self._check_model(request)
        if problem is not None:
            return problem
        header, binary = payloads.split_v2_body(
            request.body, request.headers.get(b"inference-header-content-length"))
        obj = payloads.parse_json(header)
        batch = payloads.batch_from_v2(obj, self.predictor, binary)
        wanted = payloads.v2_outputs_wanted(obj, self.outputs)
        result = await self._score(batch, "predict_proba" in wanted)
        return ok(payloads.v2_response(self.predictor, result, obj, wanted), batch.n_rows)

    # ------------------------------------------------------------------ metadata and health

    async def index(self, request: Request) -> Response:
        return ok({"model": self.name, "version": self.version, "run_id":
                   self.predictor.manifest.run_id,
                   "inputs": [c.name for c in self.predictor.columns],
                   "classes": self.predictor.classes,
                   "routes": sorted(p for p in self.routes if p != "/")
                   + ["/v2/models/{name}[/versions/{version}][/ready|/infer]"]})

    async def ping(self, request: Request) -> Response:
        return Response(200, b"", b"text/plain")

    async def live(self, request: Request) -> Response:
        return ok({"live": True})

    async def ready(self, request: Request) -> Response:
        return ok({"ready": True})

    async def v2_server(self, request: Request) -> Response:
        return ok({"name": SERVER_NAME, "version": RUNTIME_VERSION, "extensions": []})

    async def v2_model(self, request: Request) -> Response:
        problem = self._check_model(request)
        if problem is not None:
            return problem
        return ok(self.v2_metadata())

    async def v2_model_ready(self, request: Request) -> Response:
        problem = self._check_model(request)
        return problem if problem is not None else ok({"name": self.name, "ready": True})

    def v2_metadata(self) -> dict[str, Any]:
        inputs = [{"name": c.name, "datatype": v2_input_type(c.kind, c.dtype), "shape": [-1]}
                  for c in self.predictor.columns]
        outputs = [{"name": "predict", "datatype": "BYTES" if self._string_labels() else
                    ("INT64" if self._integer_labels() else "FP64"), "shape": [-1]}]
        if self.predictor.has_probabilities:
            outputs.append({"name": "predict_proba", "datatype": "FP64",
                            "shape": [-1, len(self.predictor.classes or [])]})
        return {"name": self.name, "versions": [self.version], "platform": "scikit-learn",
                "inputs": inputs, "outputs": outputs}

    def _string_labels(self) -> bool:
        return any(isinstance(c, str) for c in self.predictor.classes or [])

    def _integer_labels(self) -> bool:
        classes = self.predictor.classes or []
        return bool(classes) and all(isinstance(c, int) for c in classes)

    # ------------------------------------------------------------------ monitoring

    async def prometheus(self, request: Request) -> Response:
        body = self.metrics.render(self.drift.n_rows if self.drift is not None else None)
        return Response(200, body, b"text/plain; version=0.0.4; charset=utf-8")

    async def monitor_drift(self, request: Request) -> Response:
        if self.drift is None:
            return error(404, "this package has no reference profile: live drift is off")
        raw = request.query_param("min_rows")
        from drift_monitor import DEFAULT_MIN_ROWS, load_statistics

        await asyncio.to_thread(load_statistics)  # SciPy, imported on the first report

        min_rows = DEFAULT_MIN_ROWS
        if raw is not None:
            if not raw.isdigit() or int(raw) < 1:
                return error(400, f"min_rows must be a positive integer, not {raw!r}")
            min_rows = int(raw)
        return ok(self.drift.report(min_rows))


_V2_INPUT_TYPES = {"numeric": "FP64", "boolean": "BOOL"}


def v2_input_type(kind: str, dtype: str) -> str:
    """The V2 datatype a column is announced with: INT64 for a column trained as a plain
    integer dtype (clients such as tritonclient build their tensors from the metadata), FP64
    for other numbers (nullable ``Int64`` too: V2 has no missing values), BOOL, else BYTES."""
    if kind == "numeric" and dtype.startswith(("int", "uint")):
        return "INT64"
    return _V2_INPUT_TYPES.get(kind, "BYTES")
response_placeholder = Response(500, b"", error="no handler ran")


def _prediction_buckets(raw: dict[str, Any], reference: dict[str, Any] | None) -> list[float]:
    """Histogram buckets for a regressor's predictions: the manifest's, or the deciles of the
    training predictions kept in the reference profile."""
    buckets = (raw.get("output_schema") or {}).get("buckets")
    if isinstance(buckets, list):
        return [float(b) for b in buckets if isinstance(b, (int, float))]
    values = ((reference or {}).get("predictions") or {}).get("values")
    if isinstance(values, list) and values:
        n = len(values)
        return sorted({float(values[min(n - 1, int(q * n / 10))]) for q in range(1, 10)})
    return []


def _log_json(level: str, **fields: Any) -> None:
    if not log.isEnabledFor(logging.ERROR if level == "error" else logging.INFO):
        return
    now = time.time()
    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
              + f".{int(now % 1 * 1000):03d}Z", "level": level, **fields}
    log.log(logging.ERROR if level == "error" else logging.INFO,
            json.dumps(record, default=str))


def configure_logging(level: str = "info") -> None:
    """One JSON object per line on stderr (what log collectors parse without a pattern)."""
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(level.upper())
    log.propagate = False


def create_app() -> App:
    """The app configured from the environment (how ``serve.py --workers N`` starts each worker)."""
    env = os.environ
    configure_logging(env.get("MLOPS_LOG_LEVEL", "info"))
    return App(
        env.get("MLOPS_PACKAGE_DIR") or Path(__file__).resolve().parent,
        max_body_bytes=int(env.get("MLOPS_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
        drift_window=int(env["MLOPS_DRIFT_WINDOW"]) if env.get("MLOPS_DRIFT_WINDOW") else None,
        drift_log=env.get("MLOPS_DRIFT_LOG") or None,
        health_route=env.get("AIP_HEALTH_ROUTE") or None,
        predict_route=env.get("AIP_PREDICT_ROUTE") or None,
        preload_model=env.get("MLOPS_PRELOAD_MODEL", "").lower() in ("1", "true", "yes"),
    )
