"""Fresh virtual environments for tests, built with uv: a package's requirements.txt alone
(this project not installed), or MLflow plus those requirements.

uv is in the ``dev`` extra (``.venv/bin/uv``); a ``uv`` on PATH is used otherwise. With uv's
cache warm a venv is built in a second or two (files are linked or copied from the cache, no
download); a cold cache downloads the wheels once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_TIMEOUT = 600  # a cold uv cache downloads every wheel


def uv_executable() -> str:
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file():
        return str(beside)
    found = shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to build the test's virtual environment: "
                    "pip install -e '.[dev]' (it lists uv)")
    return found


@dataclass
class Venv:
    path: Path
    seconds: float  # time to create it and install into it

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def env(self) -> dict[str, str]:
        """This environment's variables without what would reach outside the venv
        (PYTHONPATH: the tests run with the repository on it) or steer a package's server."""
        return clean_env()

    def site_packages(self) -> Path:
        return next((self.path / "lib").glob("python*/site-packages"))

    def installed_bytes(self) -> int:
        """Size on disk of everything installed (site-packages), as ``du`` counts it."""
        total = 0
        for root, _dirs, files in os.walk(self.site_packages()):
            for name in files:
                st = os.lstat(os.path.join(root, name))
                total += st.st_blocks * 512
        return total

    def distributions(self) -> list[str]:
        """``name==version`` of every distribution installed."""
        out = subprocess.run([uv_executable(), "pip", "freeze", "-p", str(self.python)],
                             capture_output=True, text=True, check=True, timeout=60)
        return sorted(line for line in out.stdout.splitlines() if line.strip())


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_SYSTEM_PYTHON")
            and not k.startswith(("MLOPS_", "AIP_"))}


def build_venv(dest: Path, *args: str) -> Venv:
    """A new venv at ``dest`` on this interpreter's Python, with ``uv pip install ARGS``
    (e.g. ``"-r", "requirements.txt"``) and nothing else."""
    uv = uv_executable()
    env = clean_env()
    started = time.perf_counter()
    for argv in ([uv, "venv", "--quiet", "-p", sys.executable, str(dest)],
                 [uv, "pip", "install", "--quiet", "-p", str(dest / "bin" / "python"), *args]):
        done = subprocess.run(argv, capture_output=True, text=True, env=env,
                              timeout=INSTALL_TIMEOUT)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return Venv(dest, time.perf_counter() - started)
