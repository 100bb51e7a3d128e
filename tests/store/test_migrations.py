"""A store at the previous schema revision opens, upgrades, and keeps what it held."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import mlops_jupyter as mj
from mlops_jupyter.store.database import HEAD_REVISION, MIGRATIONS_DIR
from mlops_jupyter.store.location import resolve_location
from mlops_jupyter.store.schema import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def unopened_spec(request, tmp_path, monkeypatch):
    """A store nothing has opened yet (``store_spec`` opens its store at the newest schema)."""
    if request.param == "sqlite":
        return str(tmp_path / "old")
    monkeypatch.setenv("MLOPS_ARTIFACTS", f"file://{tmp_path / 'blobs'}")
    return request.getfixturevalue("postgres_url")


def test_a_store_at_0003_upgrades_to_heartbeats_and_keeps_its_runs(unopened_spec):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext

    location = resolve_location(unopened_spec)
    if location.root is not None:
        location.root.mkdir(parents=True)
    engine = sa.create_engine(location.database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(sa.text("INSERT INTO experiments (name, created_at) VALUES ('old', 0)"))
        # A run left RUNNING on another host by an mlops-jupyter without heartbeats.
        conn.execute(sa.text(
            "INSERT INTO runs (id, experiment_id, name, status, start_time, host, pid) "
            "SELECT :id, id, 'legacy', 'RUNNING', 1.0, 'elsewhere', 99 FROM experiments"),
            {"id": "a" * 32})
    engine.dispose()

    mj.set_store(unopened_spec)
    legacy = mj.runs().set_index("name").loc["legacy"]
    assert legacy.status == "RUNNING"  # no heartbeat recorded: not taken for dead
    with mj.start_run("new") as run:
        assert mj.get_run(run.id).status == "RUNNING"
    assert mj.get_run(run.id).status == "FINISHED"
    with mj.get_store().engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == \
            HEAD_REVISION == "0006"
        beats = conn.execute(sa.text("SELECT name, heartbeat_at, heartbeat_interval FROM runs "
                                     "ORDER BY name")).all()
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert beats[0][1:] == (None, None)  # legacy
    assert beats[1][1] is not None and beats[1][2] == 30.0  # new: default interval
    # SQLite's INTEGER is 64-bit already: 0002 changes metric steps on PostgreSQL only.
    expected = {("latest_metrics", "step"), ("metrics", "step")}
    assert [d for d in diff if not (d[0][0] == "modify_type" and d[0][2:4] in expected)] == []
