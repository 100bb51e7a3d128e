"""Public functions check their arguments at the boundary: a wrong one is an InvalidValueError
naming the argument and what is accepted, before anything is read or written."""

from __future__ import annotations

import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidValueError


@pytest.fixture
def one_run():
    with mj.start_run("only") as run:
        run.log_metric("acc", 0.5)
        mj.snapshot(pd.DataFrame({"a": [1]}), "frame")
    return run


@pytest.mark.parametrize("call, argument", [
    (lambda: mj.runs(limit="2"), "limit"),
    (lambda: mj.runs(limit=-1), "limit"),
    (lambda: mj.runs(limit=True), "limit"),
    (lambda: mj.runs(limit=2.5), "limit"),
    (lambda: mj.runs(experiment=3), "experiment"),
    (lambda: mj.runs(filter=["metrics.acc > 1"]), "filter"),
    (lambda: mj.runs(order_by=3), "order_by"),
    (lambda: mj.runs(order_by=["name", 3]), "order_by"),
    (lambda: mj.get_run(123), "run_id"),
    (lambda: mj.load_model(None), "run_id"),
    (lambda: mj.load_snapshot("frame", version="1"), "version"),
    (lambda: mj.load_snapshot(("frame", 1)), "name_or_id"),
    (lambda: mj.compare(last="3"), "last"),
    (lambda: mj.compare(last=0), "last"),
    (lambda: mj.start_run(tags=["a"]), "tags"),
    (lambda: mj.start_run(parent=5), "parent"),
    (lambda: mj.set_store(42), "spec"),
])
def test_wrong_argument_is_an_error_naming_it(one_run, call, argument):
    with pytest.raises(InvalidValueError, match=rf"\b{argument}\b") as raised:
        call()
    assert "must be" in str(raised.value), "the message says what is accepted"
    assert mj.active_run() is None
    assert list(mj.runs()["name"]) == ["only"], "nothing was written"


def test_limit_zero_and_numpy_integers_are_accepted(one_run):
    import numpy as np

    assert len(mj.runs(limit=0)) == 0
    assert len(mj.runs(limit=np.int64(1))) == 1
