"""Which stores and files a request may touch: the stores under the server root (plus
``MLOPS_STORE``), and paths normalised and kept inside the root.

Nothing a request sends is used as a path before :func:`inside_root` has resolved it
(symlinks included) and checked that it stays under the root; a store is opened only if
it is one :func:`discover` found. A request never changes the process-wide store.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import MlopsError, NotFoundError
from ..store.location import STORE_DIR_NAME, display_url

ENV_ID = "env"
MAX_DEPTH = 4  # folders below the root searched for .mlops stores
MAX_FOLDERS = 5000  # a home folder as server root must not make the walk slow
SKIPPED = {"node_modules", ".venv", "venv", ".git", "__pycache__", "site-packages"}
DISCOVERY_TTL = 5.0  # seconds a discovery is reused (GET stores, every request's store id)


class OutsideRootError(MlopsError, PermissionError):
    """A path a request named leaves the server root (HTTP 403)."""


@dataclass(frozen=True)
class StoreEntry:
    """A store the server may open: ``spec`` goes to ``open_store``."""

    id: str
    label: str
    path: str | None  # relative to the root; None for MLOPS_STORE
    source: str  # "root" or "env"
    spec: str
    default: bool = False

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "path": self.path, "source": self.source,
                "default": self.default}


def inside_root(root: Path, relative: str, what: str) -> Path:
    """``root / relative`` resolved (symlinks too), or OutsideRootError when it is absolute
    or leaves ``root``. ``what`` names the parameter in the message."""
    if not isinstance(relative, str) or "\x00" in relative:
        raise OutsideRootError(f"{what} must be a path relative to the server root")
    if os.path.isabs(relative) or relative.startswith("~"):
        raise OutsideRootError(
            f"{what} {relative!r} is an absolute path: give a path relative to the server root")
    base = root.resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise OutsideRootError(
            f"{what} {relative!r} leads outside the server root ({base}): give a path inside it")
    return target


class StoreCatalog:
    """The stores under ``root`` (a bounded walk, cached a few seconds) and ``MLOPS_STORE``."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()
        self._lock = threading.Lock()
        self._cached: tuple[float, list[StoreEntry]] | None = None

    def discover(self) -> list[StoreEntry]:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < DISCOVERY_TTL:
                return self._cached[1]
            found = self._discover()
            self._cached = (time.monotonic(), found)
            return found

    def _discover(self) -> list[StoreEntry]:
        entries: list[StoreEntry] = []
        env = os.environ.get("MLOPS_STORE")
        if env:
            shown = display_url(env) if "://" in env else env
            entries.append(StoreEntry(ENV_ID, f"MLOPS_STORE ({shown})", None, "env", env))
        folders = self._walk()
        # nearest the root first, then by path: the first root store is the default
        folders.sort(key=lambda p: (len(p.relative_to(self.root).parts), p.as_posix()))
        for folder in folders:
            rel = folder.relative_to(self.root).as_posix()
            entries.append(StoreEntry(rel, rel, rel, "root", str(folder)))
        if entries:
            first = entries[0]
            entries[0] = StoreEntry(first.id, first.label, first.path, first.source, first.spec,
                                    default=True)
        return entries

    def _walk(self) -> list[Path]:
        """``.mlops`` folders under the root, not through symlinks, hidden folders (other
        than .mlops), virtual envs or node_modules; at most MAX_DEPTH deep."""
        found: list[Path] = []
        queue: list[tuple[Path, int]] = [(self.root, 0)]
        visited = 0
        while queue and visited < MAX_FOLDERS:
            folder, depth = queue.pop(0)
            visited += 1
            try:
                with os.scandir(folder) as it:
                    children = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in children:
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        continue
                except OSError:
                    continue
                if entry.name == STORE_DIR_NAME:
                    found.append(Path(entry.path))
                elif (depth < MAX_DEPTH and not entry.name.startswith(".")
                      and entry.name not in SKIPPED):
                    queue.append((Path(entry.path), depth + 1))
        return found

    def entry(self, store_id: str | None) -> StoreEntry:
        """The store ``store_id`` names (the default one when None); NotFoundError for an id
        that is no discovered store, OutsideRootError for one that names a path outside."""
        entries = self.discover()
        if store_id is None or store_id == "":
            if not entries:
                raise NotFoundError(
                    f"no mlops-jupyter store under the server root {self.root}: track a run "
                    "(%%track or mj.start_run) in a notebook here, or start the server with "
                    "MLOPS_STORE set")
            return next(e for e in entries if e.default)
        for entry in entries:
            if entry.id == store_id:
                return entry
        if store_id != ENV_ID:
            inside_root(self.root, store_id, "store")  # a path outside: refused as such
        ids = ", ".join(e.id for e in entries) or "none"
        raise NotFoundError(f"no store {store_id!r} under the server root; stores: {ids} "
                            "(GET mlops/api/stores lists them)")
