-- Token index rows carry the patient whose compartment holds their resource, so that a patient's search
-- by code (`Observation?patient=X&code=...`, `Patient/X/Observation?code=...`) reads that patient's rows
-- of that code from one index instead of probing the code of every record of the patient
-- (src/store/search/compile.ts). A resource in several patients' compartments has its token rows once per
-- patient; one in none has them once, with no patient. The patient is also the key a distribution by
-- patient would use (docs/architecture.md).
--
-- The column is nullable without a default, so adding it changes the catalog only; the partial index is
-- built over no rows. Rows written before this version get their patient from
-- `chartroom index-patient-keys` (src/store/index-patient-keys.ts); until it has run, searches do not
-- use the index. A database without token rows has nothing to fill in.
ALTER TABLE sp_token ADD COLUMN patient text COLLATE "C";
CREATE INDEX sp_token_patient ON sp_token (patient, param, code, system) WHERE patient IS NOT NULL;

-- Index backfills that an upgrade needs, and when each was done (NULL: not yet).
CREATE TABLE index_backfill (
  name text PRIMARY KEY,
  done_at timestamptz
);
INSERT INTO index_backfill (name, done_at)
SELECT 'sp_token.patient', CASE WHEN EXISTS (SELECT 1 FROM sp_token) THEN NULL ELSE now() END;
