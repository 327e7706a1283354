-- The served model version's score of every stored pattern as of its
-- decision (confirmation) day, written by `pcs score` (db/pattern_score_store).
-- One row per (pattern, model version); re-running with the same version
-- changes no row. pattern_events keeps the latest score in its
-- ml_confidence / blended_confidence / model_version / predicted_at columns
-- (what the review list filters and sorts on).

CREATE TABLE pattern_scores (
  pattern_id         text             NOT NULL
                       REFERENCES pattern_events (id) ON DELETE CASCADE,
  model_version      text             NOT NULL,
  as_of              date             NOT NULL,  -- the pattern's decision day
  rule_confidence    double precision NOT NULL,
  ml_confidence      double precision NOT NULL
                       CHECK (ml_confidence BETWEEN 0 AND 1),
  blended_confidence double precision NOT NULL
                       CHECK (blended_confidence BETWEEN 0 AND 1),
  ml_weight          double precision NOT NULL,
  decision_threshold double precision NOT NULL,
  decision           text             NOT NULL
                       CHECK (decision IN ('confirm', 'reject')),
  scored_at          timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (pattern_id, model_version)
);
CREATE INDEX pattern_scores_version_idx ON pattern_scores (model_version);
