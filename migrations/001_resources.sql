-- The record store: every version of every resource, the current pointer, and the search index rows.
-- Every row that belongs to a resource carries its internal key `rid`; a future distribution by patient
-- (Citus) would add the compartment patient to these keys (see docs/architecture.md).

CREATE SEQUENCE resource_rid_seq CACHE 100;

-- The current state of each resource (one row per logical id). Content lives in resource_version.
CREATE TABLE resource (
  rid bigint PRIMARY KEY,
  type text NOT NULL,
  id text NOT NULL,
  version integer NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  -- ids of the patients whose compartment holds this resource (R4 Patient CompartmentDefinition)
  patients text[] NOT NULL DEFAULT '{}',
  UNIQUE (type, id)
);
CREATE INDEX resource_type_updated ON resource (type, last_updated);

-- Every version ever written, immutable: insert only.
CREATE TABLE resource_version (
  rid bigint NOT NULL,
  version integer NOT NULL,
  type text NOT NULL,
  id text NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  method text NOT NULL,
  content text,
  PRIMARY KEY (rid, version)
);
CREATE INDEX resource_version_updated ON resource_version (last_updated);

-- Patient compartment membership, for $everything, compartment search and access control.
CREATE TABLE resource_compartment (
  patient text NOT NULL,
  rid bigint NOT NULL,
  PRIMARY KEY (patient, rid)
);

-- Search parameters get a small numeric id so that index rows stay narrow.
CREATE TABLE search_param (
  id serial PRIMARY KEY,
  base text NOT NULL,
  code text NOT NULL,
  type text NOT NULL,
  UNIQUE (base, code)
);

CREATE TABLE sp_token (rid bigint NOT NULL, param integer NOT NULL, system text, code text);
CREATE INDEX sp_token_code ON sp_token (param, code, system);
CREATE INDEX sp_token_rid ON sp_token (rid);

CREATE TABLE sp_string (rid bigint NOT NULL, param integer NOT NULL, value text COLLATE "C" NOT NULL, raw text NOT NULL);
CREATE INDEX sp_string_value ON sp_string (param, value);
CREATE INDEX sp_string_rid ON sp_string (rid);

CREATE TABLE sp_date (rid bigint NOT NULL, param integer NOT NULL, lo timestamptz NOT NULL, hi timestamptz NOT NULL);
CREATE INDEX sp_date_lo ON sp_date (param, lo);
CREATE INDEX sp_date_rid ON sp_date (rid);

CREATE TABLE sp_reference (rid bigint NOT NULL, param integer NOT NULL, target_type text, target_id text NOT NULL);
CREATE INDEX sp_reference_target ON sp_reference (param, target_id);
CREATE INDEX sp_reference_rid ON sp_reference (rid);

CREATE TABLE sp_number (rid bigint NOT NULL, param integer NOT NULL, lo numeric NOT NULL, hi numeric NOT NULL);
CREATE INDEX sp_number_lo ON sp_number (param, lo);
CREATE INDEX sp_number_rid ON sp_number (rid);

CREATE TABLE sp_quantity (rid bigint NOT NULL, param integer NOT NULL, system text, code text, lo numeric NOT NULL, hi numeric NOT NULL);
CREATE INDEX sp_quantity_lo ON sp_quantity (param, lo);
CREATE INDEX sp_quantity_rid ON sp_quantity (rid);

CREATE TABLE sp_uri (rid bigint NOT NULL, param integer NOT NULL, value text COLLATE "C" NOT NULL);
CREATE INDEX sp_uri_value ON sp_uri (param, value);
CREATE INDEX sp_uri_rid ON sp_uri (rid);

-- Composite parameters: one row per matched element, the components joined in one key
-- ("system|code$value" for token parts) plus the numeric part for range comparison.
CREATE TABLE sp_composite (rid bigint NOT NULL, param integer NOT NULL, key text NOT NULL, lo numeric, hi numeric);
CREATE INDEX sp_composite_key ON sp_composite (param, key);
CREATE INDEX sp_composite_rid ON sp_composite (rid);

-- Files the importer has finished, so that a re-run skips them (resume after a crash).
CREATE TABLE import_file (
  sha256 text PRIMARY KEY,
  name text NOT NULL,
  resources integer NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);
