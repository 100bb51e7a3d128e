"""The REST handlers under ``{base_url}mlops/api/``: JSON in and out, over the store a
request names (never the process-wide one) and the functions that take a store.

Every handler is a Jupyter ``APIHandler`` behind ``tornado.web.authenticated`` (token or
login cookie); POSTs with a cookie are XSRF-checked by ``APIHandler``. Errors go through one
path (:func:`_json_errors`): 400 bad argument, 403 outside the root, 404 unknown, 409
conflict (a run that cannot be exported), 500 otherwise; the body says what was wrong.
"""

from __future__ import annotations

import functools
import json
import shlex
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from ..errors import (
    ExportError,
    FilterSyntaxError,
    InvalidNameError,
    InvalidValueError,
    MlopsError,
    NotFoundError,
    StoreError,
    UntrustedTypesError,
)
from ..store import open_store
from . import payloads
from .stores import OutsideRootError, StoreCatalog, inside_root

SETTINGS_KEY = "mlops_jupyter"
DEFAULT_LIMIT = 200
MAX_LIMIT = 10_000
MAX_COMPARED = 50


class Conflict(MlopsError):
    """The request is valid but the thing it names cannot do it (HTTP 409)."""


class BadRequest(MlopsError):
    """A malformed argument (HTTP 400)."""


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, OutsideRootError):
        return 403
    if isinstance(exc, (FilterSyntaxError, BadRequest, InvalidNameError, InvalidValueError)):
        return 400
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (Conflict, ExportError, UntrustedTypesError)):
        return 409
    return 500


def _json_errors(method):
    """Turn the package's errors into JSON error replies (one path for every handler)."""
    @functools.wraps(method)
    async def wrapper(self: MlopsHandler, *args: Any, **kwargs: Any) -> None:
        try:
            result = method(self, *args, **kwargs)
            if result is not None and hasattr(result, "__await__"):
                await result
        except (MlopsError, OutsideRootError) as exc:
            extra: dict[str, Any] = {}
            if isinstance(exc, FilterSyntaxError):
                extra = {"kind": "order" if exc.what == "order_by" else "filter",
                         "position": exc.position}
            if isinstance(exc, UntrustedTypesError):
                extra = {"types": list(exc.types)}
            if isinstance(exc, StoreError):
                self.log.warning("mlops_jupyter: %s", exc)
            self.reply_error(_status_of(exc), str(exc), **extra)
    return wrapper


class MlopsHandler(APIHandler):
    """Shared parts: the store catalog, argument parsing, JSON replies."""

    @property
    def catalog(self) -> StoreCatalog:
        return self.settings[SETTINGS_KEY]["catalog"]

    @property
    def root(self) -> Path:
        return self.catalog.root

    def open(self, store_id: str | None):
        """The store a request names (``?store=``), among the discovered ones."""
        return open_store(self.catalog.entry(store_id).spec)

    def reply(self, payload: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payloads.json_safe(payload), allow_nan=False))

    def reply_error(self, status: int, message: str, **extra: Any) -> None:
        self.set_status(status)
        self.reply({"error": message, "message": message, **extra})

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors raised before a handler runs (authentication, XSRF) as the same JSON."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message, "message": message}))

    def text_arg(self, name: str) -> str | None:
        value = self.get_query_argument(name, None)
        return value if value not in (None, "") else None

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        text = self.get_query_argument(name, None)
        if text in (None, ""):
            return default
        try:
            value = int(text)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number from {low} to {high}; "
                             f"got {text!r:.40}") from None
        if not low <= value <= high:
            raise BadRequest(f"{name} must be from {low} to {high}; got {value}")
        return value

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise BadRequest(f"the request body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadRequest("the request body must be a JSON object")
        return data

    def notebook_paths(self, notebook: str) -> tuple[str, ...]:
        """The spellings a run may carry of the notebook ``notebook`` (relative to the
        root): relative, and absolute as the server's kernels are told it."""
        target = inside_root(self.root, notebook, "notebook")
        rel = target.relative_to(self.root).as_posix()
        configured = Path(self.settings[SETTINGS_KEY]["root_dir"]) / rel
        return tuple(dict.fromkeys([rel, notebook, str(target), str(configured)]))


class StoresHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def get(self) -> None:
        self.reply({"stores": [e.to_json() for e in self.catalog.discover()]})


class ExperimentsHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def get(self) -> None:
        store = self.open(self.text_arg("store"))
        self.reply({"experiments": [{"name": name, "runs": n}
                                    for name, n in store.experiment_counts()]})


class StatusHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def get(self) -> None:
        from ..tracking.run_listing import reap_crashed_runs

        store = self.open(self.text_arg("store"))
        # The panel polls only this: a run whose process died must show up as a change.
        reap_crashed_runs(store)
        version, runs = store.change_token()
        self.reply({"version": version, "runs": runs})


class RunsHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def get(self) -> None:
        from ..tracking.run_listing import runs_page

        store = self.open(self.text_arg("store"))
        notebook = self.text_arg("notebook")
        has_model = self.text_arg("has_model")
        if has_model not in (None, "0", "1", "true", "false"):
            raise BadRequest(f"has_model must be 1 or 0; got {has_model!r:.40}")
        page = runs_page(
            store, experiment=self.text_arg("experiment"), filter=self.text_arg("filter"),
            order_by=self.text_arg("order"),
            limit=self.int_arg("limit", DEFAULT_LIMIT, 0, MAX_LIMIT),
            offset=self.int_arg("offset", 0, 0, 2**31),
            notebooks=self.notebook_paths(notebook) if notebook else (),
            has_model=has_model in ("1", "true"))
        self.reply({"total": page.total, "offset": page.offset, "limit": page.limit,
                    "columns": page.columns,
                    "runs": [payloads.run_row(r, self.root) for r in page.rows]})


class RunHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def get(self, run_id: str) -> None:
        store = self.open(self.text_arg("store"))
        full = store.resolve_run_id(run_id)
        rows = store.page_rows([full])
        self.reply(payloads.run_detail(rows[0], store.run_record(full), self.root))


class CompareHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def get(self) -> None:
        from ..analysis.compare import diff_runs

        store = self.open(self.text_arg("store"))
        asked = [i for i in (self.text_arg("ids") or "").split(",") if i.strip()]
        if not 2 <= len(asked) <= MAX_COMPARED:
            raise BadRequest(f"ids must name 2 to {MAX_COMPARED} runs, separated by commas; "
                             f"got {len(asked)}")
        ids = list(dict.fromkeys(store.resolve_run_id(i.strip()) for i in asked))
        rows = store.page_rows(ids)
        histories = store.metric_histories(ids, min_points=1)
        params = [r["params"] for r in rows]
        keys = sorted({k for p in params for k in p})
        same = [k for k in keys if all(k in p for p in params)
                and all(json.dumps(p[k], sort_keys=True) == json.dumps(params[0][k], sort_keys=True)
                        for p in params)]
        diff = None
        if len(ids) == 2:
            a, b = store.run_record(ids[0]), store.run_record(ids[1])
            diff = payloads.diff_json(diff_runs(a, b))
        self.reply({
            "runs": [payloads.run_row(r, self.root) for r in rows],
            "metric_history": {run: {key: [[step, value] for step, value, _ in series]
                                     for key, series in histories.get(run, {}).items()}
                               for run in ids},
            "params": {"differing": [k for k in keys if k not in same], "same": same},
            "metrics": sorted({k for r in rows for k in r["metrics"]}),
            "diff": diff,
        })


class ModelsHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def get(self) -> None:
        store = self.open(self.text_arg("store"))
        self.reply({"models": [payloads.model_json(m) for m in store.registered_models()]})


class StageHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    def post(self, name: str, version: str) -> None:
        from ..deploy import registry

        data = self.body()
        store = self.open(data.get("store"))
        archive = data.get("archive_existing", True)
        if not isinstance(archive, bool):
            raise BadRequest(f"archive_existing must be true or false; got {archive!r:.40}")
        if "stage" not in data:
            raise BadRequest('the body needs "stage": "Production", "Staging", "Archived" '
                             "or null")
        moved = registry.promote(store, name, int(version), data["stage"],
                                 archive_existing=archive)
        self.reply(payloads.version_json(asdict(moved)))


class ExportsHandler(MlopsHandler):
    @web.authenticated
    @_json_errors
    async def post(self) -> None:
        data = self.body()
        for key in ("ref", "register_as", "description", "out_dir", "store"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise BadRequest(f"{key} must be a string")
        ref = (data.get("ref") or "").strip()
        if not ref:
            raise BadRequest('the body needs "ref": a run id, "name/version" or "name@stage"')
        out_dir = None
        if data.get("out_dir"):
            out_dir = inside_root(self.root, data["out_dir"], "out_dir")
            if out_dir == self.root:
                raise OutsideRootError("out_dir must be a folder inside the server root, "
                                       "not the root itself (the archive goes next to it)")
        store = self.open(data.get("store"))
        executor = self.settings[SETTINGS_KEY]["executor"]
        # The export starts the packaged server to check parity (seconds): off the loop.
        result = await IOLoop.current().run_in_executor(
            executor, export_package, store, self.root, ref, out_dir,
            data.get("register_as"), data.get("description"))
        self.reply(result)


def export_package(store: Any, root: Path, ref: str, out_dir: Path | None,
                   register_as: str | None, description: str | None) -> dict[str, Any]:
    """Register (optionally) and export; errors about the run's state are a Conflict."""
    from ..deploy import registry
    from ..deploy.export import export, load_exported_manifest, package_files, resolve_source

    # Unknown references are 404 (NotFoundError from here); a known run or version that
    # cannot be exported (no model, no training data, failed) is a 409 below.
    is_model_ref = registry.parse_model_ref(ref) is not None
    if is_model_ref:
        if register_as:
            raise BadRequest(f"register_as needs a run id as ref; {ref!r} is a registered "
                             "model version already")
        registry.get_model_version(store, ref)
    else:
        store.resolve_run_id(ref)
    try:
        source = resolve_source(store, ref)
    except (NotFoundError, InvalidValueError) as exc:
        raise Conflict(str(exc)) from None
    version = None
    if register_as:
        version = registry.register(store, source.run_id, register_as, model=source.model,
                                    description=description)
        ref = version.ref
        source = resolve_source(store, ref)
    elif source.version is not None:
        version = source.version
    folder = out_dir if out_dir is not None else root / "exports" / source.default_folder
    if root not in folder.parents:
        raise OutsideRootError(f"the export folder {folder} is outside the server root")
    try:
        folder = export(store, ref, folder, progress=False)
    except (InvalidValueError, NotFoundError) as exc:
        raise Conflict(str(exc)) from None
    manifest = load_exported_manifest(folder)
    rel = folder.relative_to(root).as_posix()
    return {
        "path": rel, "absolute_path": str(folder), "archive": rel + ".tar.gz",
        "files": [p.as_posix() for p in package_files(folder)],
        "serve_command": f"mlops-jupyter serve {shlex.quote(rel)}",
        "version": payloads.version_json(asdict(version)) if version is not None else None,
        "parity": manifest.get("parity"),
    }


def setup_handlers(web_app: Any, root_dir: str) -> None:
    """Register the handlers under ``{base_url}mlops/api/``."""
    from jupyter_server.utils import url_path_join

    web_app.settings[SETTINGS_KEY] = {
        "catalog": StoreCatalog(root_dir), "root_dir": root_dir,
        "executor": ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlops-export"),
    }
    base = url_path_join(web_app.settings["base_url"], "mlops", "api")
    routes = [
        ("stores", StoresHandler), ("experiments", ExperimentsHandler),
        ("status", StatusHandler), ("runs", RunsHandler), (r"runs/([^/]+)", RunHandler),
        ("compare", CompareHandler), ("models", ModelsHandler), ("exports", ExportsHandler),
        (r"models/([^/]+)/versions/(\d+)/stage", StageHandler),
    ]
    web_app.add_handlers(".*$", [(url_path_join(base, path) + "/?$", handler)
                                 for path, handler in routes])
