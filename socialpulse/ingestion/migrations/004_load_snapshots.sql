-- Consistent snapshots of raw for the transform runs.
--
-- A transform run reads raw.events up to one bound of load time, fixed when it starts, so
-- hubs, links, satellites and marts all see the same events whatever is loaded meanwhile.
-- For that bound to be safe, no row may ever appear later with a loaded_at at or below it.
-- Every writer of raw.events holds the events write lock from its first insert to its
-- commit, so:
--   * loaded_at is now the time the row is inserted (clock_timestamp(), under the lock),
--     no longer the start of its transaction;
--   * raw.load_snapshot_bound() takes the same lock (it waits for the writer in flight to
--     commit) and returns the clock: every row at or below it is committed, every row
--     inserted later gets a later loaded_at.

ALTER TABLE raw.events ALTER COLUMN loaded_at SET DEFAULT clock_timestamp();

-- The one home of the events write lock's key (writers call raw.lock_events_for_write()).
CREATE OR REPLACE FUNCTION raw.lock_events_for_write() RETURNS void
LANGUAGE sql VOLATILE AS $$ SELECT pg_advisory_xact_lock(24723390466) $$;

CREATE OR REPLACE FUNCTION raw.load_snapshot_bound() RETURNS timestamptz
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM raw.lock_events_for_write();  -- released when the caller's transaction ends
    RETURN clock_timestamp();
END
$$;

-- One row per transform run: the raw rows it covers are (load_ts_from, load_ts_to].
-- load_ts_from is the bound of the last completed run (null: everything). A retried task
-- of the same run finds its row and keeps the bound it started with.
CREATE TABLE IF NOT EXISTS raw.load_snapshots (
    consumer      text        NOT NULL,
    run_id        text        NOT NULL,
    load_ts_from  timestamptz,
    load_ts_to    timestamptz NOT NULL,
    taken_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at  timestamptz,
    PRIMARY KEY (consumer, run_id)
);
CREATE INDEX IF NOT EXISTS load_snapshots_completed_idx
    ON raw.load_snapshots (consumer, load_ts_to) WHERE completed_at IS NOT NULL;
