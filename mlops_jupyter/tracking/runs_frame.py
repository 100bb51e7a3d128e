"""The runs table: one row per run with params.*, metrics.* and tags.* columns."""

from __future__ import annotations

# pandas is imported lazily elsewhere; this module is only imported once runs are listed.
import pandas as _pd


class RunsFrame(_pd.DataFrame):
    """A runs DataFrame that displays as the interactive runs table (what ``%runs`` returns).

    Everything derived from it (filtering, selecting columns) is a plain DataFrame again.
    """

    @property
    def _constructor(self):
        return _pd.DataFrame


BASE_COLUMNS = ["run_id", "name", "experiment", "status", "start_time", "end_time", "duration",
                "parent_run_id", "notebook_path"]


def build_runs_frame(tables: dict[str, list[tuple]]):
    """The wide runs table from the store's long rows (run_id, key, value).

    Built column by column in plain Python: for 1,000 runs x 15 keys this is several times
    faster than ``DataFrame.pivot``, and listing runs is the comparison views' hot path.
    """
    import numpy as np
    import pandas as pd

    run_rows = tables["runs"]
    names = ["run_id", "name", "experiment", "status", "start_time", "end_time",
             "parent_run_id", "notebook_path"]
    base = dict(zip(names, (list(col) for col in zip(*run_rows, strict=True)), strict=True)) if run_rows \
        else {name: [] for name in names}
    position = {run_id: i for i, run_id in enumerate(base["run_id"])}
    n = len(position)
    start = np.array(base["start_time"], dtype=float)
    end = np.array([np.nan if v is None else v for v in base["end_time"]], dtype=float)
    # Text columns get the dtype pandas gives strings (str on pandas 3), also when every
    # value is missing: a frame of a few selected runs has the dtypes of the whole table's.
    text = pd.Series(["x"]).dtype

    def texts(name: str):
        return pd.Series(base[name], dtype=text)

    columns: dict[str, object] = {
        "run_id": texts("run_id"), "name": texts("name"), "experiment": texts("experiment"),
        "status": texts("status"),
        "start_time": pd.to_datetime(start, unit="s", utc=True).as_unit("ns"),
        "end_time": pd.to_datetime(end, unit="s", utc=True).as_unit("ns"),
        "duration": end - start,
        "parent_run_id": texts("parent_run_id"), "notebook_path": texts("notebook_path"),
    }
    for table, prefix in (("params", "params."), ("metrics", "metrics."), ("tags", "tags.")):
        wide: dict[str, list] = {
            key: [np.nan if table == "metrics" else None] * n
            for key in tables.get("known_keys", {}).get(table, ())
        }
        for run_id, key, value in tables[table]:
            i = position.get(run_id)
            if i is None:
                continue
            column = wide.get(key)
            if column is None:
                column = wide[key] = [np.nan if table == "metrics" else None] * n
            column[i] = value
        for key in sorted(wide):
            values = wide[key]
            if table == "metrics":
                columns[prefix + key] = np.array([np.nan if v is None else v for v in values],
                                                 dtype=float)
            else:
                # Typed JSON values of mixed types: keep them as Python objects.
                columns[prefix + key] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(n))
