"""The SQL metadata store: transactions that expose one repository per aggregate.

``read()`` opens a plain transaction; ``write()`` one that takes the write lock at
once on SQLite (``BEGIN IMMEDIATE``).  Database errors that are not the caller's
fault become :class:`~modelyard.errors.ServiceUnavailable` with the URL's password
hidden, so no secret reaches a log or a response; a unique key that another writer took
at the same moment, where no statement expected it, becomes
:class:`~modelyard.errors.Conflict` (409, try again), not an internal error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from modelyard.errors import Conflict, InsufficientStorage, ModelyardError, ServiceUnavailable
from modelyard.store import locks_repo, migrate
from modelyard.store.connect_errors import connect_failure, database_full, duplicate_key, where
from modelyard.store.engine import WRITE_OPTION, make_engine
from modelyard.store.access_repo import AccessRepo
from modelyard.store.identity_repo import IdentityRepo
from modelyard.store.events_repo import EventRepo
from modelyard.store.governance_repo import GovernanceRepo
from modelyard.store.dataset_repo import DatasetRepo
from modelyard.store.dvc_repo import DvcRepo
from modelyard.store.lineage_repo import LineageRepo
from modelyard.store.logged_models_repo import LoggedModelsRepo
from modelyard.store.registry_repo import RegistryRepo
from modelyard.store.tracking_repo import TrackingRepo


class SqlTransaction:
    """One transaction.  Its repositories are built on first use: a request reads one
    or two aggregates, and building all ten for each transaction cost more than a
    statement."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @cached_property
    def registry(self) -> RegistryRepo:
        return RegistryRepo(self.conn)

    @cached_property
    def events(self) -> EventRepo:
        return EventRepo(self.conn)

    @cached_property
    def tracking(self) -> TrackingRepo:
        return TrackingRepo(self.conn)

    @cached_property
    def datasets(self) -> DatasetRepo:
        return DatasetRepo(self.conn)

    @cached_property
    def lineage(self) -> LineageRepo:
        return LineageRepo(self.conn)

    @cached_property
    def logged_models(self) -> LoggedModelsRepo:
        return LoggedModelsRepo(self.conn)

    @cached_property
    def access(self) -> AccessRepo:
        return AccessRepo(self.conn)

    @cached_property
    def dvc(self) -> DvcRepo:
        return DvcRepo(self.conn)

    @cached_property
    def governance(self) -> GovernanceRepo:
        return GovernanceRepo(self.conn)

    @cached_property
    def identity(self) -> IdentityRepo:
        return IdentityRepo(self.conn)

    def referenced_digests(self) -> set[str]:
        """Every blob digest some manifest points at (for garbage collection)."""
        return (self.registry.referenced_digests() | self.tracking.referenced_digests()
                | self.logged_models.referenced_digests() | self.dvc.referenced_digests())

    def lock_blobs(self, *, exclusive: bool = False) -> None:
        """Hold the blob lock until this transaction ends: shared by manifest commits,
        exclusive for garbage collection deleting blobs (see ``domain/gc.py``)."""
        locks_repo.hold(self.conn, "gc", exclusive=exclusive)


_FULL = "the metadata database is full; nothing of this transaction was kept"
_RACED = ("a concurrent change to the same record conflicted with this one; nothing of it "
          "was kept: try again")


class SqlStore:
    """Opening a store touches no schema: call :meth:`upgrade` (``modelyard db upgrade``,
    server start-up, the embedded default's first open) or :meth:`require_head`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name

    def upgrade(self, revision: str = "head") -> None:
        """Migrate to ``revision`` (the newest by default) under the database's lock."""
        with self._reachable():
            migrate.upgrade(self.engine, revision)

    def require_head(self) -> None:
        """Refuse a database that is not at the newest schema (``modelyard db upgrade``)."""
        with self._reachable():
            migrate.require_head(self.engine)

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            if database_full(exc.orig):
                raise InsufficientStorage(_FULL) from None
            raise ServiceUnavailable(
                connect_failure(self.url, exc.orig)
                or f"cannot connect to {where(self.url)}"
            ) from None

    @contextmanager
    def _tx(self, write: bool) -> Iterator[SqlTransaction]:
        try:
            with self.engine.connect() as conn:
                if write:
                    conn = conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    yield SqlTransaction(conn)
        except ModelyardError:
            raise
        except DBAPIError as exc:
            if database_full(exc.orig):  # the transaction was rolled back whole
                raise InsufficientStorage(_FULL) from exc
            if isinstance(exc, OperationalError):
                raise ServiceUnavailable(
                    connect_failure(self.url, exc.orig)
                    or f"database error on {where(self.url)}; try again"
                ) from exc
            if duplicate_key(exc.orig):
                raise Conflict(_RACED) from exc
            raise ModelyardError(f"database error: {type(exc.orig).__name__}") from exc

    def read(self) -> AbstractContextManager[SqlTransaction]:
        return self._tx(False)

    def write(self) -> AbstractContextManager[SqlTransaction]:
        """A transaction that takes the write lock at once on SQLite."""
        return self._tx(True)

    def ping(self) -> None:
        """One round trip to the database; ServiceUnavailable when it does not answer."""
        with self.read() as tx:
            tx.conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
