"""Request bodies of every protocol the server speaks -> a Batch; predictions -> responses.

Part of the serving runtime (standard library and NumPy). Formats, all described with an
example in README.md:

- ``/predict`` and ``/invocations`` JSON: records ``[{"col": v, ...}]``, one record
  ``{"col": v}``, columns ``{"col": [v, ...]}``, rows in schema order ``[[v, ...]]``, MLflow's
  ``{"dataframe_records": [...]}`` and ``{"dataframe_split": {"columns", "data"}}``, and
  Vertex AI's ``{"instances": [...]}`` (answered as ``{"predictions": [...]}``);
- ``text/csv``: rows in schema order, with or without a header line (SageMaker sends none);
- Open Inference Protocol V2 ``infer``: one input per column, or one 2-D input; JSON tensors,
  or Triton's binary tensor data (the JSON header's length in the
  ``Inference-Header-Content-Length`` header, each input's raw bytes after it).

Malformed bodies are 400; well-formed bodies that do not fit the schema are 422 (the
predictor names every column at fault).
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np
from predictor import Batch, InputError, Prediction, Predictor

V2_DATATYPES = frozenset({"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16",
                          "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"})
V2_OUTPUTS = ("predict", "predict_proba")
# Triton's binary tensor extension (tritonclient's default): the JSON header is the first
# Inference-Header-Content-Length bytes of the body, then each input's raw bytes, little-endian
V2_BINARY_DTYPES = {"BOOL": "?", "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4",
                    "UINT64": "<u8", "INT8": "<i1", "INT16": "<i2", "INT32": "<i4",
                    "INT64": "<i8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}
MAX_NESTING = 32  # V2 "data" may be nested row-major lists; deeper than this is not a tensor


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise InputError("the request body is empty: expected JSON", 400)
    try:
        return json.loads(body)
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply", 400) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"malformed JSON: {exc}", 400) from None


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


# --------------------------------------------------------------------------- /predict JSON


def batch_from_json(obj: Any, predictor: Predictor) -> tuple[Batch, str]:
    """(Batch, style) where style is "records" or "instances" (Vertex AI's envelope)."""
    names = predictor.name_set
    if isinstance(obj, list):
        if obj and all(type(r) is list for r in obj):
            return predictor.from_rows(obj), "records"
        return predictor.from_records(obj), "records"
    if type(obj) is not dict:
        raise InputError("expected a JSON object or a list of records", 400)
    if "instances" in obj and "instances" not in names:
        instances = obj["instances"]
        if not isinstance(instances, list) or not instances:
            raise InputError('"instances" must be a non-empty list', 400)
        if all(type(r) is list for r in instances):
            return predictor.from_rows(instances, "instance"), "instances"
        return predictor.from_records(instances), "instances"
    if "dataframe_records" in obj and "dataframe_records" not in names:
        return predictor.from_records(obj["dataframe_records"]), "records"
    if "dataframe_split" in obj and "dataframe_split" not in names:
        return predictor.from_columns(_split_to_columns(obj["dataframe_split"])), "records"
    if obj and all(type(v) is list for v in obj.values()):
        return predictor.from_columns(obj), "records"
    return predictor.from_records([obj]), "records"


def _split_to_columns(split: Any) -> dict[str, list[Any]]:
    if type(split) is not dict or type(split.get("columns")) is not list \
            or type(split.get("data")) is not list:
        raise InputError('"dataframe_split" must be {"columns": [...], "data": [[...], ...]}',
                         400)
    cols, data = split["columns"], split["data"]
    for i, row in enumerate(data):
        if type(row) is not list or len(row) != len(cols):
            raise InputError(f'"dataframe_split" row {i} does not have {len(cols)} values', 422)
    return {str(c): [row[j] for row in data] for j, c in enumerate(cols)}


def predict_response(predictor: Predictor, result: Prediction, style: str,
                     probabilities: bool = True) -> dict[str, Any]:
    predictions = result.predictions.tolist()
    if style == "instances":
        return {"predictions": predictions}
    out: dict[str, Any] = {"model": predictor.manifest.name,
                           "version": predictor.manifest.version,
                           "predictions": predictions}
    if probabilities and result.probabilities is not None:
        out["classes"] = predictor.classes
        out["probabilities"] = result.probabilities.tolist()
    return out


# --------------------------------------------------------------------------- CSV


def batch_from_csv(body: bytes, predictor: Predictor) -> Batch:
    """Rows in schema order; a first line that names columns is a header (any order)."""
    try:
        text = body.decode("utf-8-sig")
        rows = [r for r in csv.reader(io.StringIO(text)) if r]
    except UnicodeDecodeError as exc:
        raise InputError(f"the CSV body is not UTF-8: {exc}", 400) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", 400) from None
    if not rows:
        raise InputError("the CSV body has no rows", 400)
    by_name = {c.name: c for c in predictor.columns}
    header = [h.strip() for h in rows[0]]
    if any(h in by_name for h in header):
        data = rows[1:]
        if not data:
            raise InputError("the CSV body has a header but no rows", 400)
        for i, row in enumerate(data):
            if len(row) != len(header):
                raise InputError(f"CSV row {i + 1} has {len(row)} values; the header has "
                                 f"{len(header)}", 422)
        columns = {}
        for j, h in enumerate(header):
            col = by_name.get(h)
            columns[h] = [csv_value(row[j], col) for row in data]
        return predictor.from_columns(columns)
    converted = []
    for row in rows:
        if len(row) == len(predictor.columns):
            row = [csv_value(v, c) for v, c in zip(row, predictor.columns, strict=True)]
        converted.append(row)  # a wrong length is reported by from_rows, naming the row
    return predictor.from_rows(converted, "CSV row")


CSV_TRUE = frozenset({"true", "True", "TRUE", "1"})
CSV_FALSE = frozenset({"false", "False", "FALSE", "0"})


def csv_value(cell: str, col: Any) -> Any:
    """A CSV cell as the JSON value the column expects; left a string when it does not parse,
    so the schema check reports it with the column's name."""
    if cell == "":
        return None
    kind = col.kind if col is not None else "string"
    if kind == "numeric" or (kind == "categorical" and col.categories
                             and all(type(c) in (int, float) for c in col.categories)):
        try:
            value = float(cell)
        except ValueError:
            return cell
        if kind == "categorical" and math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if kind == "boolean":
        return True if cell in CSV_TRUE else False if cell in CSV_FALSE else cell
    return cell


def csv_response(result: Prediction) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for p in result.predictions.tolist():
        writer.writerow([p])
    return out.getvalue().encode()


# --------------------------------------------------------------------------- Open Inference V2


def _flatten(data: Any, depth: int = 0) -> list[Any]:
    if depth > MAX_NESTING:
        raise InputError("input data is nested too deeply", 400)
    if not any(type(x) is list for x in data):
        return data
    flat: list[Any] = []
    for x in data:
        if type(x) is list:
            flat.extend(_flatten(x, depth + 1))
        else:
            flat.append(x)
    return flat


def split_v2_body(body: bytes, header_length: bytes | None) -> tuple[bytes, memoryview | None]:
    """(JSON header, binary tensor data or None) of an infer request body: the whole body is
    JSON unless the Inference-Header-Content-Length header says where the JSON ends."""
    if header_length is None:
        return body, None
    text = header_length.decode("latin-1").strip()
    if not text.isdigit() or int(text) > len(body):
        raise InputError(f"Inference-Header-Content-Length {text!r} is not a byte count "
                         f"within the body's {len(body)} bytes", 400)
    n = int(text)
    return body[:n], memoryview(body)[n:]


class _BinaryReader:
    """Takes each binary input's bytes from the tensor data, in the order of the inputs."""

    def __init__(self, data: memoryview):
        self.data = data
        self.offset = 0

    def take(self, name: str, size: Any) -> memoryview:
        if type(size) is not int or size < 0:
            raise InputError(f"input {name!r}: binary_data_size must be a non-negative "
                             "integer", 400)
        if self.offset + size > len(self.data):
            raise InputError(f"input {name!r}: binary_data_size {size} goes past the end of "
                             f"the binary tensor data ({len(self.data) - self.offset} bytes "
                             "left)", 400)
        chunk = self.data[self.offset:self.offset + size]
        self.offset += size
        return chunk

    def finish(self) -> None:
        left = len(self.data) - self.offset
        if left:
            raise InputError(f"{left} bytes of binary tensor data after the last input's "
                             "binary_data_size", 400)


def _binary_values(name: str, datatype: str, raw: memoryview) -> list[Any]:
    if datatype != "BYTES":
        dtype = np.dtype(V2_BINARY_DTYPES[datatype])
        if len(raw) % dtype.itemsize:
            raise InputError(f"input {name!r}: {len(raw)} bytes is not a whole number of "
                             f"{datatype} values ({dtype.itemsize} bytes each)", 400)
        return np.frombuffer(raw, dtype=dtype).tolist()
    values, offset = [], 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise InputError(f"input {name!r}: BYTES data ends inside a length prefix", 400)
        size = int.from_bytes(raw[offset:offset + 4], "little")
        offset += 4
        if offset + size > len(raw):
            raise InputError(f"input {name!r}: a BYTES element of {size} bytes goes past the "
                             "input's binary data", 400)
        try:
            values.append(bytes(raw[offset:offset + size]).decode("utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"input {name!r}: a BYTES element is not UTF-8 text", 400) \
                from None
        offset += size
    return values


def _v2_tensor(item: Any, i: int, binary: _BinaryReader | None = None
               ) -> tuple[str, list[int], str, list[Any]]:
    if type(item) is not dict:
        raise InputError(f"inputs[{i}] must be an object", 400)
    name, shape = item.get("name"), item.get("shape")
    datatype, data = item.get("datatype"), item.get("data")
    params = item.get("parameters")
    size = params.get("binary_data_size") if type(params) is dict else None
    if type(name) is not str:
        raise InputError(f"inputs[{i}] has no string 'name'", 400)
    if type(shape) is not list or not all(type(d) is int and d >= 0 for d in shape):
        raise InputError(f"input {name!r}: 'shape' must be a list of non-negative integers", 400)
    if datatype not in V2_DATATYPES:
        raise InputError(f"input {name!r}: unknown datatype {datatype!r}; one of "
                         f"{', '.join(sorted(V2_DATATYPES))}", 400)
    if size is not None:
        if binary is None:
            raise InputError(f"input {name!r} has a binary_data_size but the request has no "
                             "Inference-Header-Content-Length header", 400)
        flat = _binary_values(name, datatype, binary.take(name, size))
    elif type(data) is not list:
        raise InputError(f"input {name!r}: 'data' must be a list", 400)
    else:
        flat = _flatten(data)
    if len(flat) != math.prod(shape):
        raise InputError(f"input {name!r}: shape {shape} holds {math.prod(shape)} values but "
                         f"'data' has {len(flat)}", 400)
    if datatype == "BOOL":
        flat = [bool(v) if type(v) is int and v in (0, 1) else v for v in flat]
    return name, shape, datatype, flat


def batch_from_v2(obj: Any, predictor: Predictor, binary: memoryview | None = None) -> Batch:
    """A Batch from a V2 infer request (``binary``: the tensor data after the JSON header,
    see split_v2_body)."""
    if type(obj) is not dict:
        raise InputError("expected a JSON object with 'inputs'", 400)
    inputs = obj.get("inputs")
    if type(inputs) is not list or not inputs:
        raise InputError("'inputs' must be a non-empty list of tensors", 400)
    params = obj.get("parameters")
    as_columns = type(params) is dict and params.get("content_type") == "pd"
    reader = _BinaryReader(binary) if binary is not None else None
    tensors = [_v2_tensor(item, i, reader) for i, item in enumerate(inputs)]
    if reader is not None:
        reader.finish()
    names = predictor.names
    if not as_columns and len(tensors) == 1 and tensors[0][0] not in predictor.name_set:
        name, shape, _, flat = tensors[0]
        if len(shape) == 2:
            n, k = shape
            if k != len(names):
                raise InputError(
                    f"input {name!r} has {k} columns; the model takes {len(names)}: "
                    + ", ".join(repr(x) for x in names), 422, {"expected_columns": names})
            return predictor.from_rows([flat[r * k:(r + 1) * k] for r in range(n)])
        if len(names) == 1 and len(shape) == 1:
            return predictor.from_columns({names[0]: flat})
        raise InputError(
            f"input {name!r} is not a column of the model; send one input per column "
            f"({', '.join(repr(x) for x in names)}) or one 2-D input of shape "
            f"[rows, {len(names)}]", 422)
    columns: dict[str, list[Any]] = {}
    for name, shape, _, flat in tensors:
        if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
            raise InputError(f"input {name!r}: a column input has shape [rows] or [rows, 1], "
                             f"not {shape}", 422)
        if name in columns:
            raise InputError(f"input {name!r} is given twice", 400)
        columns[name] = flat
    return predictor.from_columns(columns)


def v2_datatype(arr: np.ndarray) -> str:
    kind = arr.dtype.kind
    if kind == "f":
        return {2: "FP16", 4: "FP32"}.get(arr.dtype.itemsize, "FP64")
    if kind == "i":
        return f"INT{arr.dtype.itemsize * 8}"
    if kind == "u":
        return f"UINT{arr.dtype.itemsize * 8}"
    if kind == "b":
        return "BOOL"
    return "BYTES"


def v2_outputs_wanted(obj: dict[str, Any], available: list[str]) -> list[str]:
    requested = obj.get("outputs")
    if requested is None:
        return available
    if type(requested) is not list or not all(type(o) is dict and type(o.get("name")) is str
                                               for o in requested):
        raise InputError("'outputs' must be a list of {\"name\": ...} objects", 400)
    names = [o["name"] for o in requested]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise InputError(f"unknown output(s) {', '.join(map(repr, unknown))}; this model has "
                         f"{', '.join(map(repr, available))}", 400)
    return names


def v2_response(predictor: Predictor, result: Prediction, request: dict[str, Any],
                wanted: list[str]) -> dict[str, Any]:
    outputs = []
    for name in wanted:
        if name == "predict":
            arr = result.predictions
            data = arr.tolist() if arr.dtype.kind != "O" else [str(x) for x in arr.tolist()]
            outputs.append({"name": "predict", "shape": list(arr.shape),
                            "datatype": v2_datatype(arr), "data": data})
        elif name == "predict_proba" and result.probabilities is not None:
            arr = result.probabilities
            outputs.append({"name": "predict_proba", "shape": list(arr.shape),
                            "datatype": v2_datatype(arr), "data": arr.ravel().tolist()})
    out: dict[str, Any] = {"model_name": predictor.manifest.name,
                           "model_version": predictor.manifest.version}
    if "id" in request:
        out["id"] = request["id"]
    params = request.get("parameters")
    if type(params) is dict and params.get("content_type") == "pd":
        out["parameters"] = {"content_type": "pd"}
    out["outputs"] = outputs
    return out
