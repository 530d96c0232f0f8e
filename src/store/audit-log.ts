// SQL for the audit trail: insert-only.
import type { Queryable } from '../platform/db/database.js';

export interface AuditRow {
  username: string | undefined;
  action: string;
  outcome: string;
  patients: string[];
  content: string;
}

export async function appendAudit(db: Queryable, rows: AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO audit_event (username, action, outcome, patients, content)
     SELECT u.username, u.action, u.outcome, u.patients::text[], u.content
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) u(username, action, outcome, patients, content)`,
    [
      rows.map((r) => r.username ?? null),
      rows.map((r) => r.action),
      rows.map((r) => r.outcome),
      rows.map((r) => `{${r.patients.map((p) => `"${p}"`).join(',')}}`),
      rows.map((r) => r.content),
    ],
  );
}

export async function countAudit(db: Queryable, action?: string): Promise<number> {
  const r = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM audit_event ${action ? 'WHERE action = $1' : ''}`,
    action ? [action] : [],
  );
  return Number(r.rows[0].n);
}
