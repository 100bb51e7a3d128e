"""JSON shapes of the REST API (docs: LABAPI.md / docs/lab.md): plain functions from what
the store and the API layers return to JSON-ready dicts. No I/O here."""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def iso(ts: float | None) -> str | None:
    """A Unix time as ISO-8601 UTC (``2026-11-30T06:45:12Z``), or None."""
    if ts is None or (isinstance(ts, float) and not math.isfinite(ts)):
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as null (JSON has neither), tuples as lists,
    NumPy scalars as Python numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item):
        return json_safe(item())
    return str(value)


def notebook_relative(path: str | None, root: Path) -> str | None:
    """A run's notebook path relative to the server root when it lies under it (the front
    end opens it), else as stored."""
    if not path:
        return None
    if not os.path.isabs(path):
        return path
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return path


def run_row(row: dict[str, Any], root: Path) -> dict[str, Any]:
    """A row of ``GET runs`` from ``Store.page_rows``."""
    end = row["end_time"]
    return {
        "run_id": row["run_id"], "name": row["name"], "experiment": row["experiment"],
        "status": row["status"], "start_time": iso(row["start_time"]), "end_time": iso(end),
        "duration": None if end is None else json_safe(end - row["start_time"]),
        "notebook_path": notebook_relative(row["notebook_path"], root),
        "cell_id": row["cell_id"], "parent_run_id": row["parent_run_id"],
        "params": json_safe(row["params"]), "metrics": json_safe(row["metrics"]),
        "tags": dict(row["tags"]), "models": list(row["models"]),
    }


def run_detail(row: dict[str, Any], record: dict[str, Any], root: Path) -> dict[str, Any]:
    """``GET runs/{id}``: the listing row plus what ``Store.run_record`` holds."""
    out = run_row(row, root)
    code_slice = record.get("code_slice") or {}
    environment = record.get("environment")
    out.update({
        "metric_history": {key: [[step, json_safe(value), iso(ts)] for step, value, ts in series]
                           for key, series in record["metric_history"].items()},
        "code": record.get("cell_source"),
        "code_slice": [c.get("source", "") for c in code_slice.get("cells", ())]
        if code_slice else None,
        "execution_count": record.get("execution_count"),
        "inputs": [{"name": i["name"], "version": i["version"], "role": i["role"],
                    "fingerprint": i["fingerprint"], "rows": i.get("n_rows"),
                    "columns": i.get("n_columns")} for i in record["inputs"]],
        "artifacts": [{"name": a["name"], "kind": a["kind"], "size": a["size"]}
                      for a in record["artifacts"]],
        "environment": json_safe(environment) if environment else None,
        "error": record.get("error"),
        "git_commit": record.get("git_commit"),
        "children": list(record.get("children") or ()),
        "warnings": list(record.get("warnings") or ()),
    })
    return out


def version_json(version: dict[str, Any]) -> dict[str, Any]:
    """A model version (a registry row or a ``ModelVersion``'s fields)."""
    stage = version["stage"]
    return {"version": version["version"], "stage": None if stage in (None, "None") else stage,
            "run_id": version["run_id"],
            "model": version.get("artifact_name", version.get("model")),
            "aliases": list(version.get("aliases") or ()),
            "created_at": iso(version["created_at"]), "description": version["description"]}


def model_json(model: dict[str, Any]) -> dict[str, Any]:
    versions = model["versions"]
    production = [v for v in versions if v["stage"] == "Production"]
    return {
        "name": model["name"], "description": model["description"],
        "latest_version": versions[-1]["version"] if versions else None,
        "production_version": production[-1]["version"] if production else None,
        "aliases": {a: v["version"] for v in versions for a in v["aliases"]},
        "versions": [version_json(v) for v in versions],
    }


def diff_json(diff: Any) -> dict[str, Any]:
    """``compare``'s ``diff`` from an ``analysis.compare.RunDiff``."""
    def delta(a: Any, b: Any) -> float | None:
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
        return json_safe(b - a) if numbers else None

    return {
        "a": diff.a_run_id, "b": diff.b_run_id,
        "params": [{"key": c.key, "a": json_safe(c.a), "b": json_safe(c.b), "status": c.status}
                   for c in diff.params if c.changed],
        "metrics": [{"key": c.key, "a": json_safe(c.a), "b": json_safe(c.b),
                     "delta": delta(c.a, c.b), "status": c.status} for c in diff.metrics],
        "code": "\n".join(diff.code_diff),
    }
