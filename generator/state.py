"""Persisting the generator between runs: one compressed pickle per world.

The state file lives at ``<settings.state_dir>/generator/<name>.pkl.gz`` (a local file: the
generator is a single process and the file is written atomically by rename, so a crash leaves
the previous state intact). It holds the whole world, including its RNG, so a restart
continues the same world without reissuing ids. Objects are written *before* the state is
saved; after a crash the minutes since the last save are regenerated from the same RNG state,
which produces byte-identical objects (overwriting them is harmless).
"""

from __future__ import annotations

import gzip
import os
import pickle
import random
import uuid
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


def state_path(settings: Settings, name: str = "world") -> Path:
    return settings.state_dir / "generator" / f"{name}.pkl.gz"


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
