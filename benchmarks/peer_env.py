"""Virtual environments for the peer tools a benchmark compares against.

The peers (MLflow, Evidently, ...) pin library versions that clash with ours (Evidently 0.7
needs pandas<3), so each gets its own venv under ``benchmarks/.venv-<name>``, created once with
uv (or pip) and reused. A benchmark runs its peer half as a subprocess in that venv, on the
same data files, and reads back a JSON line of timings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def peer_python(name: str, requirements: list[str]) -> Path:
    """Return the python of ``benchmarks/.venv-<name>``, creating it with ``requirements``."""
    venv = HERE / f".venv-{name}"
    python = venv / "bin" / "python"
    stamp = venv / "requirements.json"
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == requirements:
        return python
    uv = shutil.which("uv")
    print(f"[peer_env] creating {venv} with {requirements} (one-off)", file=sys.stderr)
    if uv:
        subprocess.run([uv, "venv", "-q", "--allow-existing", "-p", sys.executable, str(venv)], check=True)
        # compiled as pip does by default: a start-up timed later must not compile the venv
        subprocess.run([uv, "pip", "install", "-q", "--compile-bytecode", "-p", str(python),
                        *requirements], check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    stamp.write_text(json.dumps(requirements))
    return python


def run_peer(name: str, requirements: list[str], script: Path, *args: str) -> dict:
    """Run ``script`` in the peer venv; it must print one JSON object as its last stdout line."""
    python = peer_python(name, requirements)
    out = subprocess.run(
        [str(python), str(script), *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
