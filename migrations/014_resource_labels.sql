-- Security labels on single resources: a resource whose own meta.security carries a restricting label
-- (fhir/security-labels.ts) is hidden, like a restricted patient's records, from users without access
-- to its patients' restricted records. `restricted_to` is NULL for an unlabelled resource (nearly all,
-- so the column costs no space and the search filter is one test on the row); for a labelled one it
-- holds the patients a user must be allowed to see (care relationship or break-the-glass grant), the
-- compartment of its last live version (kept through a delete, so history stays hidden); empty: only
-- exempt roles (a labelled resource outside every compartment).
ALTER TABLE resource ADD COLUMN restricted_to text[];

-- Records stored before this migration: the labels of their current version.
UPDATE resource r SET restricted_to = r.patients
  FROM resource_version v
 WHERE v.rid = r.rid AND v.version = r.version AND NOT r.deleted
   AND v.content LIKE '%"security"%'
   AND EXISTS (
     SELECT 1 FROM jsonb_array_elements(
       CASE WHEN jsonb_typeof(v.content::jsonb #> '{meta,security}') = 'array'
            THEN v.content::jsonb #> '{meta,security}' ELSE '[]'::jsonb END) s
      WHERE (s ->> 'system') || '|' || (s ->> 'code') = ANY (ARRAY[
        'http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R',
        'http://terminology.hl7.org/CodeSystem/v3-Confidentiality|V',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|ETH',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|SUD',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|BH',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|VIP',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|EMP']));

-- Deleted records whose last live version was labelled: their patients are no longer recorded, so
-- only exempt roles see their history.
UPDATE resource r SET restricted_to = '{}'
  FROM resource_version v
 WHERE v.rid = r.rid AND v.version = r.version - 1 AND r.deleted
   AND v.content LIKE '%"security"%'
   AND EXISTS (
     SELECT 1 FROM jsonb_array_elements(
       CASE WHEN jsonb_typeof(v.content::jsonb #> '{meta,security}') = 'array'
            THEN v.content::jsonb #> '{meta,security}' ELSE '[]'::jsonb END) s
      WHERE (s ->> 'system') || '|' || (s ->> 'code') = ANY (ARRAY[
        'http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R',
        'http://terminology.hl7.org/CodeSystem/v3-Confidentiality|V',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|ETH',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|SUD',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|BH',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|HIV',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|VIP',
        'http://terminology.hl7.org/CodeSystem/v3-ActCode|EMP']));

-- Without statistics the planner takes `restricted_to IS NULL` to match 0.5% of rows, which would
-- skew every search plan and `_total=estimate` until the next autovacuum analyze.
ANALYZE resource;
