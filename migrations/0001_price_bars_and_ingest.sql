-- Daily OHLCV bars and the ingest bookkeeping (runs and rejected rows).
-- Applied by db/migrator (one transaction per file; never edit an applied
-- file, add a new one).

CREATE TABLE price_bars (
  symbol      text             NOT NULL,
  day         date             NOT NULL,
  open        double precision NOT NULL CHECK (open > 0),
  high        double precision NOT NULL CHECK (high > 0),
  low         double precision NOT NULL CHECK (low > 0),
  close       double precision NOT NULL CHECK (close > 0),
  adj_close   double precision NOT NULL CHECK (adj_close > 0),
  volume      double precision NOT NULL CHECK (volume >= 0),
  source_file text,
  ingested_at timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, day),
  CHECK (high >= low)
);

CREATE TABLE ingest_runs (
  id          bigserial   PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  paths       text        NOT NULL,          -- the paths given, space separated
  files       integer     NOT NULL DEFAULT 0,
  rows_read   bigint      NOT NULL DEFAULT 0,
  inserted    bigint      NOT NULL DEFAULT 0,
  updated     bigint      NOT NULL DEFAULT 0,
  unchanged   bigint      NOT NULL DEFAULT 0,
  rejected    bigint      NOT NULL DEFAULT 0,
  failed_files integer    NOT NULL DEFAULT 0
);

-- Every row the ingester did not load, with the reason. Holds the rejects of
-- the latest ingest of each file (re-ingesting a file replaces its rows), so
-- it always describes what is currently missing from price_bars.
CREATE TABLE ingest_rejects (
  id          bigserial   PRIMARY KEY,
  run_id      bigint      REFERENCES ingest_runs (id) ON DELETE SET NULL,
  file        text        NOT NULL,
  line        integer     NOT NULL,   -- 1-based; 0 = the whole file
  raw         text,
  reason      text        NOT NULL,
  detail      text,
  rejected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_rejects_file_idx ON ingest_rejects (file, line);
CREATE INDEX ingest_rejects_reason_idx ON ingest_rejects (reason);
