"""One vocabulary decides what %%track captures as a metric and which way a metric improves."""

from __future__ import annotations

import builtins
import doctest

import pytest

from mlops_jupyter.analysis import metric_names
from mlops_jupyter.analysis.metric_names import (
    DIRECTION_WORDS,
    METRIC_WORDS,
    looks_like_metric,
    metric_direction,
)
from mlops_jupyter.tracking.cell_analysis import looks_like_metric as captured_by_track


def test_docstring_examples(monkeypatch):
    # doctest's display hook leaves builtins._ behind, and IPython stops setting `_` when it
    # finds one there: the %%track tests that read `_` would fail after this one
    monkeypatch.setattr(builtins, "_", None, raising=False)
    assert doctest.testmod(metric_names).failed == 0


def test_tracking_captures_with_the_same_vocabulary():
    assert captured_by_track is looks_like_metric


@pytest.mark.parametrize("word", sorted(METRIC_WORDS))
def test_every_metric_word_is_captured_and_has_its_direction(word):
    for name in (word, f"val_{word}", f"test_{word.upper()}", "train" + word.capitalize()):
        assert looks_like_metric(name), name
        assert metric_direction(name) == (METRIC_WORDS[word], True), name


def test_wer_is_captured_lower_is_better():
    # it had a direction in the comparison but %%track never captured it
    assert looks_like_metric("wer") and looks_like_metric("val_wer")
    assert metric_direction("val_wer") == ("min", True)


@pytest.mark.parametrize("name", [
    "accuracy", "val_accuracy", "test_f1", "rmse", "trainLoss", "roc_auc", "r2", "cv_score",
    "log_loss", "f1_score", "pr_auc", "r2_score", "top5", "val_iou", "eval_bleu", "n_errors",
])
def test_every_captured_name_has_a_known_direction(name):
    assert looks_like_metric(name)
    assert metric_direction(name)[1], f"{name} is captured but its direction is a guess"


@pytest.mark.parametrize(("name", "direction"), [
    ("mean_fit_time", "min"), ("std_test_score", "min"), ("rank_test_score", "min"),
    ("drift.share", "min"), ("inference_latency", "min"), ("episode_reward", "max"),
    ("explained_variance", "max"),
])
def test_direction_words_set_the_direction_of_a_logged_metric(name, direction):
    assert metric_direction(name) == (direction, True)


@pytest.mark.parametrize("name", ["start_time", "x_std", "max_rank", "n_hits", "reward",
                                  "duration"])
def test_direction_words_alone_do_not_make_a_variable_a_metric(name):
    # `start_time = time.time()` or `max_rank = 3` in a cell are not results to rank runs by
    assert not looks_like_metric(name)


def test_a_word_has_one_kind_and_one_direction():
    assert not set(METRIC_WORDS) & set(DIRECTION_WORDS)
    assert set(METRIC_WORDS.values()) | set(DIRECTION_WORDS.values()) == {"min", "max"}
    assert all(w == w.lower() and w.isalnum() for w in [*METRIC_WORDS, *DIRECTION_WORDS])


@pytest.mark.parametrize("name", ["n_estimators", "learning_rate", "X_train", "widgets"])
def test_other_names_are_neither_captured_nor_given_a_direction(name):
    assert not looks_like_metric(name)
    assert metric_direction(name) == ("max", False)
