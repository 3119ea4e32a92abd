"""The raw schema: migrations are idempotent and the typed views follow the contracts."""

from __future__ import annotations

import psycopg
import pytest

from socialpulse.contracts import EVENT_TYPES
from socialpulse.ingestion.migrate import migrate, migrations
from socialpulse.ingestion.views import VIEWS_FILE, render


def test_views_migration_is_generated_from_the_current_contracts() -> None:
    assert VIEWS_FILE.read_text() == render(), (
        "run `python -m socialpulse.ingestion.views` and commit the file"
    )


@pytest.mark.stack
def test_migrating_twice_applies_nothing_the_second_time(warehouse: str) -> None:
    assert migrate(warehouse) == []
    with psycopg.connect(warehouse) as conn:
        versions = {r[0] for r in conn.execute("SELECT version FROM raw.schema_migrations")}
        views = conn.execute(
            "SELECT count(*) FROM information_schema.views WHERE table_schema = 'raw' "
            "AND table_name LIKE 'evt\\_%'"
        ).fetchone()
    assert versions == {m.version for m in migrations()}
    assert views == (len(EVENT_TYPES),)
