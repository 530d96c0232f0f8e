-- People who sign in, the keys that sign access tokens, and the audit trail (hardened by the security issue).

CREATE TABLE app_user (
  id bigserial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled boolean NOT NULL DEFAULT false
);

CREATE TABLE signing_key (
  kid text PRIMARY KEY,
  private_jwk text NOT NULL,
  public_jwk text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);

-- Append-only record of every access: one FHIR AuditEvent (JSON) per row.
CREATE TABLE audit_event (
  seq bigserial PRIMARY KEY,
  recorded timestamptz NOT NULL DEFAULT now(),
  username text,
  action text NOT NULL,
  outcome text NOT NULL,
  patients text[] NOT NULL DEFAULT '{}',
  content text NOT NULL
);
CREATE INDEX audit_event_recorded ON audit_event (recorded);
