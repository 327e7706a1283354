-- Detected chart patterns (one row per Pattern::Id()) with their lifecycle,
-- outcome labels and model scores, plus the append-only lifecycle history.

CREATE TABLE pattern_events (
  id                  text             PRIMARY KEY,  -- Pattern::Id()
  symbol              text             NOT NULL,
  pattern_type        text             NOT NULL CHECK (pattern_type IN (
                        'double_top', 'double_bottom', 'head_and_shoulders_top',
                        'inverse_head_and_shoulders', 'ascending_triangle',
                        'descending_triangle', 'symmetrical_triangle',
                        'rectangle', 'bull_flag', 'bear_flag')),
  direction           text             NOT NULL
                        CHECK (direction IN ('bullish', 'bearish')),
  formation_start     date             NOT NULL,
  formation_end       date             NOT NULL,
  confirmation_date   date             NOT NULL,
  key_points          jsonb            NOT NULL,  -- [{"role","day","price"}]
  breakout_level      double precision NOT NULL,
  target_price        double precision NOT NULL,
  stop_price          double precision NOT NULL,
  rule_confidence     double precision NOT NULL
                        CHECK (rule_confidence BETWEEN 0 AND 1),
  rule_criteria       jsonb            NOT NULL DEFAULT '{}',
  lifecycle_state     text             NOT NULL CHECK (lifecycle_state IN (
                        'detected', 'confirmed', 'rejected', 'target_hit',
                        'stopped_out', 'expired')),
  snapshot_url        text,
  detector_version    text             NOT NULL,
  -- outcome (triple barrier) and model columns
  outcome_label       smallint         CHECK (outcome_label IN (0, 1)),
  realized_pnl        double precision,
  max_drawdown        double precision,
  bars_to_outcome     integer,
  exit_reason         text,
  outcome_horizon_bars integer,
  outcome_resolved_at date,
  ml_confidence       double precision,
  blended_confidence  double precision,
  model_version       text,
  predicted_at        timestamptz,
  created_at          timestamptz      NOT NULL DEFAULT now(),
  updated_at          timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX pattern_events_symbol_confirmation_idx
  ON pattern_events (symbol, confirmation_date);
CREATE INDEX pattern_events_confirmation_idx
  ON pattern_events (confirmation_date);
CREATE INDEX pattern_events_unresolved_idx
  ON pattern_events (confirmation_date)
  WHERE outcome_label IS NULL AND exit_reason IS NULL;
CREATE INDEX pattern_events_type_idx ON pattern_events (pattern_type);

CREATE TABLE pattern_lifecycle_history (
  id                 bigserial        PRIMARY KEY,
  pattern_id         text             NOT NULL
                       REFERENCES pattern_events (id) ON DELETE CASCADE,
  from_state         text,            -- NULL for the first transition
  to_state           text             NOT NULL,
  event_date         date,            -- market date the transition refers to
  recorded_at        timestamptz      NOT NULL DEFAULT now(),
  source             text             NOT NULL,  -- backfill|server|evaluate|outcomes
  rule_confidence    double precision,
  ml_confidence      double precision,
  blended_confidence double precision,
  blend_weight       double precision,
  model_version      text,
  fallback_reason    text,
  latency_ms         double precision,
  actual_outcome     smallint,
  reason             text
);
CREATE INDEX pattern_lifecycle_history_pattern_idx
  ON pattern_lifecycle_history (pattern_id, recorded_at);
CREATE INDEX pattern_lifecycle_history_model_idx
  ON pattern_lifecycle_history (model_version, recorded_at);
