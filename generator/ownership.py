"""One world per bucket prefix: an owner record says which world writes there.

Two worlds in one prefix have colliding entity ids (user 17 of one world is not user 17 of
the other), and the warehouse would silently merge them. So every prefix the generator
writes to holds ``generator-world.json`` (beside ``events/`` and ``defects/``, outside what
ingestion lists): the identity of the world that owns it (its state's ``run_id``, seed,
users, first minute, state name). A generator refuses to write another world there unless
told to (``--force``, recorded in the record's history), and a backfill refuses to cover
minutes that already have objects (it starts after the last minute its world wrote).
"""

from __future__ import annotations

import json
import os
import re
import socket
from datetime import UTC, datetime
from typing import Any

from generator.state import GeneratorState
from generator.world import minute_of
from generator.writer import EVENTS_PREFIX, ObjectExistsError, Sink

OWNER_KEY = "generator-world.json"
_MINUTE_IN_KEY = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}):00Z[^/]*\.jsonl\.gz$")


def minute_of_key(key: str) -> datetime | None:
    """The minute a minute file's key names (UTC), or None for another key."""
    m = _MINUTE_IN_KEY.search(key)
    return datetime.fromisoformat(m.group(1)).replace(tzinfo=UTC) if m else None


class PrefixOwnedError(RuntimeError):
    """The prefix belongs to another world (or holds objects of an unrecorded one)."""


def owner(sink: Sink) -> dict[str, Any] | None:
    """The owner record of the sink's prefix, if it has one."""
    raw = sink.get(OWNER_KEY)
    return dict(json.loads(raw)) if raw else None


def owner_state(sink: Sink) -> str | None:
    """The state name of the world that owns the sink's prefix (the default to continue)."""
    record = owner(sink)
    return str(record["state"]) if record and record.get("state") else None


def prepare(
    sink: Sink, gen: GeneratorState, state_name: str, *, resumed: bool, minutes: int = 0,
    force: bool = False,
) -> str:  # fmt: skip
    """Everything a writer checks before it writes ``minutes`` minutes of ``gen``'s world
    (hold :func:`generator.state.locked` on its state meanwhile): the minutes are still free
    (:func:`check_free_minutes`), then the prefix is claimed (:func:`claim`). Raises
    :class:`PrefixOwnedError` having written nothing; returns the claim's account."""
    if minutes:
        check_free_minutes(sink, minute_of(gen.world.next_minute), minutes)
    return claim(sink, gen, state_name, resumed=resumed, force=force)


def identity(gen: GeneratorState, state_name: str) -> dict[str, Any]:
    world = gen.world
    return {
        "world": gen.run_id,
        "seed": world.seed,
        "users": world.counters.get("bootstrap_users"),
        "state": state_name,
    }


def _describe(doc: dict[str, Any]) -> str:
    return (f"world {doc.get('world')} (seed {doc.get('seed')}, {doc.get('users')} users, "
            f"state '{doc.get('state')}', since {doc.get('claimed_at')})")  # fmt: skip


def claim(
    sink: Sink, gen: GeneratorState, state_name: str, *, resumed: bool, force: bool = False
) -> str:
    """Record ``gen``'s world as the owner of the sink's prefix, or refuse.

    * owned by this world: nothing to do;
    * owned by another world: :class:`PrefixOwnedError`, unless ``force`` (the record then
      names this world and keeps the previous owners in ``previous``);
    * no record yet: a new world may take an empty prefix; event objects without a record
      (written before records existed) are taken over only by a resumed world (assumed to
      be the one that wrote them) or with ``force``.

    Returns a one-line account of what happened, for the log.
    """
    where = sink.describe()
    mine = identity(gen, state_name)
    current = owner(sink)
    if current is not None and current.get("world") == mine["world"]:
        return f"{where} belongs to this world ({mine['world']})"
    if current is not None and not force:
        raise PrefixOwnedError(
            f"{where} belongs to {_describe(current)}; this is world {mine['world']} "
            f"(seed {mine['seed']}, state '{state_name}'). Two worlds in one prefix have "
            "colliding ids and would be merged in the warehouse. Write this world to its own "
            "place (--prefix or --bucket), continue the owner (its state name), or pass "
            "--force to write both worlds here anyway."
        )
    if current is None and not resumed and not force and sink.keys(EVENTS_PREFIX)[:1]:
        raise PrefixOwnedError(
            f"{where} holds event objects but no owner record ({OWNER_KEY}): they were "
            "written by a world this generator cannot identify. Use --prefix/--bucket for a "
            "new world, resume the world that wrote them (--name), or pass --force."
        )
    doc = {
        **mine,
        "first_minute": minute_of(gen.world.next_minute).isoformat() if not resumed else None,
        "claimed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "claimed_by": f"{socket.gethostname()} pid {os.getpid()}",
        "previous": ([*current.get("previous", []), {k: v for k, v in current.items()
                                                      if k != "previous"}]
                     if current else []),
    }  # fmt: skip
    body = json.dumps(doc, indent=1).encode()
    try:
        sink.put(OWNER_KEY, body, {}, "application/json", replace=current is not None)
    except ObjectExistsError:  # another world claimed it between our read and write
        return claim(sink, gen, state_name, resumed=resumed, force=force)
    if current is not None:
        return f"{where} taken over by world {mine['world']} (--force); was {_describe(current)}"
    return f"{where} now belongs to world {mine['world']}"


def check_free_minutes(sink: Sink, first: datetime, minutes: int) -> None:
    """Refuse a backfill over minutes that already have objects under the prefix."""
    last = first.timestamp() + (minutes - 1) * 60
    taken = sorted(
        f"{minute:%Y-%m-%dT%H:%M}" for key in sink.keys(EVENTS_PREFIX)
        if (minute := minute_of_key(key)) and first.timestamp() <= minute.timestamp() <= last
    )  # fmt: skip
    if taken:
        raise PrefixOwnedError(
            f"{sink.describe(EVENTS_PREFIX)} already has objects for {len(taken)} of the "
            f"minutes {first:%Y-%m-%dT%H:%M}..{datetime.fromtimestamp(last, UTC):%Y-%m-%dT%H:%M} "
            f"(first {taken[0]}, last {taken[-1]}); the generator never overwrites an object. "
            "Start after the last minute written there (--start), or use another --prefix."
        )
