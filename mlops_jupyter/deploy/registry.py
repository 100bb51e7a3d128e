"""The model registry: named models, numbered versions, stages, aliases, audit, lineage.

A registered model (``churn``) has versions 1, 2, ... each pointing at one model artifact
of one run. A version has a stage, one of :data:`STAGES`; promoting a version to
Production archives the version that was there (unless ``archive_existing=False``). An
alias (``champion``) names one version of a model; moving it is one change.

Every change writes an audit event in the same transaction as the change itself: who (the
OS user and host), when, what (the action), the model and version, and the state before
and after. Nothing here deletes a model or a version: the audit trail stays complete.

Model references, as every function that loads or exports a model accepts them:

- ``"churn/3"``: version 3 of ``churn`` (``"models:/churn/3"`` too, as MLflow writes it);
- ``"churn@Production"``: the newest version in that stage (any stage, any case);
- ``"churn@champion"``: the version the alias names; ``"churn@latest"``: the newest version;
- anything else is a run id, or a unique prefix of one.

The SQL is the store's (``store/registry.py``); this module holds the rules. Where a
version comes from is ``deploy/lineage.py``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidNameError, InvalidValueError, NotFoundError
from ..tracking.models import check_usable_run, choose_model

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store
    from ..store.registry import ModelChange

__all__ = [
    "STAGES", "ModelVersion", "register", "promote", "set_alias", "delete_alias", "models",
    "model_versions", "audit_log", "parse_model_ref", "get_model_version", "resolve_model_ref",
]

STAGES = ("None", "Staging", "Production", "Archived")
_STAGE_BY_KEY = {s.lower(): s for s in STAGES}
LATEST = "latest"  # "name@latest": the newest version

_MODEL_NAME_RE = re.compile(r"^[^\W][\w\-. ]*$")
_ALIAS_RE = re.compile(r"^[A-Za-z_][\w\-]*$")
MAX_MODEL_NAME = 255
MAX_ALIAS = 64
_MLFLOW_PREFIX = "models:/"
_LISTED = "mj.models() lists them"


# -- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model.

    ``model`` is the name of the model artifact of run ``run_id`` it points at; ``stage``
    one of :data:`STAGES`; ``aliases`` the aliases naming it (sorted); ``created_by`` who
    registered it (``user@host``); ``created_at`` a Unix time.
    """

    name: str
    version: int
    run_id: str
    model: str
    stage: str
    aliases: tuple[str, ...]
    description: str | None
    created_at: float
    created_by: str | None

    @property
    def ref(self) -> str:
        """The reference naming exactly this version: ``"churn/3"``."""
        return f"{self.name}/{self.version}"

    @classmethod
    def from_row(cls, name: str, row: dict[str, Any]) -> ModelVersion:
        return cls(name=name, version=row["version"], run_id=row["run_id"],
                   model=row["artifact_name"], stage=row["stage"],
                   aliases=tuple(sorted(row.get("aliases") or ())),
                   description=row["description"], created_at=row["created_at"],
                   created_by=row["created_by"])

    def __str__(self) -> str:
        aliases = f" @{', @'.join(self.aliases)}" if self.aliases else ""
        return (f"{self.ref} [{self.stage}]{aliases}: model {self.model!r} of run "
                f"{self.run_id[:8]}")


# -- checks --------------------------------------------------------------------------------
def check_model_name(name: Any) -> str:
    """``name`` if it can name a registered model, else InvalidNameError saying why."""
    if not isinstance(name, str):
        raise InvalidNameError(f"model name must be a string; got {type(name).__name__} "
                               f"{name!r:.80}")
    if not name.strip():
        raise InvalidNameError("model name must not be empty")
    if len(name) > MAX_MODEL_NAME:
        raise InvalidNameError(f"model name {name[:40]!r}... is {len(name)} characters; "
                               f"at most {MAX_MODEL_NAME}")
    if name != name.strip() or not _MODEL_NAME_RE.match(name):
        raise InvalidNameError(
            f"model name {name!r} is not allowed: use letters, digits and _ - . or inner "
            "spaces, starting with a letter or digit ('/' and '@' are for references: "
            "'churn/3', 'churn@Production')")
    return name


def check_alias(alias: Any) -> str:
    if not isinstance(alias, str):
        raise InvalidNameError(f"alias must be a string; got {type(alias).__name__} "
                               f"{alias!r:.80}")
    if alias.lower() in _STAGE_BY_KEY or alias.lower() == LATEST:
        raise InvalidNameError(
            f"alias {alias!r} is reserved: 'name@{alias}' already means "
            + ("the newest version" if alias.lower() == LATEST else f"the stage {alias}")
            + "; choose another alias (champion, challenger...)")
    if len(alias) > MAX_ALIAS or not _ALIAS_RE.match(alias):
        raise InvalidNameError(
            f"alias {alias!r:.80} is not allowed: use letters, digits, _ and -, starting with "
            f"a letter or _, at most {MAX_ALIAS} characters")
    return alias


def check_version(version: Any) -> int:
    import numbers

    if isinstance(version, bool) or not isinstance(version, numbers.Integral) or version < 1:
        raise InvalidValueError(f"version must be an int >= 1 (1, 2, ...); got "
                                f"{type(version).__name__} {version!r:.80}")
    return int(version)


def check_stage(stage: Any) -> str:
    """The canonical spelling of ``stage`` (any case; Python None is "None")."""
    if stage is None:
        return "None"
    found = _STAGE_BY_KEY.get(stage.strip().lower()) if isinstance(stage, str) else None
    if found is None:
        raise InvalidValueError(f"stage must be one of {', '.join(STAGES)} (any case); got "
                                f"{stage!r:.80}")
    return found


def _check_optional_str(argument: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidValueError(f"{argument} must be a string or None; got "
                                f"{type(value).__name__} {value!r:.80}")


def who() -> tuple[str, str]:
    """(OS user, host) of this process, as audit events record them."""
    import getpass
    import os

    from ..tracking.process import host_name

    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name and no passwd entry (containers)
        user = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return user, host_name()


# -- changes -------------------------------------------------------------------------------
class _NoSuchModel(Exception):
    """Raised inside a change (rolling it back); turned into NotFoundError outside it, where
    the registered names can be read for the message."""


def _not_found_model(store: Store, name: str) -> NotFoundError:
    names = store.model_names()
    return NotFoundError(f"no registered model {name!r}; registered models: "
                         f"{', '.join(names) or 'none (mj.register(run_id, name) adds one)'}")


def _version_list(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['version']} ({r['stage']})" for r in rows) or "none"


def _find_version(name: str, rows: list[dict[str, Any]], version: int) -> dict[str, Any]:
    for row in rows:
        if row["version"] == version:
            return row
    raise NotFoundError(f"model {name!r} has no version {version}; its versions: "
                        f"{_version_list(rows)}")


def _change(store: Store, name: str, change) -> Any:
    try:
        return store.change_model(name, change)
    except _NoSuchModel:
        raise _not_found_model(store, name) from None


class _Auditor:
    """Writes the audit events of one change, all with the same who and when."""

    def __init__(self, tx: ModelChange):
        self.tx = tx
        self.user, self.host = who()
        self.now = time.time()

    def __call__(self, action: str, version: int | None, before: Any, after: Any) -> None:
        self.tx.audit(action=action, version=version, before=before, after=after,
                      actor=self.user, host=self.host, time=self.now)


def register(store: Store, run_id: str, name: str, *, model: str | None = None,
             description: str | None = None) -> ModelVersion:
    """Register model ``model`` of run ``run_id`` (a unique prefix is enough) as the next
    version of ``name``, creating the model on its first version; stage None.

    ``model`` may be left out when the run has one model. The version number is assigned
    atomically: concurrent registrations get consecutive numbers. ``description`` is the
    version's; the first version's also becomes the model's.
    """
    check_model_name(name)
    _check_optional_str("model", model)
    _check_optional_str("description", description)
    if not isinstance(run_id, str):
        raise InvalidValueError(f"run_id must be a string (a run id or its first characters); "
                                f"got {type(run_id).__name__} {run_id!r:.80}")
    try:
        full_id = store.resolve_run_id(run_id)
    except NotFoundError as exc:
        raise NotFoundError(f"cannot register {name!r}: {exc}") from None
    record = store.run_record(full_id)
    check_usable_run(record, doing=f"cannot register {name!r}")
    model = choose_model(record, model, doing=f"cannot register {name!r}")

    def change(tx: ModelChange) -> ModelVersion:
        created = tx.model is None
        if created:  # a concurrent creator may hold the name: this waits for it
            tx.create(description, time.time())
        audit = _Auditor(tx)  # who and when, once the model is ours to change
        if created:
            audit("create_model", None, None, {"description": description})
        version = tx.next_version()
        created_by = f"{audit.user}@{audit.host}"
        tx.insert_version(version=version, run_id=full_id, artifact_name=model, stage="None",
                          description=description, created_at=audit.now,
                          created_by=created_by)
        audit("register", version, None,
              {"run_id": full_id, "model": model, "stage": "None", "description": description})
        return ModelVersion(name=name, version=version, run_id=full_id, model=model,
                            stage="None", aliases=(), description=description,
                            created_at=audit.now, created_by=created_by)

    return store.change_model(name, change)


def promote(store: Store, name: str, version: int, stage: str | None, *,
            archive_existing: bool = True) -> ModelVersion:
    """Move ``version`` of ``name`` to ``stage`` (one of :data:`STAGES`, any case).

    Promoting to Production archives the version(s) in Production before, each with its own
    audit event, unless ``archive_existing=False`` (several Production versions then;
    ``name@Production`` is the newest). Moving a version to the stage it has changes nothing.
    """
    check_model_name(name)
    version = check_version(version)
    stage = check_stage(stage)
    if not isinstance(archive_existing, bool):
        raise InvalidValueError(f"archive_existing must be True or False; got "
                                f"{archive_existing!r:.80}")

    def change(tx: ModelChange) -> ModelVersion:
        if tx.model is None:
            raise _NoSuchModel
        rows = tx.versions()
        row = _find_version(name, rows, version)
        if row["stage"] == stage:
            return ModelVersion.from_row(name, row)
        audit = _Auditor(tx)
        tx.set_stage(version, stage)
        audit("promote", version, {"stage": row["stage"]}, {"stage": stage})
        if stage == "Production" and archive_existing:
            for other in rows:
                if other["version"] != version and other["stage"] == "Production":
                    tx.set_stage(other["version"], "Archived")
                    audit("archive", other["version"], {"stage": "Production"},
                          {"stage": "Archived", "replaced_by": version})
        return ModelVersion.from_row(name, {**row, "stage": stage})

    return _change(store, name, change)


def set_alias(store: Store, name: str, alias: str, version: int) -> ModelVersion:
    """Point ``alias`` of model ``name`` at ``version`` (created, or moved from the version
    it named: one change, one audit event). ``name@alias`` then resolves to it."""
    check_model_name(name)
    check_alias(alias)
    version = check_version(version)

    def change(tx: ModelChange) -> ModelVersion:
        if tx.model is None:
            raise _NoSuchModel
        row = _find_version(name, tx.versions(), version)
        before = tx.aliases().get(alias)
        aliases = set(row["aliases"])
        if before != version:
            tx.put_alias(alias, version)
            _Auditor(tx)("set_alias", version,
                         None if before is None else {"alias": alias, "version": before},
                         {"alias": alias, "version": version})
            aliases.add(alias)
        return ModelVersion.from_row(name, {**row, "aliases": aliases})

    return _change(store, name, change)


def delete_alias(store: Store, name: str, alias: str) -> None:
    """Remove ``alias`` from model ``name`` (the version it named stays as it is)."""
    check_model_name(name)
    if not isinstance(alias, str):
        check_alias(alias)

    def change(tx: ModelChange) -> None:
        if tx.model is None:
            raise _NoSuchModel
        aliases = tx.aliases()
        if alias not in aliases:
            raise NotFoundError(f"model {name!r} has no alias {alias!r}; its aliases: "
                                + (", ".join(f"{a} -> {v}" for a, v in sorted(aliases.items()))
                                   or "none"))
        tx.drop_alias(alias)
        _Auditor(tx)("delete_alias", aliases[alias],
                     {"alias": alias, "version": aliases[alias]}, None)

    _change(store, name, change)


# -- reading -------------------------------------------------------------------------------
def _model(store: Store, name: str) -> dict[str, Any]:
    check_model_name(name)
    found = store.registered_model(name)
    if found is None:
        raise _not_found_model(store, name)
    return found


def _newest(rows: list[dict[str, Any]], stage: str) -> dict[str, Any] | None:
    in_stage = [r for r in rows if r["stage"] == stage]
    return in_stage[-1] if in_stage else None


def models(store: Store) -> pd.DataFrame:
    """One row per registered model: name, latest_version, production_version (the newest
    in Production, <NA> if none), aliases (alias -> version), versions (count),
    description, created_at."""
    import pandas as pd

    rows = []
    for m in store.registered_models():
        versions = m["versions"]
        production = _newest(versions, "Production")
        rows.append({
            "name": m["name"],
            "latest_version": versions[-1]["version"] if versions else None,
            "production_version": production["version"] if production else None,
            "aliases": {a: v["version"] for v in versions for a in v["aliases"]},
            "versions": len(versions),
            "description": m["description"],
            "created_at": m["created_at"],
        })
    frame = pd.DataFrame(rows, columns=["name", "latest_version", "production_version",
                                        "aliases", "versions", "description", "created_at"])
    for column in ("latest_version", "production_version", "versions"):
        frame[column] = frame[column].astype("Int64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame


def model_versions(store: Store, name: str) -> pd.DataFrame:
    """One row per version of ``name``, oldest first: version, stage, aliases (list),
    run_id, model, description, created_at, created_by."""
    import pandas as pd

    rows = [{"version": v["version"], "stage": v["stage"], "aliases": list(v["aliases"]),
             "run_id": v["run_id"], "model": v["artifact_name"],
             "description": v["description"], "created_at": v["created_at"],
             "created_by": v["created_by"]} for v in _model(store, name)["versions"]]
    frame = pd.DataFrame(rows, columns=["version", "stage", "aliases", "run_id", "model",
                                        "description", "created_at", "created_by"])
    frame["version"] = frame["version"].astype("int64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame


def audit_log(store: Store, name: str | None = None) -> pd.DataFrame:
    """The registry's audit events, oldest first (only model ``name``'s when given): time,
    user, host, action, model, version, from, to (``from``/``to``: the state before and
    after, as dicts; None where there was none)."""
    import pandas as pd

    if name is not None:
        _model(store, name)  # an unknown name is an error naming the registered ones
    rows = [{"time": e["time"], "user": e["actor"], "host": e["host"], "action": e["action"],
             "model": e["entity_id"], "version": e["version"], "from": e["before"],
             "to": e["after"]} for e in store.registry_audit(name)]
    frame = pd.DataFrame(rows, columns=["time", "user", "host", "action", "model", "version",
                                        "from", "to"])
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
    frame["version"] = frame["version"].astype("Int64")
    return frame


# -- references ----------------------------------------------------------------------------
def parse_model_ref(ref: Any) -> tuple[str, str, str] | None:
    """``(name, kind, selector)`` for a registry reference, kind ``"version"`` (``name/3``)
    or ``"at"`` (``name@stage|alias|latest``); None for anything else (a run id)."""
    if not isinstance(ref, str):
        raise InvalidValueError(f"model reference must be a string ('churn/3', "
                                f"'churn@Production', 'churn@champion' or a run id); got "
                                f"{type(ref).__name__} {ref!r:.80}")
    text = ref.strip()
    if text.startswith(_MLFLOW_PREFIX):
        text = text[len(_MLFLOW_PREFIX):]
    for separator, kind in (("@", "at"), ("/", "version")):
        if separator in text:
            name, _, selector = text.partition(separator)
            if not name or not selector:
                missing = "no model name" if not name else f"nothing after {separator!r}"
                raise InvalidValueError(
                    f"model reference {ref!r} has {missing}: write 'churn/3', "
                    "'churn@Production' or 'churn@champion'")
            return name.strip(), kind, selector.strip()
    return None


def get_model_version(store: Store, ref: str) -> ModelVersion:
    """The version a registry reference (``"churn/3"``, ``"churn@Production"``,
    ``"churn@champion"``, ``"churn@latest"``) names; NotFoundError naming what is missing
    and what exists."""
    parsed = parse_model_ref(ref)
    if parsed is None:
        raise InvalidValueError(f"{ref!r} is not a model reference: write 'name/version', "
                                "'name@stage' or 'name@alias'")
    name, kind, selector = parsed
    versions = _model(store, name)["versions"]
    if kind == "version":
        if not selector.isdigit():
            raise InvalidValueError(f"model reference {ref!r}: the version after '/' must be a "
                                    "number ('churn/3'); for a stage or an alias write "
                                    f"'{name}@{selector}'")
        return ModelVersion.from_row(name, _find_version(name, versions, int(selector)))
    if not versions:
        raise NotFoundError(f"model {name!r} has no versions")
    if selector.lower() == LATEST:
        return ModelVersion.from_row(name, versions[-1])
    stage = _STAGE_BY_KEY.get(selector.lower())
    if stage is not None:
        row = _newest(versions, stage)
        if row is None:
            raise NotFoundError(f"model {name!r} has no version in stage {stage}; its "
                                f"versions: {_version_list(versions)}")
        return ModelVersion.from_row(name, row)
    for row in versions:
        if selector in row["aliases"]:
            return ModelVersion.from_row(name, row)
    aliases = [f"{a} -> {v['version']}" for v in versions for a in v["aliases"]]
    raise NotFoundError(
        f"model {name!r} has no alias or stage {selector!r}; its aliases: "
        f"{', '.join(sorted(aliases)) or 'none'}; stages: {', '.join(STAGES)}")


def resolve_model_ref(store: Store, ref: str) -> tuple[str, str | None]:
    """``(run_id, model artifact name)`` for a model reference.

    For ``"churn/3"``, ``"churn@Production"``, ``"churn@champion"`` the artifact is the one
    registered; for a run id (or a unique prefix) it is None: the caller's ``name=``, or the
    run's only model.
    """
    if parse_model_ref(ref) is not None:
        found = get_model_version(store, ref)
        return found.run_id, found.model
    try:
        return store.resolve_run_id(ref), None
    except NotFoundError as exc:
        cleaned = ref.strip()
        names = store.model_names()
        if cleaned in names:
            raise NotFoundError(
                f"{cleaned!r} is a registered model, not a run id: name one of its versions, "
                f"'{cleaned}/<version>', '{cleaned}@Production', '{cleaned}@<alias>' or "
                f"'{cleaned}@latest'") from None
        if names:
            raise NotFoundError(f"{exc}; or name a registered model's version "
                                f"('{names[0]}/1', '{names[0]}@Production'): registered "
                                f"models: {', '.join(names)}") from None
        raise
