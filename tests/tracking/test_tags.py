"""mj.set_tag / mj.set_tags: tags are text, their names are checked, and they need a run."""

from __future__ import annotations

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidNameError, NoActiveRunError


def test_tag_values_are_stored_as_strings():
    with mj.start_run("tagged") as run:
        mj.set_tag("owner", "ana")
        mj.set_tag("fold", 3)
        mj.set_tags({"lr": 0.5, "final": True, "layers": [64, 32]})
    assert mj.get_run(run.id).tags == {
        "owner": "ana", "fold": "3", "lr": "0.5", "final": "True", "layers": "[64, 32]",
    }


def test_setting_a_tag_again_replaces_its_value_and_it_can_be_queried():
    with mj.start_run("first") as first:
        mj.set_tag("stage", "draft")
        mj.set_tags({"stage": "review"})
    with mj.start_run("second"):
        mj.set_tag("stage", "draft")
    assert mj.get_run(first.id).tags == {"stage": "review"}
    assert list(mj.runs(filter="tags.stage = 'review'")["name"]) == ["first"]


@pytest.mark.parametrize("name, message", [
    ("", "tag name must not be empty"),
    ("   ", "tag name must not be empty"),
    ("tab\there", "tag name 'tab\\there' contains '\\t'"),
    (7, "tag name must be a string, got int: 7"),
])
def test_a_bad_tag_name_is_refused_and_nothing_of_the_call_is_stored(name, message):
    with mj.start_run("names") as run:
        with pytest.raises(InvalidNameError) as raised:
            mj.set_tags({"good": "kept?", name: "x"})
        assert message in str(raised.value)
        with pytest.raises(InvalidNameError):
            mj.set_tag(name, "x")
    assert mj.get_run(run.id).tags == {}, "a call with one bad name stores none of its tags"


def test_outside_a_run_tags_are_an_error_and_nothing_is_stored():
    with pytest.raises(NoActiveRunError):
        mj.set_tag("owner", "ana")
    with pytest.raises(NoActiveRunError):
        mj.set_tags({"owner": "ana"})
    with mj.start_run("after") as run:
        pass
    assert mj.get_run(run.id).tags == {}
    assert len(mj.runs()) == 1
