"""The stages' garbage-collector settings are scoped: on inside a stage, restored after."""

from __future__ import annotations

import gc

import pytest

from socialpulse.ingestion.batch_gc import STAGE_GC_THRESHOLD, batch_gc


def test_a_stage_freezes_and_raises_the_young_threshold_then_restores_both() -> None:
    before = gc.get_threshold()
    with batch_gc():
        assert gc.get_threshold()[0] == STAGE_GC_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_settings_are_restored_when_the_stage_fails() -> None:
    before = gc.get_threshold()

    @batch_gc()
    def failing_stage() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_stage()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
