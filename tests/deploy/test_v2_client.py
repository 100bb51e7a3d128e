"""A V2 client we did not write: Triton's ``tritonclient.http`` (in the dev extra) against an
exported package served from a venv of its own requirements. JSON tensors (the Open
Inference Protocol; Triton's binary tensors are its own extension): one input per column,
FP64 and INT64 numbers, BYTES strings; and the client's default, binary tensor data (Triton's
extension, which the server reads too)."""

from __future__ import annotations

import numpy as np
import pytest
from ci_rules import missing

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")  # session: checked before the servers are started
def httpclient():
    try:
        import tritonclient.http as client
    except ImportError:
        missing("tritonclient is not installed: pip install -e '.[dev]' (it lists "
                "tritonclient[http])")
    return client


def client_for(httpclient, server):
    return httpclient.InferenceServerClient(url=f"127.0.0.1:{server.port}",
                                            network_timeout=30.0)


def column_inputs(httpclient, X, binary_data=False):
    inputs = []
    for name, series in X.items():
        if series.dtype.kind == "f":
            array, datatype = series.to_numpy(np.float64), "FP64"
        elif series.dtype.kind == "i":
            array, datatype = series.to_numpy(np.int64), "INT64"
        else:
            array, datatype = series.to_numpy(object).astype(np.object_), "BYTES"
        tensor = httpclient.InferInput(name, list(array.shape), datatype)
        tensor.set_data_from_numpy(array, binary_data=binary_data)
        inputs.append(tensor)
    return inputs


def test_health_and_metadata(httpclient, exported, fresh_servers):
    item = exported["classifier"]
    client = client_for(httpclient, fresh_servers["classifier"])
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready(item.name)
        assert client.is_model_ready(item.name, model_version="1")
        assert not client.is_model_ready(item.name, model_version="2")
        assert not client.is_model_ready("no-such-model")
        assert client.get_server_metadata()["name"]
        meta = client.get_model_metadata(item.name)
        assert meta["name"] == item.name and meta["versions"] == ["1"]
        assert [(i["name"], i["datatype"]) for i in meta["inputs"]] == (
            [(c, "FP64") for c in item.X.columns[:-1]] + [("region", "BYTES")])
        outputs = {o["name"]: o for o in meta["outputs"]}
        assert outputs["predict"]["datatype"] == "BYTES"
        assert outputs["predict_proba"]["shape"] == [-1, 3]
        assert client.get_model_metadata(item.name, model_version="1") == meta
        with pytest.raises(httpclient.InferenceServerException, match="no-such-model"):
            client.get_model_metadata("no-such-model")
    finally:
        client.close()


def test_infer_with_json_tensors_equals_the_model(httpclient, exported, fresh_servers):
    for name, item in exported.items():
        client = client_for(httpclient, fresh_servers[name])
        try:
            model, X = item.model, item.X
            wanted = ["predict", "predict_proba"] if name == "classifier" else ["predict"]
            result = client.infer(
                item.name, column_inputs(httpclient, X), model_version="1",
                request_id=f"req-{name}",
                outputs=[httpclient.InferRequestedOutput(o, binary_data=False)
                         for o in wanted])
            assert result.get_response()["id"] == f"req-{name}"
            predicted = result.as_numpy("predict")
            expected = model.predict(X)
            if name == "classifier":
                assert predicted.tolist() == expected.tolist()
                np.testing.assert_allclose(result.as_numpy("predict_proba"),
                                           model.predict_proba(X), rtol=0, atol=1e-12)
            else:
                assert predicted.dtype == np.float64
                np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-12)

            # no outputs named: the client asks for binary outputs; JSON ones still parse
            head = X.head(5)
            result = client.infer(item.name, column_inputs(httpclient, head))
            predicted = result.as_numpy("predict")
            if name == "classifier":
                assert predicted.tolist() == model.predict(head).tolist()
            else:
                np.testing.assert_allclose(predicted, model.predict(head), rtol=0, atol=1e-12)
        finally:
            client.close()


def test_errors_reach_the_client_with_our_message(httpclient, exported, fresh_servers):
    item = exported["regressor"]
    client = client_for(httpclient, fresh_servers["regressor"])
    try:
        inputs = column_inputs(httpclient, item.X.head(3).drop(columns=["batch"]))
        with pytest.raises(httpclient.InferenceServerException, match="batch"):
            client.infer(item.name, inputs)
        with pytest.raises(httpclient.InferenceServerException, match="unknown model"):
            client.infer("no-such-model", inputs)
        assert client.is_server_ready()  # bad requests leave it serving
    finally:
        client.close()


def test_binary_tensor_inputs_the_clients_default(httpclient, exported, fresh_servers):
    """``set_data_from_numpy`` sends binary tensors unless told otherwise: the JSON header,
    then each input's raw little-endian bytes (BYTES: 4-byte length + UTF-8 each)."""
    for name, item in exported.items():
        client = client_for(httpclient, fresh_servers[name])
        try:
            X = item.X.iloc[::3]
            result = client.infer(item.name, column_inputs(httpclient, X, binary_data=True),
                                  request_id="bin")
            expected = item.model.predict(X)
            if name == "classifier":
                assert result.as_numpy("predict").tolist() == expected.tolist()
            else:
                np.testing.assert_allclose(result.as_numpy("predict"), expected, rtol=0,
                                           atol=1e-12)
            assert result.get_response()["id"] == "bin"
        finally:
            client.close()


def test_malformed_binary_tensor_data_is_a_400_naming_the_input(exported, fresh_servers):
    import json

    item, server = exported["classifier"], fresh_servers["classifier"]
    numeric = list(item.X.columns[:-1])
    url = f"/v2/models/{item.name}/infer"

    def post(inputs: list[dict], raw: bytes, header_extra: int = 0):
        head = json.dumps({"inputs": inputs}).encode()
        return server.post(url, head + raw, headers={
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(len(head) + header_extra)})

    def fp64(name, size=16):
        return {"name": name, "shape": [2], "datatype": "FP64",
                "parameters": {"binary_data_size": size}}

    floats = np.array([5.1, 4.9]).tobytes()
    region = {"name": "region", "shape": [2], "datatype": "BYTES",
              "parameters": {"binary_data_size": 18}}
    strings = b"".join(len(v).to_bytes(4, "little") + v for v in (b"north", b"south"))
    good = [fp64(n) for n in numeric] + [region]
    assert post(good, floats * len(numeric) + strings).status == 200

    reply = post(good, floats * len(numeric))  # the last input's bytes missing
    assert reply.status == 400 and "'region'" in reply.json()["error"], reply.body
    reply = post(good, floats * len(numeric) + strings + b"extra")
    assert reply.status == 400 and "5 bytes" in reply.json()["error"], reply.body
    reply = post(good, floats * len(numeric) + strings, header_extra=1000)
    assert reply.status == 400 and "Inference-Header-Content-Length" in reply.json()["error"]
    bad_size = [fp64(numeric[0], 15)] + good[1:]  # not a whole number of FP64 values
    reply = post(bad_size, floats[:15] + floats * (len(numeric) - 1) + strings)
    assert reply.status == 400 and repr(numeric[0]) in reply.json()["error"], reply.body
    bad_prefix = (99).to_bytes(4, "little") + strings[4:]  # a string longer than the data
    reply = post(good, floats * len(numeric) + bad_prefix)
    assert reply.status == 400 and "'region'" in reply.json()["error"], reply.body
    assert server.get("/v2/health/ready").status == 200


def test_metadata_types_integer_columns_int64_and_the_client_infers_with_them(
        httpclient, exported, fresh_servers):
    """A client that builds its tensors from the model's metadata (as tritonclient users do)
    gets INT64 for an int64 training column and FP64 for floats, and infers with them."""
    item = exported["regressor"]
    client = client_for(httpclient, fresh_servers["regressor"])
    try:
        meta = client.get_model_metadata(item.name)
        announced = {i["name"]: i["datatype"] for i in meta["inputs"]}
        assert announced == {c: ("INT64" if item.X[c].dtype.kind == "i" else "FP64")
                             for c in item.X.columns}
        assert announced["batch"] == "INT64"
        head = item.X.head(5)
        inputs = []
        for name, datatype in announced.items():
            dtype = np.int64 if datatype == "INT64" else np.float64
            tensor = httpclient.InferInput(name, [len(head)], datatype)
            tensor.set_data_from_numpy(head[name].to_numpy(dtype), binary_data=True)
            inputs.append(tensor)
        result = client.infer(item.name, inputs)
        np.testing.assert_allclose(result.as_numpy("predict").astype(float),
                                   item.model.predict(head), rtol=0, atol=1e-12)
    finally:
        client.close()
