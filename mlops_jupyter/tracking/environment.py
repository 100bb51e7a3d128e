"""The environment of a run: Python, platform, versions of the packages actually imported, git."""

from __future__ import annotations

import platform
import subprocess
import sys
import threading
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def _module_to_distributions() -> dict[str, list[str]]:
    # ~50-100 ms once per process; later runs only look up names in this dict.
    return metadata.packages_distributions()


@lru_cache(maxsize=4096)
def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


_packages_cache: tuple[int, dict[str, str]] = (-1, {})


def imported_packages() -> dict[str, str]:
    """Distribution -> version for every top-level module imported in this process.

    Only what was imported, not all of site-packages: that is what the code depended on,
    and it keeps the environment record and derived requirements small.
    """
    global _packages_cache
    # Recomputed only when something new was imported since the last run.
    if _packages_cache[0] == len(sys.modules):
        return dict(_packages_cache[1])
    count = len(sys.modules)
    mapping = _module_to_distributions()
    top_level = {name.partition(".")[0] for name in list(sys.modules)}
    packages: dict[str, str] = {}
    for module in top_level:
        for dist in mapping.get(module, ()):
            version = _version(dist)
            if version is not None:
                packages[dist] = version
    result = dict(sorted(packages.items(), key=lambda kv: kv[0].lower()))
    _packages_cache = (count, result)
    return dict(result)


def python_environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "executable": sys.executable,
        "packages": imported_packages(),
    }


def git_state(folder: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the repository holding ``folder``; (None, None) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder, capture_output=True, text=True, timeout=10,
        )
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
        return commit.stdout.strip(), dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


# Runs started in a tight loop (a sweep, a script logging 1,000 runs) share one reading of
# git for a few seconds instead of paying two git subprocesses each.
GIT_CACHE_SECONDS = 5.0
_git_cache: dict[Path, tuple[float, tuple[str | None, bool | None]]] = {}
_git_lock = threading.Lock()


class GitProbe:
    """Reads git state in a background thread so it overlaps the cell instead of adding to it."""

    def __init__(self, folder: Path):
        self._result: tuple[str | None, bool | None] = (None, None)
        self._thread: threading.Thread | None = None
        cached = _git_cache.get(folder)
        if cached is not None and time.monotonic() - cached[0] < GIT_CACHE_SECONDS:
            self._result = cached[1]
            return
        self._thread = threading.Thread(target=self._run, args=(folder,), daemon=True)
        self._thread.start()

    def _run(self, folder: Path) -> None:
        self._result = git_state(folder)
        with _git_lock:
            _git_cache[folder] = (time.monotonic(), self._result)

    def result(self, timeout: float = 10.0) -> tuple[str | None, bool | None]:
        if self._thread is not None:
            self._thread.join(timeout)
        return self._result
