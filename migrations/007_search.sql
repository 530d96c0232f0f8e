-- Full search semantics (issue 4): token display text (`:text`) and identifier type (`:of-type`),
-- an index on the upper end of date ranges (`gt`, `ge`, `sa`), and full text over the narrative
-- (`_text`) and every human-readable string of a resource (`_content`).
ALTER TABLE sp_token ADD COLUMN text text COLLATE "C";
ALTER TABLE sp_token ADD COLUMN of_type text;
CREATE INDEX sp_date_hi ON sp_date (param, hi);

CREATE TABLE sp_text (rid bigint PRIMARY KEY, narrative tsvector NOT NULL, content tsvector NOT NULL);
CREATE INDEX sp_text_narrative ON sp_text USING gin (narrative);
CREATE INDEX sp_text_content ON sp_text USING gin (content);
