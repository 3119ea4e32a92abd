"""What a model's node does with what the producer's dbt build reported."""

from __future__ import annotations

import pytest

from socialpulse.transform.watcher import decide


@pytest.mark.parametrize(
    ("model", "tests", "with_tests", "producer", "expected"),
    [
        # still building: keep waiting
        (None, None, True, "running", None),
        ("success", None, True, "running", None),
        # green only when the model and every test attached to it passed
        ("success", "pass", True, "running", "success"),
        ("success", None, False, "running", "success"),
        ("success", "pass", True, "success", "success"),
        # a failed model, or a failed test, fails the node at once
        ("error", None, True, "running", "failed"),
        ("success", "fail", True, "running", "failed"),
        # dbt skipped the model
        ("skipped", None, False, "running", "skipped"),
        # the build ended without a word on the model
        (None, None, False, "failed", "failed"),
        (None, None, True, "success", "success"),
        ("success", None, True, "failed", "failed"),
    ],
)
def test_the_node_follows_the_model_and_its_tests(
    model: str | None, tests: str | None, with_tests: bool, producer: str, expected: str | None
) -> None:
    assert decide(model, tests, with_tests, producer) == expected


@pytest.mark.parametrize(("model", "producer"), [("error", "failed"), ("skipped", "success"),
                                                 (None, "failed")])  # fmt: skip
def test_a_node_started_after_the_build_ended_rebuilds_what_the_build_did_not(
    model: str | None, producer: str
) -> None:
    # Its parents were cleared and fixed after this run's build: it builds the model itself.
    assert decide(model, None, False, producer, producer_done_before=True) == "rerun"


def test_a_node_started_after_the_build_takes_a_success_as_it_is() -> None:
    assert decide("success", "pass", True, "success", producer_done_before=True) == "success"
