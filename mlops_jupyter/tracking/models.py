"""Saving and loading fitted models with skops (no pickle: loading cannot run arbitrary code).

Trust policy: skops refuses to load any type it does not know unless told to trust it.
On load we read the types a model needs and trust those whose module belongs to a package
on ``TRUSTED_MODULE_PREFIXES`` (scikit-learn, NumPy, SciPy and the gradient-boosting
libraries). Anything else must be passed explicitly as ``trusted=``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import MlopsError

if TYPE_CHECKING:
    from ..store import Store
    from .run import Run

TRUSTED_MODULE_PREFIXES = (
    "sklearn.", "numpy.", "scipy.", "builtins.", "collections.", "xgboost.", "lightgbm.",
)


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


def log_model(run: Run, estimator: Any, name: str, X_example: Any = None) -> str:
    import skops.io as sio

    try:
        data = sio.dumps(estimator)
    except Exception as exc:  # skops raises a variety of types for unsupported objects
        raise MlopsError(
            f"cannot save model {name!r} ({_class_path(estimator)}) with skops: {exc}"
        ) from exc
    meta = model_metadata(estimator, X_example)
    return run.store.add_artifact(run.id, name, "model", data, meta).blob_hash


def load_model(store: Store, run_id: str, name: str | None = None,
               trusted: list[str] | None = None) -> Any:
    import skops.io as sio

    if name is None:
        record = store.run_record(run_id)
        models = [a["name"] for a in record["artifacts"] if a["kind"] == "model"]
        if not models:
            raise MlopsError(f"run {run_id[:8]} has no model artifact")
        if len(models) > 1:
            raise MlopsError(
                f"run {run_id[:8]} has several models ({', '.join(models)}): pass name="
            )
        name = models[0]
    row, data = store.artifact(run_id, name)
    needed = sio.get_untrusted_types(data=data)
    allowed = set(trusted or ())
    refused = [t for t in needed if not (t.startswith(TRUSTED_MODULE_PREFIXES) or t in allowed)]
    if refused:
        raise MlopsError(
            f"model {name!r} of run {run_id[:8]} needs types outside the trusted packages: "
            f"{', '.join(refused)}. If you trust them, pass trusted={refused!r}"
        )
    return sio.loads(data, trusted=needed)
