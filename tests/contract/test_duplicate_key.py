"""A unique key taken by another writer is told apart from other integrity errors on
every database, so the store answers 409 "try again" for it and 500 for the rest."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.exc import IntegrityError

from modelyard.store.connect_errors import duplicate_key
from modelyard.store.engine import make_engine


def test_duplicate_keys_and_other_integrity_errors(db_url: str) -> None:
    engine = make_engine(db_url)
    table = Table(f"probe_{uuid.uuid4().hex[:8]}", MetaData(),
                  Column("id", Integer, primary_key=True),
                  Column("name", String(20), nullable=False, unique=True))
    table.create(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(table).values(id=1, name="a"))
        for row in ({"id": 1, "name": "b"}, {"id": 2, "name": "a"}):  # the key, a unique
            with pytest.raises(IntegrityError) as taken, engine.begin() as conn:
                conn.execute(insert(table).values(**row))
            assert duplicate_key(taken.value.orig)
        with pytest.raises(IntegrityError) as missing, engine.begin() as conn:
            conn.execute(insert(table).values(id=3, name=None))
        assert not duplicate_key(missing.value.orig)
    finally:
        table.drop(engine)
        engine.dispose()
