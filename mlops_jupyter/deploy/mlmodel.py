"""The package as an MLflow model: ``MLmodel``, ``python_env.yaml`` and ``conda.yaml``.

MLflow's documented "custom loader module" form of the ``python_function`` flavor:

    flavors:
      python_function:
        loader_module: mlflow_loader      # deploy/runtime/mlflow_loader.py, in the package
        code: .                           # MLflow puts the package folder on sys.path
        env: {conda: conda.yaml, virtualenv: python_env.yaml}
        python_version: 3.11.7

``mlflow.pyfunc.load_model(package)`` imports ``mlflow_loader`` and calls its
``_load_pyfunc(package)``, which loads the model with the runtime's predictor (skops under the
manifest's trust list): MLflow never unpickles anything of ours. Both environment files point at
the package's own ``requirements.txt`` (MLflow reads that file from the model folder too, to
warn about mismatched versions), so ``spark_udf(..., env_manager="virtualenv")`` and
``mlflow models serve`` build the same small environment serve.py needs.

The ``signature`` is the manifest's input schema in MLflow's column types, so MLflow checks
inputs as the server does; outputs are one column (or a 2-D tensor for a multi-output model),
which gives ``spark_udf`` its result type. A column MLflow has no type for (kind "other",
categories of mixed types) leaves the signature out: MLflow then passes inputs unchecked to
the predictor, which still checks them.

Text only, written by ``deploy/export.py`` before the manifest hashes the files. MLflow is not
imported (nor needed) to write them; the tests load them with MLflow in a separate venv.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

__all__ = ["MLMODEL_NAME", "PYTHON_ENV_NAME", "CONDA_ENV_NAME", "LOADER_MODULE", "mlmodel",
           "python_env_yaml", "conda_yaml", "signature"]

MLMODEL_NAME = "MLmodel"
PYTHON_ENV_NAME = "python_env.yaml"
CONDA_ENV_NAME = "conda.yaml"
LOADER_MODULE = "mlflow_loader"  # deploy/runtime/mlflow_loader.py
REQUIREMENTS_NAME = "requirements.txt"

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}
_INT_DTYPES = ("int8", "int16", "int32", "uint8", "uint16")  # fit MLflow's "integer"


def _yaml_str(text: str) -> str:
    """A YAML double-quoted scalar any YAML loader reads back as ``text``: printable ASCII as
    is, everything else escaped (no PyYAML needed to write it)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """Block YAML lines of a dict of dicts / lists / scalars."""
    pad = "  " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict) and item:
            lines.append(f"{pad}{key}:")
            lines.extend(_yaml(item, indent + 1))
        elif isinstance(item, list) and item:
            lines.append(f"{pad}{key}:")
            for element in item:
                if isinstance(element, dict):
                    sub = _yaml(element, indent + 2)
                    lines.append(f"{pad}  - {sub[0].lstrip()}")
                    lines.extend(sub[1:])
                else:
                    lines.append(f"{pad}  - {_scalar(element)}")
        else:
            lines.append(f"{pad}{key}: {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, (dict, list)):  # empty
        return json.dumps(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text  # a plain scalar YAML reads as this same string
    return _yaml_str(text)


def _column_type(column: dict[str, Any]) -> str | None:
    """MLflow's ColSpec type of a manifest input column; None when MLflow has none."""
    kind, dtype = column.get("kind"), str(column.get("dtype", ""))
    if kind == "numeric":
        if dtype in _INT_DTYPES:
            return "integer"
        if dtype in ("int64", "uint32"):
            return "long"
        return "float" if dtype in ("float32", "float16") else "double"
    if kind == "boolean":
        return "boolean"
    if kind == "string":
        return "string"
    if kind == "datetime":
        return "datetime"
    if kind == "categorical":
        categories = column.get("categories")
        if categories and all(isinstance(c, str) for c in categories):
            return "string"
        if categories and all(isinstance(c, int) and not isinstance(c, bool)
                              for c in categories):
            return "long"
        if categories and all(isinstance(c, (int, float)) and not isinstance(c, bool)
                              for c in categories):
            return "double"
    return None


def _output_spec(output_schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    predict = output_schema.get("predict") or {}
    shape = list(predict.get("shape") or [-1])
    dtype = str(predict.get("dtype", ""))
    if len(shape) > 1:  # several outputs per row: a tensor, as MLflow infers for arrays
        if dtype in ("float64", "float32", "int64", "int32", "bool"):
            return [{"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}]
        return None
    classes = output_schema.get("classes")
    kind = dtype.lstrip("<>|=")[:1]
    if dtype in ("float32", "float16"):
        kind_type = "float"
    elif kind == "f":
        kind_type = "double"
    elif dtype in _INT_DTYPES:
        kind_type = "integer"
    elif kind in ("i", "u"):
        kind_type = "long"
    elif kind == "b":
        kind_type = "boolean"
    elif kind in ("U", "S"):
        kind_type = "string"
    elif kind == "O" and classes and all(isinstance(c, str) for c in classes):
        kind_type = "string"
    else:
        return None
    return [{"type": kind_type, "required": True}]


def signature(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """MLmodel's ``signature`` (inputs and outputs as MLflow's JSON strings), or None."""
    inputs = []
    for column in manifest["input_schema"]["columns"]:
        kind = _column_type(column)
        if kind is None:
            return None
        inputs.append({"type": kind, "name": column["name"], "required": True})
    outputs = _output_spec(manifest.get("output_schema") or {})
    return {"inputs": json.dumps(inputs),
            "outputs": json.dumps(outputs) if outputs is not None else None,
            "params": None}


def _python_version(manifest: dict[str, Any]) -> str:
    """The training run's Python, else the one exporting."""
    python = (manifest.get("environment") or {}).get("python")
    return str(python) if python else ".".join(map(str, sys.version_info[:3]))


def mlmodel(manifest: dict[str, Any]) -> str:
    """The ``MLmodel`` file."""
    flavor = {"loader_module": LOADER_MODULE, "code": ".",
              "env": {"conda": CONDA_ENV_NAME, "virtualenv": PYTHON_ENV_NAME},
              "python_version": _python_version(manifest)}
    model: dict[str, Any] = {
        "flavors": {"python_function": flavor},
        # our identity where MLflow keeps free-form metadata: MLflow's own run_id field
        # would be looked up in an MLflow tracking server
        "metadata": {"mlops_jupyter": {"name": manifest["name"],
                                       "version": str(manifest["version"]),
                                       "run_id": manifest["run_id"],
                                       "manifest": "mlops-model.json"}},
        "utc_time_created": str(manifest["created"]).replace("T", " ").rstrip("Z"),
    }
    sig = signature(manifest)
    if sig is not None:
        model["signature"] = sig
    header = (f"# {manifest['name']} v{manifest['version']}, exported by mlops-jupyter, as an "
              "MLflow model:\n#   mlflow.pyfunc.load_model(\"<this folder>\").predict(frame)\n"
              "# The loader (mlflow_loader.py) reads model.skops under the trust list of "
              "mlops-model.json.\n")
    return header + "\n".join(_yaml(model)) + "\n"


def python_env_yaml(manifest: dict[str, Any]) -> str:
    """MLflow's virtualenv description: the Python version and ``-r requirements.txt``."""
    return "\n".join(_yaml({"python": _python_version(manifest),
                            "build_dependencies": ["pip", "setuptools", "wheel"],
                            "dependencies": [f"-r {REQUIREMENTS_NAME}"]})) + "\n"


def conda_yaml(manifest: dict[str, Any], pins: list[str]) -> str:
    """MLflow's conda environment: the Python version and the requirements' pins."""
    packages = [line.split("#")[0].strip() for line in pins]
    return "\n".join(_yaml({"name": "mlflow-env", "channels": ["conda-forge"],
                            "dependencies": [f"python={_python_version(manifest)}", "pip",
                                             {"pip": [p for p in packages if p]}]})) + "\n"
