"""Finding a model or a version inside a transaction, with the error that says what
is missing.  Shared by the registry services and lineage."""

from __future__ import annotations

import unicodedata

from modelyard.domain.lifecycle import StagePolicy, policy_from_data
from modelyard.domain.ports import Transaction
from modelyard.domain.records import ModelRecord, VersionRecord
from modelyard.domain.refs import VersionRef
from modelyard.domain.validation import nfc
from modelyard.errors import InvalidParameter, NoSuchAlias, NotFound


def model_missing(name: str) -> str:
    """What a NotFound says of a registered model that is not there (or not shown)."""
    return f"registered model {name!r} does not exist"


def find_model(tx: Transaction, name: object, *, deleted: bool = False) -> ModelRecord:
    if not isinstance(name, str) or not name:
        raise InvalidParameter("model name must be a non-empty string")
    model = tx.registry.model(name, deleted=deleted)
    if model is None and nfc(name) != name:  # names are stored in NFC
        model = tx.registry.model(unicodedata.normalize("NFC", name), deleted=deleted)
    if model is None:
        raise NotFound(f"deleted {model_missing(name)}" if deleted else model_missing(name))
    return model


def find_version(tx: Transaction, policy: StagePolicy, ref: VersionRef, *,
                 deleted: bool = False) -> tuple[ModelRecord, VersionRecord]:
    """The model and version a reference names: a number, an alias, ``latest`` or a
    stage (its latest READY version)."""
    model = find_model(tx, ref.model)
    number = ref.version
    if ref.alias is not None:
        number = tx.registry.alias_version(model.id, ref.alias)
        if number is None:
            raise NoSuchAlias(f"model {ref.model!r} has no alias {ref.alias!r}")
    elif ref.selector is not None:
        if ref.selector.lower() != "latest":
            found = tx.governance.policy(model.project_id)
            if found is not None:  # stage selectors resolve under the project's policy
                policy = policy_from_data(found[1])
        stage = None if ref.selector.lower() == "latest" else policy.canonical(ref.selector)
        latest = tx.registry.latest_version(model.id, stage)
        if latest is None:
            where = "" if stage is None else f" in stage {stage}"
            raise NotFound(f"model {ref.model!r} has no version{where}")
        return model, latest
    if number is None:
        raise InvalidParameter(f"{ref} names no version")
    version = tx.registry.version(model.id, number, deleted=deleted)
    if version is None:
        what = "deleted version" if deleted else "version"
        raise NotFound(f"{what} {number} of model {ref.model!r} does not exist")
    return model, version


def version_by_id(tx: Transaction, version_id: int) -> VersionRecord:
    """A version known to exist (an id read in the same transaction)."""
    version = tx.registry.version_by_id(version_id)
    if version is None:
        raise NotFound(f"model version {version_id} does not exist")
    return version
