"""What a test does when a part it needs is missing: skip with the reason on a user's machine,
fail in CI (``CI=true``), where `.ci/run` installs everything."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str):
    """Skip with ``reason``; in CI, fail with it (nothing may be missing there)."""
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)
