"""The installed extension in a real ``jupyter server`` process: the config file installed
with the package enables it, and its API answers over HTTP with the server's token."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from server_test_support import free_port, missing_config

pytestmark = pytest.mark.timeout(180)

BIN = Path(sys.executable).parent
CONFIG = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "mlops_jupyter.json"


@pytest.fixture
def jupyter_env(tmp_path):
    if not CONFIG.is_file() or not (BIN / "jupyter").exists():
        missing_config(f"{CONFIG} is not installed: pip install -e '.[dev]' installs it")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "rt")}
    env.pop("MLOPS_STORE", None)
    return env


def test_the_installed_config_enables_the_extension(jupyter_env):
    assert json.loads(CONFIG.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"mlops_jupyter": True}}}
    out = subprocess.run([str(BIN / "jupyter"), "server", "extension", "list"], env=jupyter_env,
                         capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # no colours
    # enabled by the installed config, and it imports (validated) in the server's Python
    assert re.search(r"mlops_jupyter enabled\s+- Validating mlops_jupyter\.\.\.\s+"
                     r"mlops_jupyter \S+ OK", text), text


def test_a_real_jupyter_server_serves_the_api(jupyter_env, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run([sys.executable, "-c", "import mlops_jupyter as mj\n"
                    "with mj.start_run('from-a-script'): mj.log_metric('acc', 0.5)"],
                   cwd=root, env=jupyter_env, check=True, timeout=120)
    port, token = free_port(), "t0k3n"
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "server", "--no-browser", f"--port={port}",
         "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", "--allow-root",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
        env=jupyter_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/mlops/api/runs"
        deadline = time.monotonic() + 90
        while True:
            try:
                request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
                body = json.loads(urllib.request.urlopen(request, timeout=10).read())
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.5)
        assert body["total"] == 1 and body["runs"][0]["name"] == "from-a-script"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 403
    finally:
        server.terminate()
        server.wait(timeout=30)
