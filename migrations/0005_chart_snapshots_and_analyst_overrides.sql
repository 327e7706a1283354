-- Chart snapshot catalog (snapshots/chart_snapshot_store.h, `pcs snapshots`)
-- and analyst overrides (the review console, POST
-- /api/v1/patterns/{id}/override). Owner: console.

-- One row per (pattern, kind): the snapshot's bytes live content-addressed
-- (sha256 of the bytes) in a blob store (snapshots/snapshot_blob_store.h);
-- this table is the catalog. 'decision' charts end at the pattern's
-- confirmation (decision) day; 'outcome' charts, only for resolved patterns,
-- continue to the day the outcome was resolved. The two never share a row.
CREATE TABLE chart_snapshots (
  pattern_id       text        NOT NULL
                     REFERENCES pattern_events (id) ON DELETE CASCADE,
  kind             text        NOT NULL CHECK (kind IN ('decision', 'outcome')),
  sha256           text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes       integer     NOT NULL CHECK (size_bytes > 0),
  content_type     text        NOT NULL,
  first_bar        date        NOT NULL,  -- first bar drawn
  last_bar         date        NOT NULL,  -- last bar drawn
  bar_count        integer     NOT NULL,
  renderer_version text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pattern_id, kind),
  CHECK (first_bar <= last_bar)
);
CREATE INDEX chart_snapshots_sha256_idx ON chart_snapshots (sha256);

-- The latest analyst override of a pattern's decision. The full record is
-- the pattern_lifecycle_history row with source = 'analyst'.
ALTER TABLE pattern_events
  ADD COLUMN analyst_decision text CHECK (analyst_decision IN ('confirm', 'reject')),
  ADD COLUMN analyst_reason   text,
  ADD COLUMN analyst_identity text,
  ADD COLUMN analyst_at       timestamptz;

-- An analyst's decision is never overwritten by automation (backfill,
-- outcomes, EvaluatePattern, ...): enforced here, once, for every writer.
-- An UPDATE that does not itself set a new analyst override keeps the
-- analyst's lifecycle_state (the other columns, e.g. outcome labels, still
-- change). EvaluatePattern additionally refuses such patterns with
-- FAILED_PRECONDITION (server/scoring_engine.cc) so it never reports a
-- decision it did not make.
CREATE FUNCTION pcs_keep_analyst_state() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.analyst_decision IS NOT NULL
     AND NEW.analyst_at IS NOT DISTINCT FROM OLD.analyst_at THEN
    NEW.lifecycle_state := OLD.lifecycle_state;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pattern_events_keep_analyst_state
  BEFORE UPDATE ON pattern_events
  FOR EACH ROW EXECUTE FUNCTION pcs_keep_analyst_state();

-- Likewise no automated transition into another state is appended to the
-- history of a pattern an analyst decided (trace rows that record the
-- current state are kept).
CREATE FUNCTION pcs_skip_automated_after_analyst() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.source <> 'analyst' AND EXISTS (
       SELECT 1 FROM pattern_events pe
       WHERE pe.id = NEW.pattern_id AND pe.analyst_decision IS NOT NULL
         AND pe.lifecycle_state <> NEW.to_state) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pattern_lifecycle_history_skip_after_analyst
  BEFORE INSERT ON pattern_lifecycle_history
  FOR EACH ROW EXECUTE FUNCTION pcs_skip_automated_after_analyst();
