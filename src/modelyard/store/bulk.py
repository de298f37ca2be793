"""Many rows into one table by one ``executemany`` at the driver.

Through ``Connection.execute`` each row of a batch is turned into the driver's
parameters by SQLAlchemy (``construct_params``, bind processors, a dict a row): for
the 1,000 points of one ``log_batch`` that was a third of the server's time, more than
the database took to store them.  The INSERT is compiled once per dialect, table and
set of columns (so each database and driver gets its own parameter style), and the
rows go to the driver as they are: tuples in the statement's order for positional
styles (SQLite's ``?``), dicts for named ones (psycopg's and PyMySQL's ``%(name)s``).
Only for columns whose values need no conversion (numbers and strings).  (psycopg 3
sends an ``executemany`` as one pipeline; psycopg2, which the PostgreSQL extra does not
install, would take a round trip a row.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert

_COMPILED: dict[tuple[str, ...], tuple[str, tuple[str, ...] | None]] = {}


def insert_rows(conn: Connection, table: Table, columns: tuple[str, ...],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (tuples of the values of ``columns``, in that order) into
    ``table``."""
    if not rows:
        return
    dialect = conn.dialect
    key = (dialect.name, dialect.driver, str(dialect.paramstyle), table.fullname, *columns)
    found = _COMPILED.get(key)
    if found is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns),
                                         for_executemany=True)  # no RETURNING of ids
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        if set(order if order is not None else compiled.params) != set(columns):
            # A column default filled in by SQLAlchemy, or an escaped bind name.
            raise RuntimeError(f"insert_rows cannot insert {columns} into {table.fullname}")
        found = _COMPILED[key] = (str(compiled), order)
    sql, order = found
    if order == columns:
        conn.exec_driver_sql(sql, list(rows))
    elif order is not None:
        at = [columns.index(c) for c in order]
        conn.exec_driver_sql(sql, [tuple(row[i] for i in at) for row in rows])
    else:
        conn.exec_driver_sql(sql, [dict(zip(columns, row, strict=True)) for row in rows])
