"""Which manifests point at which blobs: the manifest tables (model versions, run
artifacts, dataset versions, logged models, projects' DVC object indexes) read
together, for ``fsck``."""

from __future__ import annotations

from sqlalchemy import Connection, select

from modelyard.domain.fsck import ManifestRef
from modelyard.store.schema import model_versions, projects, registered_models, version_files
from modelyard.store.schema_dvc import dvc_objects
from modelyard.store.schema_mlflow import logged_model_files, logged_models
from modelyard.store.schema_tracking import (
    dataset_files,
    dataset_versions,
    datasets,
    run_artifacts,
    runs,
)
from modelyard.store.sql_store import SqlStore

# Digests per IN (...) list: well below every database's parameter limit.
BATCH = 500


class SqlManifestIndex:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def referenced(self) -> set[str]:
        out: set[str] = set()
        with self.store.read() as tx:
            for col in (version_files.c.sha256, run_artifacts.c.sha256,
                        dataset_files.c.sha256, logged_model_files.c.sha256,
                        dvc_objects.c.sha256):
                out |= set(tx.conn.execute(select(col).distinct()).scalars())
        return out

    def referencing(self, digests: list[str]) -> list[ManifestRef]:
        out: list[ManifestRef] = []
        with self.store.read() as tx:
            for i in range(0, len(digests), BATCH):
                out += _referencing(tx.conn, digests[i:i + BATCH])
        return out


def _referencing(conn: Connection, digests: list[str]) -> list[ManifestRef]:
    out: list[ManifestRef] = []
    vf, mv, rm = version_files, model_versions, registered_models
    for name, version, path, sha in conn.execute(
            select(rm.c.name, mv.c.version, vf.c.path, vf.c.sha256)
            .join(mv, mv.c.id == vf.c.version_id).join(rm, rm.c.id == mv.c.model_id)
            .where(vf.c.sha256.in_(digests))):
        out.append(ManifestRef("model_version", f"{name}/{version}", path, sha))
    ra = run_artifacts
    for run_uuid, path, sha in conn.execute(
            select(runs.c.run_uuid, ra.c.path, ra.c.sha256)
            .join(runs, runs.c.id == ra.c.run_id).where(ra.c.sha256.in_(digests))):
        out.append(ManifestRef("run_artifact", run_uuid, path, sha))
    df, dv = dataset_files, dataset_versions
    for name, version, path, sha in conn.execute(
            select(datasets.c.name, dv.c.version, df.c.path, df.c.sha256)
            .join(dv, dv.c.id == df.c.version_id).join(datasets, datasets.c.id == dv.c.dataset_id)
            .where(df.c.sha256.in_(digests))):
        out.append(ManifestRef("dataset_version", f"{name}/{version}", path, sha))
    lf, lm = logged_model_files, logged_models
    for model_id, path, sha in conn.execute(
            select(lm.c.model_id, lf.c.path, lf.c.sha256)
            .join(lm, lm.c.id == lf.c.logged_model_id).where(lf.c.sha256.in_(digests))):
        out.append(ManifestRef("logged_model", model_id, path, sha))
    do = dvc_objects
    for project, oid, sha in conn.execute(
            select(projects.c.name, do.c.oid, do.c.sha256)
            .join(projects, projects.c.id == do.c.project_id).where(do.c.sha256.in_(digests))):
        out.append(ManifestRef("dvc_object", project, f"files/md5/{oid[:2]}/{oid[2:]}", sha))
    return out
