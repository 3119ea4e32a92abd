"""The vault built by dbt from a generated + ingested world: green, idempotent, late-safe.

Tests run in file order on one session world (see conftest): the build, then re-runs,
then changes to raw (a repeated and a changed profile, late files) and re-runs.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from conftest import VaultWorld, table_counts

from socialpulse.transform.vault import wall_clock_reads
from socialpulse.transform.world import ingest_prefix

pytestmark = [pytest.mark.stack, pytest.mark.slow]

#: (satellite, staging model, hash key, hashdiff column of the staging model)
SAT_SOURCES = [
    ("sat_user_profile", "stg_events__user_profile_updated", "user_hk", "profile_hashdiff"),
    ("sat_user_status", "stg_events__user_came_online", "user_hk", "status_hashdiff"),
    ("sat_user_status", "stg_events__user_went_offline", "user_hk", "status_hashdiff"),
    ("eff_sat_friendship", "stg_events__friendship_started", "friendship_hk", "friendship_status_hashdiff"),
    ("eff_sat_follow", "stg_events__follow_started", "follow_hk", "follow_status_hashdiff"),
    ("eff_sat_follow", "stg_events__follow_ended", "follow_hk", "follow_status_hashdiff"),
    ("eff_sat_reaction", "stg_events__reaction_added", "reaction_hk", "reaction_status_hashdiff"),
    ("eff_sat_group_membership", "stg_events__group_joined", "group_membership_hk", "group_membership_status_hashdiff"),
]  # fmt: skip


def _sat_tables(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw_vault' "
            "AND (table_name LIKE 'sat\\_%' OR table_name LIKE 'eff\\_sat\\_%') ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def _unrepresented(conn: psycopg.Connection, sat: str, stg: str, pk: str, hd: str) -> int:
    """Staged rows neither stored at their effective time nor equal to the state before."""
    row = conn.execute(
        f"""
        SELECT count(*) FROM staging.{stg} AS s
        WHERE s.{pk} IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM raw_vault.{sat} AS v
              WHERE v.{pk} = s.{pk} AND v.effective_from = s.occurred_at AND v.hashdiff = s.{hd})
          AND (SELECT v.hashdiff FROM raw_vault.{sat} AS v
               WHERE v.{pk} = s.{pk} AND v.effective_from <= s.occurred_at
               ORDER BY v.effective_from DESC, v.load_ts DESC LIMIT 1) IS DISTINCT FROM s.{hd}
        """
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_dbt_build_of_the_vault_is_green(vault_world: VaultWorld) -> None:
    build = vault_world.build
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    results = vault_world.run_results()
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert failed == []
    models = [r["unique_id"] for r in results if r["unique_id"].startswith("model.")]
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    manifest = json.loads((vault_world.target_path / "manifest.json").read_text())
    layers = {"staging": 0, "raw_vault": 0, "business_vault": 0}
    for uid in models:
        layer = manifest["nodes"][uid]["fqn"][1]
        layers[layer] += 1
    assert layers["staging"] == 59  # one per raw.evt_ view, and the user actions
    assert layers["raw_vault"] >= 100
    assert layers["business_vault"] >= 5
    assert len(tests) > len(models)
    counts = table_counts(vault_world.dsn)
    with psycopg.connect(vault_world.dsn) as conn:
        registered = conn.execute("SELECT count(*) FROM raw.known_users").fetchone()
    # Every registered user once (ingestion admits no event of an unknown user).
    assert registered is not None
    assert counts["raw_vault.hub_user"] == registered[0] >= 300
    # The core of every world is filled (rarer relationships may be empty in 2 hours).
    core = [
        "raw_vault.hub_post", "raw_vault.hub_comment", "raw_vault.hub_media",
        "raw_vault.link_friendship", "raw_vault.eff_sat_friendship", "raw_vault.link_follow",
        "raw_vault.link_reaction", "raw_vault.eff_sat_reaction", "raw_vault.link_post_view",
        "raw_vault.link_comment_target", "raw_vault.link_share_post", "raw_vault.link_ad_impression",
        "raw_vault.link_group_membership", "raw_vault.sat_user_profile", "raw_vault.sat_user_status",
        "business_vault.pit_user", "business_vault.relationship_periods",
        "business_vault.bridge_user_social", "business_vault.bridge_content_interactions",
    ]  # fmt: skip
    assert [t for t in core if counts[t] == 0] == []


def test_satellites_never_store_the_same_state_twice_in_a_row(vault_world: VaultWorld) -> None:
    with psycopg.connect(vault_world.dsn) as conn:
        for sat in _sat_tables(vault_world.dsn):
            pk = conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'raw_vault' AND table_name = %s ORDER BY ordinal_position LIMIT 1",
                (sat,),
            ).fetchone()[0]  # type: ignore[index]
            repeats = conn.execute(
                f"""SELECT count(*) FROM (
                        SELECT hashdiff, lag(hashdiff) OVER (
                            PARTITION BY {pk} ORDER BY effective_from, load_ts) AS prev
                        FROM raw_vault.{sat}) AS t
                    WHERE hashdiff = prev"""
            ).fetchone()[0]  # type: ignore[index]
            assert repeats == 0, sat


def test_every_staged_state_is_in_its_satellite(vault_world: VaultWorld) -> None:
    with psycopg.connect(vault_world.dsn) as conn:
        for sat, stg, pk, hd in SAT_SOURCES:
            assert _unrepresented(conn, sat, stg, pk, hd) == 0, (sat, stg)


def test_a_second_run_inserts_nothing(vault_world: VaultWorld) -> None:
    before = table_counts(vault_world.dsn)
    vault_world.dbt("run")
    assert table_counts(vault_world.dsn) == before


def _clone_profile_update(conn: psycopg.Connection, change: dict[str, Any]) -> tuple[str, Any]:
    """Insert a copy of a user's latest profile update, one minute later, with ``change``."""
    row = conn.execute(
        """SELECT actor_id, entity_type, entity_id, payload, manifest_id, source_object,
                  source_line, occurred_at
           FROM raw.events WHERE event_type = 'user_profile_updated'
           ORDER BY occurred_at DESC LIMIT 1"""
    ).fetchone()
    assert row is not None
    actor, entity_type, entity_id, payload, manifest_id, obj, line, occurred = row
    payload = {**payload, **change}
    event_id = str(uuid.uuid4())
    conn.execute(
        """INSERT INTO raw.events (event_id, event_type, occurred_at, schema_version, actor_id,
               entity_type, entity_id, payload, event_hash, manifest_id, source_object, source_line)
           VALUES (%s, 'user_profile_updated', %s, 1, %s, %s, %s, %s, md5(%s), %s, %s, %s)""",
        (event_id, occurred + timedelta(minutes=1), actor, entity_type, entity_id,
         json.dumps(payload), json.dumps(payload), manifest_id, obj, line),
    )  # fmt: skip
    return entity_id, occurred + timedelta(minutes=1)


def _profile_rows(conn: psycopg.Connection, user_id: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        """SELECT s.effective_from, s.bio FROM raw_vault.sat_user_profile AS s
           JOIN raw_vault.hub_user AS h USING (user_hk) WHERE h.user_id = %s
           ORDER BY s.effective_from""",
        (int(user_id),),
    ).fetchall()


def test_a_satellite_inserts_only_changed_hashdiffs(vault_world: VaultWorld) -> None:
    select = ["--select", "stg_events__user_profile_updated", "sat_user_profile"]
    with psycopg.connect(vault_world.dsn, autocommit=True) as conn:
        user_id, _ = _clone_profile_update(conn, {})  # the same state again, a minute later
        before = _profile_rows(conn, user_id)
        vault_world.dbt("run", *select)
        assert _profile_rows(conn, user_id) == before

        _, changed_at = _clone_profile_update(conn, {"bio": "Changed by the vault test."})
        vault_world.dbt("run", *select)
        after = _profile_rows(conn, user_id)
        assert after[:-1] == before
        assert after[-1] == (changed_at, "Changed by the vault test.")


def test_late_files_land_at_their_own_time(vault_world: VaultWorld) -> None:
    dsn = vault_world.dsn
    loaded = ingest_prefix(dsn, vault_world.world.prefix + "events/")
    assert loaded == len(vault_world.late_minutes)
    with psycopg.connect(dsn) as conn:
        late = conn.execute(
            "SELECT event_type, count(*) FROM raw.events WHERE source_object LIKE ANY (%s) "
            "GROUP BY 1",
            ([f"%{m}%" for m in vault_world.late_minutes],),
        ).fetchall()
    late_types: dict[str, int] = dict(late)
    assert sum(late_types.values()) > 100

    vault_world.dbt("run")
    with psycopg.connect(dsn) as conn:
        missing_views = conn.execute(
            """SELECT count(*) FROM raw.events AS e
               WHERE e.event_type = 'post_viewed' AND e.source_object LIKE ANY (%s)
                 AND NOT EXISTS (SELECT 1 FROM raw_vault.link_post_view AS l
                                 WHERE l.view_hk = md5(upper(e.event_id::text)))""",
            ([f"%{m}%" for m in vault_world.late_minutes],),
        ).fetchone()[0]  # type: ignore[index]
        assert late_types.get("post_viewed", 0) > 0
        assert missing_views == 0
        for sat, stg, pk, hd in SAT_SOURCES:
            assert _unrepresented(conn, sat, stg, pk, hd) == 0, (sat, stg)
    # The satellite tests (no duplicates, stable hashdiffs, parents exist) still hold.
    vault_world.dbt(
        "test", "--select", "path:models/raw_vault/sats", "path:models/raw_vault/eff_sats"
    )


def _copy_row(
    conn: psycopg.Connection,
    table: str,
    changes: dict[str, str],
    where: str = "true",
    params: tuple[Any, ...] = (),
) -> None:
    """Insert a copy of one row of ``table`` (one that matches ``where``) with SQL expressions
    ``changes`` for some columns."""
    columns = [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || "
            "table_name = %s ORDER BY ordinal_position",
            (table,),
        ).fetchall()
    ]
    values = ", ".join(changes.get(c, c) for c in columns)
    conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table} "
        f"WHERE {where} LIMIT 1",
        params,
    )


def _db_now(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT clock_timestamp()::text").fetchone()
    assert row is not None
    return str(row[0])


def _failed_tests(world: VaultWorld) -> set[str]:
    return {
        r["unique_id"].split(".")[2]
        for r in world.run_results()
        if r["unique_id"].startswith("test.") and r["status"] != "pass"
    }


def test_a_run_reads_raw_only_up_to_its_snapshot_bound(vault_world: VaultWorld) -> None:
    select = ["--select", "stg_events__user_profile_updated", "sat_user_profile"]
    with psycopg.connect(vault_world.dsn, autocommit=True) as conn:
        bound = _db_now(conn)
        user_id, changed_at = _clone_profile_update(conn, {"bio": "Loaded after the bound."})
        before = _profile_rows(conn, user_id)
        vault_world.dbt("run", *select, "--vars", json.dumps({"load_ts_to": bound}))
        assert _profile_rows(conn, user_id) == before  # loaded after the bound: not seen
        vault_world.dbt("run", *select)  # no var: the bound is taken when the run starts
        assert _profile_rows(conn, user_id) == [*before, (changed_at, "Loaded after the bound.")]


def test_delta_tests_check_the_new_rows_and_fail_on_a_broken_one(vault_world: VaultWorld) -> None:
    select = ["--select", "link_follow", "sat_user_profile"]
    with psycopg.connect(vault_world.dsn, autocommit=True) as conn:
        before_break = _db_now(conn)
        # a follow whose follower is no user, and a satellite row stored twice
        _copy_row(conn, "raw_vault.link_follow", {
            "follow_hk": "md5('broken follow')", "follower_hk": "md5('nobody')",
            "load_ts": "clock_timestamp()",
        })  # fmt: skip
        _copy_row(conn, "raw_vault.sat_user_profile", {"load_ts": "clock_timestamp()"})
        after_break = _db_now(conn)
        broken = {
            "relationships_link_follow_follower_hk__user_hk__ref_hub_user_",
            "no_duplicate_sat_rows_sat_user_profile_user_hk",
        }
        try:
            # the broken rows are in the delta: the tests fail
            result = vault_world.dbt(
                "test", *select, "--vars", json.dumps({"load_ts_from": before_break}), check=False
            )
            assert result.returncode != 0
            assert broken <= _failed_tests(vault_world)
            # loaded before the delta: not looked at (the tests read only new rows)...
            vault_world.dbt("test", *select, "--vars", json.dumps({"load_ts_from": after_break}))
            assert _failed_tests(vault_world) == set()
            # ...while a full check (no load_ts_from) finds them
            assert vault_world.dbt("test", *select, check=False).returncode != 0
            assert broken <= _failed_tests(vault_world)
        finally:
            conn.execute("DELETE FROM raw_vault.link_follow WHERE follow_hk = md5('broken follow')")
            conn.execute(
                "DELETE FROM raw_vault.sat_user_profile WHERE load_ts > %s", (before_break,)
            )
    vault_world.dbt("test", *select)


def test_an_event_id_repeated_in_the_delta_fails_its_staging_test(
    vault_world: VaultWorld,
) -> None:
    # the staging views' unique test looks only inside the delta (an event's rows share its
    # load_ts): show the newest action twice and the test must fail on the delta holding it
    view, model = "staging.stg_events__user_actions", "stg_events__user_actions"
    with psycopg.connect(vault_world.dsn, autocommit=True) as conn:
        row = conn.execute("SELECT pg_get_viewdef(%s::regclass)", (view,)).fetchone()
        assert row is not None
        definition = str(row[0]).rstrip().rstrip(";")
        row = conn.execute(
            f"SELECT (max(load_ts) - interval '1 microsecond')::text, max(load_ts)::text FROM {view}"
        ).fetchone()
        assert row is not None
        before_newest, newest = row
        conn.execute(
            f"CREATE OR REPLACE VIEW {view} AS {definition} UNION ALL "
            f"(SELECT * FROM ({definition}) AS actions ORDER BY load_ts DESC LIMIT 1)"
        )
        try:
            test = "unique_stg_events__user_actions_event_id"
            delta = {"load_ts_from": before_newest}
            result = vault_world.dbt(
                "test", "--select", model, "--vars", json.dumps(delta), check=False
            )
            assert result.returncode != 0
            assert test in _failed_tests(vault_world)
            # a delta after it does not hold the event: nothing to look at
            vault_world.dbt(
                "test", "--select", model, "--vars", json.dumps({"load_ts_from": newest})
            )
            assert _failed_tests(vault_world) == set()
        finally:
            conn.execute(f"CREATE OR REPLACE VIEW {view} AS {definition}")
    vault_world.dbt("test", "--select", model)


def test_no_model_or_test_reads_the_wall_clock(vault_world: VaultWorld) -> None:
    compiled = vault_world.target_path / "compiled"
    assert len(list(compiled.rglob("*.sql"))) > 500  # every model and test was compiled
    assert wall_clock_reads(compiled) == {}


def _bridge_rows(conn: psycopg.Connection, hk: str) -> set[tuple[str, str]]:
    rows = conn.execute(
        "SELECT interaction_type, content_type FROM business_vault.bridge_content_interactions "
        "WHERE interaction_hk = %s",
        (hk,),
    ).fetchall()
    return {(str(kind), str(content)) for kind, content in rows}


def test_a_rederived_share_keeps_the_comment_whose_hash_key_it_shares(
    vault_world: VaultWorld,
) -> None:
    # Ids are counters per entity, so comment n and share n hash to the same key.
    with psycopg.connect(vault_world.dsn, autocommit=True) as conn:
        row = conn.execute(
            """SELECT interaction_hk FROM business_vault.bridge_content_interactions
               GROUP BY interaction_hk
               HAVING bool_or(interaction_type = 'comment')
                  AND bool_or(interaction_type IN ('share', 'quote'))
               ORDER BY interaction_hk LIMIT 1"""
        ).fetchone()
        assert row is not None, "the world has no comment and share with the same key"
        hk = str(row[0])
        before = _bridge_rows(conn, hk)
        # a later satellite row for the share: the next run re-derives that share
        _copy_row(
            conn, "raw_vault.sat_share_details", {"load_ts": "clock_timestamp()"},
            where="share_hk = %s", params=(hk,),
        )  # fmt: skip
        vault_world.dbt("run", "--select", "bridge_content_interactions")
        assert _bridge_rows(conn, hk) == before  # the share re-derived, the comment kept
