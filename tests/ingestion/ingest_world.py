"""A generated world under its own key prefix (shared by the ingestion test modules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator import runner
from socialpulse.ingestion.config import IngestSettings


@dataclass
class World:
    """One generated world under its own prefix, with what the generator says it wrote."""

    name: str
    bucket: str
    root: str  # the sink's prefix; object keys are root + "events/..."
    stats: runner.Stats
    defects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return self.root + "events/"

    def cfg(self, **overrides: Any) -> IngestSettings:
        values: dict[str, Any] = {"bucket": self.bucket, "prefix": self.prefix, **overrides}
        return IngestSettings(**values)
