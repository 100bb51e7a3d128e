"""The published artifacts: the sdist and the wheel, built from a clean checkout of HEAD the way a
release is (``uv build``: sdist first, then the wheel from the sdist, whose build hook runs jlpm).
The wheel is installed into a fresh venv and used with NO Node.js on PATH: JupyterLab lists the
front end and the server extension as enabled and OK, and a real ``jupyter lab`` from that venv
serves the prebuilt front end and answers the extension's REST API.

Needs git, uv and node (the build); in CI (CI=true) a missing one fails the test, locally it skips.
About a minute with warm yarn and uv caches."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from ci_rules import missing

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NODE_TOOLS = ("node", "nodejs", "npm", "npx", "yarn")
SDIST_MAX_BYTES = 5_000_000  # ~1 MB today; a yarn cache or node_modules would be 100+ MB


def _tool(name: str) -> str:
    # this interpreter's bin first: `make test`'s venv has uv (dev extra)
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        reason = f"{name} is not on PATH (the wheel test builds the front end with it)"
        missing(reason)
    return found


def _run(cmd: list[str], timeout: float, **kw) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    out = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{out[-4000:]}"
    return out


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """(sdist, wheel, seconds) built from a clone of HEAD (uncommitted changes are not in it)."""
    git, uv = _tool("git"), _tool("uv")
    _tool("node")
    if not (REPO / ".git").exists():
        missing(f"{REPO} is not a git checkout")
    work = tmp_path_factory.mktemp("wheel")
    _run([git, "clone", "--quiet", "--no-local", str(REPO), str(work / "src")], 120)
    # nothing of the working copy may leak into the build: the clone has no front-end output
    assert not (work / "src" / "labextension" / "node_modules").exists()
    assert not (work / "src" / "mlops_jupyter" / "labextension").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    t0 = time.monotonic()
    _run([uv, "build", "--quiet", "-p", sys.executable, "-o", str(work / "dist")], 800,
         cwd=work / "src", env=env)
    seconds = time.monotonic() - t0
    sdists = list((work / "dist").glob("*.tar.gz"))
    wheels = list((work / "dist").glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, list((work / "dist").iterdir())
    print(f"\nuv build (sdist, then wheel from it): {seconds:.0f} s; "
          f"sdist {sdists[0].stat().st_size / 1e6:.2f} MB, wheel {wheels[0].stat().st_size / 1e6:.2f} MB")
    return sdists[0], wheels[0], work


def test_sdist_is_small_and_holds_the_front_end_sources(artifacts):
    sdist, _, _ = artifacts
    with tarfile.open(sdist) as tar:
        names = [n.split("/", 1)[1] for n in tar.getnames() if "/" in n]
    leaked = [n for n in names if re.search(r"(^|/)(node_modules|\.yarn|lib)/|\.tsbuildinfo$", n)
              and not n.startswith("mlops_jupyter/")]
    assert not leaked, leaked[:10]
    assert not [n for n in names if n.startswith("mlops_jupyter/labextension/")]
    assert sdist.stat().st_size < SDIST_MAX_BYTES, sdist.stat().st_size
    # what a build from the sdist needs (the wheel above was built from it)
    for needed in ("labextension/package.json", "labextension/yarn.lock",
                   "labextension/.yarnrc.yml", "labextension/src/index.ts",
                   "labextension/install.json", "jupyter-config/server-config/mlops_jupyter.json"):
        assert needed in names, needed


def test_wheel_holds_the_prebuilt_front_end(artifacts):
    _, wheel, _ = artifacts
    names = zipfile.ZipFile(wheel).namelist()
    data = [n.split(".data/data/", 1)[1] for n in names if ".data/data/" in n]
    ext = "share/jupyter/labextensions/mlops-jupyter/"
    assert ext + "package.json" in data and ext + "install.json" in data
    assert [n for n in data if re.fullmatch(re.escape(ext) + r"static/remoteEntry\.\w+\.js", n)]
    assert ext + "schemas/mlops-jupyter/plugin.json" in data
    assert "etc/jupyter/jupyter_server_config.d/mlops_jupyter.json" in data
    assert not [n for n in names if "node_modules" in n or n.endswith(".ts")]


def test_wheel_works_in_a_fresh_venv_without_node(artifacts, tmp_path):
    _, wheel, _ = artifacts
    uv = _tool("uv")
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([uv, "venv", "--quiet", "-p", sys.executable, str(venv)], 120, env=env)
    import jupyterlab  # the user brings JupyterLab; this version is in uv's cache already

    t0 = time.monotonic()
    _run([uv, "pip", "install", "--quiet", "-p", str(venv / "bin" / "python"), str(wheel),
          f"jupyterlab=={jupyterlab.__version__}"], 600, env=env)
    print(f"\ninstall into a fresh venv: {time.monotonic() - t0:.0f} s")

    # a user's shell without Node.js: the venv's bin and the basic system tools, nothing else
    bin_dir = tmp_path / "sysbin"
    bin_dir.mkdir()
    for tool in ("sh", "env", "ls", "cat", "uname"):
        if shutil.which(tool):
            (bin_dir / tool).symlink_to(shutil.which(tool))
    path = os.pathsep.join([str(venv / "bin"), str(bin_dir)])
    for tool in NODE_TOOLS:
        assert shutil.which(tool, path=path) is None, f"{tool} is reachable on {path}"
    home = tmp_path / "home"
    home.mkdir()
    clean = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8"}
    jupyter = str(venv / "bin" / "jupyter")

    labext = _run([jupyter, "labextension", "list"], 120, env=clean)
    lines = labext.splitlines()
    at = next((i for i, ln in enumerate(lines) if "mlops-jupyter v" in ln), None)
    assert at is not None, labext
    assert re.search(r"mlops-jupyter v\S+ enabled\s+OK \(python, mlops-jupyter\)", lines[at]), labext
    # found in the venv (the wheel's shared data), not in a develop symlink elsewhere
    folder = next(ln for ln in reversed(lines[:at]) if ln.startswith("/"))
    assert Path(folder.strip()) == venv / "share" / "jupyter" / "labextensions", labext

    serverext = _run([jupyter, "server", "extension", "list"], 120, env=clean)
    assert re.search(r"mlops_jupyter enabled\s*\n\s*- Validating mlops_jupyter\.\.\.\s*\n"
                     r"\s*mlops_jupyter \S+ OK", serverext), serverext

    # a real JupyterLab from that venv serves the prebuilt front end and the REST API
    root = tmp_path / "root"
    root.mkdir()
    sock = __import__("socket").socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    token = "wheel-test"
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(
        [jupyter, "lab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=clean, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                stores = json.load(urllib.request.urlopen(
                    f"{base}/mlops/api/stores?token={token}", timeout=5))
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "lab.log").read_text()
                time.sleep(0.5)
        assert stores == {"stores": []}
        html = urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30).read().decode()
        config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', html,
                                      re.S).group(1))
        ours = [e for e in config["federated_extensions"] if e["name"] == "mlops-jupyter"]
        assert ours, config["federated_extensions"]
        entry = urllib.request.urlopen(
            f"{base}/lab/extensions/mlops-jupyter/{ours[0]['load']}?token={token}", timeout=30)
        assert entry.status == 200 and b"mlops-jupyter" in entry.read()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
