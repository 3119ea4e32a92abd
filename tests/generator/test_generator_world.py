"""The world without services: determinism, restart continuity, contract rules."""

from __future__ import annotations

import gzip
import pickle
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from generator import simulation, state
from generator.content import CASCADE_VIEW_CAP
from generator.writer import LocalSink, ObjectWriter, encode, gzip_bytes
from socialpulse.contracts import (
    EVENT_ADAPTER,
    EVENT_LIST_ADAPTER,
    EVENT_TYPES,
    validate_line,
    validate_lines,
)

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
NOW = START + timedelta(days=30)


def _lines(world: simulation.World, minutes: int) -> list[bytes]:
    out: list[bytes] = []
    for _ in range(minutes):
        out.extend(encode(simulation.step(world)[1]))
    return out


def test_same_seed_gives_the_same_event_stream() -> None:
    a = _lines(simulation.create_world(3, START, 120), 45)
    b = _lines(simulation.create_world(3, START, 120), 45)
    c = _lines(simulation.create_world(4, START, 120), 45)
    assert a == b
    assert a != c
    assert gzip_bytes(b"\n".join(a)) == gzip_bytes(b"\n".join(b))


def test_a_restored_world_continues_exactly_where_it_stopped() -> None:
    straight = simulation.create_world(5, START, 150)
    expected = _lines(straight, 80)

    world = simulation.create_world(5, START, 150)
    first = _lines(world, 40)
    gen = state.new_state(world)
    restored = pickle.loads(pickle.dumps(gen))
    assert first + _lines(restored.world, 40) == expected


def test_state_file_round_trip_keeps_id_counters(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = simulation.create_world(6, START, 100)
    _lines(world, 30)
    path = tmp_path / "generator" / "w.pkl.gz"
    state.save(state.new_state(world), path)
    loaded = state.load(path)
    assert loaded is not None
    assert loaded.world.counters == world.counters
    assert loaded.world.next_minute == world.next_minute
    assert state.load(tmp_path / "missing.pkl.gz") is None


def test_every_generated_line_satisfies_the_contracts() -> None:
    world = simulation.create_world(8, START, 200)
    lines = _lines(world, 90)
    events = validate_lines(lines, now=NOW)
    assert len(events) == len(lines) > 1000
    assert {e.event_type for e in events} <= set(EVENT_TYPES)
    # the user registers before anything references them
    registered: set[int] = set()
    for event in events:
        if event.event_type == "user_registered":
            registered.add(event.actor_id or 0)
        assert set(event.user_ids()) <= registered | set(range(1, 6)), event


def test_event_ids_are_unique_and_lines_sorted_by_time() -> None:
    world = simulation.create_world(9, START, 150)
    for _ in range(60):
        _, events = simulation.step(world)
        stamps = [e["occurred_at"] for e in events]
        assert stamps == sorted(stamps)
    ids = [validate_line(line, now=NOW).event_id for line in _lines(world, 30)]
    assert len(ids) == len(set(ids))


GOOD = (
    b'{"event_id":"0b0e0c8e-3f0a-4a56-9a7e-1c2d3e4f5a6b","event_type":"donation_made",'
    b'"occurred_at":"2026-03-02T10:00:01.000Z","schema_version":1,"actor_id":7,'
    b'"entity_type":"donation","entity_id":"1","payload":{"donation_id":1,"donor_id":7,'
    b'"recipient_type":"user","recipient_id":9,"amount":5.5,"currency":"EUR","message":""}}'
)


def test_contract_accepts_a_valid_donation() -> None:
    event = validate_line(GOOD, now=NOW)
    assert event.event_type == "donation_made"
    assert event.user_ids() == [7, 7]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"amount":5.5', b'"amount":-5.5'),  # out of range
        (b'"amount":5.5', b'"amount":5.555'),  # too many decimals
        (b'"currency":"EUR"', b'"currency":"XXX"'),  # unknown enum
        (b'"donor_id":7', b'"donor_id":"7"'),  # wrong type (strict)
        (b"2026-03-02T10", b"2099-03-02T10"),  # future
        (b"01.000Z", b"01.000+02:00"),  # not UTC
        (b'"message":""', b'"message":"","extra":1'),  # unknown field
        (b'"event_type":"donation_made"', b'"event_type":"donation_sent"'),  # unknown type
    ],
)
def test_contract_rejects_broken_lines(old: bytes, new: bytes) -> None:
    with pytest.raises(ValidationError):
        validate_line(GOOD.replace(old, new), now=NOW)


def _registration(birthday: str, occurred_at: str = "2026-03-02T10:00:01.000Z") -> bytes:
    return (
        b'{"event_id":"0b0e0c8e-3f0a-4a56-9a7e-1c2d3e4f5a6b","event_type":"user_registered",'
        b'"occurred_at":"' + occurred_at.encode() + b'","schema_version":1,"actor_id":7,'
        b'"entity_type":"user","entity_id":"7","payload":{"user_id":7,"username":"ann.lee7",'
        b'"email":"ann.lee7@example.com","full_name":"Ann Lee","locale":"en_GB","country":"GB",'
        b'"birthday":"' + birthday.encode() + b'","signup_device":"ios"}}'
    )


@pytest.mark.parametrize(
    ("birthday", "occurred_at", "ok"),
    [
        ("2013-03-02", "2026-03-02T10:00:01.000Z", True),  # 13 today
        ("2013-03-03", "2026-03-02T10:00:01.000Z", False),  # 13 tomorrow
        ("1990-06-01", "2026-03-02T10:00:01.000Z", True),
        ("2012-02-28", "2025-02-28T23:59:59.000Z", True),
        ("2012-02-29", "2025-02-28T23:59:59.000Z", False),  # born on 29 Feb: 13 on 1 Mar
        ("2011-03-01", "2024-02-29T12:00:00.000Z", False),  # registered on 29 Feb
        ("2011-02-28", "2024-02-29T12:00:00.000Z", True),
        ("1899-12-31", "2026-03-02T10:00:01.000Z", False),  # before 1900: a typo
    ],
)
def test_user_must_be_13_when_registering(birthday: str, occurred_at: str, ok: bool) -> None:
    """The age rule is relative to the event's occurred_at, not to today's date."""
    line = _registration(birthday, occurred_at)
    if ok:
        assert str(validate_line(line, now=NOW).payload.birthday) == birthday  # type: ignore[attr-defined]
    else:
        with pytest.raises(ValidationError):
            validate_line(line, now=NOW)
        with pytest.raises(ValidationError):
            validate_lines([GOOD, line], now=NOW)


def test_future_and_utc_rules_hold_for_every_entry_point() -> None:
    """validate_line, validate_lines, EVENT_ADAPTER and EVENT_LIST_ADAPTER agree."""
    future = GOOD.replace(b"2026-03-02T10", b"2026-04-02T10")
    context = {"now": START + timedelta(days=1)}
    with pytest.raises(ValidationError, match="future"):
        EVENT_ADAPTER.validate_json(future, context=context)
    with pytest.raises(ValidationError, match="future"):
        EVENT_LIST_ADAPTER.validate_json(b"[" + GOOD + b"," + future + b"]", context=context)
    with pytest.raises(ValidationError, match="future"):
        validate_lines([GOOD, future], now=context["now"])
    # The future error keeps its shape (ingestion maps it to a quarantine reason).
    with pytest.raises(ValidationError) as info:
        validate_line(future, now=context["now"])
    (error,) = info.value.errors()
    assert error["type"] == "value_error"
    assert error["loc"][-1] == "occurred_at"
    # Without a now, there is no future check (the caller opted out).
    assert EVENT_ADAPTER.validate_json(future).event_type == "donation_made"
    # UTC: "Z" and "+00:00" are UTC; any other offset is rejected, with the same error type.
    assert validate_line(GOOD.replace(b"01.000Z", b"01.000+00:00"), now=NOW)
    for entry in (
        lambda line: validate_line(line, now=NOW),
        lambda line: validate_lines([GOOD, line], now=NOW),
        lambda line: EVENT_ADAPTER.validate_json(line, context={"now": NOW}),
    ):
        with pytest.raises(ValidationError, match="UTC") as info:
            entry(GOOD.replace(b"01.000Z", b"01.000+01:00"))
        assert info.value.errors()[0]["type"] == "value_error"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cascades_reach_1000_views_in_a_small_world_whatever_the_seed(seed: int) -> None:
    """Even 200 users get a cascade within hours; no post gets more than the per-minute cap."""
    world = simulation.create_world(seed, START + timedelta(hours=9), 200)
    views: Counter[int] = Counter()
    peak_per_minute = 0
    for _ in range(10 * 60):
        minute: Counter[int] = Counter(
            e["payload"]["post_id"] for e in simulation.step(world)[1]
            if e["event_type"] == "post_viewed"
        )  # fmt: skip
        views.update(minute)
        peak_per_minute = max(peak_per_minute, *minute.values(), 0)
    assert max(views.values()) >= 1000
    assert peak_per_minute <= 1.5 * CASCADE_VIEW_CAP


def test_validation_in_a_worker_process_writes_valid_minutes_and_fails_on_bad_lines(
    tmp_path: Path,
) -> None:
    """Backfill's off-process validation: same rules, and a violation still fails the run."""
    writer = ObjectWriter(LocalSink(tmp_path), validate_in=1)
    try:
        writer.submit_events("events/good.jsonl.gz", GOOD + b"\n", {}, NOW)
        writer.flush()
        assert gzip.decompress((tmp_path / "events/good.jsonl.gz").read_bytes()) == GOOD + b"\n"
        future = GOOD.replace(b"2026-03-02T10", b"2026-04-02T10")
        bad = GOOD + b"\n" + future + b"\n"
        writer.submit_events("events/bad.jsonl.gz", bad, {}, START + timedelta(days=1))
        with pytest.raises(ValidationError, match="future"):
            writer.flush()
        assert not (tmp_path / "events/bad.jsonl.gz").exists()
    finally:
        writer.close()
