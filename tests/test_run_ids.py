"""The run-id prefix lookup: one implementation, the same answers from the store,
``mj.compare`` and ``Comparison.diff``."""

from __future__ import annotations

import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidValueError, NotFoundError
from mlops_jupyter.run_ids import match_run_id

IDS = ["3f2a1b9c00", "3f2a77e0d4", "9b0c11aa55"]


def test_a_unique_prefix_gives_the_full_id():
    assert match_run_id("9b", IDS) == "9b0c11aa55"
    assert match_run_id("  3f2a1  ", IDS) == "3f2a1b9c00"  # spaces around a pasted id
    assert match_run_id("3f2a77e0d4", IDS) == "3f2a77e0d4"


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_prefix_is_an_invalid_value_not_the_first_run(empty):
    with pytest.raises(InvalidValueError) as info:
        match_run_id(empty, ["only"])
    assert str(info.value) == ("run id is empty: pass a run id or its first characters "
                               "(mj.runs() lists them)")


def test_no_match_names_the_id_and_an_ambiguous_one_asks_for_more_characters():
    with pytest.raises(NotFoundError) as info:
        match_run_id("zz", IDS)
    assert str(info.value) == "no run with id 'zz' in this store (mj.runs() lists them)"
    with pytest.raises(NotFoundError) as info:
        match_run_id("3f2a", IDS)
    assert str(info.value) == "run id prefix '3f2a' is ambiguous in this store: give more characters"


def test_a_non_string_is_an_invalid_value():
    with pytest.raises(InvalidValueError, match="run id must be a string"):
        match_run_id(None, IDS)


def _two_runs_sharing_a_prefix() -> tuple[str, str, str]:
    """Two runs and the longest prefix their ids share (may be empty)."""
    with mj.start_run("a") as a:
        a.log_metric("accuracy", 0.5)
    with mj.start_run("b") as b:
        b.log_metric("accuracy", 0.6)
    common = 0
    while a.id[common] == b.id[common]:
        common += 1
    return a.id, b.id, a.id[:common]


def test_the_store_compare_and_a_comparison_give_the_same_answers():
    a_id, b_id, _ = _two_runs_sharing_a_prefix()
    comparison = mj.compare([a_id[:6], b_id[:6]])
    assert set(comparison.run_ids) == {a_id, b_id}
    assert mj.get_run(a_id[:6]).id == a_id
    assert comparison.resolve(a_id[:6]) == a_id

    with pytest.raises(NotFoundError, match="no run with id 'zzzz' in this store"):
        mj.get_run("zzzz")
    with pytest.raises(NotFoundError) as info:  # asked-for runs are never silently dropped
        mj.compare(["zzzz"])
    assert str(info.value) == "no run with id 'zzzz' in this store (mj.runs() lists them)"
    with pytest.raises(NotFoundError) as info:
        comparison.resolve("zzzz")
    assert str(info.value) == ("no run with id 'zzzz' in this comparison "
                               "(2 runs; ids are listed in the table)")

    with pytest.raises(InvalidValueError, match="run id is empty"):
        mj.get_run(" ")
    with pytest.raises(InvalidValueError, match="run id is empty"):
        comparison.diff(" ", a_id)
    with pytest.raises(InvalidValueError, match="run id is empty"):
        mj.compare([" ", a_id])


def test_an_ambiguous_prefix_is_refused_by_all_three(monkeypatch):
    from mlops_jupyter.tracking import run as run_module

    # ids that share their first 8 characters, as two runs of a busy store can
    ids = iter(["abcdef0011111111", "abcdef0022222222"])
    monkeypatch.setattr(run_module, "new_run_id", lambda: next(ids))
    a_id, b_id, common = _two_runs_sharing_a_prefix()
    assert common == "abcdef00"
    with pytest.raises(NotFoundError, match="'abcdef00' is ambiguous in this store: give more"):
        mj.get_run(common)
    with pytest.raises(NotFoundError) as info:
        mj.compare([common])
    assert str(info.value) == "run id prefix 'abcdef00' is ambiguous in this store: give more characters"
    comparison = mj.compare([a_id, b_id])
    with pytest.raises(NotFoundError, match="'abcdef00' is ambiguous in this comparison"):
        comparison.resolve(common)
