"""The schema comes from Alembic migrations, and the models agree with them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dispatch.db import downgrade, upgrade
from dispatch.models import Base


def test_models_match_migrations(db_engine) -> None:
    with db_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_from_empty_and_downgrade_back(db_engine, migrated_url) -> None:
    tables = set(Base.metadata.tables)
    assert tables <= set(inspect(db_engine).get_table_names())
    downgrade(migrated_url, "base")
    try:
        remaining = set(inspect(db_engine).get_table_names()) & tables
        assert remaining == set()
    finally:
        upgrade(migrated_url)
    assert tables <= set(inspect(db_engine).get_table_names())
