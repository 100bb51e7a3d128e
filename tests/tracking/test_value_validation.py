"""What a user logs is checked before anything changes: a bad value is a clear error naming
it, nothing of the batch is stored, and later calls behave as if it never happened."""

from __future__ import annotations

import decimal
import fractions

import pytest
from IPython.core.interactiveshell import InteractiveShell

import mlops_jupyter as mj
from mlops_jupyter.errors import InvalidValueError


def steps(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(s, v) for s, v, _ in mj.get_run(run_id).metric_history.get(key, [])]


def test_rejected_step_leaves_automatic_steps_working(store_spec):
    with mj.start_run() as run:
        for bad in (2**63, -(2**63) - 1):
            with pytest.raises(InvalidValueError, match=r"step .* of metric 'loss'.*-2\*\*63"):
                run.log_metric("loss", 1.0, step=bad)
        run.log_metric("loss", 0.5)
        run.log_metric("loss", 0.4)
        run.log_metric("time", 1.0, step=2**62)  # the whole 64-bit range is storable
    assert steps(run.id, "loss") == [(0, 0.5), (1, 0.4)]
    assert steps(run.id, "time") == [(2**62, 1.0)]


def test_batch_with_one_bad_value_stores_and_consumes_nothing(store_spec):
    with mj.start_run() as run:
        run.log_metric("loss", 0.9)
        with pytest.raises(TypeError, match="metric 'acc'"):
            run.log_metrics({"loss": 0.5, "acc": "high"})
        with pytest.raises(InvalidValueError, match="metric 'huge'"):
            run.log_metrics({"loss": 0.5, "huge": 10**400})
        run.log_metric("loss", 0.3)
    assert steps(run.id, "loss") == [(0, 0.9), (1, 0.3)]
    assert set(mj.get_run(run.id).metrics) == {"loss"}


@pytest.mark.parametrize("value", [10**400, fractions.Fraction(10**400, 3), decimal.Decimal("1e400"),
                                   -(10**400)])
def test_metric_beyond_a_float_is_an_error_naming_it(value):
    with mj.start_run() as run:
        with pytest.raises(InvalidValueError, match=r"metric 'big'.*64-bit float"):
            run.log_metric("big", value)
        run.log_metric("inf", float("inf"))  # a real infinity stays allowed
    assert mj.get_run(run.id).metrics == {"inf": float("inf")}


def recursive_list():
    value: list = [1]
    value.append(value)
    return value


def recursive_dict():
    value: dict = {"a": 1}
    value["self"] = {"inner": value}
    return value


@pytest.mark.parametrize("make, why", [
    (recursive_list, "contains itself"),
    (recursive_dict, "contains itself"),
    (lambda: "x" * 10_000, "6000 characters"),
    (lambda: list(range(5_000)), "6000 characters"),
    (lambda: 10**5000, "6000 characters"),
])
def test_unstorable_param_is_an_error_naming_it_and_nothing_is_stored(make, why):
    with mj.start_run() as run:
        with pytest.raises(InvalidValueError, match=rf"param 'bad'.*{why}"):
            run.log_params({"fine": 1, "bad": make()})
        run.log_param("later", 2)
    assert mj.get_run(run.id).params == {"later": 2}


def test_param_whose_repr_fails_is_stored_as_a_description():
    class Broken:
        def __repr__(self):
            raise RuntimeError("no repr")

    with mj.start_run() as run, pytest.warns(UserWarning, match="stored as their repr"):
        run.log_param("obj", Broken())
    assert "Broken" in mj.get_run(run.id).params["obj"]


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    sh.run_cell("%load_ext mlops_jupyter", store_history=True)
    return sh


def test_automatic_capture_skips_unstorable_values_with_a_warning(shell):
    source = ("%%track capture-faults --params cfg\n"
              f"C = 1.0\nhuge = '{'x' * 10_000}'\ncfg = [1]\ncfg.append(cfg)\n"
              "accuracy = 10**400\nf1 = 0.5\n")
    result = shell.run_cell(source, store_history=True)
    assert result.error_in_exec is None
    record = mj.get_run(mj.runs(filter="name == 'capture-faults'").run_id[0])
    assert record.status == "FINISHED"
    assert record.params["C"] == 1.0 and "huge" not in record.params and "cfg" not in record.params
    assert record.metrics == {"f1": 0.5}
    joined = " | ".join(record.warnings)
    assert "param 'cfg'" in joined and "param 'huge'" in joined
