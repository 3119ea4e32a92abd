-- Raw landing schema: every valid event once, every rejected line with its reason,
-- and one manifest row per (object key, ETag) version that was processed.

CREATE SCHEMA IF NOT EXISTS raw;

-- One manifest row per object version. A file's events, quarantine rows and this row are
-- written in one transaction, so "a manifest row exists" == "the file is fully loaded".
CREATE TABLE IF NOT EXISTS raw.ingest_manifest (
    manifest_id     bigserial PRIMARY KEY,
    object_key      text        NOT NULL,
    etag            text        NOT NULL,
    version         integer     NOT NULL,          -- 1 for the first ETag seen, then 2, 3, ...
    size_bytes      bigint      NOT NULL,
    status          text        NOT NULL CHECK (status IN ('loaded', 'quarantined')),
    rows_read       integer     NOT NULL DEFAULT 0,
    rows_loaded     integer     NOT NULL DEFAULT 0,
    rows_rejected   integer     NOT NULL DEFAULT 0,
    rows_duplicate  integer     NOT NULL DEFAULT 0,
    rows_readmitted integer     NOT NULL DEFAULT 0, -- rejected rows loaded later (see quarantine)
    reason          text,                           -- file-level quarantine reason
    error_detail    text,
    run_id          text,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    read_ms         integer     NOT NULL DEFAULT 0,
    validate_ms     integer     NOT NULL DEFAULT 0,
    clean_ms        integer     NOT NULL DEFAULT 0,
    load_ms         integer     NOT NULL DEFAULT 0,
    CONSTRAINT ingest_manifest_object_version UNIQUE (object_key, etag),
    CONSTRAINT ingest_manifest_counts_reconcile
        CHECK (rows_read = rows_loaded + rows_rejected + rows_duplicate)
);

-- Every valid event exactly once (event_id is the unique key across all files and runs).
CREATE TABLE IF NOT EXISTS raw.events (
    event_id        uuid        PRIMARY KEY,
    event_type      text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    schema_version  smallint    NOT NULL,
    actor_id        integer,
    entity_type     text        NOT NULL,
    entity_id       text        NOT NULL,
    payload         jsonb       NOT NULL,
    -- md5 of the normalised (jsonb) event: tells an exact duplicate from a conflicting one.
    event_hash      text        NOT NULL,
    -- load metadata
    manifest_id     bigint      NOT NULL REFERENCES raw.ingest_manifest (manifest_id),
    source_object   text        NOT NULL,
    source_line     integer     NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS events_type_occurred_idx ON raw.events (event_type, occurred_at);
CREATE INDEX IF NOT EXISTS events_loaded_at_idx ON raw.events (loaded_at);

-- Users known to the warehouse (from user_registered), for the referential check.
CREATE TABLE IF NOT EXISTS raw.known_users (
    user_id         integer     PRIMARY KEY,
    event_id        uuid        NOT NULL,
    registered_at   timestamptz NOT NULL
);

-- Rejected lines (line_no set) and poison files (line_no null), with a reason code.
CREATE TABLE IF NOT EXISTS raw.quarantine (
    quarantine_id   bigserial   PRIMARY KEY,
    manifest_id     bigint      NOT NULL REFERENCES raw.ingest_manifest (manifest_id),
    object_key      text        NOT NULL,
    line_no         integer,
    raw_text        text,
    reason          text        NOT NULL,
    error_detail    text        NOT NULL,
    event_id        uuid,
    -- unknown_user_reference only: the users that were missing, so a later run can
    -- re-admit the line once they register (late files deliver registrations late).
    missing_user_ids integer[],
    first_seen      timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz,
    resolution      text
);
CREATE INDEX IF NOT EXISTS quarantine_object_idx ON raw.quarantine (object_key, line_no);
CREATE INDEX IF NOT EXISTS quarantine_reason_idx ON raw.quarantine (reason);
CREATE INDEX IF NOT EXISTS quarantine_open_refs_idx ON raw.quarantine (quarantine_id)
    WHERE reason = 'unknown_user_reference' AND resolved_at IS NULL;
