"""A real JupyterLab server and a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from ci_rules import missing

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Module scope: each test module gets its own server root and MLOPS_STORE (the e2e test
# counts the runs in the store; another module's runs must not be there), and the
# Playwright loop ends with its module (a loop left running breaks later asyncio tests).
@pytest.fixture(scope="module")
def lab_root(tmp_path_factory):
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="module")
def lab_server(lab_root, tmp_path_factory):
    """JupyterLab on a free loopback port, with HOME and Jupyter dirs in a temp folder."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        missing("jupyterlab is not installed (pip install -e '.[dev]')")
    home = tmp_path_factory.mktemp("home")
    settings = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    overrides = settings / "overrides.json"
    if not overrides.exists():  # silence the news popup that would cover the page
        overrides.write_text(json.dumps({"@jupyterlab/apputils-extension:notification": {
            "fetchNews": "false", "checkForUpdates": False}}))
    port, token = _free_port(), "mlops-ui-test"
    # the REST API of the lab extension (enabled on install too; explicit here for any venv)
    (home / "config").mkdir()
    (home / "config" / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {"mlops_jupyter": True}}}))
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "MLOPS_STORE": str(lab_root / ".mlops")}
    # The front end built in this checkout (jlpm build / an editable install) wins over a copy
    # installed into the venv from another checkout: the tests test this code.
    built = REPO / "mlops_jupyter" / "labextension"
    if (built / "package.json").exists():
        (home / "share" / "labextensions").mkdir(parents=True)
        (home / "share" / "labextensions" / "mlops-jupyter").symlink_to(built)
        env["JUPYTER_PATH"] = os.pathsep.join(
            [str(home / "share"), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={lab_root}",
         "--LabApp.news_url=", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=lab_root,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((home / "lab.log").read_text()) from None
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("JupyterLab did not start in 90 s:\n" + (home / "lab.log").read_text())
    yield {"url": base, "token": token, "root": lab_root}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        missing("Chromium not found: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """item.rep_call: the test's outcome, for fixtures that take a screenshot on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
