"""The package's manifest (``mlops-model.json``) and reference profile, read and checked.

Part of the serving runtime: standard library only. The layout and every field are described
in README.md next to this file; this module is the one place that reads them, so a package
with a missing or malformed field fails at start-up with a message naming the field, never
with a KeyError in the middle of a request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "mlops-model.json"
FORMAT_VERSION = 1
KINDS = ("numeric", "boolean", "categorical", "datetime", "string", "other")
UNSEEN_POLICIES = ("accept", "reject")


class ManifestError(Exception):
    """The package is incomplete or inconsistent: the message names the file and the field."""


@dataclass(frozen=True)
class Column:
    """One input column of the model, as the manifest's ``input_schema`` describes it."""

    name: str
    dtype: str  # the training frame's dtype, e.g. "float64", "int64", "object", "category"
    kind: str  # one of KINDS: decides which JSON values the column accepts
    nullable: bool  # missing values were seen in training
    categories: tuple[Any, ...] | None = None  # values seen in training (categorical/string)
    unseen: str = "accept"  # "reject": a value outside ``categories`` is a 422


@dataclass(frozen=True)
class Manifest:
    directory: Path
    name: str
    version: str
    run_id: str | None
    model_file: str
    trusted_types: tuple[str, ...]
    columns: tuple[Column, ...]
    reference_file: str | None
    input_example: tuple[dict[str, Any], ...]
    files: dict[str, str]  # relative path -> SHA-256 hex digest
    raw: dict[str, Any]
    fast_path_file: str | None = None  # fast_path.json: the NumPy evaluator's parameters


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(directory: str | Path) -> Manifest:
    """Read and check ``directory/mlops-model.json``."""
    directory = Path(directory).resolve()
    path = directory / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest; is {directory} a model package?") from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: expected a JSON object")

    def field(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise ManifestError(f"{path}: missing field {where}{key!r}")
        value = obj[key]
        if not isinstance(value, kind):
            raise ManifestError(f"{path}: field {where}{key!r} has the wrong type "
                                f"({type(value).__name__})")
        return value

    fmt = raw.get("format_version", FORMAT_VERSION)
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
        raise ManifestError(f"{path}: format_version {fmt!r} is newer than this runtime "
                            f"understands ({FORMAT_VERSION}); re-export with this version")
    model = field(raw, "model", dict, "")
    model_file = field(model, "file", str, "model.")
    trusted = field(model, "trusted_types", list, "model.")
    if not all(isinstance(t, str) for t in trusted):
        raise ManifestError(f"{path}: model.trusted_types must be a list of strings")
    schema = field(raw, "input_schema", dict, "")
    raw_columns = field(schema, "columns", list, "input_schema.")
    columns = []
    for i, item in enumerate(raw_columns):
        where = f"input_schema.columns[{i}]."
        kind = field(item, "kind", str, where)
        if kind not in KINDS:
            raise ManifestError(f"{path}: {where}kind must be one of {KINDS}, not {kind!r}")
        unseen = item.get("unseen", "accept")
        if unseen not in UNSEEN_POLICIES:
            raise ManifestError(f"{path}: {where}unseen must be one of {UNSEEN_POLICIES}")
        cats = item.get("categories")
        columns.append(Column(
            name=field(item, "name", str, where),
            dtype=str(item.get("dtype", "")),
            kind=kind,
            nullable=bool(item.get("nullable", False)),
            categories=tuple(cats) if isinstance(cats, list) else None,
            unseen=unseen,
        ))
    if not columns:
        raise ManifestError(f"{path}: input_schema.columns is empty")
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ManifestError(f"{path}: input_schema.columns has duplicate names")
    reference = raw.get("reference")
    reference_file = reference.get("file") if isinstance(reference, dict) else None
    fast_path = raw.get("fast_path")
    fast_path_file = fast_path.get("file") if isinstance(fast_path, dict) else None
    if fast_path_file is not None and not isinstance(fast_path_file, str):
        raise ManifestError(f"{path}: fast_path.file must be a file name")
    example = raw.get("input_example") or []
    files = raw.get("files") or {}
    if not isinstance(files, dict):
        raise ManifestError(f"{path}: files must map relative paths to SHA-256 digests")
    return Manifest(
        directory=directory,
        name=str(field(raw, "name", (str, int), "")),
        version=str(field(raw, "version", (str, int), "")),
        run_id=raw.get("run_id"),
        model_file=model_file,
        trusted_types=tuple(trusted),
        columns=tuple(columns),
        reference_file=reference_file if isinstance(reference_file, str) else None,
        input_example=tuple(r for r in example if isinstance(r, dict)),
        files={str(k): str(v) for k, v in files.items()},
        raw=raw,
        fast_path_file=fast_path_file,
    )


def package_file(manifest: Manifest, relative: str) -> Path:
    """The path of a file of the package, checked against its SHA-256 when the manifest has it.

    A relative path that leaves the package folder is refused: the manifest is data, and a
    path in it must not reach the rest of the file system.
    """
    path = (manifest.directory / relative).resolve()
    if manifest.directory not in path.parents:
        raise ManifestError(f"{relative!r} is outside the package folder {manifest.directory}")
    if not path.is_file():
        raise ManifestError(f"{path}: listed in {MANIFEST_NAME} but missing")
    expected = manifest.files.get(relative)
    if expected is not None and sha256_of(path) != expected:
        raise ManifestError(f"{path}: SHA-256 differs from {MANIFEST_NAME}; the package was "
                            "modified or damaged after export")
    return path


def load_reference(manifest: Manifest) -> dict[str, Any] | None:
    """The reference profile (README.md, "reference.json"), or None when the package has none."""
    if manifest.reference_file is None:
        return None
    path = package_file(manifest, manifest.reference_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise ManifestError(f"{path}: expected an object with a 'columns' object")
    return data
