-- Patient-level restrictions: patients whose records carry a restricting security label (restricted or
-- very restricted confidentiality, behavioral health, substance use under 42 CFR Part 2, HIV, VIP,
-- employee) are visible only to users with a care relationship or a break-the-glass grant.
CREATE TABLE restricted_patient (
  patient text PRIMARY KEY,
  labels text[] NOT NULL
);

CREATE TABLE care_relationship (
  username text NOT NULL,
  patient text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (username, patient)
);

CREATE TABLE access_grant (
  id bigserial PRIMARY KEY,
  username text NOT NULL,
  patient text NOT NULL,
  reason text NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  reviewed_by text,
  reviewed_at timestamptz,
  review_note text
);
CREATE INDEX access_grant_user ON access_grant (username, patient, expires_at);
CREATE INDEX access_grant_open ON access_grant (reviewed_at, granted_at);
