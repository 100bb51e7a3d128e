"""``mlops_jupyter.data`` loads a submodule's dependencies only when that submodule is used."""

from __future__ import annotations

import json
import subprocess
import sys


def _new_modules(statement: str) -> list[str]:
    """Modules that ``statement`` imports beyond pandas (which may load pyarrow itself)."""
    code = (
        "import sys, json\n"
        "import pandas\n"
        "before = set(sys.modules)\n"
        f"{statement}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_data_schema_loads_neither_pyarrow_nor_xxhash():
    new = _new_modules("import mlops_jupyter.data.schema")
    assert "mlops_jupyter.data.schema" in new
    heavy = [m for m in new if m.split(".")[0] in ("pyarrow", "xxhash")]
    assert heavy == []
    others = [m for m in new if m.startswith("mlops_jupyter.data.") and m != "mlops_jupyter.data.schema"]
    assert others == []


def test_the_package_names_still_import_and_fingerprint_stays_the_function():
    import mlops_jupyter.data.fingerprint  # noqa: F401 - the submodule of the same name
    from mlops_jupyter import data
    from mlops_jupyter.data import diff_profiles, fingerprint, profile_frame, schema_to_json

    assert callable(fingerprint) and data.fingerprint is fingerprint
    assert profile_frame.__module__ == "mlops_jupyter.data.profile"
    assert diff_profiles.__module__ == "mlops_jupyter.data.diff"
    assert schema_to_json.__module__ == "mlops_jupyter.data.schema"
    assert set(data.__all__) <= set(dir(data))
