"""The ``transform`` DAG run by the test stack's real scheduler: one dbt build per group, one
node per model following dbt's result, one snapshot per run while files keep arriving, and a
failed model that blocks its children until it is fixed and cleared."""

from __future__ import annotations

import json
import threading
import time

import pytest
from support.live import LiveWarehouse

from socialpulse.transform.project import MANIFEST_PATH

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def _models(group_paths: tuple[str, ...]) -> set[str]:
    manifest = json.loads(MANIFEST_PATH.read_text())
    return {
        node["unique_id"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].split("/")[1] in group_paths
    }


VAULT_MODELS = _models(("staging", "raw_vault", "business_vault"))
MART_MODELS = _models(("landing", "marts"))


def _node(unique_id: str, group: str) -> str:
    return f"{group}.{unique_id.rsplit('.', 1)[-1]}"


def _load_while_running(live: LiveWarehouse, run_id: str) -> threading.Thread:
    """Load the late files once the vault's dbt build is under way (a minute's delivery)."""

    def deliver() -> None:
        live.wait_for_task(run_id, "vault.dbt_producer_watcher", {"running"}, timeout_s=600)
        time.sleep(3)
        live.load()

    thread = threading.Thread(target=deliver, name="late-files")
    thread.start()
    return thread


@pytest.fixture(scope="module")
def first_two_runs(live: LiveWarehouse) -> tuple[str, str]:
    """Run 1 starts on the early files; the late ones land while it builds; run 2 follows."""
    live.load(skip=live.late)
    first = live.trigger()
    delivery = _load_while_running(live, first)
    assert live.wait(first) == "success", live.task_states(first)
    delivery.join()
    second = live.trigger()
    assert live.wait(second) == "success", live.task_states(second)
    return first, second


def test_every_model_is_one_node_that_follows_what_dbt_reported(
    live: LiveWarehouse, first_two_runs: tuple[str, str]
) -> None:
    run_id, _ = first_two_runs
    states = live.task_states(run_id)
    for group, models in (("vault", VAULT_MODELS), ("marts", MART_MODELS)):
        reported = live.producer_statuses(run_id, group)
        assert set(reported) == models, f"{group}: dbt built other models than the graph shows"
        for unique_id, status in reported.items():
            assert status == "success", (unique_id, status)
            assert states[_node(unique_id, group)] == "success", unique_id
    # one dbt build per group, whatever the number of models
    producers = [t for t in states if t.endswith("dbt_producer_watcher")]
    assert sorted(producers) == ["marts.dbt_producer_watcher", "vault.dbt_producer_watcher"]
    assert states["graph_sync_and_rank"] == "success"


def test_a_run_sees_one_snapshot_and_the_next_run_picks_up_exactly_there(
    live: LiveWarehouse, first_two_runs: tuple[str, str]
) -> None:
    first, second = first_two_runs
    from_1, to_1, done_1 = live.snapshot(first)
    from_2, to_2, done_2 = live.snapshot(second)
    assert from_1 is None
    assert done_1 is not None
    assert done_2 is not None
    assert from_2 == to_1 < to_2
    # The late files landed during run 1, after its bound: run 1 did not see them ...
    late_loaded = live.query(
        "SELECT min(loaded_at), count(*) FROM raw.events WHERE source_object = ANY(%s)",
        [key for key in live.keys if live.late(key)],
    )[0]
    assert late_loaded[1] > 0
    assert late_loaded[0] > to_1
    # ... and run 2 took all of them: every view event up to its bound is in the vault once.
    raw_views, vault_views = live.query(
        """SELECT (SELECT count(*) FROM raw.events
                   WHERE event_type = 'post_viewed' AND loaded_at <= %s),
                  (SELECT count(*) FROM raw_vault.link_post_view)""",
        to_2,
    )[0]
    assert raw_views == vault_views > 0
    raw_users, hub_users = live.query(
        """SELECT (SELECT count(*) FROM raw.known_users),
                  (SELECT count(*) FROM raw_vault.hub_user)""",
    )[0]
    assert raw_users == hub_users > 0


def test_a_failed_model_fails_its_node_stops_its_children_and_a_fix_and_clear_recovers(
    live: LiveWarehouse, first_two_runs: tuple[str, str]
) -> None:
    table, column = "raw_vault.sat_user_profile", "bio"
    live.execute(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_renamed")
    try:
        run_id = live.trigger()
        assert live.wait(run_id) == "failed"
        states = live.task_states(run_id)
        assert states["vault.sat_user_profile"] == "failed"
        assert states["vault.pit_user"] == "upstream_failed"  # its child never ran
        assert states["marts.dbt_producer_watcher"] == "upstream_failed"
        assert states["vault.hub_user"] == "success"  # the rest of the build went on
    finally:
        live.execute(f"ALTER TABLE {table} RENAME COLUMN {column}_renamed TO {column}")
    live.api._call(
        "POST",
        "/dags/transform/clearTaskInstances",
        json={
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": ["vault.sat_user_profile"],
            "include_downstream": True,
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    assert live.wait(run_id) == "success", live.task_states(run_id)
    states = live.task_states(run_id)
    assert states["vault.sat_user_profile"] == "success"
    assert states["vault.pit_user"] == "success"
    assert live.snapshot(run_id)[2] is not None  # completed: the next run starts after it
