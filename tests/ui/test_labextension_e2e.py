"""The lab extension end to end, in a real JupyterLab and a real Chromium: a notebook with two
%%track cells is run, both runs appear in the Runs panel without a reload, two are selected
and compared, "Go to cell" shows the tracked cell, "Export to deploy" writes a package on disk.
Screenshots (light and dark) land in tests/ui/_screenshots/ (docs/images/ has copies)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SHOTS = Path(__file__).with_name("_screenshots")
PANEL = "#mlops-runs-panel"
ROWS = f"{PANEL} .mj-RunsList .mj-RunRow[data-run-id]"

CELLS = [
    "%load_ext mlops_jupyter\nimport mlops_jupyter as mj\n"
    "from sklearn.datasets import load_breast_cancer\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.pipeline import make_pipeline\n"
    "from sklearn.preprocessing import StandardScaler\n"
    "data = load_breast_cancer(as_frame=True)\n"
    "X_train, X_test, y_train, y_test = train_test_split(\n"
    "    data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)",
    "%%track weak-model -e e2e\n"
    "C = 0.0005\n"
    "model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))\n"
    "model.fit(X_train, y_train)\n"
    "for step in range(1, 4):\n"
    "    mj.log_metric('val_loss', 1.0 / (step + C), step=step)\n"
    "accuracy = model.score(X_test, y_test)",
    "%%track strong-model -e e2e\n"
    "C = 1.0\n"
    "model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))\n"
    "model.fit(X_train, y_train)\n"
    "for step in range(1, 4):\n"
    "    mj.log_metric('val_loss', 0.5 / (step + C), step=step)\n"
    "accuracy = model.score(X_test, y_test)",
]


def shot(page, name: str, locator=None):
    SHOTS.mkdir(exist_ok=True)
    target = locator if locator is not None else page
    target.screenshot(path=str(SHOTS / f"{name}.png"))


def set_theme(page, theme: str):
    page.get_by_role("menuitem", name="Settings", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{theme}$")).click()
    dark = "Dark" in theme
    page.wait_for_function(
        f"() => document.body.dataset.jpThemeLight === '{'false' if dark else 'true'}'",
        timeout=20_000)
    page.wait_for_timeout(500)  # the theme's CSS settles


@pytest.fixture(scope="module")
def lab_page(lab_server, browser):
    root: Path = lab_server["root"]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nbformat.write(nb, root / "e2e.ipynb")
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    page.goto(f"{lab_server['url']}/lab/tree/e2e.ipynb?reset&token={lab_server['token']}")
    try:
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function("() => document.body.innerText.includes('| Idle')",
                               timeout=60_000)
    except Exception:
        shot(page, "labext-setup-failure")
        raise
    yield page
    page.close()


@pytest.fixture
def failure_shot(lab_page, request):
    """A screenshot of the page when the test fails (CI keeps tests/ui/_screenshots/)."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        shot(lab_page, f"labext-failure-{request.node.name}")


def test_runs_panel_compare_go_to_cell_and_export(lab_page, lab_server, failure_shot):
    page, root = lab_page, lab_server["root"]
    notebook_cells = nbformat.read(root / "e2e.ipynb", as_version=4).cells

    # the Runs panel: a left sidebar tab; it lists nothing before the notebook runs
    page.locator(".jp-SideBar .lm-TabBar-tab[data-id='mlops-runs-panel']").click()
    page.wait_for_selector(f"{PANEL} .mj-RunsFooter", state="visible")
    assert page.locator(ROWS).count() == 0

    # run the notebook: both runs appear in the panel with no reload
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')];"
        " return p.length === 3 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
        timeout=240_000)
    done = time.monotonic()
    page.wait_for_function(
        f"() => document.querySelectorAll(\"{ROWS}\").length === 2", timeout=2_500)
    appeared = time.monotonic() - done
    assert appeared < 2.5
    names = page.locator(f"{ROWS} .mj-RunRow-name").all_inner_texts()
    assert sorted(names) == ["strong-model", "weak-model"]
    # a run seen while its cell ran turns FINISHED by the next refresh
    page.wait_for_function(
        f"() => document.querySelectorAll(\"{ROWS} .mj-Status-FINISHED\").length === 2",
        timeout=2_500)
    assert "2 runs" in page.locator(f"{PANEL} .mj-RunsFooter").inner_text()

    # a filter error shows the server's message and a caret under its position
    box = page.locator(f"{PANEL} .mj-Filter")
    box.fill("metrics.accuracy >> 0.5")
    box.press("Enter")
    page.wait_for_selector(f"{PANEL} .mj-FilterError:not([hidden])", timeout=10_000)
    caret = page.locator(f"{PANEL} .mj-FilterError-caret").inner_text()
    text = page.locator(f"{PANEL} .mj-FilterError-text").inner_text()
    assert caret.strip() == "^" and text == "metrics.accuracy >> 0.5"
    assert 16 <= caret.index("^") <= 19, caret  # under the bad operator
    shot(page, "labext-filter-error", page.locator(PANEL))
    box.fill("metrics.accuracy > 0.9")
    box.press("Enter")
    page.wait_for_selector(f"{PANEL} .mj-FilterError", state="hidden", timeout=10_000)
    page.wait_for_function(f"() => document.querySelectorAll(\"{ROWS}\").length === 1",
                           timeout=10_000)
    assert page.locator(f"{ROWS} .mj-RunRow-name").inner_text() == "strong-model"
    box.fill("")
    box.press("Enter")
    page.wait_for_function(f"() => document.querySelectorAll(\"{ROWS}\").length === 2",
                           timeout=10_000)

    # sort by the value column (accuracy): the strong model first, then reversed
    page.locator(f"{PANEL} .mj-RunsHeader .mj-RunRow-value").click()
    page.wait_for_function(
        f"() => document.querySelector(\"{ROWS} .mj-RunRow-name\")?.textContent === 'strong-model'",
        timeout=10_000)
    page.locator(f"{PANEL} .mj-RunsHeader .mj-RunRow-value").click()
    page.wait_for_function(
        f"() => document.querySelector(\"{ROWS} .mj-RunRow-name\")?.textContent === 'weak-model'",
        timeout=10_000)

    # keyboard: focus the list, Home, Space toggles, ArrowDown + Space adds the second
    page.locator(f"{PANEL} .mj-RunsList").focus()
    page.keyboard.press("Home")
    page.keyboard.press(" ")
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    assert page.locator(f"{ROWS}.mj-mod-selected").count() == 2
    page.keyboard.press("Escape")
    assert page.locator(f"{ROWS}.mj-mod-selected").count() == 0

    # mouse: click one, ctrl-click the other -> Compare
    rows = page.locator(ROWS)
    rows.nth(0).click()
    rows.nth(1).click(modifiers=["Control"])
    assert page.locator(f"{ROWS}.mj-mod-selected").count() == 2
    assert "2 selected" in page.locator(f"{PANEL} .mj-RunsFooter").inner_text()
    shot(page, "labext-panel-light", page.locator(PANEL))
    page.locator(f"{PANEL} .jp-SidePanel-toolbar .jp-ToolbarButtonComponent",
                 has_text="Compare").click()
    compare = page.locator(".mj-Compare")
    compare.locator(".mj-Chart").first.wait_for(timeout=20_000)
    assert "Comparing 2 runs" in compare.inner_text()
    assert compare.locator("svg.mj-Chart").count() >= 3  # bars, parallel coordinates, curve
    diff = compare.locator(".mj-CodeDiff").inner_text()
    assert "-C = 0.0005" in diff and "+C = 1.0" in diff or (
        "+C = 0.0005" in diff and "-C = 1.0" in diff), diff
    shot(page, "labext-compare-light")
    # the selection survived opening the comparison (and the live refresh since)
    page.wait_for_timeout(1500)
    assert page.locator(f"{ROWS}.mj-mod-selected").count() == 2

    # run detail (double-click), then Go to cell: the notebook's tracked cell is active
    page.locator(ROWS, has_text="strong-model").dblclick()
    detail = page.locator(".mj-Detail:visible")
    detail.locator(".mj-GoToCell").wait_for(timeout=20_000)
    assert "C" in detail.locator(".mj-Section", has_text="Params").inner_text()
    assert "C = 1.0" in detail.locator(".mj-Code").inner_text()
    # the notebook tab is not the current one before Go to cell
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Compare 2 runs").click()
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Run strong-model").click()
    detail.locator(".mj-GoToCell").click()
    page.wait_for_function(
        "() => { const c = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) "
        ".jp-Notebook .jp-Cell.jp-mod-active'); "
        "return c && c.innerText.includes('%%track strong-model'); }", timeout=20_000)
    active_index = page.evaluate(
        "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
        ".jp-Notebook .jp-Cell')].findIndex(c => c.classList.contains('jp-mod-active'))")
    assert notebook_cells[active_index].source.startswith("%%track strong-model")

    # Export to deploy from the notebook toolbar: best accuracy preselected -> package on disk
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-item",
                 has_text="Export to deploy").click()
    dialog = page.locator(".mj-ExportDialog")
    dialog.locator(".mj-ExportRun").nth(1).wait_for(timeout=20_000)
    checked = dialog.locator(".mj-ExportRun:has(input:checked) .mj-ExportRun-name")
    assert checked.inner_text() == "strong-model"
    shot(page, "labext-export-light", dialog.locator(".jp-Dialog-content"))
    dialog.locator(".mj-ExportButton").click()
    dialog.locator(".mj-ExportResult .mj-Command").wait_for(timeout=240_000)
    result = dialog.locator(".mj-ExportResult").inner_text()
    package = dialog.locator(".mj-ExportResult .mj-Success code").inner_text()
    assert (root / package / "Dockerfile").is_file(), result
    files = dialog.locator(".mj-Files li").all_inner_texts()
    assert files and all((root / package / f).exists() for f in files), files
    assert dialog.locator(".mj-Command").inner_text().startswith("mlops-jupyter serve ")
    # the runs stay listed next to the result
    assert dialog.locator(".mj-ExportRun").first.bounding_box()["height"] > 10
    shot(page, "labext-export-done-light", dialog.locator(".jp-Dialog-content"))

    # dark theme: the same three views
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached", timeout=10_000)
    set_theme(page, "JupyterLab Dark")
    page.locator(ROWS).nth(0).click()
    page.locator(ROWS).nth(1).click(modifiers=["Shift"])
    assert page.locator(f"{ROWS}.mj-mod-selected").count() == 2
    shot(page, "labext-panel-dark", page.locator(PANEL))
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Compare 2 runs").click()
    shot(page, "labext-compare-dark")
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="e2e.ipynb").click()
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-item",
                 has_text="Export to deploy").click()
    dialog.locator(".mj-ExportRun").nth(1).wait_for(timeout=20_000)
    shot(page, "labext-export-dark", dialog.locator(".jp-Dialog-content"))
    # keyboard: the preselected run has the focus; ArrowDown picks the other, Escape closes
    page.keyboard.press("ArrowDown")
    assert checked.inner_text() == "weak-model"
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached", timeout=10_000)
    set_theme(page, "JupyterLab Light")


def test_export_errors_stay_in_the_dialog(lab_page, lab_server, failure_shot):
    """A notebook whose runs have no model: the dialog says so, and nothing is exported."""
    page, root = lab_page, lab_server["root"]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, root / "empty.ipynb")
    page.goto(f"{lab_server['url']}/lab/tree/empty.ipynb?token={lab_server['token']}")
    # the restored workspace reopens e2e.ipynb too: use the toolbar of empty.ipynb's panel
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)",
                         has=page.locator(".jp-Cell", has_text="x = 1"))
    panel.locator(".jp-Toolbar-item", has_text="Export to deploy").click(timeout=60_000)
    dialog = page.locator(".mj-ExportDialog")
    dialog.get_by_text("No run of this notebook has a model yet").wait_for(timeout=20_000)
    # the dialog is about the notebook whose toolbar was clicked, not another open one
    assert "empty.ipynb" in dialog.inner_text() and "e2e.ipynb" not in dialog.inner_text()
    assert dialog.locator(".mj-ExportButton").is_disabled()
    page.keyboard.press("Escape")
