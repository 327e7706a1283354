-- Results of the nightly monitoring job (`pcs drift`, `pcs outcomes`):
-- one row per run with the full findings as jsonb, and one row per feature
-- PSI for time-series queries. Owner: monitoring/ (monitoring_run_store).

CREATE TABLE monitoring_runs (
  id             bigserial        PRIMARY KEY,
  kind           text             NOT NULL CHECK (kind IN ('drift', 'outcomes')),
  started_at     timestamptz      NOT NULL DEFAULT now(),
  finished_at    timestamptz      NOT NULL DEFAULT now(),
  model_version  text,            -- the model checked (drift runs)
  since          date,            -- patterns confirmed on or after this day
  as_of          date,            -- end of the rolling-accuracy window
  window_days    integer,
  recent_rows    integer,         -- patterns compared with the reference
  max_feature    text,            -- feature with the largest PSI
  max_psi        double precision,
  score_psi      double precision,
  alert          boolean          NOT NULL DEFAULT false,
  -- NULL when no alert was due; 'not_configured' when no webhook was given.
  alert_outcome  text             CHECK (alert_outcome IN ('sent', 'failed', 'not_configured')),
  alert_error    text,
  details        jsonb            NOT NULL DEFAULT '{}'
);
CREATE INDEX monitoring_runs_kind_started_idx ON monitoring_runs (kind, started_at);

CREATE TABLE monitoring_feature_psi (
  run_id   bigint           NOT NULL REFERENCES monitoring_runs (id) ON DELETE CASCADE,
  feature  text             NOT NULL,  -- '__score__' for the model score
  psi      double precision NOT NULL,
  level    text             NOT NULL CHECK (level IN ('stable', 'moderate', 'significant')),
  PRIMARY KEY (run_id, feature)
);
