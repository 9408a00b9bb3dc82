"""Migrations create exactly the schema the models describe, and go down and up again."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from nezlam.store.db import alembic_config, make_engine, upgrade
from nezlam.store.tables import Base


def test_migrated_schema_matches_the_models(db_url):
    engine = make_engine(db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(db_url):
    command.downgrade(alembic_config(db_url), "base")
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        value = connection.exec_driver_sql("SELECT value FROM change_counter").scalar()
    engine.dispose()
    assert value == 0
