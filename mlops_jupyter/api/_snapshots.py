"""Snapshots: store a frame as a versioned snapshot, load it back, list and diff them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..tracking import active
from ._checks import check_count, check_str
from ._store import get_store

if TYPE_CHECKING:
    import pandas as pd

    from ..data.diff import SnapshotDiff
    from ..store import Store
    from ..tracking.snapshots import Snapshot


def snapshot(frame: pd.DataFrame | pd.Series, name: str, role: str = "train") -> Snapshot:
    """Store ``frame`` as a versioned snapshot; unchanged content gets no new version.

    Parameters
    ----------
    frame : DataFrame or Series
        The data; it loads back exactly (dtypes, index, categories).
    name : str
        The snapshot's name; each changed content under it is a new version.
    role : str, default "train"
        Inside an active run the snapshot is linked to it as an input with this role
        (``"train"``, ``"test"``, ``"reference"``, ``"current"``...), as
        ``Run.log_input`` does; ``mj.drift(run_id, ...)`` and ``mj.explain(run_id)`` read
        the ``"train"`` input. Outside a run it is not used.

    Returns
    -------
    Snapshot
        ``.id``, ``.version``, ``.fingerprint``, ``.n_rows``, ``.columns``...

    Raises
    ------
    SnapshotError
        The frame cannot be stored so that it loads back exactly (nothing was stored).
    InvalidNameError
        The name is not allowed.

    Examples
    --------
    >>> snap = mj.snapshot(df, "customers")          # doctest: +SKIP
    >>> snap.version, snap.fingerprint[:8]           # doctest: +SKIP
    (1, '9f3c2a1b')
    """
    run = active.current()
    if run is not None:
        return run.log_input(frame, name, role=role)
    from ..tracking.snapshots import take_snapshot

    return take_snapshot(get_store(), frame, name)


def load_snapshot(name_or_id: str, version: int | None = None) -> pd.DataFrame | pd.Series:
    """The frame stored as a snapshot, exactly as it was stored.

    Parameters
    ----------
    name_or_id : str
        The snapshot's name (latest version unless ``version``) or its id.
    version : int, optional
        The version of ``name`` (1, 2, ...).

    Returns
    -------
    DataFrame or Series

    Raises
    ------
    NotFoundError
        No such snapshot or version.
    IntegrityError
        The stored bytes no longer match their hash.

    Examples
    --------
    >>> df = mj.load_snapshot("customers", version=2)  # doctest: +SKIP
    """
    from ..tracking.snapshots import load_snapshot_frame

    check_str("name_or_id", name_or_id, optional=False)
    check_count("version", version, 1)
    return load_snapshot_frame(get_store(), name_or_id, version)


def snapshots() -> pd.DataFrame:
    """All snapshots of the store, one row per version.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, name, version, fingerprint, n_rows, n_columns, size`` (bytes) and
        ``created_at`` (UTC).
    """
    import pandas as pd

    frame = pd.DataFrame(get_store().snapshot_rows(),
                         columns=["id", "name", "version", "fingerprint", "rows", "n_columns",
                                  "size", "created_at"]).rename(columns={"rows": "n_rows"})
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame


def snapshot_ref(ref: Any, store: Store | None = None) -> Snapshot:
    """The Snapshot ``ref`` names: a Snapshot, a name (latest version), an id or
    ``(name, version)``, looked up in ``store`` (default: the store in use)."""
    from ..tracking.snapshots import Snapshot

    if isinstance(ref, Snapshot):
        return ref
    store = get_store() if store is None else store
    if isinstance(ref, tuple):
        return Snapshot.from_row(store.snapshot_row(ref[0], ref[1]))
    return Snapshot.from_row(store.snapshot_row(str(ref)))


def diff_snapshots(a: Any, b: Any) -> SnapshotDiff:
    """Schema, row-count and per-column statistic changes from snapshot ``a`` to ``b``.

    Parameters
    ----------
    a, b : Snapshot, str or (str, int)
        A Snapshot, a name (latest version), an id or ``(name, version)``.

    Returns
    -------
    SnapshotDiff
        Displays as a table of changes; ``.to_frame()``, ``.summary()``.

    Raises
    ------
    NotFoundError
        A snapshot does not exist.

    Examples
    --------
    >>> mj.diff_snapshots(("customers", 1), "customers")  # doctest: +SKIP
    """
    from ..data.diff import diff_profiles

    return diff_profiles(snapshot_ref(a).meta, snapshot_ref(b).meta)
