// SQL for restricted patients, care relationships and break-the-glass grants.
import type { Queryable } from '../platform/db/database.js';

export async function setRestriction(db: Queryable, patient: string, labels: string[]): Promise<void> {
  if (labels.length) {
    await db.query(
      'INSERT INTO restricted_patient (patient, labels) VALUES ($1, $2) ON CONFLICT (patient) DO UPDATE SET labels = EXCLUDED.labels',
      [patient, labels],
    );
  } else await db.query('DELETE FROM restricted_patient WHERE patient = $1', [patient]);
}

/**
 * The condition that a row of `resource` (alias `r`) is visible to a caller who may see the restricted
 * records of the patients in `visible` (a text[] SQL parameter): none of its patients is a restricted
 * patient outside `visible`, and when the resource itself carries a restricting label, all of its
 * patients are in `visible` (a labelled resource of no patient: nobody but exempt roles). The label
 * test reads only the row (NULL for nearly every resource), so it adds no join to a query.
 */
export function visibleRecordSql(r: string, visible: string, rp = 'rp'): string {
  return `NOT EXISTS (SELECT 1 FROM restricted_patient ${rp} WHERE ${rp}.patient = ANY(${r}.patients) AND NOT (${rp}.patient = ANY(${visible})))
    AND (${r}.restricted_to IS NULL OR (${r}.restricted_to <> '{}' AND ${r}.restricted_to <@ ${visible}))`;
}

/** Whether a resource whose `restricted_to` is this is hidden from a caller who may see `allowed`. */
export function hiddenByLabel(restrictedTo: string[] | null, allowed: string[]): boolean {
  if (!restrictedTo) return false;
  return restrictedTo.length === 0 || restrictedTo.some((p) => !allowed.includes(p));
}

/** Patients (of those given) that are restricted. */
export async function restrictedAmong(db: Queryable, patients: string[]): Promise<string[]> {
  if (patients.length === 0) return [];
  const r = await db.query<{ patient: string }>(
    'SELECT patient FROM restricted_patient WHERE patient = ANY($1::text[])',
    [patients],
  );
  return r.rows.map((x) => x.patient);
}

/** Restricted patients the user may see: care relationships and grants that have not expired. */
export async function allowedRestricted(db: Queryable, username: string): Promise<string[]> {
  const r = await db.query<{ patient: string }>(
    `SELECT patient FROM care_relationship WHERE username = $1
     UNION SELECT patient FROM access_grant WHERE username = $1 AND expires_at > now()`,
    [username],
  );
  return r.rows.map((x) => x.patient);
}

export async function addCareRelationship(
  db: Queryable,
  username: string,
  patient: string,
  by: string,
): Promise<void> {
  await db.query(
    'INSERT INTO care_relationship (username, patient, created_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [username, patient, by],
  );
}

export async function insertGrant(
  db: Queryable,
  username: string,
  patient: string,
  reason: string,
  seconds: number,
): Promise<{ id: string; expires_at: string }> {
  const r = await db.query<{ id: string; expires_at: string }>(
    `INSERT INTO access_grant (username, patient, reason, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
     RETURNING id::text AS id, expires_at::text AS expires_at`,
    [username, patient, reason, seconds],
  );
  return r.rows[0];
}

export interface GrantRow {
  id: string;
  username: string;
  patient: string;
  reason: string;
  granted_at: string;
  expires_at: string;
  reviewed_by: string | null;
  reviewed_at: string | null;
  review_note: string | null;
}

export async function listGrants(db: Queryable, open: boolean): Promise<GrantRow[]> {
  const r = await db.query<GrantRow>(
    `SELECT id::text AS id, username, patient, reason, granted_at::text AS granted_at, expires_at::text AS expires_at, reviewed_by, reviewed_at::text AS reviewed_at, review_note
       FROM access_grant ${open ? 'WHERE reviewed_at IS NULL' : ''} ORDER BY access_grant.granted_at DESC LIMIT 500`,
  );
  return r.rows;
}

export async function reviewGrant(db: Queryable, id: string, by: string, note: string): Promise<boolean> {
  const r = await db.query(
    'UPDATE access_grant SET reviewed_by = $2, reviewed_at = now(), review_note = $3 WHERE id = $1::bigint AND reviewed_at IS NULL',
    [id, by, note],
  );
  return r.rowCount > 0;
}

/** What a caller may see of restricted patients; `allowed` is loaded on first need. */
export interface Visibility {
  exempt: boolean;
  /** Runs on the caller's connection: inside a transaction on the embedded database there is no other. */
  allowed: (q: Queryable) => Promise<string[]>;
  /** For messages: who is asking. */
  username: string;
  /**
   * May remove a restricting security label from a record (lowering its protection); without it such
   * a write is refused. Adding a label needs no more than the right to write the record.
   */
  removeLabels?: boolean;
  /**
   * SMART patient/ scopes: the caller sees and writes only this patient's compartment (resources of
   * other compartment types are refused or not found by search; types outside every compartment can
   * be read but not written).
   */
  patient?: string;
}
