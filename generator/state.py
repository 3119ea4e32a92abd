"""Persisting the generator between runs: one compressed pickle per world.

The state file lives at ``<settings.state_dir>/generator/<name>.pkl.gz`` (a local file,
written atomically by rename, so a crash leaves the previous state intact; one process at a
time holds it, see :func:`locked`). The default name follows the target bucket/prefix
(:func:`default_name`): one world per prefix. It holds the whole world, including its RNG,
so a restart continues the same world without reissuing ids. Objects are written *before*
the state is saved; after a crash the minutes since the last save are regenerated from the
same RNG state, which produces byte-identical objects: the writer finds them already there
and leaves them alone (it never overwrites an object).
"""

from __future__ import annotations

import fcntl
import gzip
import os
import pickle
import random
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator.dirty import DirtyState
from generator.world import World
from socialpulse.settings import Settings

STATE_FORMAT = 1


@dataclass
class GeneratorState:
    """Everything a restart needs: the world, dirty-mode memory and the run identity."""

    world: World
    dirty: DirtyState
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    format: int = STATE_FORMAT


def new_state(world: World) -> GeneratorState:
    # The dirty RNG is separate, so turning dirty mode on never changes the clean events.
    return GeneratorState(world=world, dirty=DirtyState(rng=random.Random(world.seed ^ 0x5EED)))


def state_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / "generator" / f"{name}.pkl.gz"


def default_name(target: str) -> str:
    """The state of the world that writes to ``target`` (``bucket/prefix`` or a directory).

    One state per target, so the world in a bucket prefix is always resumed by whoever
    writes there next (the demo, ``generate run``, a later backfill), and two targets never
    share a world by accident.
    """
    slug = re.sub(r"[^0-9A-Za-z._-]+", "-", target).strip("-.") or "root"
    return f"world-{slug}"[:120]


class StateInUseError(RuntimeError):
    """Another generator process is using the same state (world) right now."""


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the state ``path`` (released when the process ends).

    Two processes continuing one world would write the same minutes from diverging copies.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise StateInUseError(
                f"the world in {path} is in use by another generator process (pid {holder}); "
                "stop it first, or use another --name/--prefix for a separate world"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def save(state: GeneratorState, path: Path) -> None:
    """Write atomically: a temp file in the same directory, then rename over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wb", compresslevel=1) as fh:
        pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def load(path: Path) -> GeneratorState | None:
    """The saved state, or None when there is none yet."""
    if not path.exists():
        return None
    with gzip.open(path, "rb") as fh:
        state = pickle.load(fh)  # our own file, written by save()
    if not isinstance(state, GeneratorState) or state.format != STATE_FORMAT:
        raise RuntimeError(
            f"{path} is not a generator state of format {STATE_FORMAT}; delete it to start a new world"
        )
    return state
