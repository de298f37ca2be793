"""Optional dependencies of the configured backends, checked before anything starts.

Each backend names the module it needs and the extra that installs it, so a missing
one is one line (``storing blobs on s3:// needs boto3: install modelyard[s3]``)
before the server or ``modelyard serve`` says it is serving, never an import error
half-way.
"""

from __future__ import annotations

import importlib

from modelyard.errors import InvalidParameter

__all__ = ["check_backend_dependencies", "needed_modules"]


def needed_modules(database_url: str, artifacts_uri: str) -> list[tuple[str, str, str]]:
    """(what, module, extra) for every optional module the configuration needs."""
    out = []
    scheme = database_url.partition("://")[0].lower()
    if scheme.startswith(("postgresql", "postgres")):
        out.append(("a PostgreSQL database", "psycopg", "postgres"))
    elif scheme.startswith(("mysql", "mariadb")):
        out.append(("a MySQL database", "pymysql", "mysql"))
    blob_scheme = artifacts_uri.partition("://")[0].lower()
    if blob_scheme == "s3":
        out.append(("storing blobs on s3://", "boto3", "s3"))
    elif blob_scheme == "gs":
        out.append(("storing blobs on gs://", "google.cloud.storage", "gcs"))
    elif blob_scheme == "azure":
        out.append(("storing blobs on azure://", "azure.storage.blob", "azure"))
    return out


def check_backend_dependencies(database_url: str, artifacts_uri: str) -> None:
    for what, module, extra in needed_modules(database_url, artifacts_uri):
        try:
            importlib.import_module(module)
        except ImportError:
            raise InvalidParameter(f"{what} needs {module}: install modelyard[{extra}] "
                                   f"(pip install 'modelyard[{extra}]')") from None
