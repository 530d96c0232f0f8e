-- Planner statistics for token searches, measured at 1,000,000 resources (bench/search.js; the figures
-- and plans are in docs/performance.md). A token's code decides its parameter and system, but the planner
-- multiplied their frequencies as if independent: LOINC 2069-3 (14,029 index rows) was estimated at 661,
-- so `Patient/X/Observation?code=...` started from the code's rows instead of the patient's ~700
-- resources (353 ms for that request instead of 2-11 ms; the shape's p95 over HTTP went from 484 to
-- 47 ms on a busy machine). Functional-dependency statistics on the three columns,
-- and a larger sample for `code` so that frequent codes are in its most-common-values list, bring the
-- estimates within 20 % (16,451 for 2069-3). ANALYZE reads a larger sample of sp_token (a few seconds at
-- that size); writes are not affected.
ALTER TABLE sp_token ALTER COLUMN code SET STATISTICS 1000;
CREATE STATISTICS sp_token_code_dependencies (dependencies) ON param, code, system FROM sp_token;
