-- Every change of a pattern's lifecycle_state stamps updated_at, whoever
-- writes it (EvaluatePattern, an analyst override, the backfill, `pcs
-- outcomes`, a hand-written UPDATE), so a reader holding patterns in memory
-- (pcs-server's pattern preload, db/scoring_repository.h) can poll for the
-- rows changed since its last look with one index range scan.
-- clock_timestamp(), not now(): the time of the change itself, so a poller
-- whose look-back overlaps its previous poll sees every change committed
-- within that overlap.
CREATE FUNCTION pcs_stamp_state_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.lifecycle_state IS DISTINCT FROM OLD.lifecycle_state THEN
    NEW.updated_at := clock_timestamp();
  END IF;
  RETURN NEW;
END $$;
-- Named to fire after pattern_events_keep_analyst_state (triggers of one
-- event fire in name order), so a state that trigger kept is no change.
CREATE TRIGGER pattern_events_stamp_state_change
  BEFORE UPDATE ON pattern_events
  FOR EACH ROW EXECUTE FUNCTION pcs_stamp_state_change();
CREATE INDEX pattern_events_updated_at_idx ON pattern_events (updated_at);
