"""The ``dbt build`` of a watcher task group, without dbt waiting on XCom.

Cosmos' producer publishes what dbt reports from dbt's own event callbacks: for every node
an XCom per event (start, compiling, executing, finished), its compiled SQL and its status,
each a synchronous call to the Airflow API under one process-wide lock. That is ~3,300 calls
for a build of ~750 nodes, and every dbt thread waits on them: the vault's build took 3.6x
its CLI time (230 s against 64 s of node execution on the live test's world). And each of
~170 model nodes then polled its own status key through the API.

:class:`QueuedProducer` keeps Cosmos' parsing (test results aggregated per model, dbt's
"skipped after an upstream failure" reported as failed) but hands it a stand-in task
instance, :class:`StatusPublisher`: it keeps only the statuses the model nodes read
(``<node>_status`` and ``<node>_tests_status``, Cosmos' key names), drops the rest, and a
background thread publishes them all as ONE XCom, :data:`STATUSES_KEY` (a dict, re-pushed at
most every :data:`PUBLISH_INTERVAL_S` while results come in), which every node of the run
reads through one shared, cached request (:mod:`socialpulse.transform.watcher`). The build
ends only once the last status is published.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from cosmos.operators.watcher import DbtProducerWatcherOperator

log = logging.getLogger(__name__)

#: The producer's XCom holding every node status it has so far: {Cosmos key: status}.
STATUSES_KEY = "node_statuses"
#: Keys the model nodes read: ``<node>_status`` and ``<node>_tests_status``.
KEPT_SUFFIX = "_status"
#: At most one publication per interval: results that arrive meanwhile go out together.
PUBLISH_INTERVAL_S = 1.0


class StatusPublisher:
    """A task instance for Cosmos' log parser: statuses collected and published as one XCom
    by one sender thread, every other key dropped; ``xcom_pull`` answers nothing."""

    #: No copy of the pushes for a producer retry: ours never retries (cosmos_config).
    _cosmos_xcom_backup_buffer = None

    def __init__(self, push: Callable[..., Any], interval_s: float = PUBLISH_INTERVAL_S) -> None:
        self._push = push
        self._interval_s = interval_s
        self._statuses: dict[str, Any] = {}
        self._changed = threading.Condition()
        self._dirty = False
        self._closing = False
        self._error: BaseException | None = None
        self.published = 0
        self.dropped = 0
        self._sender = threading.Thread(target=self._send, name="xcom-sender", daemon=True)
        self._sender.start()

    def xcom_push(self, key: str, value: Any) -> None:
        if not key.endswith(KEPT_SUFFIX):
            self.dropped += 1
            return
        with self._changed:
            self._statuses[key] = value
            self._dirty = True
            self._changed.notify()

    def xcom_pull(self, *_: Any, **__: Any) -> None:
        return None

    def _send(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._dirty or self._closing)
                if not self._dirty:
                    return  # closing, everything published
                statuses, self._dirty = dict(self._statuses), False
            try:
                self._push(key=STATUSES_KEY, value=statuses)
                self.published += 1
            except BaseException as exc:  # reported by close(), in the task's thread
                self._error = exc
                return
            time.sleep(self._interval_s)

    def close(self) -> None:
        """Publish what is left, stop the sender; raise what publishing raised."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._sender.join()
        log.info(
            "published %d node statuses in %d XCom pushes (%d other pushes dropped)",
            len(self._statuses), self.published, self.dropped,
        )  # fmt: skip
        if self._error is not None:
            raise self._error


class QueuedProducer(DbtProducerWatcherOperator):
    """Cosmos' watcher producer whose XCom pushes never hold up dbt (see the module doc)."""

    _xcoms: StatusPublisher | None = None

    def run_dbt_runner(
        self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any
    ) -> Any:
        context = kwargs.get("context")
        if context is None or context.get("_check_source_freshness"):
            return super().run_dbt_runner(command, env, cwd, **kwargs)
        self._xcoms = StatusPublisher(context["ti"].xcom_push)
        try:
            return super().run_dbt_runner(command, env, cwd, **kwargs)
        finally:
            xcoms, self._xcoms = self._xcoms, None
            xcoms.close()

    def _make_parse_callable(self) -> Callable[[str, Any], None]:
        parse = super()._make_parse_callable()
        xcoms = self._xcoms
        if xcoms is None:
            return parse

        def parse_line(line: str, extra_kwargs: Any) -> None:
            context = {**extra_kwargs["context"], "ti": xcoms}
            parse(line, {**extra_kwargs, "context": context})

        return parse_line
