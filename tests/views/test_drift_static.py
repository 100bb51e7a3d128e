"""A drift report leaves the notebook: one self-contained HTML page, small, with every column."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
from scipy import stats

from mlops_jupyter.analysis.drift import compute_drift

NETWORK = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", re.IGNORECASE)


def _row(page: str, column: str) -> str:
    """The summary-table row of ``column`` (its cells' text, tags kept)."""
    rows = [r.split("</tr>")[0] for r in page.split("<tr>")[1:]]
    (row,) = [r for r in rows if f"<b>{column}</b>" in r]
    return row


def _known_frames():
    ref = pd.DataFrame({
        "shifted": np.arange(100.0),
        "same": np.arange(100.0),
        "city": ["Paris"] * 60 + ["Lyon"] * 40,
        "zip": np.arange(100),
    })
    cur = pd.DataFrame({
        "shifted": np.arange(100.0) + 50,  # KS statistic exactly 0.5
        "same": np.arange(100.0),
        "city": ["Paris"] * 30 + ["Lyon"] * 40 + ["Lille"] * 30,
        "zip": [str(i) for i in range(100)],  # numbers became strings: broken
    })
    return ref, cur


def test_page_shows_verdict_every_column_status_statistic_and_histogram(tmp_path):
    ref, cur = _known_frames()
    report = compute_drift(ref, cur)
    page = report.to_html()

    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Drift report: drift detected (3 of 4 columns drifted)</title>" in page
    assert "Dataset drift detected: 3 of 4 columns drifted (75%, threshold 50%)" in page
    assert "1 can no longer be compared: zip" in page

    shifted = _row(page, "shifted")
    assert ">ks<" in shifted and ">0.5<" in shifted and "DRIFT" in shifted
    p = stats.ks_2samp(ref["shifted"], cur["shifted"]).pvalue
    assert f"{p:.2e}" in shifted  # p-value in scientific notation (p < 0.001)

    same = _row(page, "same")
    assert ">ok<" in same and ">0<" in same  # KS statistic 0: identical samples

    city = _row(page, "city")
    counts = np.array([[40, 60, 0], [40, 30, 30]])
    chi = stats.chi2_contingency(counts)
    assert ">chisquare<" in city and f">{chi.statistic:.3g}<" in city and "DRIFT" in city
    assert "unseen: Lille" in city

    zip_row = _row(page, "zip")
    assert "BROKEN" in zip_row
    assert "numeric in reference but string in current" in zip_row

    # per-column histograms as SVG, one <details> each for the comparable columns
    for name in ("shifted", "same", "city"):
        assert re.search(rf"<details[^>]*><summary[^>]*>(&#9888; )?<b>{name}</b>.*?<svg",
                         page, re.DOTALL)
    assert page.count("<details") == 3
    assert "<script" not in page and not NETWORK.search(page)

    written = report.save_html(tmp_path / "drift")
    assert written == tmp_path / "drift.html"
    assert written.read_text(encoding="utf-8") == page


def test_report_renders_itself_in_any_front_end():
    report = compute_drift(*_known_frames())
    fragment = report._repr_html_()
    assert fragment.startswith('<div class="mlops-drift"') and "<html" not in fragment
    bundle = report._repr_mimebundle_()
    assert bundle["text/html"] == fragment
    assert bundle["text/plain"].startswith("DriftReport(")
    assert fragment in report.to_html()


def test_save_html_needs_no_ipython_or_widgets(tmp_path):
    out = tmp_path / "report.html"
    code = textwrap.dedent(f"""
        import json, sys
        import numpy as np, pandas as pd
        from mlops_jupyter.analysis.drift import compute_drift
        rng = np.random.default_rng(0)
        ref = pd.DataFrame({{"x": rng.normal(size=500), "c": rng.choice(list("abc"), 500)}})
        cur = pd.DataFrame({{"x": rng.normal(1, 1, 500), "c": rng.choice(list("abd"), 500)}})
        compute_drift(ref, cur).save_html({str(out)!r})
        heavy = ("IPython", "ipywidgets", "plotly", "traitlets")
        print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    page = out.read_text(encoding="utf-8")
    assert "Dataset drift detected" in page and "<b>x</b>" in page and "<svg" in page


def _wide_frames(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """20 columns: 14 numeric (3 shifted, one datetime) and 6 categorical (one with 5,000
    distinct ids, one a boolean)."""
    rng = np.random.default_rng(seed)

    def frame(shift: float) -> pd.DataFrame:
        cols: dict[str, object] = {f"num{i}": rng.normal(shift if i < 3 else 0, 1, n)
                                   for i in range(13)}
        cols["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
            rng.integers(0, 86_400 * (30 + int(shift * 10)), n), unit="s")
        for i in range(4):
            cols[f"cat{i}"] = rng.choice([f"level-{k}" for k in range(8 + i)], n)
        cols["customer"] = rng.integers(0, 5000, n).astype(str)
        cols["flag"] = rng.random(n) < 0.3 + shift / 10
        return pd.DataFrame(cols)

    return frame(0.0), frame(0.5)


def test_page_of_a_wide_report_is_small_and_does_not_grow_with_rows():
    small = compute_drift(*_wide_frames(5_000, 1)).to_html()
    large = compute_drift(*_wide_frames(200_000, 2)).to_html()
    assert len(large.encode()) < 400_000  # 1M rows x 20 columns measured at 0.22 MB
    assert len(large) < 1.2 * len(small)  # aggregated bins only, never raw values
    assert large.count("<details") == 20  # every column's histogram is in the page
    assert "<script" not in large and not NETWORK.search(large)
