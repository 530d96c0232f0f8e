-- OAuth 2 / SMART on FHIR: registered client applications, one-time authorization codes, rotating
-- refresh tokens and the client-assertion ids already seen (replay protection). Codes, refresh tokens
-- and client secrets are stored as SHA-256 hashes only.

CREATE TABLE oauth_client (
  client_id text PRIMARY KEY,
  name text NOT NULL,
  -- public (no secret: browser and native apps) or confidential (a secret or a registered key)
  type text NOT NULL CHECK (type IN ('public', 'confidential')),
  redirect_uris text[] NOT NULL DEFAULT '{}',
  -- the scopes the client may ask for, space-separated SMART scopes
  scopes text NOT NULL,
  secret_hash text,
  -- public keys for private_key_jwt (a JWKS as JSON), or where to fetch them
  jwks text,
  jwks_url text,
  -- for backend services (client_credentials): the roles the client acts with
  roles text[] NOT NULL DEFAULT '{}',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled boolean NOT NULL DEFAULT false
);

CREATE TABLE oauth_code (
  code_hash text PRIMARY KEY,
  client_id text NOT NULL,
  username text NOT NULL,
  sid_sealed text NOT NULL,
  redirect_uri text NOT NULL,
  scope text NOT NULL,
  patient text,
  code_challenge text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

CREATE TABLE oauth_refresh (
  token_hash text PRIMARY KEY,
  client_id text NOT NULL,
  username text NOT NULL,
  sid_sealed text NOT NULL,
  scope text NOT NULL,
  patient text,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

CREATE TABLE oauth_assertion_jti (
  client_id text NOT NULL,
  jti text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
