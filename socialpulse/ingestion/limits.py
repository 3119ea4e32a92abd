"""What one line and one object may cost, checked before any parsing (``INGEST_MAX_*``).

Plain values, so that the settings and the DAG's light tasks can name them without
importing the readers and validators that enforce them (see docs/ingestion.md, Bounds).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadLimits:
    """Enforced by :mod:`socialpulse.ingestion.reader` while an object streams past."""

    max_line_bytes: int = 1 << 20
    max_object_bytes: int = 1 << 30
    max_object_lines: int = 5_000_000


@dataclass(frozen=True)
class LineLimits:
    """Enforced by :func:`socialpulse.ingestion.validate.out_of_bounds` on each line."""

    max_depth: int = 32
    max_keys: int = 1000
