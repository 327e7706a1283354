-- trace_insert_cost.sql: what one prediction_traces row costs PostgreSQL
-- with and without a foreign key to pattern_events (migrations/0008), on
-- any pcs database with patterns (e.g. the throwaway one of
-- bench/user_path_bench.sh, or after `pcs ingest` + `pcs backfill`):
--
--   psql "$PCS_DATABASE_URL" -f bench/trace_insert_cost.sql
--
-- Each INSERT writes 5,000 traces of random patterns right after a
-- CHECKPOINT (as the server's trace writer does after each checkpoint) and
-- is rolled back; read the four "Time:" lines in order: with the key, without
-- it, with it again, without it again. Nothing is left behind.
\timing off
SET client_min_messages = warning;
CREATE TEMP TABLE trace_cost_ids AS
  SELECT id FROM pattern_events ORDER BY md5(id || clock_timestamp()::text) LIMIT 5000;
CREATE TABLE trace_cost_with_key (LIKE prediction_traces INCLUDING DEFAULTS INCLUDING INDEXES,
  FOREIGN KEY (pattern_id) REFERENCES pattern_events (id) ON DELETE CASCADE);
CREATE TABLE trace_cost_without_key (LIKE prediction_traces INCLUDING DEFAULTS INCLUDING INDEXES);
\set with_key 'INSERT INTO trace_cost_with_key (pattern_id, state, rule_confidence, reason) SELECT id, ''confirmed'', 0.5, ''score'' FROM trace_cost_ids'
\set without_key 'INSERT INTO trace_cost_without_key (pattern_id, state, rule_confidence, reason) SELECT id, ''confirmed'', 0.5, ''score'' FROM trace_cost_ids t WHERE EXISTS (SELECT 1 FROM pattern_events e WHERE e.id = t.id)'
CHECKPOINT;
BEGIN; \timing on
:with_key;
\timing off
ROLLBACK; CHECKPOINT; BEGIN; \timing on
:without_key;
\timing off
ROLLBACK; CHECKPOINT; BEGIN; \timing on
:with_key;
\timing off
ROLLBACK; CHECKPOINT; BEGIN; \timing on
:without_key;
\timing off
ROLLBACK;
DROP TABLE trace_cost_with_key, trace_cost_without_key;
