"""The views in a real JupyterLab, in a real browser: they render (no blank output), and the
pickers change what is drawn."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = [
    "%load_ext mlops_jupyter\nimport mlops_jupyter as mj\nimport numpy as np, pandas as pd",
    # a small sweep so the comparison has something to compare
    "for depth in (2, 4, 8):\n"
    "    with mj.start_run(f'depth-{depth}', experiment='ui') as run:\n"
    "        run.log_params({'max_depth': depth, 'model': 'tree'})\n"
    "        for step in range(5):\n"
    "            run.log_metric('loss', 1 / (step + depth), step=step)\n"
    "        run.log_metric('accuracy', 0.7 + depth / 100)",
    "%runs -e ui",
    "mj.compare(experiment='ui', metric='accuracy')",
    "rng = np.random.default_rng(0)\n"
    "ref = pd.DataFrame({'age': rng.normal(40, 5, 2000), 'city': rng.choice(['a', 'b', 'c'], 2000)})\n"
    "cur = ref.assign(age=ref.age + 6)\n"
    "mj.drift(ref, cur)",
    "from sklearn.ensemble import RandomForestRegressor\n"
    "y = ref.age * 2 + rng.normal(size=2000)\n"
    "X = ref[['age']].assign(other=rng.normal(size=2000))\n"
    "model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, y)\n"
    "mj.explain(model, X, max_rows=200)",
]


@pytest.fixture(scope="module")
def executed_page(lab_server, browser):
    root: Path = lab_server["root"]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK]
    nbformat.write(nb, root / "views.ipynb")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{lab_server['url']}/lab/tree/views.ipynb?reset&token={lab_server['token']}")
    shots = Path(__file__).with_name("_screenshots")
    shots.mkdir(exist_ok=True)
    try:
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        # the kernel is up (status bar: "Python 3 | Idle")
        page.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=60_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        # Every prompt shows an execution count once everything has run.
        page.wait_for_function(
            "() => { const p = [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')];"
            " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
            timeout=240_000,
        )
    except Exception:
        page.screenshot(path=str(shots / "setup-failure.png"))
        raise
    yield page
    page.close()


def outputs_of(page, index: int):
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea-output:visible")


def test_no_cell_failed(executed_page):
    assert "Traceback" not in executed_page.locator(".jp-Notebook").inner_text()


def test_views_render_widgets_and_plots(executed_page, tmp_path):
    page = executed_page
    shots = Path(__file__).with_name("_screenshots")
    for index in (2, 3, 4, 5):
        out = outputs_of(page, index)
        out.last.wait_for(timeout=30_000)
        out.last.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"cell-{index}.png"))
        text = out.last.inner_text()
        assert "Error displaying widget" not in text and "Loading widget" not in text
    # Plotly figures are drawn (not blank) in the comparison, drift and explanation views.
    page.wait_for_function(
        "() => document.querySelectorAll('.jp-Notebook .js-plotly-plot .main-svg').length >= 3",
        timeout=60_000,
    )
    page.screenshot(path=str(Path(__file__).with_name("_screenshots") / "views.png"))
    notebook_text = page.locator(".jp-Notebook").inner_text()
    assert "depth-8" in notebook_text  # the runs table
    assert "age" in notebook_text  # the drift summary table names the drifted column


def test_drift_column_picker_redraws_the_histogram(executed_page):
    cell = executed_page.locator(".jp-Notebook .jp-Cell").nth(4)
    picker = cell.locator("select").first
    picker.scroll_into_view_if_needed()
    city = [o for o in picker.locator("option").all_inner_texts() if "city" in o][0]
    picker.select_option(label=city)
    cell.locator(".js-plotly-plot .gtitle", has_text="city").wait_for(timeout=20_000)


def test_comparison_curves_tab_draws_one_line_per_selected_run(executed_page):
    cell = executed_page.locator(".jp-Notebook .jp-Cell").nth(3)
    tab = cell.locator(".lm-TabBar-tab", has_text="Curves")
    tab.scroll_into_view_if_needed()
    tab.click()
    curves = cell.locator(".js-plotly-plot:visible .scatterlayer .trace")
    executed_page.wait_for_function(
        "(el) => el.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= 3",
        arg=cell.element_handle(), timeout=20_000)
    assert curves.count() == 3
