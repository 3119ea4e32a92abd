"""One Airflow node per dbt model, at no worker cost: Cosmos watcher mode, started from the triggerer.

Cosmos' ``ExecutionMode.WATCHER`` runs ONE ``dbt build`` per task group (the producer task),
which pushes each node's result to XCom as dbt finishes it. Its stock consumers are deferrable
sensors, but each one still starts on a worker (a process, a DAG parse: ~2 s of CPU here) and
resumes on a worker when its trigger fires: for ~180 models that costs more than the dbt build
itself on 2 cores. So each model is rendered (through Cosmos' ``node_converters``, with the
model's tests folded in) as a :class:`DbtModelNode`:

* it starts in the triggerer (``start_from_trigger``): no worker, no DAG parse;
* its :class:`DbtModelTrigger` reads the model's status and the aggregated status of the
  tests attached to it from the statuses the producer publishes as one XCom
  (:mod:`socialpulse.transform.producer`; one cached request per run and poll interval for
  all its nodes), and ends the task from the triggerer (success, failed, or skipped when
  dbt skipped the model);
* a node is only scheduled once its parents succeeded, so a failed model or a failed test
  leaves its children ``upstream_failed`` (dbt skips them too);
* cleared or retried (try 2+; a failed node retries once by itself), the trigger hands over
  to a worker, which runs ``dbt build --select <model>`` (the model, then its tests) with
  the run's snapshot.

Tests that reference several models are attached, as dbt attaches them, to the model whose
YAML declares them (``attached_node`` in the manifest); ``dbt build`` runs them after all their
parents, so a model's node turns green only when every test that guards its children passed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.triggers.base import (
    BaseTrigger,
    StartTriggerArgs,
    TaskFailedEvent,
    TaskSkippedEvent,
    TaskSuccessEvent,
    TriggerEvent,
)
from cosmos.constants import PRODUCER_WATCHER_TASK_ID

from socialpulse.transform.producer import STATUSES_KEY

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.sdk.definitions.taskgroup import TaskGroup
    from cosmos.dbt.graph import DbtNode

log = logging.getLogger(__name__)

#: dbt node statuses (models report success/error/skipped; tests pass/fail/warn/error).
_SUCCESS = frozenset({"success", "pass", "warn"})
_FAILED = frozenset({"error", "fail", "failed", "runtime error"})
_SKIPPED = frozenset({"skipped"})
#: A failed node's automatic retry waits this long (long enough for a service to restart).
NODE_RETRY_DELAY = timedelta(seconds=30)
#: Producer task states after which no more results will come.
_PRODUCER_DONE = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})


def _xcom_key(unique_id: str, suffix: str) -> str:
    """Cosmos' XCom keys: ``model__socialpulse__hub_user_status`` / ``..._tests_status``."""
    return f"{unique_id.replace('.', '__')}_{suffix}"


def decide(
    model_status: str | None,
    tests_status: str | None,
    with_tests: bool,
    producer_state: str | None,
    *,
    producer_done_before: bool = False,
) -> str | None:
    """What the node does next from what the producer reported, or None to keep waiting.

    ``success`` once the model succeeded and (if it has tests) its tests passed; ``failed``
    as soon as either failed, or when the producer ended without reporting them; ``skipped``
    when dbt skipped the model for no failure. A node that starts only after the producer
    ended (``producer_done_before``: its parents were cleared and fixed, or it lagged behind
    a failure upstream) cannot learn its result from this build any more: anything but
    success makes it ``rerun`` the model itself.
    """
    outcome: str | None = None
    if model_status in _FAILED or tests_status in _FAILED:
        outcome = "failed"
    elif model_status in _SKIPPED:
        outcome = "skipped"
    elif model_status in _SUCCESS and (not with_tests or tests_status in _SUCCESS):
        outcome = "success"
    elif producer_state in _PRODUCER_DONE:
        # A model the build did not report on: not part of it (disabled, say) when the build
        # succeeded, lost with the build otherwise.
        not_built = producer_state == "success" and model_status is None
        outcome = "success" if not_built else "failed"
    if outcome in ("failed", "skipped") and producer_done_before:
        return "rerun"
    return outcome


#: (dag_id, run_id, what) -> (when fetched, value): the producer's state and its published
#: statuses, fetched once per poll interval for all the nodes of a run polling in one
#: triggerer process (they all run in its event loop).
_SHARED: dict[tuple[str, str, str], tuple[float, Any]] = {}
_SHARED_LOCKS: dict[tuple[str, str, str], asyncio.Lock] = {}


def _fetch_task_state(dag_id: str, run_id: str, task_id: str) -> str | None:
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    states = RuntimeTaskInstance.get_task_states(
        dag_id=dag_id, task_ids=[task_id], run_ids=[run_id]
    )
    state = states.get(run_id, {}).get(task_id)
    return None if state is None else str(state)


def _fetch_statuses(dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
    from airflow.sdk.execution_time.xcom import XCom

    value = XCom.get_one(
        key=STATUSES_KEY, dag_id=dag_id, task_id=task_id, run_id=run_id, map_index=-1
    )
    return value if isinstance(value, dict) else {}


async def _shared(
    key: tuple[str, str, str], max_age_s: float, fetch: Callable[[], Any], not_before: float
) -> tuple[float, Any]:
    """(when, ``fetch()``): fetched (in a thread) at most once per ``max_age_s`` for ``key``,
    and never answered from a fetch older than ``not_before`` (a monotonic time)."""
    lock = _SHARED_LOCKS.setdefault(key, asyncio.Lock())
    async with lock:
        cached = _SHARED.get(key)
        if cached is not None and not_before <= cached[0] > time.monotonic() - max_age_s:
            return cached
        started = time.monotonic()
        value = await asyncio.to_thread(fetch)
        for old in [k for k, (at, _) in _SHARED.items() if started - at > 3600]:
            del _SHARED[old]  # runs long over
            _SHARED_LOCKS.pop(old, None)
        _SHARED[key] = (started, value)
        return started, value


class DbtModelTrigger(BaseTrigger):
    """Waits for one model's result in the producer's published statuses and ends its task
    from here."""

    def __init__(
        self, unique_id: str, producer_task_id: str, with_tests: bool, poke_interval: float = 2.0
    ) -> None:
        super().__init__()
        self.unique_id = unique_id
        self.producer_task_id = producer_task_id
        self.with_tests = with_tests
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{__name__}.{type(self).__name__}",
            {
                "unique_id": self.unique_id,
                "producer_task_id": self.producer_task_id,
                "with_tests": self.with_tests,
                "poke_interval": self.poke_interval,
            },
        )

    def _ti(self) -> Any:
        """The task instance the triggerer attached (always set for a task's trigger)."""
        if self.task_instance is None:  # pragma: no cover - the triggerer always sets it
            raise RuntimeError(f"{type(self).__name__} runs only for a task instance")
        return self.task_instance

    async def _producer(
        self, what: str, fetch: Callable[[str, str, str], Any], not_before: float = 0.0
    ) -> tuple[float, Any]:
        """One of the producer's facts, shared by every node of the run in this triggerer:
        one request per poll interval for the run, not one per node."""
        ti = self._ti()
        args = (ti.dag_id, ti.run_id, self.producer_task_id)
        key = (ti.dag_id, ti.run_id, f"{self.producer_task_id}:{what}")
        return await _shared(key, self.poke_interval, lambda: fetch(*args), not_before)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        if self._ti().try_number > 1:
            # Cleared or retried: this try re-runs the model itself, on a worker.
            yield TriggerEvent({"rerun": True})
            return
        _, state = await self._producer("state", _fetch_task_state)
        producer_done_before = state in _PRODUCER_DONE
        while True:
            state_at, producer_state = await self._producer("state", _fetch_task_state)
            # Statuses fetched after a finished producer's state include all it published
            # (it publishes the last before it ends); earlier ones may not.
            not_before = state_at if producer_state in _PRODUCER_DONE else 0.0
            _, statuses = await self._producer("statuses", _fetch_statuses, not_before)
            status = statuses.get(_xcom_key(self.unique_id, "status"))
            model_status = status.get("status") if isinstance(status, dict) else status
            tests_status = (
                statuses.get(_xcom_key(self.unique_id, "tests_status"))
                if self.with_tests and model_status in _SUCCESS
                else None
            )
            outcome = decide(
                model_status, tests_status, self.with_tests, producer_state,
                producer_done_before=producer_done_before,
            )  # fmt: skip
            if outcome is not None:
                self.log.info(
                    "%s: model %s, tests %s, producer %s -> %s",
                    self.unique_id, model_status, tests_status, producer_state, outcome,
                )  # fmt: skip
                yield _EVENTS[outcome]()
                return
            await asyncio.sleep(self.poke_interval)


_EVENTS: dict[str, Callable[[], TriggerEvent]] = {
    "success": TaskSuccessEvent,
    "failed": TaskFailedEvent,
    "skipped": TaskSkippedEvent,
    "rerun": lambda: TriggerEvent({"rerun": True}),
}


#: Builds the operator that re-runs one model on a worker: (node, context) -> operator.
RerunFactory = Callable[["DbtModelNode", "Context"], BaseOperator]


class DbtModelNode(BaseOperator):
    """One dbt model (and the tests attached to it) in the Airflow graph; see the module doc."""

    ui_color = "#e8f4ea"
    start_from_trigger = True

    def __init__(
        self,
        *,
        unique_id: str,
        producer_task_id: str,
        with_tests: bool,
        rerun: RerunFactory,
        poke_interval: float = 2.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.unique_id = unique_id
        self.model_name = unique_id.rsplit(".", 1)[-1]
        self.rerun_factory = rerun
        self.start_trigger_args = StartTriggerArgs(
            trigger_cls=f"{__name__}.{DbtModelTrigger.__name__}",
            trigger_kwargs={
                "unique_id": unique_id,
                "producer_task_id": producer_task_id,
                "with_tests": with_tests,
                "poke_interval": poke_interval,
            },
            next_method="rerun",
            next_kwargs=None,
            timeout=None,
        )

    def execute(self, context: Context) -> None:
        # Only reached where nothing starts tasks from the triggerer (e.g. `airflow dags test`).
        self.rerun(context)

    def rerun(self, context: Context, event: dict[str, Any] | None = None) -> None:
        """``dbt build --select <model>`` (the model, then its tests) with this run's vars."""
        log.info("re-running %s on a worker (try %s)", self.model_name, context["ti"].try_number)
        operator = self.rerun_factory(self, context)
        operator.render_template_fields(context)
        operator.execute(context)


@cache
def attached_tests(manifest_path: Path) -> dict[str, list[str]]:
    """Model unique_id -> the tests dbt attaches to it (single-parent tests, and multi-parent
    tests declared in its YAML), read once per process from the manifest."""
    manifest = json.loads(manifest_path.read_text())
    tests: dict[str, list[str]] = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "test":
            continue
        parents = node["depends_on"]["nodes"]
        owner = node.get("attached_node") or (parents[0] if len(parents) == 1 else None)
        if owner is not None:
            tests.setdefault(owner, []).append(uid)
    return tests


def model_node_converter(manifest_path: Path, rerun: RerunFactory) -> Callable[..., DbtModelNode]:
    """A Cosmos node converter that renders each model as a :class:`DbtModelNode`."""

    def convert(*, dag: Any, task_group: TaskGroup | None, node: DbtNode, **_: Any) -> DbtModelNode:
        producer = (
            task_group.child_id(PRODUCER_WATCHER_TASK_ID)
            if task_group is not None
            else PRODUCER_WATCHER_TASK_ID
        )
        return DbtModelNode(
            task_id=node.name,
            dag=dag,
            task_group=task_group,
            unique_id=node.unique_id,
            producer_task_id=producer,
            with_tests=node.unique_id in attached_tests(manifest_path),
            rerun=rerun,
            # One automatic retry, on a worker (``dbt build --select <model>``): a model that
            # failed because a database restarted under the build recovers within the run,
            # and the nodes below it then re-run their own models. A model that fails for its
            # data fails again and stays failed until someone fixes and clears it.
            retries=1,
            retry_delay=NODE_RETRY_DELAY,
        )

    return convert
