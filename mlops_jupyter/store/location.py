"""Where the store lives: ``MLOPS_STORE`` -> nearest ``.mlops/`` upwards -> ``./.mlops/``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

STORE_DIR_NAME = ".mlops"
DB_FILE_NAME = "mlops.db"
ARTIFACTS_DIR_NAME = "artifacts"


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: the SQLAlchemy URL of the database and the fsspec URL of the blobs."""

    database_url: str
    artifacts_url: str
    root: Path | None  # the .mlops folder for embedded stores, None for server databases
    # Where the spec came from, for messages ("MLOPS_STORE" or "the store"); not identity.
    source: str = field(default="the store", compare=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _embedded(root: Path, source: str = "the store") -> StoreLocation:
    root = root.resolve()
    artifacts = os.environ.get("MLOPS_ARTIFACTS") or str(root / ARTIFACTS_DIR_NAME)
    return StoreLocation(f"sqlite:///{root / DB_FILE_NAME}", artifacts, root, source)


def find_store_dir(start: Path) -> Path | None:
    """The nearest ``.mlops`` folder in ``start`` or its parents, as git finds ``.git``."""
    for folder in (start, *start.parents):
        candidate = folder / STORE_DIR_NAME
        if candidate.is_dir():
            return candidate
    return None


def resolve_location(spec: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> StoreLocation:
    """Resolve a store from an explicit spec, ``MLOPS_STORE``, or the working directory.

    ``spec`` is a SQLAlchemy URL (``postgresql+psycopg://...``, ``sqlite:///...``) or a folder;
    a folder that is not itself named ``.mlops`` gets one inside it.
    """
    source = "the store"
    if spec is None and os.environ.get("MLOPS_STORE"):
        spec, source = os.environ["MLOPS_STORE"], "MLOPS_STORE"
    if spec is not None:
        text = os.fspath(spec)
        if "://" in text:
            artifacts = os.environ.get("MLOPS_ARTIFACTS")
            if not artifacts:
                if text.startswith("sqlite:///"):
                    db_path = Path(text[len("sqlite:///") :])
                    artifacts = str(db_path.resolve().parent / ARTIFACTS_DIR_NAME)
                else:
                    raise_missing_artifacts(text, source)
            return StoreLocation(text, artifacts, None, source)
        folder = Path(text).expanduser()
        root = folder if folder.name == STORE_DIR_NAME else folder / STORE_DIR_NAME
        return _embedded(root, source)
    here = (cwd or Path.cwd()).resolve()
    found = find_store_dir(here)
    return _embedded(found if found is not None else here / STORE_DIR_NAME)


def display_url(url: str) -> str:
    """``url`` as it may appear in a message: without its password."""
    if "://" not in url:
        return url
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy can parse: show its scheme only
        return url.split("://", 1)[0] + "://..."


def raise_missing_artifacts(url: str, source: str = "the store") -> None:
    """``source`` names where ``url`` came from (``MLOPS_STORE`` or the store passed in)."""
    from ..errors import StoreError

    scheme = url.split("://", 1)[0]
    subject = f"{source}={display_url(url)}" if source == "MLOPS_STORE" else (
        f"{source} {display_url(url)}")
    raise StoreError(
        f"{subject} is a {scheme} database, which holds no files: set "
        "MLOPS_ARTIFACTS to an fsspec URL for models and snapshots (s3://bucket/mlops, gs://..., "
        "file:///shared/mlops)."
    )
