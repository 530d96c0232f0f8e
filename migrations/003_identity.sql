-- Sign-in hardening: lockout counters, TOTP second factor (seed encrypted at rest), sessions with an
-- idle timeout and an absolute lifetime, and the hash chain of the audit trail.

ALTER TABLE app_user ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN locked_until timestamptz;
ALTER TABLE app_user ADD COLUMN totp_secret text;
ALTER TABLE app_user ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false;
ALTER TABLE app_user ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();

-- A session is what a sign-in creates; access tokens name it (sid) and die with it.
CREATE TABLE app_session (
  id text PRIMARY KEY,
  username text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  mfa boolean NOT NULL DEFAULT false
);
CREATE INDEX app_session_user ON app_session (username);

-- Each audit row carries the hash of the one before it (see security/audit/chain.ts).
ALTER TABLE audit_event ADD COLUMN prev_hash text;
ALTER TABLE audit_event ADD COLUMN hash text;
