-- Two composite parameters of Observation index more since this version (src/fhir/index/search-params.ts):
-- combo-code-value-quantity and combo-code-value-concept also index each component's code and value (their
-- components were compiled for the Observation only), and code-value-date indexes valueDateTime (R4's
-- `value.as(DateTime)` read as FHIR's dateTime). A database that holds Observations needs
-- `chartroom reindex Observation` once: recorded here, said at start (src/main.ts), and marked done by the
-- reindex (src/store/reindex.ts).
INSERT INTO index_backfill (name, done_at)
SELECT 'reindex Observation: combo-code-value-* index components, code-value-date valueDateTime',
       CASE WHEN EXISTS (SELECT 1 FROM resource WHERE type = 'Observation') THEN NULL ELSE now() END
ON CONFLICT (name) DO NOTHING;
