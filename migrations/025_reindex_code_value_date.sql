-- code-value-date now indexes Observation.valueDateTime (R4's `value.as(DateTime)` read as FHIR's dateTime,
-- src/fhir/index/search-params.ts). A database that holds such values, i.e. has value-date index rows of
-- Observations, needs `chartroom reindex Observation` once: recorded here, said at start (src/main.ts), and
-- marked done by the reindex (src/store/reindex.ts). The probe reads the (param, lo) index, not the documents.
INSERT INTO index_backfill (name, done_at)
SELECT 'reindex Observation: code-value-date indexes valueDateTime',
       CASE WHEN EXISTS (SELECT 1 FROM sp_date d
                          WHERE d.param = (SELECT id FROM search_param WHERE base = 'Observation' AND code = 'value-date'))
            THEN NULL ELSE now() END
ON CONFLICT (name) DO NOTHING;
