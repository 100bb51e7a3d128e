"""Shared fixtures: a fresh embedded store per test, and a real PostgreSQL server for team mode."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from ci_rules import missing


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """Every test gets its own embedded store and working directory."""
    import mlops_jupyter as mj

    monkeypatch.setenv("MLOPS_STORE", str(tmp_path / "store"))
    monkeypatch.delenv("MLOPS_ARTIFACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    mj.set_store(None)
    yield
    mj.close_stores()


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (Debian's `postgresql` package) on a free loopback port."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        missing("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg is not installed: pip install 'mlops-jupyter[postgres]'")
    import tempfile

    # Not under pytest's tmp folders: those are private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    port = _free_port()
    log = base / "server.log"
    if prefix:
        shutil.chown(base, "postgres")
    subprocess.run(
        [*prefix, pg_ctl, "start", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
         f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"],
        check=True, capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the session's server."""
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{postgres_server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_spec(request, tmp_path, monkeypatch):
    """The same test on the embedded store and on a team store (PostgreSQL + blob folder)."""
    import mlops_jupyter as mj

    if request.param == "sqlite":
        spec = str(tmp_path / "embedded")
    else:
        spec = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("MLOPS_ARTIFACTS", f"file://{tmp_path / 'blobs'}")
    mj.set_store(spec)
    yield spec
    mj.set_store(None)


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    log: Path  # the server's request log, one line per HTTP request

    @property
    def env(self) -> dict[str, str]:
        """What a user of MinIO or another S3-compatible server sets (docs/scale.md)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="testing",
                            aws_secret_access_key="testing", region_name="us-east-1")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-compatible server: moto's standalone server, in its own process."""
    import urllib.request

    for module in ("moto.server", "s3fs", "boto3"):
        try:
            __import__(module)
        except ImportError:
            missing(f"{module} is not installed: pip install -e '.[dev]' (moto[server], s3fs)")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "requests.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                 "-p", str(port)], stdout=out, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"moto's S3 server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
    try:
        yield S3Server(endpoint, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def s3_artifacts(s3_server, monkeypatch):
    """``MLOPS_ARTIFACTS=s3://<fresh bucket>/team`` on the moto server (the bucket is created
    by the store's first write, as on MinIO)."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    for key, value in s3_server.env.items():
        monkeypatch.setenv(key, value)
    url = f"s3://mj-{uuid.uuid4().hex[:16]}/team"
    monkeypatch.setenv("MLOPS_ARTIFACTS", url)
    return url
