"""The model registry on SQLite and PostgreSQL: versions, stages, aliases, references, the
audit trail and lineage, and the errors a user meets."""

from __future__ import annotations

import getpass
import socket
import threading
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mlops_jupyter as mj
from mlops_jupyter.cli import main
from mlops_jupyter.deploy import lineage, registry
from mlops_jupyter.deploy.registry import resolve_model_ref
from mlops_jupyter.errors import InvalidNameError, InvalidValueError, NotFoundError

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.0]] * 5)
y = np.array([0, 1, 0, 1] * 5)


def trained_run(name: str = "train", models: tuple[str, ...] = ("model",)) -> str:
    with mj.start_run(name) as run:
        for i, model in enumerate(models):
            run.log_model(LogisticRegression(C=1.0 + i).fit(X, y), model)
        run.log_metric("accuracy", 0.9)
    return run.id


def events(name: str | None = None) -> list[tuple]:
    """(action, version, from, to) of each audit event."""
    log = mj.audit_log(name)
    return [(r.action, None if pd.isna(r.version) else int(r.version), r["from"], r["to"])
            for _, r in log.iterrows()]


# -- versions -------------------------------------------------------------------------------
def test_versions_are_numbered_per_model(store_spec):
    first, second = trained_run("a"), trained_run("b")
    v1 = mj.register(first, "churn", description="monthly churn")
    v2 = mj.register(second[:8], "churn")
    other = mj.register(first, "fraud")
    assert isinstance(v1, mj.ModelVersion)
    assert (v1.name, v1.version, v1.run_id, v1.model, v1.stage) == ("churn", 1, first, "model",
                                                                     "None")
    assert v1.description == "monthly churn" and v1.aliases == ()
    assert v1.created_by == f"{getpass.getuser()}@{socket.gethostname()}"
    assert (v2.version, v2.run_id) == (2, second), "a run id prefix is enough"
    assert (other.name, other.version) == ("fraud", 1)
    assert v2.ref == "churn/2" and str(v2).startswith("churn/2 [None]")

    models = mj.models()
    assert list(models["name"]) == ["churn", "fraud"]
    churn = models.iloc[0]
    assert churn.latest_version == 2 and pd.isna(churn.production_version)
    assert churn.description == "monthly churn", "the first version's description is the model's"
    versions = mj.model_versions("churn")
    assert list(versions["version"]) == [1, 2]
    assert list(versions["run_id"]) == [first, second]
    assert list(versions["stage"]) == ["None", "None"]
    assert list(versions["description"].fillna("-")) == ["monthly churn", "-"]


def test_concurrent_registrations_get_consecutive_versions(store_spec):
    run_id = trained_run()
    got: list[int] = []
    failures: list[BaseException] = []

    def worker():
        try:
            for _ in range(3):
                got.append(mj.register(run_id, "busy").version)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert sorted(got) == list(range(1, 19))
    assert list(mj.model_versions("busy")["version"]) == list(range(1, 19))
    assert [e[1] for e in events("busy") if e[0] == "register"] == list(range(1, 19))


def test_a_version_number_taken_by_another_writer_is_retried(postgres_url, tmp_path,
                                                             monkeypatch):
    """On PostgreSQL two writers can read the same latest version; the unique key stops the
    second, which tries again with a fresh transaction (as snapshots do)."""
    from mlops_jupyter.store.registry import ModelChange

    monkeypatch.setenv("MLOPS_ARTIFACTS", f"file://{tmp_path / 'blobs'}")
    mj.set_store(postgres_url)
    run_id = trained_run()
    mj.register(run_id, "raced")
    real = ModelChange.next_version
    calls = []

    def stale_once(self):
        calls.append(1)
        return 1 if len(calls) == 1 else real(self)  # the first attempt reads a stale number

    monkeypatch.setattr(ModelChange, "next_version", stale_once)
    assert mj.register(run_id, "raced").version == 2
    assert len(calls) == 2
    assert [e[0] for e in events("raced")] == ["create_model", "register", "register"], (
        "the failed attempt left no audit event")
    mj.set_store(None)


# -- stages ---------------------------------------------------------------------------------
def test_promoting_to_production_archives_the_previous_one(store_spec):
    for i in range(3):
        mj.register(trained_run(f"r{i}"), "churn")
    assert mj.promote("churn", 1, "Staging").stage == "Staging"
    assert mj.promote("churn", 1, "production").stage == "Production", "stages in any case"
    promoted = mj.promote("churn", 2, "Production")
    assert promoted.stage == "Production"
    assert list(mj.model_versions("churn")["stage"]) == ["Archived", "Production", "None"]
    assert mj.models().iloc[0].production_version == 2
    assert events("churn")[-3:] == [
        ("promote", 1, {"stage": "Staging"}, {"stage": "Production"}),
        ("promote", 2, {"stage": "None"}, {"stage": "Production"}),
        ("archive", 1, {"stage": "Production"}, {"stage": "Archived", "replaced_by": 2}),
    ]
    # Back to None with Python's None; the same stage again changes nothing.
    assert mj.promote("churn", 1, None).stage == "None"
    before = len(mj.audit_log("churn"))
    assert mj.promote("churn", 1, "none").stage == "None"
    assert len(mj.audit_log("churn")) == before, "no change, no event"


def test_archive_existing_false_keeps_both_in_production(store_spec):
    for i in range(2):
        mj.register(trained_run(f"r{i}"), "churn")
    mj.promote("churn", 1, "Production")
    mj.promote("churn", 2, "Production", archive_existing=False)
    assert list(mj.model_versions("churn")["stage"]) == ["Production", "Production"]
    assert [e[0] for e in events("churn")][-2:] == ["promote", "promote"]
    assert resolve_model_ref(mj.get_store(), "churn@Production")[0] == \
        mj.model_versions("churn")["run_id"][1], "name@stage is the newest in that stage"


# -- aliases --------------------------------------------------------------------------------
def test_aliases_point_at_one_version_and_move_in_one_change(store_spec):
    runs = [trained_run(f"r{i}") for i in range(2)]
    for run_id in runs:
        mj.register(run_id, "churn")
    assert mj.set_alias("churn", "champion", 1).aliases == ("champion",)
    mj.set_alias("churn", "challenger", 2)
    moved = mj.set_alias("churn", "champion", 2)
    assert moved.aliases == ("challenger", "champion")
    assert list(mj.model_versions("churn")["aliases"]) == [[], ["challenger", "champion"]]
    assert mj.models().iloc[0].aliases == {"champion": 2, "challenger": 2}
    assert resolve_model_ref(mj.get_store(), "churn@champion") == (runs[1], "model")
    before = len(mj.audit_log("churn"))
    mj.set_alias("churn", "champion", 2)
    assert len(mj.audit_log("churn")) == before, "pointing it where it points is no change"
    mj.delete_alias("churn", "challenger")
    assert events("churn")[-3:] == [
        ("set_alias", 2, None, {"alias": "challenger", "version": 2}),
        ("set_alias", 2, {"alias": "champion", "version": 1}, {"alias": "champion", "version": 2}),
        ("delete_alias", 2, {"alias": "challenger", "version": 2}, None),
    ]
    with pytest.raises(NotFoundError, match=r"no alias or stage 'challenger'.*champion -> 2"):
        resolve_model_ref(mj.get_store(), "churn@challenger")


# -- references -----------------------------------------------------------------------------
def test_references_resolve_to_run_and_model(store_spec):
    first = trained_run("a", models=("scaler_model", "clf"))
    second = trained_run("b")
    mj.register(first, "churn", model="clf")
    mj.register(second, "churn")
    mj.promote("churn", 1, "Staging")
    mj.set_alias("churn", "champion", 2)
    store = mj.get_store()
    assert resolve_model_ref(store, "churn/1") == (first, "clf")
    assert resolve_model_ref(store, " churn/2 ") == (second, "model")
    assert resolve_model_ref(store, "models:/churn/1") == (first, "clf"), "MLflow's spelling"
    assert resolve_model_ref(store, "churn@staging") == (first, "clf")
    assert resolve_model_ref(store, "churn@STAGING") == (first, "clf")
    assert resolve_model_ref(store, "churn@champion") == (second, "model")
    assert resolve_model_ref(store, "churn@latest") == (second, "model")
    assert resolve_model_ref(store, second[:6]) == (second, None), "a run id: the caller picks"

    # What mj.load_model does with them (api/_runs.py): the model the reference names.
    from mlops_jupyter.tracking.models import load_model

    model = load_model(store, *resolve_model_ref(store, "churn@Staging"))
    assert model.C == 2.0, "the run's second model, 'clf', not its first"
    np.testing.assert_array_equal(load_model(store, *resolve_model_ref(store, "churn/2"))
                                  .predict(X), y)


def test_bad_references_name_what_is_missing_and_what_exists(store_spec):
    run_id = trained_run()
    mj.register(run_id, "churn")
    store = mj.get_store()
    cases = [
        ("nope/1", NotFoundError, r"no registered model 'nope'; registered models: churn"),
        ("churn/7", NotFoundError, r"model 'churn' has no version 7; its versions: 1 \(None\)"),
        ("churn@Production", NotFoundError,
         r"'churn' has no version in stage Production; its versions: 1 \(None\)"),
        ("churn@champion", NotFoundError,
         r"no alias or stage 'champion'; its aliases: none; stages: None, Staging, "
         r"Production, Archived"),
        ("churn", NotFoundError, r"'churn' is a registered model, not a run id.*'churn@Production'"),
        ("ffffffff", NotFoundError,
         r"no run with id 'ffffffff' in this store.*registered models: churn"),
        ("churn/one", InvalidValueError, r"version after '/' must be a number"),
        ("churn@", InvalidValueError, r"'churn@' has nothing after '@'"),
        ("/3", InvalidValueError, r"'/3' has no model name"),
        (3, InvalidValueError, r"model reference must be a string"),
    ]
    for ref, error, message in cases:
        with pytest.raises(error, match=message):
            resolve_model_ref(store, ref)


# -- audit ----------------------------------------------------------------------------------
def test_every_change_is_audited_with_who_when_and_from_to(store_spec):
    run_id = trained_run()
    start = time.time()
    mj.register(run_id, "churn", description="v1")
    mj.register(run_id, "churn")
    mj.promote("churn", 1, "Production")
    mj.promote("churn", 2, "Production")
    mj.set_alias("churn", "champion", 2)
    mj.delete_alias("churn", "champion")
    mj.register(run_id, "fraud")
    end = time.time()
    log = mj.audit_log("churn")
    assert list(log.columns) == ["time", "user", "host", "action", "model", "version", "from",
                                 "to"]
    assert set(log["user"]) == {getpass.getuser()} and set(log["host"]) == {socket.gethostname()}
    assert set(log["model"]) == {"churn"}
    times = [t.timestamp() for t in log["time"]]
    assert all(start - 1 <= t <= end + 1 for t in times) and times == sorted(times)
    assert events("churn") == [
        ("create_model", None, None, {"description": "v1"}),
        ("register", 1, None, {"run_id": run_id, "model": "model", "stage": "None",
                               "description": "v1"}),
        ("register", 2, None, {"run_id": run_id, "model": "model", "stage": "None",
                               "description": None}),
        ("promote", 1, {"stage": "None"}, {"stage": "Production"}),
        ("promote", 2, {"stage": "None"}, {"stage": "Production"}),
        ("archive", 1, {"stage": "Production"}, {"stage": "Archived", "replaced_by": 2}),
        ("set_alias", 2, None, {"alias": "champion", "version": 2}),
        ("delete_alias", 2, {"alias": "champion", "version": 2}, None),
    ]
    everything = mj.audit_log()
    assert list(everything["model"]).count("fraud") == 2 and len(everything) == len(log) + 2


def test_errors_are_clear_and_change_nothing(store_spec):
    good = trained_run("good")
    with mj.start_run("no-model") as run:
        run.log_metric("accuracy", 0.5)
    empty = run.id
    with pytest.raises(RuntimeError), mj.start_run("broken") as run:
        run.log_model(LogisticRegression().fit(X, y))
        raise RuntimeError("the cell failed")
    failed = run.id
    several = trained_run("two", models=("scaler", "clf"))
    mj.register(good, "churn")
    before = mj.audit_log()

    cases = [
        (lambda: mj.register("ffffffff", "churn"), NotFoundError,
         r"cannot register 'churn': no run with id 'ffffffff'"),
        (lambda: mj.register(empty, "churn"), NotFoundError,
         rf"run 'no-model' \({empty[:8]}\) has no model; log one with mj.log_model"),
        (lambda: mj.register(failed, "churn"), InvalidValueError,
         rf"run 'broken' \({failed[:8]}\): it is FAILED"),
        (lambda: mj.register(several, "churn"), InvalidValueError,
         r"has several models \('scaler', 'clf'\); pass model= one of them"),
        (lambda: mj.register(several, "churn", model="forest"), NotFoundError,
         r"has no model 'forest'; its models: 'scaler', 'clf'"),
        (lambda: mj.register(good, "churn/2"), InvalidNameError, r"'/' and '@' are for refer"),
        (lambda: mj.register(good, ""), InvalidNameError, r"must not be empty"),
        (lambda: mj.register(good, "churn", description=3), InvalidValueError,
         r"description must be a string or None"),
        (lambda: mj.promote("churn", 1, "Prod"), InvalidValueError,
         r"stage must be one of None, Staging, Production, Archived \(any case\); got 'Prod'"),
        (lambda: mj.promote("churn", 5, "Staging"), NotFoundError,
         r"'churn' has no version 5; its versions: 1 \(None\)"),
        (lambda: mj.promote("nope", 1, "Staging"), NotFoundError,
         r"no registered model 'nope'; registered models: churn"),
        (lambda: mj.promote("churn", "1", "Staging"), InvalidValueError,
         r"version must be an int >= 1"),
        (lambda: mj.promote("churn", 1, "Staging", archive_existing="yes"), InvalidValueError,
         r"archive_existing must be True or False"),
        (lambda: mj.set_alias("churn", "production", 1), InvalidNameError,
         r"alias 'production' is reserved"),
        (lambda: mj.set_alias("churn", "latest", 1), InvalidNameError, r"'latest' is reserved"),
        (lambda: mj.set_alias("churn", "3rd", 1), InvalidNameError, r"alias '3rd' is not allowed"),
        (lambda: mj.set_alias("churn", "champion", 4), NotFoundError, r"has no version 4"),
        (lambda: mj.set_alias("nope", "champion", 1), NotFoundError, r"no registered model"),
        (lambda: mj.delete_alias("churn", "champion"), NotFoundError,
         r"model 'churn' has no alias 'champion'; its aliases: none"),
        (lambda: mj.model_versions("nope"), NotFoundError, r"registered models: churn"),
        (lambda: mj.audit_log("nope"), NotFoundError, r"registered models: churn"),
        (lambda: mj.lineage("churn/9"), NotFoundError, r"has no version 9"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    assert len(mj.audit_log()) == len(before), "a refused change writes nothing"
    assert list(mj.model_versions("churn")["version"]) == [1]
    assert list(mj.models()["name"]) == ["churn"]


# -- lineage --------------------------------------------------------------------------------
@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext mlops_jupyter", store_history=True)
    return sh


def test_lineage_from_version_to_git(store_spec, shell):
    shell.run_cell("import numpy as np, pandas as pd\n"
                   "frame = pd.DataFrame({'a': [0., 1., 0., 1.] * 5, 'b': [1., 0., 0., 1.] * 5})\n"
                   "target = pd.Series([0, 1, 0, 1] * 5, name='target')", store_history=True)
    result = shell.run_cell("%%track lineage-run -e churn-exp -q\n"
                            "from sklearn.linear_model import LogisticRegression\n"
                            "C = 0.5\n"
                            "clf = LogisticRegression(C=C).fit(frame, target)\n"
                            "accuracy = clf.score(frame, target)\n", store_history=True)
    assert result.error_in_exec is None
    run_id = mj.runs(filter="name == 'lineage-run'").run_id[0]
    mj.register(run_id, "churn")
    mj.promote("churn", 1, "Production")

    found = mj.lineage("churn@production")
    assert isinstance(found, mj.Lineage)
    assert found.model_version.ref == "churn/1" and found.model_version.stage == "Production"
    assert found.model == "clf" and found.registered_as == ("churn/1",)
    assert (found.run.id, found.run.name, found.run.experiment, found.run.status) == (
        run_id, "lineage-run", "churn-exp", "FINISHED")
    assert found.run.params["C"] == 0.5 and found.run.metrics["accuracy"] == 1.0
    assert "LogisticRegression(C=C)" in found.code.cell_source
    assert any("pd.DataFrame" in cell["source"] for cell in found.code.slice), (
        "the slice holds the cell that built the training frame")
    assert "# tracked cell" in found.code.script()
    frame = shell.user_ns["frame"]
    train = {s.role: s for s in found.training_snapshots}
    assert set(train) == {"train", "train_target"}
    assert (train["train"].name, train["train"].version, train["train"].n_rows,
            train["train"].n_columns) == ("frame", 1, len(frame), 2)
    assert train["train"].fingerprint == mj.snapshots().set_index("name").fingerprint["frame"]
    assert found.environment.python and found.environment.packages["scikit-learn"]
    record = mj.get_run(run_id)
    assert (found.git_commit, found.git_dirty) == (record.git_commit, record.git_dirty)
    text = found.to_markdown()
    assert "churn/1 (Production)" in text and train["train"].fingerprint in text
    assert "scikit-learn==" in text

    by_run = mj.lineage(run_id[:10])
    assert by_run.model_version is None and by_run.model == "clf"
    assert by_run.registered_as == ("churn/1",) and by_run.run == found.run


def test_lineage_records_the_git_commit(tmp_path, monkeypatch):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (["init", "-q"], ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q",
                                  "--allow-empty", "-m", "start"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()
    monkeypatch.chdir(repo)
    mj.register(trained_run(), "churn")
    found = mj.lineage("churn/1")
    assert found.git_commit == head and found.git_dirty is False
    assert f"commit `{head}`" in found.to_markdown()


# -- the store's schema ---------------------------------------------------------------------
def test_a_store_at_the_previous_revision_upgrades(tmp_path, monkeypatch):
    """A store written before the registry's migration (0002) opens, upgrades, keeps its
    runs, and the migrated schema is the one store/schema.py describes."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext

    from mlops_jupyter.store.database import HEAD_REVISION, MIGRATIONS_DIR
    from mlops_jupyter.store.schema import metadata

    folder = tmp_path / "old" / ".mlops"
    folder.mkdir(parents=True)
    engine = sa.create_engine(f"sqlite:///{folder / 'mlops.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.execute(sa.text("INSERT INTO experiments (name, created_at) VALUES ('old', 0)"))
    engine.dispose()
    monkeypatch.setenv("MLOPS_STORE", str(folder))
    mj.set_store(None)
    run_id = trained_run()
    assert mj.register(run_id, "churn").version == 1
    assert mj.set_alias("churn", "champion", 1).aliases == ("champion",)
    with mj.get_store().engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == \
            HEAD_REVISION
        assert conn.execute(sa.text("SELECT name FROM experiments WHERE name = 'old'")).scalar()
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    # SQLite's INTEGER is 64-bit already: 0002 changes metric steps on PostgreSQL only.
    expected = {("latest_metrics", "step"), ("metrics", "step")}
    assert [d for d in diff if not (d[0][0] == "modify_type" and d[0][2:4] in expected)] == []


# -- the command line -----------------------------------------------------------------------
def test_cli_lists_models_and_versions(capsys):
    run_id = trained_run()
    assert main(["models"]) == 0
    assert "no registered models" in capsys.readouterr().out
    mj.register(run_id, "churn", description="monthly churn")
    mj.register(run_id, "churn")
    mj.promote("churn", 2, "Production")
    mj.set_alias("churn", "champion", 1)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "churn" in out and "champion=1" in out and "monthly churn" in out
    assert main(["models", "churn"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["version", "stage", "aliases", "run_id"]
    assert lines[1].split()[:4] == ["1", "None", "champion", run_id[:8]]
    assert lines[2].split()[:4] == ["2", "Production", "-", run_id[:8]]
    assert main(["models", "nope"]) == 2
    assert "no registered model 'nope'; registered models: churn" in capsys.readouterr().err


def test_deploy_modules_list_their_public_names():
    assert set(registry.__all__) <= set(dir(registry))
    assert set(lineage.__all__) <= set(dir(lineage))
    assert {"ModelVersion", "Lineage", "register", "promote", "set_alias", "delete_alias",
            "models", "model_versions", "audit_log", "lineage"} <= set(mj.__all__)
