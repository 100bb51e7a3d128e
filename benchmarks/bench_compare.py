"""Rendering the comparison of 1,000 runs (10 params, 5 metrics, 3 with step series).

Measures, in a fresh store:
  load      mj.compare(experiment=...)   runs frame + histories of the selected runs
  build     build_comparison(frame)      pure analysis on an in-memory frame
  widget    CompareView(comparison)      widget state + all figures (table, parcoords,
                                         curves, bars)
  static    comparison_mimebundle(...)   the text/html fallback (SVG charts + diff)
  interact  select 3 more rows / change metric / type a filter (each redraws the figures)
and the size of the saved output. Target: widget + static under 1 s.

    .venv/bin/python benchmarks/bench_compare.py [--runs 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def populate(n_runs: int, n_steps: int) -> None:
    import numpy as np

    import mlops_jupyter as mj

    rng = np.random.default_rng(0)
    store = mj.get_store()
    now = time.time()
    for i in range(n_runs):
        # through the store directly: mj.start_run's per-run commits would dominate the setup
        run_id = f"{i:04d}" + os.urandom(14).hex()
        params = {"lr": float(10 ** rng.uniform(-4, -1)), "depth": int(rng.integers(2, 12)),
                  "n_estimators": int(rng.choice([50, 100, 200, 400])),
                  "model": str(rng.choice(["rf", "gbm", "xgb"])), "subsample": float(rng.uniform(0.5, 1)),
                  "l2": float(rng.uniform(0, 1)), "bootstrap": bool(rng.integers(0, 2)),
                  "criterion": str(rng.choice(["gini", "entropy"])), "seed": i % 7,
                  "features": str(rng.choice(["all", "top20", "top50"]))}
        store.create_run({"id": run_id, "name": f"run-{i}", "status": "FINISHED",
                          "start_time": now + i, "end_time": now + i + 3}, "bench", params=params)
        acc = 0.7 + 0.2 * rng.random()
        rows = []
        for step in range(n_steps):
            frac = (step + 1) / n_steps
            rows.append(("loss", float(1.5 * (1 - frac) + 0.1 + 0.05 * rng.random()), step, now + i))
            rows.append(("val_loss", float(1.6 * (1 - frac) + 0.15 + 0.05 * rng.random()), step, now + i))
            rows.append(("accuracy", float(acc * frac ** 0.3), step, now + i))
        rows += [("f1", float(acc - 0.03 * rng.random()), 0, now + i),
                 ("fit_time", float(rng.uniform(1, 30)), 0, now + i)]
        store.log_metrics(run_id, rows)


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return result, statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-compare-")
    os.environ["MLOPS_STORE"] = str(Path(tmp) / "store")
    t0 = time.perf_counter()
    import ipywidgets  # noqa: F401 - imported once per kernel anyway; reported apart
    import_s = time.perf_counter() - t0

    import mlops_jupyter as mj
    from mlops_jupyter.analysis.compare import build_comparison
    from mlops_jupyter.views.compare_view import CompareView, comparison_mimebundle

    t = time.perf_counter()
    populate(args.runs, args.steps)
    setup_s = time.perf_counter() - t

    first_t = time.perf_counter()
    comparison = mj.compare(experiment="bench")
    CompareView(comparison)
    comparison_mimebundle(comparison)
    first_s = time.perf_counter() - first_t  # includes one-off imports (pandas paths, SQL)

    comparison, load_s, _ = timed(lambda: mj.compare(experiment="bench"), args.repeat)
    frame = comparison.runs
    _, build_s, _ = timed(lambda: build_comparison(frame), args.repeat)
    view, widget_s, widget_min = timed(lambda: CompareView(comparison), args.repeat)
    bundle, static_s, static_min = timed(lambda: comparison_mimebundle(comparison), args.repeat)

    def select_more():
        view.table.select(view.table.selected + view.table.visible_ids[5:8])

    def change_metric():
        view.metric_dropdown.value = ("metrics.val_loss" if view.metric_dropdown.value != "metrics.val_loss"
                                      else "metrics.f1")

    def type_filter():
        view.table.filter_box.value = ("params.model == 'rf' and metrics.f1 > 0.75"
                                       if not view.table.filter_box.value else "")

    _, select_s, _ = timed(select_more, args.repeat)
    _, metric_s, _ = timed(change_metric, args.repeat)
    _, filter_s, _ = timed(type_filter, args.repeat)
    view.tabs.selected_index = 3
    _, diff_s, _ = timed(lambda: (view._diff_cache.clear(), view._draw_diff()), args.repeat)

    widget_state = view.get_state()
    figures_json = len(json.dumps(view.figures))
    static_bytes = len(json.dumps(bundle))
    print(f"runs={len(comparison.runs)} params={len(comparison.param_columns)} "
          f"metrics={len(comparison.metric_columns)} steps/run={args.steps} (setup {setup_s:.1f}s)")
    print(f"ipywidgets import (once per kernel): {import_s * 1000:7.0f} ms")
    print(f"first render incl. lazy imports:     {first_s * 1000:7.0f} ms")
    print(f"load from store (mj.compare):        {load_s * 1000:7.0f} ms (median of {args.repeat})")
    print(f"build_comparison (pure):             {build_s * 1000:7.0f} ms")
    print(f"CompareView (widget state + figures):{widget_s * 1000:7.0f} ms (min {widget_min * 1000:.0f})")
    print(f"static text/html bundle:             {static_s * 1000:7.0f} ms (min {static_min * 1000:.0f})")
    print(f"render total (widget + static):      {(widget_s + static_s) * 1000:7.0f} ms  (target < 1000)")
    print(f"select 3 more rows -> redraw:        {select_s * 1000:7.0f} ms")
    print(f"change metric -> resort + redraw:    {metric_s * 1000:7.0f} ms")
    print(f"type a filter -> refilter + redraw:  {filter_s * 1000:7.0f} ms")
    print(f"diff of two runs (2 records):        {diff_s * 1000:7.0f} ms")
    print(f"saved output: static bundle {static_bytes / 1024:.0f} KiB; figures JSON "
          f"{figures_json / 1024:.0f} KiB; top-level widget state {len(json.dumps(widget_state, default=str))} B")


if __name__ == "__main__":
    main()
