"""The data layer is pure: its tests need no store, so skip the suite-wide store fixture."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_store():
    """Overrides tests/conftest.py's fixture of the same name: nothing to isolate here."""
    yield
