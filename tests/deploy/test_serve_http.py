"""The serving runtime over real HTTP: serve.py in a subprocess on a free loopback port, with
every import of mlops_jupyter blocked (see conftest.py), answering what the model answers
in-process, on every route, in every request format, and refusing every bad request class
without going down."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from serving_helpers import (
    build_package,
    free_port,
    iris_mixed_frame,
    numeric_pipeline,
    server_env,
    start_server,
)

pytestmark = pytest.mark.slow


def records(X: pd.DataFrame, n: int | None = None) -> list[dict]:
    """Rows as JSON-ready records with Python floats (exact through json.dumps)."""
    frame = X if n is None else X.head(n)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def assert_same(reply_json: dict, model, X: pd.DataFrame) -> None:
    assert reply_json["predictions"] == model.predict(X).tolist()
    np.testing.assert_array_equal(np.array(reply_json["probabilities"]), model.predict_proba(X))
    assert reply_json["classes"] == model.classes_.tolist()


# --------------------------------------------------------------------------- predictions


def test_predict_records_equal_in_process_predictions(iris_server, iris_model):
    model, X = iris_model
    reply = iris_server.post("/predict", records(X))
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert (body["model"], body["version"]) == ("iris", "3")
    assert_same(body, model, X)
    assert "matrix" in iris_server.log()  # the numeric model is fed a matrix, not a DataFrame


def test_every_json_shape_gives_the_same_answer(iris_server, iris_model):
    model, X = iris_model
    head = X.head(5)
    rows = records(head)
    names = list(X.columns)
    bodies = {
        "columns": {c: [r[c] for r in rows] for c in names},
        "rows": [[r[c] for c in names] for r in rows],
        "dataframe_records": {"dataframe_records": rows},
        "dataframe_split": {"dataframe_split": {"columns": names[::-1],
                                                "data": [[r[c] for c in names[::-1]]
                                                         for r in rows]}},
    }
    for shape, body in bodies.items():
        reply = iris_server.post("/predict", body)
        assert reply.status == 200, (shape, reply.body)
        assert_same(reply.json(), model, head)
    one = iris_server.post("/predict", rows[0])
    assert one.json()["predictions"] == model.predict(head.head(1)).tolist()


def test_sagemaker_ping_and_invocations(iris_server, iris_model):
    model, X = iris_model
    head = X.head(4)
    ping = iris_server.get("/ping")
    assert (ping.status, ping.body) == (200, b"")
    as_json = iris_server.post("/invocations", records(head))
    assert_same(as_json.json(), model, head)
    csv_rows = "\n".join(",".join(repr(v) for v in row) for row in head.itertuples(index=False))
    as_csv = iris_server.post("/invocations", csv_rows.encode(),
                              headers={"Content-Type": "text/csv", "Accept": "text/csv"})
    assert as_csv.status == 200, as_csv.body
    assert as_csv.headers["content-type"] == "text/csv"
    assert as_csv.body.decode().split() == [str(p) for p in model.predict(head)]
    shuffled = head[list(X.columns)[::-1]]
    with_header = shuffled.to_csv(index=False, float_format="%.17g")
    reply = iris_server.post("/invocations", with_header.encode(),
                             headers={"Content-Type": "text/csv; charset=utf-8"})
    assert_same(reply.json(), model, head)


def test_vertex_instances(iris_server, iris_model):
    model, X = iris_model
    head = X.head(3)
    reply = iris_server.post("/predict", {"instances": records(head), "parameters": {}})
    assert reply.json() == {"predictions": model.predict(head).tolist()}
    as_lists = iris_server.post("/predict", {"instances": head.to_numpy().tolist()})
    assert as_lists.json() == {"predictions": model.predict(head).tolist()}
    assert iris_server.get("/health").status == 200  # AIP_HEALTH_ROUTE's default


def test_v2_one_input_per_column(iris_server, iris_model):
    model, X = iris_model
    head = X.head(6)
    request = {"id": "req-42", "inputs": [
        {"name": c, "shape": [len(head)], "datatype": "FP64", "data": head[c].tolist()}
        for c in X.columns]}
    reply = iris_server.post("/v2/models/iris/infer", request)
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["id"] == "req-42"
    assert (body["model_name"], body["model_version"]) == ("iris", "3")
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["predict"]["shape"] == [6]
    assert outputs["predict"]["datatype"] == "INT64"
    assert outputs["predict"]["data"] == model.predict(head).tolist()
    assert outputs["predict_proba"]["shape"] == [6, 3]
    np.testing.assert_array_equal(np.array(outputs["predict_proba"]["data"]).reshape(6, 3),
                                  model.predict_proba(head))
    # the versioned route, the pandas content type, and asking for one output only
    request["parameters"] = {"content_type": "pd"}
    request["outputs"] = [{"name": "predict"}]
    reply = iris_server.post("/v2/models/iris/versions/3/infer", request)
    assert [o["name"] for o in reply.json()["outputs"]] == ["predict"]
    assert reply.json()["parameters"] == {"content_type": "pd"}


def test_v2_one_2d_input_nested_or_flat(iris_server, iris_model):
    model, X = iris_model
    head = X.head(4)
    for data in (head.to_numpy().tolist(), head.to_numpy().ravel().tolist()):
        reply = iris_server.post("/v2/models/iris/infer", {"inputs": [
            {"name": "input-0", "shape": [4, 4], "datatype": "FP32", "data": data}]})
        assert reply.status == 200, reply.body
        assert "id" not in reply.json()
        assert reply.json()["outputs"][0]["data"] == model.predict(head).tolist()


def test_v2_bytes_and_string_labels(mixed_server, iris_mixed_model):
    model, X = iris_mixed_model
    head = X.sample(8, random_state=1)
    inputs = [{"name": c, "shape": [len(head), 1],
               "datatype": "BYTES" if c == "region" else "FP64",
               "data": head[c].tolist()} for c in X.columns]
    reply = mixed_server.post("/v2/models/iris-mixed/infer", {"inputs": inputs})
    assert reply.status == 200, reply.body
    predict = reply.json()["outputs"][0]
    assert predict["datatype"] == "BYTES"
    assert predict["data"] == model.predict(head).tolist()
    as_records = mixed_server.post("/predict", records(head)).json()
    assert_same(as_records, model, head)
    # an unseen category passes on to the encoder (handle_unknown="ignore")
    unseen = records(head, 1)
    unseen[0]["region"] = "west"
    reply = mixed_server.post("/predict", unseen)
    assert reply.status == 200
    expected = model.predict(pd.DataFrame(unseen, columns=X.columns))
    assert reply.json()["predictions"] == expected.tolist()
    assert "dataframe" in mixed_server.log()  # a string column: the DataFrame path


def test_v2_metadata_and_health(iris_server, mixed_server):
    assert iris_server.get("/v2").json()["name"] == "mlops-jupyter-runtime"
    assert iris_server.get("/v2/health/live").status == 200
    assert iris_server.get("/v2/health/ready").status == 200
    meta = iris_server.get("/v2/models/iris").json()
    assert meta["name"] == "iris" and meta["versions"] == ["3"]
    assert [i["name"] for i in meta["inputs"]] == [
        "sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
    assert [o["name"] for o in meta["outputs"]] == ["predict", "predict_proba"]
    assert iris_server.get("/v2/models/iris/versions/3").json() == meta
    assert iris_server.get("/v2/models/iris/ready").status == 200
    assert iris_server.get("/v2/models/iris/versions/3/ready").status == 200
    mixed = mixed_server.get("/v2/models/iris-mixed").json()
    assert mixed["inputs"][-1] == {"name": "region", "datatype": "BYTES", "shape": [-1]}
    index = iris_server.get("/").json()
    assert index["model"] == "iris" and "/predict" in index["routes"]


# --------------------------------------------------------------------------- bad requests


def test_each_bad_request_class(iris_server, iris_model):
    _, X = iris_model
    row = records(X, 1)[0]
    cases = [
        ("malformed JSON", b'{"sepal', 400, "malformed JSON"),
        ("empty body", b"", 400, "empty"),
        ("not records", json.dumps([1, 2]).encode(), 400, "record 0"),
        ("nested too deeply", b"[" * 100_000, 400, "malformed JSON"),
        ("not UTF-8", b'{"a": "\xff"}', 400, "malformed JSON"),
    ]
    for what, body, status, text in cases:
        reply = iris_server.post("/predict", body, headers={"Content-Type": "application/json"})
        assert reply.status == status, (what, reply.body)
        assert text in reply.json()["error"], what

    missing = {k: v for k, v in row.items() if k != "petal width (cm)"}
    reply = iris_server.post("/predict", [missing])
    assert reply.status == 422
    assert "missing column(s) 'petal width (cm)'" in reply.json()["error"]
    assert reply.json()["missing"] == ["petal width (cm)"]

    extra = {**row, "colour": "red", "age": 3}
    reply = iris_server.post("/predict", [extra])
    assert reply.status == 422
    assert reply.json()["unexpected"] == ["age", "colour"]

    wrong = {**row, "sepal length (cm)": "5.1", "petal length (cm)": True,
             "sepal width (cm)": [1]}
    reply = iris_server.post("/predict", [row, wrong])
    assert reply.status == 422
    problems = reply.json()["columns"]
    assert set(problems) == {"sepal length (cm)", "sepal width (cm)", "petal length (cm)"}
    assert problems["sepal length (cm)"] == "expected a number, got a string '5.1' in row 1"
    assert "got a boolean" in problems["petal length (cm)"]
    for name in problems:
        assert repr(name) in reply.json()["error"]

    short_row = iris_server.post("/predict", [[1.0, 2.0, 3.0]])
    assert short_row.status == 422 and "takes 4" in short_row.json()["error"]


def test_bad_v2_requests_and_routes(iris_server, iris_model):
    _, X = iris_model
    ok_input = {"name": "input-0", "shape": [1, 4], "datatype": "FP64",
                "data": X.head(1).to_numpy().ravel().tolist()}
    cases = [
        ("/v2/models/nope/infer", {"inputs": [ok_input]}, 404, "unknown model 'nope'"),
        ("/v2/models/iris/versions/9/infer", {"inputs": [ok_input]}, 404, "no version '9'"),
        ("/v2/models/iris/infer", {"inputs": []}, 400, "non-empty"),
        ("/v2/models/iris/infer", {"inputs": [{**ok_input, "shape": [2, 4]}]}, 400,
         "holds 8 values"),
        ("/v2/models/iris/infer", {"inputs": [{**ok_input, "datatype": "FLOAT"}]}, 400,
         "unknown datatype"),
        ("/v2/models/iris/infer", {"inputs": [{**ok_input, "shape": [2, 2]}]}, 422,
         "has 2 columns; the model takes 4"),
        ("/v2/models/iris/infer", {"inputs": [ok_input], "outputs": [{"name": "x"}]}, 400,
         "unknown output(s) 'x'"),
        ("/v2/models/iris/infer", {"inputs": [{**ok_input, "name": "sepal length (cm)",
                                               "shape": [4]}]}, 422, "missing column(s)"),
    ]
    for path, body, status, text in cases:
        reply = iris_server.post(path, body)
        assert reply.status == status, (path, body, reply.body)
        assert text in reply.json()["error"], (text, reply.body)
    assert iris_server.get("/v2/models/nope").status == 404
    assert iris_server.get("/v2/models/iris/versions/2/ready").status == 404
    assert iris_server.get("/nowhere").status == 404
    wrong_method = iris_server.get("/predict")
    assert wrong_method.status == 405 and wrong_method.headers["allow"] == "POST"
    reply = iris_server.post("/invocations", b"a=1",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 415
    bad_csv = iris_server.post("/invocations", b"1,2,abc,4\n",
                               headers={"Content-Type": "text/csv"})
    assert bad_csv.status == 422 and "'petal length (cm)'" in bad_csv.json()["error"]
    # still up after all of it
    assert iris_server.proc.poll() is None
    assert iris_server.get("/v2/health/ready").status == 200


# --------------------------------------------------------------------------- load, metrics


def test_concurrent_clients(iris_server, iris_model):
    model, X = iris_model
    expected = model.predict(X).tolist()
    rows = records(X)
    failures: list[str] = []

    def client(offset: int) -> None:
        for i in range(offset, len(rows), 4):
            reply = iris_server.post("/predict", [rows[i]])
            if reply.status != 200 or reply.json()["predictions"] != [expected[i]]:
                failures.append(f"row {i}: {reply.status} {reply.body[:200]!r}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:5]


def parse_metrics(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def test_metrics_count_requests_latency_and_predictions(iris_server, iris_model):
    model, X = iris_model
    before = parse_metrics(iris_server.get("/metrics").body.decode())
    rows = records(X)
    for i in range(7):
        assert iris_server.post("/predict", [rows[i * 20]]).status == 200
    assert iris_server.post("/predict", [{"x": 1}]).status == 422
    assert iris_server.post("/predict", [{"x": 1}]).status == 422
    reply = iris_server.get("/metrics")
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = parse_metrics(reply.body.decode())
    ok_key = 'mlops_requests_total{route="/predict",method="POST",status="200"}'
    bad_key = 'mlops_requests_total{route="/predict",method="POST",status="422"}'
    assert after[ok_key] - before.get(ok_key, 0) == 7
    assert after[bad_key] - before.get(bad_key, 0) == 2
    count = 'mlops_request_duration_seconds_count{route="/predict"}'
    assert after[count] - before.get(count, 0) == 9
    inf = 'mlops_request_duration_seconds_bucket{route="/predict",le="+Inf"}'
    assert after[inf] == after[count]
    predicted = model.predict(X.iloc[[i * 20 for i in range(7)]]).tolist()
    for label in set(predicted):
        key = f'mlops_predictions_total{{class="{label}"}}'
        assert after[key] - before.get(key, 0) == predicted.count(label)
    assert after["mlops_rows_total"] - before.get("mlops_rows_total", 0) == 7
    assert after['mlops_model_info{name="iris",version="3"}'] == 1


def test_one_structured_log_line_per_request(iris_server):
    marker = f"/nowhere-{free_port()}"
    for _ in range(3):
        iris_server.get(marker)
    deadline = time.monotonic() + 5  # the line is written once the response is sent: wait
    while True:
        lines = [json.loads(line) for line in iris_server.log().splitlines()
                 if line.startswith("{") and marker in line]
        if len(lines) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(lines) == 3
    assert {(x["method"], x["status"], x["route"]) for x in lines} == {("GET", 404, "other")}
    assert all(isinstance(x["ms"], float) and x["time"].endswith("Z") for x in lines)


# --------------------------------------------------------------------------- configured server


@pytest.fixture(scope="module")
def configured(tmp_path_factory, iris_mixed_model):
    """Container mode (`serve`) with Vertex AI's environment, a small body limit, a drift
    window of 150 rows with a JSON-lines log, and unseen regions rejected."""
    model, X = iris_mixed_model
    tmp = tmp_path_factory.mktemp("configured")
    package = build_package(tmp / "pkg", model, X, name="iris-mixed", version="2",
                            reject_unseen=("region",))
    port = free_port()
    env = {"AIP_HTTP_PORT": str(port), "AIP_HEALTH_ROUTE": "/vertex/health",
           "AIP_PREDICT_ROUTE": "/vertex/predict"}
    log = tmp / "inputs.jsonl"
    server = start_server(package, tmp, "serve", "--max-body-mb", "0.05", "--drift-window",
                          "150", "--drift-log", str(log), port=port, env=env,
                          ready_path="/vertex/health")
    yield server, model, X, log
    server.stop()


def test_vertex_environment_routes(configured):
    server, model, X, _ = configured
    head = X.head(3)
    reply = server.post("/vertex/predict", {"instances": records(head)})
    assert reply.json() == {"predictions": model.predict(head).tolist()}
    assert server.get("/ping").status == 200


def test_body_over_the_limit_is_413(configured):
    server, model, X, _ = configured
    big = records(X) * 3  # about 70 KB > 0.05 MB
    reply = server.post("/predict", big)
    assert reply.status == 413
    assert "over the limit of 52,428 bytes" in reply.json()["error"]

    def chunks():  # no Content-Length: the limit is enforced while reading
        payload = json.dumps(big).encode()
        for i in range(0, len(payload), 8192):
            yield payload[i:i + 8192]

    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", "/predict", body=chunks(), encode_chunked=True,
                 headers={"Content-Type": "application/json"})
    assert conn.getresponse().status == 413
    conn.close()
    assert server.post("/predict", records(X, 2)).status == 200


def test_unseen_category_rejected_when_the_column_says_so(configured):
    server, _, X, _ = configured
    row = records(X, 1)[0]
    reply = server.post("/predict", [{**row, "region": "west"}, {**row, "region": "mars"}])
    assert reply.status == 422
    assert reply.json()["columns"] == {"region": "value(s) not seen in training: 'mars', 'west'"}


def test_monitor_drift_flags_a_shifted_batch(configured):
    import mlops_jupyter as mj

    server, _, X, log = configured
    columns = {c: X[c].tolist() for c in X.columns}
    assert server.post("/predict", columns).status == 200  # the training rows themselves
    report = server.get("/monitor/drift").json()
    assert report["status"] == "ok" and report["n_current"] == 150
    assert report["dataset_drift"] is False and report["drifted_columns"] == []

    shifted = X.copy()
    shifted["petal length (cm)"] += 3.0
    shifted["petal width (cm)"] *= 2.0
    shifted["region"] = ["north"] * 120 + ["south"] * 30
    columns = {c: shifted[c].tolist() for c in X.columns}
    assert server.post("/predict", columns).status == 200
    report = server.get("/monitor/drift").json()
    assert report["n_current"] == 150  # the window holds the last 150 rows: the shifted ones
    assert set(report["drifted_columns"]) == {"petal length (cm)", "petal width (cm)", "region"}
    assert report["dataset_drift"] is True
    # the same statistics as mj.drift on the same frames
    expected = mj.drift(X, shifted)
    for col in report["columns"]:
        ref = expected.column(col["column"])
        assert col["test"] == ref.test
        assert col["statistic"] == pytest.approx(ref.statistic, rel=1e-9, abs=1e-12)
        assert col["p_value"] == pytest.approx(ref.p_value, rel=1e-9, abs=1e-300)
        assert col["drifted"] == ref.drifted
    # every scored row went to the JSON-lines log, with its prediction
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(lines) >= 300
    assert lines[-1]["inputs"]["region"] == "south" and "prediction" in lines[-1]
    assert server.get("/monitor/drift?min_rows=1000").json()["status"] == "collecting"
    assert server.get("/monitor/drift?min_rows=x").status == 400


def test_container_mode_listens_on_8080_by_default(iris_package, tmp_path):
    code = ("import serve; a = serve.parse_args(['serve']); "
            "b = serve.parse_args([]); print(serve.address(a), serve.address(b))")
    out = subprocess.run([sys.executable, "-c", code], cwd=iris_package, text=True,
                         capture_output=True, env=server_env(tmp_path), check=True)
    assert out.stdout.split() == ["('0.0.0.0',", "8080)", "('127.0.0.1',", "8000)"]


def test_workers(iris_package, iris_model, tmp_path):
    model, X = iris_model
    server = start_server(iris_package, tmp_path, "--workers", "2")
    try:
        rows = records(X, 20)
        for i, row in enumerate(rows):
            reply = server.post("/predict", [row])
            assert reply.json()["predictions"] == model.predict(X.iloc[[i]]).tolist()
    finally:
        server.stop()
    loaded = [json.loads(x) for x in server.log().splitlines() if '"model loaded"' in x]
    assert len({x["pid"] for x in loaded}) == 2


# --------------------------------------------------------------------------- refused packages


def _run_to_exit(package, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "serve.py", "--port", str(free_port())],
                          cwd=package, env=server_env(tmp_path), text=True,
                          capture_output=True, timeout=120)


def test_a_model_needing_unlisted_types_is_not_loaded(tmp_path):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, normalize

    X, y = load_iris(as_frame=True, return_X_y=True)
    model = make_pipeline(FunctionTransformer(normalize), LogisticRegression()).fit(X, y)
    package = build_package(tmp_path / "pkg", model, X, name="sneaky", trusted=[])
    out = _run_to_exit(package, tmp_path)
    assert out.returncode == 2, out.stderr
    assert "sklearn.preprocessing._data.normalize" in out.stderr
    assert "does not list" in out.stderr and "Traceback" not in out.stderr
    # listed in the manifest: it loads and serves
    build_package(tmp_path / "ok", model, X, name="listed",
                  trusted=["sklearn.preprocessing._data.normalize"])
    server = start_server(tmp_path / "ok", tmp_path)
    try:
        reply = server.post("/predict", records(X, 2))
        assert reply.json()["predictions"] == model.predict(X.head(2)).tolist()
    finally:
        server.stop()


def test_a_modified_model_file_is_refused(tmp_path):
    from sklearn.datasets import load_iris

    X, y = load_iris(as_frame=True, return_X_y=True)
    package = build_package(tmp_path / "pkg", numeric_pipeline().fit(X, y), X, name="iris")
    X2, y2 = iris_mixed_frame()
    import skops.io as sio

    other = numeric_pipeline().fit(X2.drop(columns="region"), y2)
    (package / "model.skops").write_bytes(sio.dumps(other))
    out = _run_to_exit(package, tmp_path)
    assert out.returncode == 2
    assert "SHA-256 differs" in out.stderr
