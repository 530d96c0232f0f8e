-- Disclosures of protected health information, for the accounting a patient may ask for under
-- HIPAA 45 CFR 164.528. Insert-only: a correction is a new entry that names the one it corrects.
CREATE TABLE disclosure (
  id bigserial PRIMARY KEY,
  patient text NOT NULL,
  disclosed_at timestamptz NOT NULL,
  recipient_name text NOT NULL,
  recipient_address text,
  description text NOT NULL,
  purpose text NOT NULL,
  basis text NOT NULL,
  authorization_ref text,
  corrects bigint REFERENCES disclosure (id),
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disclosure_patient ON disclosure (patient, disclosed_at);

CREATE FUNCTION disclosure_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'disclosure is insert-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER disclosure_no_update_or_delete
  BEFORE UPDATE OR DELETE ON disclosure
  FOR EACH ROW EXECUTE FUNCTION disclosure_insert_only();
