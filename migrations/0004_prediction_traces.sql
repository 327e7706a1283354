-- Prediction traces get a table of their own, so that
-- pattern_lifecycle_history stays a history of state changes.
--
-- One row per scored request (ScorePattern, ScoreBatch, ScoreInline of a
-- stored id; written off the request path by server/trace_logger through
-- db/prediction_trace_store.h): the stored lifecycle state at scoring time,
-- the confidences, model version, fallback reason and latency. `pcs outcomes`
-- copies the pattern's label into actual_outcome once it resolves; `pcs
-- drift` joins the latest trace per pattern with its outcome (rolling
-- accuracy).
CREATE TABLE prediction_traces (
  id                 bigserial        PRIMARY KEY,
  pattern_id         text             NOT NULL
                       REFERENCES pattern_events (id) ON DELETE CASCADE,
  state              text             NOT NULL,  -- lifecycle state when scored
  event_date         date,            -- the pattern's confirmation date
  recorded_at        timestamptz      NOT NULL DEFAULT now(),
  rule_confidence    double precision,
  ml_confidence      double precision,
  blended_confidence double precision,
  blend_weight       double precision,
  model_version      text,
  fallback_reason    text,
  latency_ms         double precision,
  actual_outcome     smallint,
  reason             text             -- "score <method>"
);
CREATE INDEX prediction_traces_pattern_idx
  ON prediction_traces (pattern_id, recorded_at);
CREATE INDEX prediction_traces_model_idx
  ON prediction_traces (model_version, recorded_at);

-- Until now traces were pattern_lifecycle_history rows with source 'server'
-- (always from_state = to_state = the stored state). Move them, oldest first.
INSERT INTO prediction_traces (pattern_id, state, event_date, recorded_at,
  rule_confidence, ml_confidence, blended_confidence, blend_weight,
  model_version, fallback_reason, latency_ms, actual_outcome, reason)
SELECT pattern_id, to_state, event_date, recorded_at, rule_confidence,
       ml_confidence, blended_confidence, blend_weight, model_version,
       fallback_reason, latency_ms, actual_outcome, reason
FROM pattern_lifecycle_history WHERE source = 'server' ORDER BY id;
DELETE FROM pattern_lifecycle_history WHERE source = 'server';
