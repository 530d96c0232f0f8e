-- The keys the database's sealed values (TOTP seeds, Social Security numbers) were written with: a key id
-- (an HMAC of a constant under the key, not the key) and a value sealed under it. At start the configured
-- key must be one of them, so a wrong or lost key is refused at once rather than failing on a read.
CREATE TABLE secret_key_check (
  key_id text PRIMARY KEY,
  check_value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
