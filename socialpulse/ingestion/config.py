"""Ingestion settings (source location, batch sizes), read from the environment."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from socialpulse.ingestion.limits import LineLimits, ReadLimits
from socialpulse.settings import Settings, _env_file


class IngestSettings(BaseSettings):
    """Where the minute files are read from and how they are batched.

    ``INGEST_BUCKET`` defaults to ``MINIO_BUCKET``; tests point ``INGEST_PREFIX`` at their
    own key prefix so they never see (or load) another test's objects.
    """

    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", case_sensitive=False)

    bucket: str | None = None
    #: Objects are discovered under this prefix (the generator writes ``events/...``).
    prefix: str = "events/"
    #: Lines validated and COPied together; memory is bounded by this, not by the file.
    batch_size: int = Field(default=5000, ge=1)
    #: At most this many objects per DAG run, so one run stays short and the next one
    #: picks up the rest (a backlog never makes one task run for hours).
    max_files_per_run: int = Field(default=500, ge=1)
    #: Tolerated clock skew before an event counts as "from the future".
    future_skew_seconds: int = Field(default=300, ge=0)
    #: Run-scoped artefacts of the stage tasks live under this prefix of the bucket.
    work_prefix: str = "_work/"
    #: Artefact folders of runs that died before their clean-up are swept after this.
    work_ttl_hours: float = Field(default=6.0, gt=0)
    # --- what one line or object may cost (checked before parsing; see docs/ingestion.md)
    #: A longer line is quarantined as ``line_too_long`` (only its first 64 KiB are kept,
    #: and the reader never holds more than that of it). Events are ~300 bytes; the longest
    #: valid one (5,000 characters of text, all escaped) stays under 64 KiB.
    max_line_bytes: int = Field(default=1 << 20, ge=1024)
    #: Arrays/objects nested deeper are ``too_deeply_nested`` (events have depth 3).
    max_depth: int = Field(default=32, ge=4)
    #: More object keys in one line are ``too_many_keys`` (events have < 30).
    max_keys: int = Field(default=1000, ge=32)
    #: Decompressed bytes / lines read from one object; the rest is quarantined as one
    #: ``object_too_large`` row (the lines before it load), so no object can hold a run.
    max_object_bytes: int = Field(default=1 << 30, ge=1 << 20)
    max_object_lines: int = Field(default=5_000_000, ge=1000)

    def source_bucket(self, settings: Settings) -> str:
        return self.bucket or settings.minio_bucket

    def read_limits(self) -> ReadLimits:
        return ReadLimits(self.max_line_bytes, self.max_object_bytes, self.max_object_lines)

    def line_limits(self) -> LineLimits:
        return LineLimits(self.max_depth, self.max_keys)


def get_ingest_settings() -> IngestSettings:
    """Ingestion settings from the environment, falling back to the repo's ``.env``."""
    return IngestSettings(_env_file=_env_file())  # type: ignore[call-arg]
