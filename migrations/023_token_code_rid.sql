-- The token index ends with the row key, so that the rows of one code come in rid order: an unsorted
-- search by code (`Condition?code=...&_count=20`, whose page order is rid) reads the first page's rows
-- and stops, instead of reading every row of a frequent code and sorting them (src/store/search/
-- compile.ts; 173 instead of 5,700 buffers for a code of 1,408 Conditions at a million resources). The
-- same prefix serves every query the old index served. On a large database the rebuild takes a while at
-- the first start of this version (40 s for 4.65 million token rows here) and holds writes to sp_token
-- meanwhile.
DROP INDEX sp_token_code;
CREATE INDEX sp_token_code ON sp_token (param, code, system, rid);
