"""``socialpulse generate``: the generator's command line (mounted by the lead's CLI).

* ``run``      wall clock: every minute, the object for the minute that just ended.
* ``backfill`` simulated time at full speed, with a progress bar.

Both continue the world saved in the state file (``<state_dir>/generator/<name>.pkl.gz``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from generator import runner, state
from generator.writer import LocalSink, ObjectWriter, Sink, minio_sink
from socialpulse.settings import get_settings

app = typer.Typer(
    help="Simulate the social network and write minute files to MinIO.", no_args_is_help=True
)

log = logging.getLogger("generator")

Seed = Annotated[int, typer.Option(help="RNG seed of a new world (ignored when resuming).")]
Users = Annotated[int, typer.Option(help="Users registered during a new world's first hour.")]
DirtyRate = Annotated[
    float,
    typer.Option(min=0.0, max=0.5, help="Share of lines/minutes that get a defect (0 = clean)."),
]
StateName = Annotated[
    str, typer.Option(help="Name of the state file under <state_dir>/generator/.")
]
Fresh = Annotated[bool, typer.Option(help="Ignore a saved state and start a new world.")]
OutDir = Annotated[
    Path | None, typer.Option(help="Write objects to this directory instead of MinIO (debugging).")
]
Prefix = Annotated[str, typer.Option(help="Key prefix inside the bucket (e.g. for test runs).")]


def _sink(out_dir: Path | None, prefix: str) -> Sink:
    if out_dir is not None:
        return LocalSink(out_dir / prefix if prefix else out_dir)
    return minio_sink(get_settings(), prefix=prefix)


def _state_file(name: str, fresh: bool) -> Path:
    path = state.state_path(get_settings(), name)
    if fresh and path.exists():
        path.unlink()
    return path


def _parse_start(start: str | None, days: float) -> datetime:
    if start is None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        return now - timedelta(days=days)
    value = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@app.command()
def backfill(
    days: Annotated[float, typer.Option(min=0.0, help="Simulated days to generate.")] = 1.0,
    users: Users = 1000,
    seed: Seed = 42,
    start: Annotated[
        str | None, typer.Option(help="First minute (ISO, UTC) of a new world; default now - days.")
    ] = None,
    dirty_rate: DirtyRate = 0.0,
    name: StateName = "world",
    fresh: Fresh = False,
    validate: Annotated[
        bool, typer.Option(help="Validate every line against the contracts.")
    ] = True,
    out_dir: OutDir = None,
    prefix: Prefix = "",
) -> None:
    """Generate DAYS of simulated time at full speed (continues a saved world if there is one)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    state_file = _state_file(name, fresh)
    gen, resumed = runner.load_or_create(
        state_file, seed=seed, start=_parse_start(start, days), users=users
    )
    minutes = round(days * 1440)
    first = runner.minute_of(gen.world.next_minute)
    typer.echo(
        f"{'resuming' if resumed else 'new'} world seed={gen.world.seed} run={gen.run_id}: "
        f"{minutes} minutes from {first:%Y-%m-%dT%H:%MZ}"
    )
    if first + timedelta(minutes=minutes) > datetime.now(UTC):
        typer.echo(
            "warning: this backfill reaches into the future; ingestion will reject those events"
        )
    # Validation (pure CPU) runs in its own process when there is a core for it.
    validators = 1 if validate and dirty_rate == 0 and (os.cpu_count() or 1) > 1 else 0
    writer = ObjectWriter(_sink(out_dir, prefix), validate_in=validators)
    try:
        with Progress(
            TextColumn("[bold]backfill"), BarColumn(), TextColumn("{task.completed}/{task.total} min"),
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
    users: Users = 1000,
    seed: Seed = 42,
    dirty_rate: DirtyRate = 0.0,
    name: StateName = "world",
    fresh: Fresh = False,
    out_dir: OutDir = None,
    prefix: Prefix = "",
    minute_seconds: Annotated[
        float, typer.Option(hidden=True, min=0.5, help="Real seconds per minute (tests only).")
    ] = 60.0,
) -> None:
    """Write one object per wall-clock minute until SIGTERM/SIGINT (continues a saved world)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    state_file = _state_file(name, fresh)
    just_ended = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    gen, resumed = runner.load_or_create(state_file, seed=seed, start=just_ended, users=users)
    log.info("%s world seed=%d, next minute %s", "resuming" if resumed else "new", gen.world.seed,
             runner.minute_of(gen.world.next_minute).isoformat())  # fmt: skip
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the current minute, then saving state", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    writer = ObjectWriter(_sink(out_dir, prefix))
    try:
        stats = runner.run_forever(
            gen, writer, stop=stop, dirty_rate=dirty_rate, state_file=state_file,
            minute_seconds=minute_seconds,
        )  # fmt: skip
    finally:
        writer.close()
    log.info(
        "stopped after %d minutes, %d events; state saved to %s",
        stats.minutes,
        stats.events,
        state_file,
    )
