"""The two ways to drive the world: ``backfill`` (simulated time at full speed) and
``run_forever`` (wall clock, one object per minute just ended). Both share
:func:`produce_minute` and persist the state the same way.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from generator import simulation, state
from generator.dirty import DefectClass, Injector, OutObject
from generator.world import minute_index, minute_of
from generator.writer import ObjectWriter, defects_key, encode, join_lines, metadata, object_key
from socialpulse.contracts import validate_lines

log = logging.getLogger(__name__)
MINUTE = timedelta(minutes=1)


@dataclass
class Stats:
    minutes: int = 0
    events: int = 0
    objects: int = 0
    defects: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    bytes_written: int = 0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def produce_minute(
    gen: state.GeneratorState, *, dirty_rate: float = 0.0, validate: bool = True
) -> tuple[list[OutObject], int]:
    """Simulate the next minute; returns the objects to write and the clean event count."""
    world = gen.world
    index = world.next_minute
    minute, events = simulation.step(world)
    lines = encode(events)
    if validate and lines:
        # Every clean line must satisfy the contracts, and none may lie after its minute.
        validate_lines(lines, now=minute + timedelta(minutes=1))
    if dirty_rate > 0:
        return Injector(gen.dirty, dirty_rate).apply(minute, index, events, lines), len(events)
    return [OutObject(object_key(minute), minute, join_lines(lines), len(lines))], len(events)


def _keep_gc_cheap() -> None:
    """Move everything alive into the GC's permanent generation (O(1)).

    The world holds millions of long-lived objects; without this, every collection of the
    older generations walks all of them while a minute's events are being built (measured:
    validation ~2x slower). Objects are still freed by reference counting; only reference
    cycles among frozen objects would never be collected, and the world has none to speak of.
    """
    gc.freeze()


def write_objects(
    writer: ObjectWriter,
    objects: list[OutObject],
    gen: state.GeneratorState,
    stats: Stats,
    validate_now: datetime | None = None,
) -> None:
    """Queue each object (and its defect manifest, if any) for upload."""
    for obj in objects:
        extra = {"generator-seed": str(gen.world.seed), "defect-count": str(len(obj.defects))}
        meta = metadata(obj.records, obj.minute, extra)
        writer.submit_events(obj.key, obj.raw, meta, validate_now)
        stats.objects += 1
        if obj.defects:
            writer.submit_json(
                defects_key(obj.key),
                {
                    "object_key": obj.key,
                    "covers_minute": obj.minute.strftime("%Y-%m-%dT%H:%M:00Z"),
                    "run_id": gen.run_id,
                    "defects": [d.as_dict() for d in obj.defects],
                },
            )
            for d in obj.defects:
                stats.defects[d.defect.value] = stats.defects.get(d.defect.value, 0) + 1


def load_or_create(
    path: Path | None, *, seed: int, start: datetime, users: int
) -> tuple[state.GeneratorState, bool]:
    """The saved state at ``path`` (resumed=True) or a new world."""
    saved = state.load(path) if path is not None else None
    if saved is not None:
        return saved, True
    return state.new_state(simulation.create_world(seed, start, users)), False


def backfill(
    gen: state.GeneratorState,
    writer: ObjectWriter,
    minutes: int,
    *,
    dirty_rate: float = 0.0,
    validate: bool = True,
    state_file: Path | None = None,
    save_every: int = 60,
    on_minute: Callable[[int, Stats], None] | None = None,
) -> Stats:
    """Generate ``minutes`` minutes as fast as possible, saving the state every hour.

    When ``writer`` has validation processes (``ObjectWriter(validate_in=N)``) and the run is
    clean, the contract validation of each minute happens there, in parallel with generating
    the next minutes; any violation still fails the backfill (at the next flush).
    """
    stats = Stats()
    started = time.perf_counter()
    offload = validate and dirty_rate == 0 and writer.validators is not None
    _keep_gc_cheap()
    for i in range(minutes):
        objects, n = produce_minute(gen, dirty_rate=dirty_rate, validate=validate and not offload)
        if offload:
            write_objects(writer, objects, gen, stats, validate_now=objects[0].minute + MINUTE)
        else:
            write_objects(writer, objects, gen, stats)
        if i % 10 == 9:
            _keep_gc_cheap()
        stats.minutes += 1
        stats.events += n
        if state_file is not None and (i + 1) % save_every == 0:
            writer.flush()  # objects first, then the state that says they exist
            state.save(gen, state_file)
        if on_minute is not None:
            on_minute(i, stats)
    if dirty_rate > 0:
        write_objects(writer, Injector(gen.dirty, dirty_rate).flush_held(), gen, stats)
    writer.flush()
    if state_file is not None:
        state.save(gen, state_file)
    stats.seconds = time.perf_counter() - started
    stats.bytes_written = writer.bytes_written
    return stats


def run_forever(
    gen: state.GeneratorState,
    writer: ObjectWriter,
    *,
    stop: threading.Event,
    dirty_rate: float = 0.0,
    state_file: Path | None = None,
    clock: Callable[[], datetime] | None = None,
    settle_seconds: float = 2.0,
    minute_seconds: float = 60.0,
) -> Stats:
    """Each minute, write the minute that just ended; catch up on missed minutes first.

    Returns when ``stop`` is set (SIGTERM/SIGINT), after finishing the current minute,
    flushing uploads and saving the state. ``minute_seconds`` < 60 makes the default clock
    run faster than real time (a simulated minute lasts that many real seconds; for tests).
    """
    if clock is None:
        clock = fast_clock(minute_seconds)
    scale = minute_seconds / 60.0  # real seconds per simulated second
    _keep_gc_cheap()
    stats = Stats()
    while not stop.is_set():
        last_closed = minute_index(clock()) - 1
        while gen.world.next_minute <= last_closed and not stop.is_set():
            objects, n = produce_minute(gen, dirty_rate=dirty_rate)
            write_objects(writer, objects, gen, stats)
            stats.minutes += 1
            stats.events += n
            writer.flush()
            if state_file is not None:
                state.save(gen, state_file)
            log.info("wrote %s (%d events)", objects[0].key, n)
        # Sleep until a little after the next minute boundary (interruptible).
        next_boundary = minute_of(minute_index(clock()) + 1)
        wait = (next_boundary - clock()).total_seconds() + settle_seconds
        stop.wait(max(0.0, wait * scale))
    writer.flush()
    if state_file is not None:
        state.save(gen, state_file)
    return stats


def fast_clock(minute_seconds: float = 60.0) -> Callable[[], datetime]:
    """The wall clock, or (``minute_seconds`` < 60) a clock that starts now and runs faster."""
    if minute_seconds == 60.0:
        return lambda: datetime.now(UTC)
    origin = datetime.now(UTC)
    started = time.monotonic()
    speed = 60.0 / minute_seconds
    return lambda: origin + timedelta(seconds=(time.monotonic() - started) * speed)


def defect_summary(stats: Stats) -> dict[str, Any]:
    return {cls.value: stats.defects.get(cls.value, 0) for cls in DefectClass}
