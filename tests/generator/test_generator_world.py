"""The world without services: determinism, restart continuity, contract rules."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from generator import simulation, state
from generator.writer import encode, gzip_bytes
from socialpulse.contracts import EVENT_TYPES, validate_line, validate_lines

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
