-- prediction_traces loses its foreign key to pattern_events; two triggers
-- keep what the key's ON DELETE CASCADE did.
--
-- Why: PostgreSQL checks a foreign key on every inserted row by locking the
-- referenced row (SELECT ... FOR KEY SHARE). The trace of every scored
-- request therefore wrote to pattern_events: a tuple lock in the pattern's
-- heap page, a WAL record, and after each checkpoint a full-page image of
-- that page. Measured on the 5,000-symbol synthetic universe (one INSERT of
-- 5,000 traces of random patterns right after a CHECKPOINT; docs/SERVER.md,
-- "Trace rows without row locks"): 30 us a row with the key, 6.5 us
-- without it.
--
-- What stays true: deleting or truncating patterns deletes their traces
-- (the triggers below), and a trace is written only for a pattern that
-- exists when its row is inserted (db/prediction_trace_store.cc inserts
-- with WHERE EXISTS and counts the rest as dropped). What is given up: a
-- pattern deleted in the same instant as its trace's INSERT, by a
-- transaction that commits between the INSERT's check and its own commit,
-- can leave that trace behind; it joins no pattern, so `pcs outcomes` and
-- `pcs drift` never read it.
ALTER TABLE prediction_traces
  DROP CONSTRAINT prediction_traces_pattern_id_fkey;

CREATE FUNCTION pcs_delete_traces_of_deleted_patterns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM prediction_traces t USING deleted_patterns d
  WHERE t.pattern_id = d.id;
  RETURN NULL;
END $$;
CREATE TRIGGER pattern_events_delete_traces
  AFTER DELETE ON pattern_events
  REFERENCING OLD TABLE AS deleted_patterns
  FOR EACH STATEMENT EXECUTE FUNCTION pcs_delete_traces_of_deleted_patterns();

CREATE FUNCTION pcs_truncate_traces() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE prediction_traces;
  RETURN NULL;
END $$;
CREATE TRIGGER pattern_events_truncate_traces
  AFTER TRUNCATE ON pattern_events
  FOR EACH STATEMENT EXECUTE FUNCTION pcs_truncate_traces();
