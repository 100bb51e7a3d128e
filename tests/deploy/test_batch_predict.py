"""mj.batch_predict: a package exported with mj.export scores a pandas frame and a Parquet glob
in this process, a Dask frame on a LocalCluster of two worker processes (the model loaded once
per worker, not per partition) and a Spark frame in local[2] with mapInPandas; every engine
answers what the in-notebook model answers. Also: MLflow's ``spark_udf`` runs the package.

The model is a classifier with a string column and string class labels (the paths where a
numeric shortcut cannot hide a difference). Dask and Spark come with the ``dask`` and
``spark`` extras (in ``dev``); Spark needs Java.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from serving_helpers import iris_mixed_frame

import mlops_jupyter as mj

pytestmark = pytest.mark.slow


@dataclass
class Exported:
    folder: Path
    store: Path
    model: Any
    classes: list[str]


@pytest.fixture(scope="module")
def exported(exported) -> Exported:
    """The session's registered classifier ("classifier/1", tests/deploy/conftest.py), with
    its store: exported once for every deploy test."""
    item = exported["classifier"]
    return Exported(item.folder, item.folder.parent / "store", item.model,
                    list(item.model.classes_))


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """3,000 rows around the training data (new values, all three regions) with an id."""
    X, _ = iris_mixed_frame()
    rng = np.random.default_rng(7)
    frame = X.sample(3000, replace=True, random_state=1).reset_index(drop=True)
    numeric = [c for c in X.columns if c != "region"]
    frame[numeric] = frame[numeric] + rng.normal(0, 0.3, (len(frame), len(numeric)))
    frame.insert(0, "id", np.arange(len(frame), dtype=np.int64) + 10_000)
    return frame


def assert_model_answers(out: pd.DataFrame, exported: Exported, frame: pd.DataFrame) -> None:
    features = frame.drop(columns=["id"])
    expected = exported.model.predict(features)
    assert expected.dtype.kind in "UO"  # string labels
    assert list(out.columns) == ["id", "prediction",
                                 *[f"probability_{c}" for c in exported.classes]]
    assert out["id"].tolist() == frame["id"].tolist()
    assert out["prediction"].tolist() == expected.tolist()
    proba = out[[f"probability_{c}" for c in exported.classes]].to_numpy()
    np.testing.assert_allclose(proba, exported.model.predict_proba(features), rtol=0,
                               atol=1e-12)


# --------------------------------------------------------------------------- local


def test_local_scores_a_dataframe_in_slices_as_the_model_does(exported, rows):
    shuffled = rows.set_index(rows["id"] * 2)  # the output keeps the input's index
    out = mj.batch_predict(exported.folder, shuffled, keep=["id"], batch_size=700,
                           progress=False)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(shuffled.index)
    assert_model_answers(out, exported, rows)


def test_local_scores_a_parquet_glob_into_a_file(exported, rows, tmp_path):
    for i, start in enumerate(range(0, len(rows), 1000)):
        rows.iloc[start:start + 1000].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    pattern = str(tmp_path / "part-*.parquet")
    assert_model_answers(mj.batch_predict(exported.folder, pattern, keep=["id"],
                                          progress=False), exported, rows)
    target = tmp_path / "preds.parquet"
    assert mj.batch_predict(exported.folder, pattern, keep=["id"], out=target,
                            progress=False) == target
    assert_model_answers(pd.read_parquet(target), exported, rows)


def test_a_model_reference_is_exported_first(exported, rows, monkeypatch):
    monkeypatch.setenv("MLOPS_STORE", str(exported.store))
    mj.set_store(None)
    out = mj.batch_predict("classifier/1", rows, keep=["id"], progress=False)
    assert_model_answers(out, exported, rows)


def test_errors_name_the_engine_the_column_and_the_file(exported, rows, tmp_path):
    with pytest.raises(mj.InvalidValueError, match="engine='ray': unknown engine"):
        mj.batch_predict(exported.folder, rows, engine="ray")
    with pytest.raises(mj.InvalidValueError, match="lacks column\\(s\\) 'region'"):
        mj.batch_predict(exported.folder, rows.drop(columns=["region"]), progress=False)
    rows.drop(columns=["region"]).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(mj.InvalidValueError, match="bad.parquet lacks column\\(s\\) 'region'"):
        mj.batch_predict(exported.folder, tmp_path / "bad.parquet", progress=False)
    with pytest.raises(mj.NotFoundError, match="no file matches"):
        mj.batch_predict(exported.folder, str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(mj.NotFoundError, match="not an exported model package"):
        mj.batch_predict(tmp_path, rows)
    bad = rows.assign(**{"sepal length (cm)": "long"})
    with pytest.raises(mj.InvalidValueError, match="'sepal length \\(cm\\)': expected a number"):
        mj.batch_predict(exported.folder, bad, progress=False)


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, worker_dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_scores_partitions_with_one_load_per_worker(exported, rows, dask_client, tmp_path):
    import dask.dataframe as dd

    from mlops_jupyter.deploy.batch_engines import load_count

    frame = dd.from_pandas(rows, npartitions=12)
    out = mj.batch_predict(exported.folder, frame, engine="dask", keep=["id"])
    assert isinstance(out, dd.DataFrame)  # lazy: nothing scored yet
    assert sum(dask_client.run(load_count).values()) == 0
    assert_model_answers(out.compute(), exported, rows)
    loads = dask_client.run(load_count)
    assert len(loads) == 2 and all(n <= 1 for n in loads.values()), loads  # not 12
    assert sum(loads.values()) >= 1

    target = tmp_path / "preds"
    assert mj.batch_predict(exported.folder, frame, engine="dask", keep=["id"],
                            out=target) == target
    assert len(list(target.glob("*.parquet"))) == 12  # a part file per partition
    assert_model_answers(pd.read_parquet(target).sort_values("id", ignore_index=True),
                         exported, rows)
    assert all(n <= 1 for n in dask_client.run(load_count).values())

    with pytest.raises(mj.InvalidValueError, match="data is a Dask DataFrame but "
                                                   "engine='spark'"):
        mj.batch_predict(exported.folder, frame, engine="spark")
    with pytest.raises(mj.InvalidValueError, match="lacks column\\(s\\) 'region'"):
        mj.batch_predict(exported.folder, frame.drop(columns=["region"]), engine="dask")


def test_dask_reads_a_parquet_glob(exported, rows, dask_client, tmp_path):
    for i, start in enumerate(range(0, len(rows), 750)):
        rows.iloc[start:start + 750].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    out = mj.batch_predict(exported.folder, str(tmp_path / "part-*.parquet"), engine="dask",
                           keep=["id"])
    assert_model_answers(out.compute().reset_index(drop=True), exported, rows)


# --------------------------------------------------------------------------- Spark


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java: install a JRE (apt-get install default-jre-headless)")
    from pyspark.sql import SparkSession

    mp = pytest.MonkeyPatch()
    mp.setenv("PYSPARK_PYTHON", sys.executable)  # the workers' Python (Spark's default: python3)
    session = (SparkSession.builder.master("local[2]").appName("mlops-batch-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    yield session
    session.stop()
    mp.undo()


def test_spark_scores_with_map_in_pandas(exported, rows, spark, tmp_path):
    from pyspark.sql import DataFrame as SparkFrame

    frame = spark.createDataFrame(rows).repartition(4)
    out = mj.batch_predict(exported.folder, frame, engine="spark", keep=["id"])
    assert isinstance(out, SparkFrame)
    assert [(f.name, f.dataType.simpleString()) for f in out.schema.fields] == [
        ("id", "bigint"), ("prediction", "string"),
        *[(f"probability_{c}", "double") for c in exported.classes]]
    assert_model_answers(out.toPandas().sort_values("id", ignore_index=True), exported, rows)

    rows.to_parquet(tmp_path / "in.parquet", index=False)
    target = tmp_path / "preds"
    assert mj.batch_predict(exported.folder, str(tmp_path / "in.parquet"), engine="spark",
                            keep=["id"], out=target) == target
    assert list(target.glob("part-*.parquet"))
    assert_model_answers(pd.read_parquet(target).sort_values("id", ignore_index=True),
                         exported, rows)
    with pytest.raises(mj.InvalidValueError, match="lacks column\\(s\\) 'region'"):
        mj.batch_predict(exported.folder, frame.drop("region"), engine="spark")


# --------------------------------------------------------------------------- MLflow


SPARK_UDF = r"""
import json, os, sys, warnings
warnings.simplefilter("ignore")
os.environ["PYSPARK_PYTHON"] = sys.executable
import mlflow.pyfunc, pandas as pd
from pyspark.sql import SparkSession
try:
    import mlops_jupyter
    sys.exit("mlops_jupyter is importable in the MLflow venv")
except ImportError:
    pass
folder, source = sys.argv[1], sys.argv[2]
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .getOrCreate())
frame = spark.read.parquet(source)
predict = mlflow.pyfunc.spark_udf(spark, folder, env_manager="local")
features = [c for c in frame.columns if c != "id"]
out = frame.withColumn("prediction", predict(*features)).select("id", "prediction")
got = out.toPandas().sort_values("id")
print(json.dumps({"id": got["id"].tolist(), "prediction": got["prediction"].tolist()}))
spark.stop()
"""


def test_mlflow_spark_udf_runs_the_exported_package(exported, rows, tmp_path):
    assert (exported.folder / "MLmodel").is_file()
    from venv_helpers import build_venv

    venv = build_venv(tmp_path / "venv", "mlflow-skinny>=3,<4", "pyspark>=3.5", "pyarrow",
                      "-r", str(exported.folder / "requirements.txt"))
    rows.to_parquet(tmp_path / "in.parquet", index=False)
    started = time.perf_counter()
    done = subprocess.run([str(venv.python), "-c", SPARK_UDF, str(exported.folder),
                           str(tmp_path / "in.parquet")], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=venv.env())
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"\nvenv {venv.seconds:.1f} s, spark_udf {time.perf_counter() - started:.1f} s")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["id"] == rows["id"].tolist()
    assert got["prediction"] == exported.model.predict(rows.drop(columns=["id"])).tolist()
