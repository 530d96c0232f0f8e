-- The token index puts the row key right after the code, so that the rows of one code come in rid order
-- whatever their system: an unsorted search by code (`Condition?code=...&_count=20`,
-- `Observation?status=final`, whose page order is rid) reads the first page's rows and stops, instead of
-- reading every row of a frequent code and sorting them (src/store/search/compile.ts; 173 instead of
-- 5,700 buffers for a code of 1,408 Conditions, and of 61,000 for `Observation?status=final`, at a
-- million resources). Lookups by code and system (identifiers, codes) read one code's entries and check
-- the system within the index. On a large database the rebuild takes a while at the first start of this
-- version (16-40 s for 4.65 million token rows here) and holds writes to sp_token meanwhile.
DROP INDEX sp_token_code;
CREATE INDEX sp_token_code ON sp_token (param, code, rid, system);
