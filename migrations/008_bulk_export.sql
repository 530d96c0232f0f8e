-- Bulk Data export jobs (FHIR Bulk Data Access 2.0): kept in the database so that a restart does not
-- lose finished exports; the NDJSON files themselves live under DATA_DIR/exports/<job id>/.
CREATE TABLE export_job (
  id text PRIMARY KEY,
  username text NOT NULL,
  -- system | patient | group
  level text NOT NULL,
  -- the kick-off request URL, as the manifest repeats it
  request text NOT NULL,
  -- JSON of what to export: types, since, type filters, group id and members
  spec text NOT NULL,
  -- running | completed | failed | cancelled | expired
  status text NOT NULL,
  transaction_time timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  expires_at timestamptz,
  done bigint NOT NULL DEFAULT 0,
  total bigint NOT NULL DEFAULT 0,
  message text
);
CREATE INDEX export_job_status ON export_job (status, expires_at);

-- One row per NDJSON file written; the patients whose records it holds (for the audit of downloads).
CREATE TABLE export_file (
  job_id text NOT NULL REFERENCES export_job (id) ON DELETE CASCADE,
  name text NOT NULL,
  type text NOT NULL,
  count integer NOT NULL,
  patients text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (job_id, name)
);
