"""The models and the migrations agree, on both databases: autogenerate finds nothing to do."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.store.db import Base


def test_migrations_match_the_models(store):
    def include(obj, name, type_, reflected, compare_to):
        return not (type_ == "table" and name in ("apscheduler_jobs", "alembic_version"))

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
