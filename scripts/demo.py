"""`make demo`: execute the quickstart notebook headlessly on a fresh embedded store and
print what was tracked."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    """``--save`` writes the executed notebook back (so GitHub shows its outputs)."""
    notebook_path = REPO / "example_notebooks" / "quickstart.ipynb"
    with tempfile.TemporaryDirectory(prefix="mlops-demo-") as tmp:
        store = Path(tmp) / ".mlops"
        os.environ["MLOPS_STORE"] = str(store)
        nb = nbformat.read(notebook_path, as_version=4)
        print(f"executing {notebook_path.relative_to(REPO)} (store: {store}) ...", flush=True)
        started = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": tmp}}).execute()
        print(f"done in {time.perf_counter() - started:.1f}s\n")
        if "--save" in sys.argv:
            nb.metadata.pop("widgets", None)
            nbformat.write(nb, notebook_path)
            print(f"saved the outputs to {notebook_path.relative_to(REPO)}")
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for output in cell.get("outputs", []):
                text = output.get("text") or output.get("data", {}).get("text/plain", "")
                if "mlops: run" in text:
                    print(text.strip())
        import mlops_jupyter as mj

        mj.set_store(str(store))
        runs = mj.runs()
        print(f"\n{len(runs)} runs in the store ({(runs.parent_run_id.notna()).sum()} search candidates):")
        columns = [c for c in ["name", "experiment", "status", "duration", "metrics.accuracy",
                               "metrics.f1"] if c in runs.columns]
        print(runs[runs.parent_run_id.isna()][columns].to_string(index=False))
        print("\nsnapshots:")
        print(mj.snapshots()[["name", "version", "n_rows", "n_columns", "size"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
