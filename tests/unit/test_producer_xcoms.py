"""The producer's status publisher: the statuses the model nodes read reach XCom as one
dict, from one thread, the last one before the build ends; nothing else is sent; a failed
push fails the build."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from socialpulse.transform.producer import STATUSES_KEY, StatusPublisher


class RecordingPush:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.threads: set[str] = set()
        self.fail = fail

    def __call__(self, *, key: str, value: Any) -> None:
        self.threads.add(threading.current_thread().name)
        if self.fail:
            raise ConnectionError("API server gone")
        self.calls.append((key, dict(value)))


PUSHED = [
    ("model__p__hub_user_dbt_event", {"status": "started"}),
    ("model__p__hub_user_status", {"status": "success"}),
    ("model__p__hub_user_compiled_sql", "select 1"),
    ("model__p__hub_user_tests_status", "pass"),
    ("model__p__sat_user_status_status", {"status": "error"}),
    ("dbt_startup_events", [{"name": "MainReportVersion"}]),
]


def test_statuses_are_published_as_one_dict_from_one_thread_and_the_rest_is_dropped() -> None:
    push = RecordingPush()
    publisher = StatusPublisher(push, interval_s=0.01)

    def dbt_thread() -> None:
        for key, value in PUSHED:
            publisher.xcom_push(key=key, value=value)

    workers = [threading.Thread(target=dbt_thread, name=f"Thread-{i} (dbt)") for i in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    publisher.close()
    assert {key for key, _ in push.calls} == {STATUSES_KEY}
    assert push.calls[-1][1] == {
        "model__p__hub_user_status": {"status": "success"},
        "model__p__hub_user_tests_status": "pass",
        "model__p__sat_user_status_status": {"status": "error"},
    }
    assert push.threads == {"xcom-sender"}
    assert publisher.dropped == 6
    assert publisher.xcom_pull(key="dbt_startup_events") is None


def test_a_status_pushed_just_before_the_end_is_published() -> None:
    push = RecordingPush()
    publisher = StatusPublisher(push, interval_s=5.0)  # the sender is asleep after a push
    publisher.xcom_push(key="model__p__a_status", value="success")
    publisher.xcom_push(key="model__p__b_status", value="error")
    publisher.close()
    assert push.calls[-1][1] == {"model__p__a_status": "success", "model__p__b_status": "error"}


def test_a_failed_push_fails_the_build_when_it_closes() -> None:
    publisher = StatusPublisher(RecordingPush(fail=True), interval_s=0.01)
    publisher.xcom_push(key="model__p__a_status", value="success")
    with pytest.raises(ConnectionError):
        publisher.close()
