"""Tracking: the Run and the active run, ``%%track``'s TrackedCell, autolog (fit capture),
environment and code-slice capture, and the store orchestration for snapshots and models.

Below the API: a tracking function is handed the store it writes to, it never asks the API
for one. Import the submodules themselves; this package imports nothing.
"""
