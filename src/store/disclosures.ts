// SQL for the disclosure log (insert-only).
import type { DisclosureInput, StoredDisclosure } from '../him/release/disclosures.js';
import type { Queryable } from '../platform/db/database.js';

export async function insertDisclosure(
  db: Queryable,
  d: DisclosureInput,
  recordedBy: string,
): Promise<string> {
  const r = await db.query<{ id: string }>(
    `INSERT INTO disclosure (patient, disclosed_at, recipient_name, recipient_address, description, purpose, basis, authorization_ref, corrects, recorded_by)
     VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9::bigint, $10) RETURNING id::text AS id`,
    [
      d.patient,
      d.date,
      d.recipient.name,
      d.recipient.address ?? null,
      d.description,
      d.purpose,
      d.basis,
      d.authorization ?? null,
      d.corrects ?? null,
      recordedBy,
    ],
  );
  return r.rows[0].id;
}

export async function disclosuresInPeriod(
  db: Queryable,
  patient: string,
  start: Date,
  end: Date,
): Promise<StoredDisclosure[]> {
  const r = await db.query<StoredDisclosure>(
    `SELECT id::text AS id, patient, disclosed_at::text AS disclosed_at, recipient_name, recipient_address, description, purpose, basis, corrects::text AS corrects
       FROM disclosure WHERE patient = $1 AND disclosed_at >= $2::timestamptz AND disclosed_at <= $3::timestamptz ORDER BY disclosure.disclosed_at`,
    [patient, start.toISOString(), end.toISOString()],
  );
  return r.rows;
}
