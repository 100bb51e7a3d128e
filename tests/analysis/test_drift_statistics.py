"""The drift statistics module stands alone: the deploy layer copies it into model packages."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

import mlops_jupyter.analysis.drift.statistics as statistics_module

SOURCE = Path(statistics_module.__file__)
ALLOWED = {"__future__", "numpy", "scipy"} | set(sys.stdlib_module_names)


def test_imports_only_numpy_scipy_and_the_standard_library():
    imported = set()
    for node in ast.walk(ast.parse(SOURCE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import: the file is copied on its own"
            imported.add(node.module.split(".")[0])
    assert imported <= ALLOWED, imported - ALLOWED


@pytest.fixture
def copied(tmp_path):
    """The module loaded from a lone copy, as a served model package holds it."""
    target = tmp_path / "drift_statistics.py"
    shutil.copy(SOURCE, target)
    spec = importlib.util.spec_from_file_location("drift_statistics", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n_ref,n_cur", [(400, 600), (25_000, 18_000)])
def test_copy_computes_numeric_statistics_equal_to_scipy(copied, n_ref, n_cur):
    rng = np.random.default_rng(n_ref)
    raw_a = np.round(rng.normal(size=n_ref), 2)
    raw_b = np.concatenate([np.round(rng.normal(0.1, 1, n_cur), 2), [np.inf, np.nan]])
    a, inf_a = copied.sorted_finite(raw_a)
    b, inf_b = copied.sorted_finite(raw_b)
    assert (inf_a, inf_b) == (0, 1) and len(b) == n_cur
    got = copied.numeric_statistics(a, b)
    ks = stats.ks_2samp(a, b)
    assert got.ks_statistic == pytest.approx(ks.statistic, abs=1e-12)
    assert got.ks_p_value == pytest.approx(ks.pvalue, abs=1e-9, rel=1e-9)
    assert got.wasserstein_norm == pytest.approx(stats.wasserstein_distance(a, b) / np.std(a),
                                                 rel=1e-9)
    assert not got.pooled_std


def test_copy_computes_categorical_statistics_equal_to_scipy(copied):
    r, c = np.array([50, 30, 20, 0]), np.array([40, 30, 20, 10])
    got = copied.categorical_statistics(r, c)
    chi = stats.chi2_contingency(np.vstack([r, c]))
    assert got.chi2_statistic == pytest.approx(chi.statistic)
    assert got.chi2_p_value == pytest.approx(chi.pvalue)
    assert got.jensenshannon == pytest.approx(jensenshannon(r, c))
    assert list(copied.unseen_order(r, c)) == [3]


def test_psi_and_corrections(copied):
    # PSI by hand: sum((pc - pr) * ln(pc / pr)), empty shares floored at 1e-4
    r, c = np.array([50, 50]), np.array([25, 75])
    assert copied.psi(r, c) == pytest.approx(-0.25 * np.log(0.5) + 0.25 * np.log(1.5))
    p = np.array([0.01, 0.04, 0.03])
    np.testing.assert_allclose(copied.adjust_p_values(p, "bonferroni"), [0.03, 0.12, 0.09])
    np.testing.assert_allclose(copied.adjust_p_values(p, "bh"), [0.03, 0.04, 0.04])
    with pytest.raises(ValueError, match="bonferroni"):
        copied.adjust_p_values(p, "holm")
