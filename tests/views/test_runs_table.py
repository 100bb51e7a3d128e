"""The runs table widget, driven like a user: filter, sort by header, page, select, expand."""

from __future__ import annotations

import pandas as pd

import mlops_jupyter as mj
from mlops_jupyter.tracking.runs_frame import RunsFrame
from mlops_jupyter.views.runs_table import RunsTable, display_runs_table, runs_table_html


def make_runs(n: int = 25) -> list[str]:
    ids = []
    for i in range(n):
        with mj.start_run(f"run-{i:02d}", experiment="t") as run:
            run.log_params({"model": "rf" if i % 2 else "gbm", "depth": i % 5})
            run.log_metric("accuracy", 0.5 + i / 100)
            run.log_metric("loss", 1.0 - i / 100)
            ids.append(run.id)
    return ids


def names(table: RunsTable, ids: list[str]) -> list[str]:
    by_id = dict(zip(table.frame["run_id"], table.frame["name"], strict=True))
    return [by_id[r] for r in ids]


def test_typing_a_filter_narrows_the_rows_and_a_bad_one_shows_its_error():
    make_runs(10)
    table = RunsTable(mj.runs())
    assert len(table.visible_ids) == 10
    table.filter_box.value = "params.model == 'rf' and metrics.accuracy > 0.52"
    assert names(table, table.visible_ids) == ["run-09", "run-07", "run-05", "run-03"]
    assert "4 of 10 runs match" in table.filter_status.value

    table.filter_box.value = "params.model =="  # a user mid-typing
    assert "bad run filter at position 15" in table.filter_status.value
    assert "^" in table.filter_status.value and table.error
    assert len(table.visible_ids) == 4  # the last good rows stay

    table.filter_box.value = "metrics.nope > 1"  # unknown column: message, not a traceback
    assert table.error and "nope" in table.filter_status.value
    table.filter_box.value = ""
    assert len(table.visible_ids) == 10 and table.filter_status.value == ""


def test_clicking_headers_sorts_and_flips_direction():
    make_runs(6)
    table = RunsTable(mj.runs())
    # default: the first metric, best first
    assert table.sort_by == "metrics.accuracy" and names(table, table.visible_ids)[0] == "run-05"
    table.header_buttons["metrics.loss"].click()
    assert table.sort_by == "metrics.loss" and table.ascending  # lower loss is better: first
    assert names(table, table.visible_ids)[0] == "run-05"
    assert table.header_buttons["metrics.loss"].description.endswith("▲")
    table.header_buttons["metrics.loss"].click()
    assert not table.ascending and names(table, table.visible_ids)[0] == "run-00"
    table.sort_dropdown.value = "name"
    assert names(table, table.visible_ids)[0] == "run-05"  # still descending
    table.ascending_toggle.value = True
    assert names(table, table.visible_ids)[:2] == ["run-00", "run-01"]
    assert table.header_buttons["params.model"].description == "model"


def test_pages_checkboxes_and_selection_callbacks():
    make_runs(25)
    table = RunsTable(mj.runs(), page_size=10)
    seen = []
    table.on_change(lambda t: seen.append(list(t.selected)))
    assert len(table.page_ids) == 10 and "rows 1-10 of 25" in table.page_label.value
    assert table.prev_button.disabled
    first = table.page_ids[0]
    table.row_checkboxes[0].value = True
    table.row_checkboxes[2].value = True
    assert table.selected == [first, table.page_ids[2]]
    assert seen[-1] == table.selected
    assert "mj-s" in table.row_html[0].value  # selected rows are tinted

    table.next_button.click()
    table.next_button.click()
    assert "rows 21-25 of 25" in table.page_label.value and table.next_button.disabled
    assert [s.layout.display for s in table._slots[4:6]] == ["", "none"]
    assert not any(cb.value for cb in table.row_checkboxes)  # page 3 holds none of them
    table.row_checkboxes[0].value = True
    assert len(table.selected) == 3
    table.prev_button.click()
    table.prev_button.click()
    assert table.row_checkboxes[0].value and table.row_checkboxes[2].value
    table.row_checkboxes[0].value = False
    assert first not in table.selected
    table.clear_button.click()
    assert table.selected == [] and seen[-1] == []


def test_best_value_of_each_metric_is_highlighted():
    make_runs(4)
    table = RunsTable(mj.runs())
    best_acc = table.row_html[0].value  # sorted best accuracy first
    assert "&#9733; 0.53" in best_acc and "&#9733; 0.97" in best_acc  # also the lowest loss
    assert "&#9733;" not in table.row_html[3].value
    assert "FINISHED" in best_acc  # status chip


def test_search_candidates_fold_under_their_parent():
    with mj.start_run("search", experiment="t") as parent:
        parent.log_metric("best_cv_score", 0.9)
        for j in range(3):
            with mj.start_run(f"search/candidate-{j}", experiment="t", parent=parent) as child:
                child.log_params({"C": j})
                child.log_metric("mean_test_score", 0.8 + j / 100)
    with mj.start_run("baseline", experiment="t") as run:
        run.log_metric("mean_test_score", 0.7)
    table = RunsTable(mj.runs())
    # sorted by the first metric, best first: only the search logged best_cv_score
    assert table.sort_by == "metrics.best_cv_score"
    assert names(table, table.visible_ids) == ["search", "baseline"]
    assert table.candidates_toggle.description == "show search candidates (3)"
    assert "[3 candidates]" in "".join(h.value for h in table.row_html)
    table.candidates_toggle.value = True
    shown = names(table, table.visible_ids)
    assert len(shown) == 5
    i = shown.index("search")
    assert shown[i + 1:i + 4] == ["search/candidate-2", "search/candidate-1", "search/candidate-0"]
    assert "&#8627;" in table.row_html[shown.index("search/candidate-2")].value


def test_empty_frame_and_filter_matching_nothing():
    table = RunsTable(mj.runs())
    assert table.visible_ids == [] and "no runs to show" in table.empty_note.value
    make_runs(2)
    table = RunsTable(mj.runs())
    table.filter_box.value = "metrics.accuracy > 5"
    assert table.visible_ids == [] and "no run matches the filter" in table.empty_note.value


def test_display_runs_table_bundle_has_widget_and_small_static_table(monkeypatch):
    make_runs(60)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append((obj, raw)))
    display_runs_table(RunsFrame(mj.runs()))
    bundle, raw = shown[0]
    assert raw and "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("<tr") == 51  # header + 50 rows
    assert "10 more runs not shown here" in html and "&#9733;" in html
    assert len(html) < 30_000
    assert bundle["text/plain"].startswith("<60 runs")


def test_static_table_of_mixed_param_types():
    f = pd.DataFrame({"run_id": ["a" * 32, "b" * 32], "name": ["a", "b"], "status": ["FAILED", "FINISHED"],
                      "params.x": pd.Series([1, "auto"], dtype=object), "metrics.rmse": [0.2, 0.1]})
    html = runs_table_html(f)
    assert "auto" in html and "FAILED" in html and "&#9733; 0.1" in html and "rmse &#8595;" in html
