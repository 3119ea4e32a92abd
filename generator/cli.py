"""``socialpulse generate``: the generator's command line (mounted by the lead's CLI).

* ``run``      wall clock: every minute, the object for the minute that just ended.
* ``backfill`` simulated time at full speed, with a progress bar.

Both continue the world saved in the state file (``<state_dir>/generator/<name>.pkl.gz``; by
default one per bucket/prefix) and write only where that world owns the prefix
(:mod:`generator.ownership`); neither ever overwrites an object.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from generator import ownership, runner, state
from generator.writer import LocalSink, ObjectExistsError, ObjectWriter, Sink, minio_sink
from socialpulse.settings import get_settings

app = typer.Typer(
    help="Simulate the social network and write minute files to MinIO.", no_args_is_help=True
)

log = logging.getLogger("generator")

Seed = Annotated[
    int | None,
    typer.Option(help="RNG seed of a new world [default: 42]; must match a resumed one."),
]
Users = Annotated[
    int | None,
    typer.Option(help="Users registered during a new world's first hour [default: 1000]."),
]
DirtyRate = Annotated[
    float,
    typer.Option(min=0.0, max=0.5, help="Share of lines/minutes that get a defect (0 = clean)."),
]
StateName = Annotated[
    str | None,
    typer.Option(
        help="State file under <state_dir>/generator/ [default: the state of the world that "
        "owns the prefix, else world-<bucket>-<prefix>]."
    ),
]
Fresh = Annotated[bool, typer.Option(help="Ignore a saved state and start a new world.")]
Force = Annotated[
    bool,
    typer.Option(
        help="Write this world into a prefix another world owns (their ids collide: both "
        "worlds end up side by side in the warehouse). Existing objects are never overwritten."
    ),
]
OutDir = Annotated[
    Path | None, typer.Option(help="Write objects to this directory instead of MinIO (debugging).")
]
Prefix = Annotated[str, typer.Option(help="Key prefix inside the bucket (a separate world).")]
Bucket = Annotated[
    str | None, typer.Option(help="Bucket to write to [default: MINIO_BUCKET] (a separate world).")
]

DEFAULT_SEED = 42
DEFAULT_USERS = 1000


def _sink(out_dir: Path | None, prefix: str, bucket: str | None) -> Sink:
    if out_dir is not None:
        return LocalSink(out_dir / prefix if prefix else out_dir)
    return minio_sink(get_settings(), prefix=prefix, bucket=bucket)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _world(
    sink: Sink, name: str | None, fresh: bool, force: bool, *, seed: int | None,
    users: int | None, start: datetime | None, default_start: datetime, minutes: int = 0,
) -> Iterator[tuple[state.GeneratorState, Path, bool]]:  # fmt: skip
    """The world that writes to ``sink`` (saved or new), its state file held by this
    process, and its claim on the sink's prefix, after checking that its next ``minutes``
    have no objects yet. Refusals exit with a message (code 2) and change nothing: a
    ``--fresh`` world replaces the saved one only when it saves its own state."""
    name = name or ownership.owner_state(sink) or state.default_name(sink.describe())
    path = state.state_path(get_settings(), name)
    try:
        with state.locked(path):
            gen, resumed = runner.load_or_create(
                None if fresh else path, seed=DEFAULT_SEED if seed is None else seed,
                start=start or default_start, users=DEFAULT_USERS if users is None else users,
            )  # fmt: skip
            if resumed:
                _check_resume(gen, path, seed=seed, users=users, start=start)
            typer.echo(ownership.prepare(
                sink, gen, name, resumed=resumed, minutes=minutes, force=force
            ))  # fmt: skip
            yield gen, path, resumed
    except (state.StateInUseError, ownership.PrefixOwnedError, ObjectExistsError) as exc:
        _fail(str(exc))


def _check_resume(
    gen: state.GeneratorState, path: Path, *, seed: int | None, users: int | None,
    start: datetime | None,
) -> None:  # fmt: skip
    """Options that only describe a new world must not silently be ignored."""
    world = gen.world
    asked = []
    if seed is not None and seed != world.seed:
        asked.append(f"--seed {seed} (it has seed {world.seed})")
    if users is not None and users != world.counters.get("bootstrap_users"):
        asked.append(f"--users {users} (it has {world.counters.get('bootstrap_users')})")
    if start is not None:
        asked.append(
            f"--start (it continues at {runner.minute_of(world.next_minute):%Y-%m-%dT%H:%MZ})"
        )
    if asked:
        _fail(
            f"{path} holds a saved world; {', '.join(asked)} would describe another one. "
            "Drop those options to continue it, or write a new world elsewhere (--prefix/"
            "--bucket), or replace it with --fresh (its prefix then needs --force)."
        )


def _parse_start(start: str | None) -> datetime | None:
    if start is None:
        return None
    value = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command()
def backfill(
    days: Annotated[float, typer.Option(min=0.0, help="Simulated days to generate.")] = 1.0,
    users: Users = None,
    seed: Seed = None,
    start: Annotated[
        str | None, typer.Option(help="First minute (ISO, UTC) of a new world; default now - days.")
    ] = None,
    dirty_rate: DirtyRate = 0.0,
    name: StateName = None,
    fresh: Fresh = False,
    force: Force = False,
    validate: Annotated[
        bool, typer.Option(help="Validate every line against the contracts.")
    ] = True,
    out_dir: OutDir = None,
    prefix: Prefix = "",
    bucket: Bucket = None,
) -> None:
    """Generate DAYS of simulated time at full speed (continues the prefix's world if saved)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    sink = _sink(out_dir, prefix, bucket)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    minutes = round(days * 1440)
    with _world(
        sink, name, fresh, force, seed=seed, users=users, start=_parse_start(start),
        default_start=now - timedelta(days=days), minutes=minutes,
    ) as (gen, state_file, resumed):  # fmt: skip
        first = runner.minute_of(gen.world.next_minute)
        typer.echo(
            f"{'resuming' if resumed else 'new'} world seed={gen.world.seed} run={gen.run_id}: "
            f"{minutes} minutes from {first:%Y-%m-%dT%H:%MZ} into {sink.describe()} "
            f"(state {state_file})"
        )
        if first + timedelta(minutes=minutes) > datetime.now(UTC):
            typer.echo(
                "warning: this backfill reaches into the future; ingestion will reject those events"
            )
        # Validation (pure CPU) runs in its own process when there is a core for it.
        validators = 1 if validate and dirty_rate == 0 and (os.cpu_count() or 1) > 1 else 0
        writer = ObjectWriter(sink, validate_in=validators)
        try:
            with Progress(
                TextColumn("[bold]backfill"), BarColumn(),
                TextColumn("{task.completed}/{task.total} min"),
                TextColumn("{task.fields[events]:,} events"), TimeRemainingColumn(),
            ) as progress:  # fmt: skip
                task = progress.add_task("backfill", total=minutes, events=0)

                def tick(i: int, stats: runner.Stats) -> None:
                    if i % 10 == 9 or i == minutes - 1:
                        progress.update(task, completed=i + 1, events=stats.events)

                stats = runner.backfill(
                    gen, writer, minutes, dirty_rate=dirty_rate, validate=validate,
                    state_file=state_file, on_minute=tick,
                )  # fmt: skip
        finally:
            writer.close()
    typer.echo(
        f"{stats.events:,} events in {stats.objects} objects, {stats.bytes_written / 1e6:.1f} MB, "
        f"{stats.seconds:.1f} s ({stats.events_per_second:,.0f} events/s); state: {state_file}"
    )
    if dirty_rate > 0:
        typer.echo(f"defects: {runner.defect_summary(stats)}")


@app.command()
def run(
    users: Users = None,
    seed: Seed = None,
    dirty_rate: DirtyRate = 0.0,
    name: StateName = None,
    fresh: Fresh = False,
    force: Force = False,
    out_dir: OutDir = None,
    prefix: Prefix = "",
    bucket: Bucket = None,
    minute_seconds: Annotated[
        float, typer.Option(hidden=True, min=0.5, help="Real seconds per minute (tests only).")
    ] = 60.0,
) -> None:
    """Write one object per wall-clock minute until SIGTERM/SIGINT (continues a saved world)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sink = _sink(out_dir, prefix, bucket)
    just_ended = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the current minute, then saving state", signum)
        stop.set()

    # Before anything slow: a SIGTERM while the world loads still ends the process cleanly.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with _world(
        sink, name, fresh, force, seed=seed, users=users, start=None, default_start=just_ended
    ) as (gen, state_file, resumed):
        log.info("%s world seed=%d, next minute %s, writing to %s",
                 "resuming" if resumed else "new", gen.world.seed,
                 runner.minute_of(gen.world.next_minute).isoformat(), sink.describe())  # fmt: skip
        writer = ObjectWriter(sink)
        try:
            stats = runner.run_forever(
                gen, writer, stop=stop, dirty_rate=dirty_rate, state_file=state_file,
                minute_seconds=minute_seconds,
            )  # fmt: skip
        except ObjectExistsError as exc:
            _fail(str(exc))
        finally:
            writer.close()
    log.info(
        "stopped after %d minutes, %d events; state saved to %s",
        stats.minutes,
        stats.events,
        state_file,
    )
