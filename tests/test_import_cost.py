"""`%load_ext mlops_jupyter` must stay cheap: heavy libraries load only when first used."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["sklearn", "scipy", "plotly", "shap", "pyarrow", "ipywidgets", "skops", "alembic",
         "sqlalchemy", "mlflow"]


def test_load_ext_imports_nothing_heavy():
    code = (
        "import sys, json\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "sh = InteractiveShell.instance()\n"
        "sh.run_cell('%load_ext mlops_jupyter')\n"
        "sh.run_cell('import mlops_jupyter as mj')\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
