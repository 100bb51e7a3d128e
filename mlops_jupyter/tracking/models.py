"""Saving and loading fitted models with skops (no pickle: loading cannot run arbitrary code).

Trust policy. A skops file is a tree of nodes; each names an object by module and name and
says how it is built. skops refuses any name outside its default trust list (primitive and
container types, NumPy arrays and dtypes, NumPy/SciPy ufuncs, public scikit-learn
estimators...) unless told to trust it. On top of that default we trust automatically only a
*class* that

- lives in scikit-learn, NumPy or SciPy (``AUTO_TRUSTED_PACKAGES``),
- is built in the file the way skops builds an estimator: ``cls.__new__`` then its state
  (``SAFE_LOADERS``), never called with arguments the file chooses (``numpy.memmap(path,
  mode="w+")`` would write any file),
- has no finalizer (``__del__`` runs on attributes from the file; NumPy's ``DataSource``
  deletes a folder it names).

Never trusted automatically: functions, methods, ``functools.partial``, ``builtins`` and
``collections`` callables, classes used as values (a function is later called by the model
with arguments the file controls, e.g. ``FunctionTransformer(kw_args=...)``, and NumPy has
``numpy.load(allow_pickle=True)``). Everything else is refused with
:class:`UntrustedTypesError` listing the names; the user may pass them as ``trusted=``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InvalidValueError, MlopsError, NotFoundError, UntrustedTypesError

if TYPE_CHECKING:
    from ..store import Store
    from .artifact import Artifact
    from .run import Run

AUTO_TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy")
# skops loaders that build an object as ``cls.__new__(cls)`` + its saved state (ObjectNode), or
# call a constructor skops fixes itself (TreeNode always builds sklearn's Tree).
SAFE_LOADERS = frozenset({"ObjectNode", "TreeNode"})


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def input_schema(X: Any) -> dict[str, Any] | None:
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        from ..data.schema import infer_schema, schema_to_json

        return {"type": "dataframe", "columns": schema_to_json(infer_schema(X))}
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return {"type": "array", "n_features": int(shape[1]), "dtype": str(getattr(X, "dtype", ""))}
    return None


def model_metadata(estimator: Any, X_example: Any = None) -> dict[str, Any]:
    # The types a model needs (skops' "untrusted types") are read when it is loaded or
    # exported, not here: parsing the saved bytes again cost a third of a tracked fit's overhead.
    import sklearn
    import skops

    meta: dict[str, Any] = {
        "format": "skops",
        "class": _class_path(estimator),
        "skops_version": skops.__version__,
        "sklearn_version": sklearn.__version__,
    }
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        meta["feature_names"] = [str(n) for n in names]
    n_in = getattr(estimator, "n_features_in_", None)
    if n_in is not None:
        meta["n_features_in"] = int(n_in)
    if X_example is not None:
        meta["input_schema"] = input_schema(X_example)
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        meta["classes"] = [c.item() if hasattr(c, "item") else c for c in classes]
    return meta


def log_model(run: Run, estimator: Any, name: str, X_example: Any = None) -> Artifact:
    """Save ``estimator`` with skops as the model artifact ``name`` of ``run``."""
    import skops.io as sio

    from .artifact import Artifact

    try:
        data = sio.dumps(estimator)
    except Exception as exc:  # skops raises a variety of types for unsupported objects
        raise MlopsError(
            f"cannot save model {name!r} ({_class_path(estimator)}) with skops: {exc}"
        ) from exc
    meta = model_metadata(estimator, X_example)
    blob = run.store.add_artifact(run.id, name, "model", data, meta)
    return Artifact(run_id=run.id, name=name, kind="model", blob_hash=blob.blob_hash,
                    size=blob.size, meta=meta, _store=run.store)


def nodes_by_name(data: bytes) -> dict[str, set[str]]:
    """``module.name`` -> the skops loaders that build it, read from the file's schema."""
    import io
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        schema = json.loads(zf.read("schema.json"))
    found: dict[str, set[str]] = {}
    stack: list[Any] = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            loader, module, name = item.get("__loader__"), item.get("__module__"), item.get("__class__")
            if isinstance(loader, str) and isinstance(module, str) and isinstance(name, str):
                found.setdefault(f"{module}.{name}", set()).add(loader)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _is_safe_class(path: str) -> bool:
    """``path`` names a class of a trusted package that has no finalizer."""
    import importlib

    module, _, name = path.rpartition(".")
    parts = module.split(".")
    if parts[0] not in AUTO_TRUSTED_PACKAGES or not all(p.isidentifier() for p in [*parts, name]):
        return False
    try:  # importing a module of an installed trusted package runs nothing from the file
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    if not isinstance(obj, type):
        return False
    return not any("__del__" in vars(klass) for klass in obj.__mro__ if klass is not object)


def auto_trusted(data: bytes, needed: list[str]) -> set[str]:
    """The names among ``needed`` (skops' untrusted types) that the trust policy accepts."""
    loaders = nodes_by_name(data)
    return {
        path for path in needed
        if path in loaders and loaders[path] <= SAFE_LOADERS and _is_safe_class(path)
    }


def run_models(record: dict[str, Any]) -> list[str]:
    """The names of the models a run logged (``store.run_record``), in logging order."""
    return [a["name"] for a in record["artifacts"] if a["kind"] == "model"]


# Runs whose model may be registered or exported (a FAILED/KILLED/CRASHED run's model is
# whatever the cell had fitted when it broke).
USABLE_RUN_STATUSES = ("FINISHED", "RUNNING")


def check_usable_run(record: dict[str, Any], *, doing: str) -> None:
    """InvalidValueError unless the run finished (or is still running): the one rule of
    registering and exporting, with ``doing`` starting the message."""
    if record["status"] not in USABLE_RUN_STATUSES:
        run = f"run {record['name']!r} ({record['id'][:8]})"
        raise InvalidValueError(
            f"{doing}: {run}: it is {record['status']}, and only a finished (or still "
            "running) run's model can be used; fix the cell, run it again and use the new run")


def choose_model(record: dict[str, Any], model: str | None, *, doing: str,
                 several: str = "pass model= one of them") -> str:
    """Which model of the run ``record`` is meant: ``model``, or the run's only one.

    The one rule for loading, registering and exporting (``doing`` starts each message,
    e.g. "cannot export 'churn/2'"; ``several`` says what to do when the run has more
    than one model). No model -> NotFoundError; several and no ``model`` -> InvalidValueError;
    an unknown ``model`` -> NotFoundError listing the run's models.
    """
    run = f"run {record['name']!r} ({record['id'][:8]})"
    available = run_models(record)
    if not available:
        raise NotFoundError(
            f"{doing}: {run} has no model; log one with mj.log_model(estimator) inside the "
            "run, or fit an estimator in a %%track cell")
    if model is None:
        if len(available) > 1:
            raise InvalidValueError(f"{doing}: {run} has several models "
                                    f"({', '.join(map(repr, available))}); {several}")
        return available[0]
    if model not in available:
        raise NotFoundError(f"{doing}: {run} has no model {model!r}; its models: "
                            f"{', '.join(map(repr, available))}")
    return model


def load_model(store: Store, run_id: str, name: str | None = None,
               trusted: list[str] | None = None) -> Any:
    """The model ``name`` of run ``run_id`` (its only model when ``name`` is None)."""
    name = choose_model(store.run_record(run_id), name,
                        doing=f"cannot load a model of run {run_id[:8]}",
                        several="pass name= one of them")
    _row, data = store.artifact(run_id, name)
    return model_from_bytes(data, name, run_id, trusted)


def model_from_bytes(data: bytes, name: str, run_id: str,
                     trusted: list[str] | None = None) -> Any:
    """Load the skops file ``data`` (model ``name`` of run ``run_id``, for messages) under
    the trust policy above, plus the names in ``trusted``."""
    import skops.io as sio

    try:
        needed = sio.get_untrusted_types(data=data)
        automatic = auto_trusted(data, needed)
    except Exception as exc:  # not a zip, no schema, unknown node: not a skops model file
        raise MlopsError(
            f"artifact {name!r} of run {run_id[:8]} is not a model file skops can read "
            f"({type(exc).__name__}: {exc}); load it with mj.get_run(...).artifact_bytes({name!r})"
        ) from exc
    allowed = set(trusted or ())
    refused = sorted(t for t in needed if t not in automatic and t not in allowed)
    if refused:
        from skops.io.exceptions import UNTRUSTED_TYPE_REASONS

        notes = "".join(f"\n- {t}: {UNTRUSTED_TYPE_REASONS[t]}"
                        for t in refused if t in UNTRUSTED_TYPE_REASONS)
        raise UntrustedTypesError(
            f"model {name!r} of run {run_id[:8]} needs names outside the trust list: "
            f"{', '.join(refused)}. Loading it would build or call them with values from the "
            "file; nothing was loaded. Only if you trust where this file came from, pass "
            f"trusted={refused!r}.{notes}",
            refused,
        )
    # Only what was checked above: skops audits the tree again against this list.
    return sio.loads(data, trusted=sorted(automatic | allowed))
