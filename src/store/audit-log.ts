// SQL for the audit trail: append-only, hash-chained (security/audit/chain.ts), queried for reports.

import type { Database, Queryable } from '../platform/db/database.js';
import { type ChainedFields, entryHash, GENESIS } from '../security/audit/chain.js';
import { int8Array, textArray, timestamptzArray } from './binary-arrays.js';
import { textArrayLiteral } from './sql-literals.js';

export interface AuditRow {
  /** The AuditEvent's id (stored as event_id, unique): what makes a journal replay idempotent. */
  id?: string;
  /** When the event happened (ISO instant); unset means now, when the row is appended. */
  recorded?: string;
  username: string | undefined;
  action: string;
  outcome: string;
  patients: string[];
  content: string;
}

const CHAIN_LOCK = 727002;

/**
 * Appends rows and links them into the chain. The advisory lock serialises appenders (several server
 * processes on one PostgreSQL) from reading the last hash to committing. With `skipStored`, rows whose
 * id is already in the trail are left out (under the lock, so the chain stays whole): a journal
 * replayed twice, or by two starting processes at once, appends each entry once.
 */
export async function appendAudit(
  db: Database | Queryable,
  given: AuditRow[],
  opts: { skipStored?: boolean } = {},
): Promise<number> {
  if (given.length === 0) return 0;
  let appended = 0;
  const run = async (tx: Queryable) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`);
    let rows = given;
    if (opts.skipStored) {
      const ids = rows.flatMap((r) => (r.id ? [r.id] : []));
      const stored = new Set(
        ids.length
          ? (
              await tx.query<{ event_id: string }>(
                'SELECT event_id FROM audit_event WHERE event_id = ANY($1::text[])',
                [ids],
              )
            ).rows.map((r) => r.event_id)
          : [],
      );
      rows = rows.filter((r) => !r.id || !stored.has(r.id));
      if (rows.length === 0) return;
    }
    appended = rows.length;
    const last = await tx.query<{ hash: string | null }>(
      'SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1',
    );
    let prev = last.rows[0]?.hash ?? GENESIS;
    const seqs = (
      await tx.query<{ seq: string }>(
        "SELECT nextval('audit_event_seq_seq')::text AS seq FROM generate_series(1, $1)",
        [rows.length],
      )
    ).rows.map((r) => r.seq);
    const now = new Date().toISOString();
    const cols = {
      seq: [] as string[],
      id: [] as (string | null)[],
      recorded: [] as string[],
      username: [] as (string | null)[],
      action: [] as string[],
      outcome: [] as string[],
      patients: [] as string[],
      content: [] as string[],
      prev: [] as string[],
      hash: [] as string[],
    };
    rows.forEach((r, i) => {
      const e: ChainedFields = {
        seq: seqs[i],
        recorded: r.recorded ?? now,
        username: r.username ?? null,
        action: r.action,
        outcome: r.outcome,
        patients: r.patients,
        content: r.content,
      };
      const hash = entryHash(prev, e);
      cols.seq.push(e.seq);
      cols.id.push(r.id ?? null);
      cols.recorded.push(e.recorded);
      cols.username.push(e.username);
      cols.action.push(e.action);
      cols.outcome.push(e.outcome);
      cols.patients.push(textArrayLiteral(r.patients));
      cols.content.push(e.content);
      cols.prev.push(prev);
      cols.hash.push(hash);
      prev = hash;
    });
    // Every column goes as a binary array (store/binary-arrays.ts): PostgreSQL reads them without parsing
    // a literal or a JSON document, which was most of the statement's cost at a few hundred entries a batch.
    await tx.query(
      `INSERT INTO audit_event (seq, event_id, recorded, username, action, outcome, patients, content, prev_hash, hash)
       SELECT seq, event_id, recorded, username, action, outcome, patients::text[], content, prev_hash, hash
         FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
              u(seq, event_id, recorded, username, action, outcome, patients, content, prev_hash, hash)`,
      [
        int8Array(cols.seq),
        textArray(cols.id),
        timestamptzArray(cols.recorded) ?? cols.recorded,
        textArray(cols.username),
        textArray(cols.action),
        textArray(cols.outcome),
        textArray(cols.patients),
        textArray(cols.content),
        textArray(cols.prev),
        textArray(cols.hash),
      ],
      { prepare: true },
    );
  };
  if ('transaction' in db) await db.transaction(run);
  else await run(db);
  return appended;
}

type StoredRow = ChainedFields & { prev_hash: string | null; hash: string | null };

/** The whole trail in sequence order, read in pages (any length fits in memory). */
export async function* auditInOrder(db: Queryable, pageSize = 5000): AsyncGenerator<StoredRow> {
  let after = '0';
  for (;;) {
    const r = await db.query<StoredRow & { recorded: unknown }>(
      `SELECT seq::text AS seq, recorded, username, action, outcome, patients, content, prev_hash, hash
         FROM audit_event WHERE seq > $1::bigint ORDER BY audit_event.seq LIMIT ${pageSize}`,
      [after],
    );
    for (const row of r.rows) yield { ...row, recorded: new Date(row.recorded as string).toISOString() };
    if (r.rows.length < pageSize) return;
    after = r.rows[r.rows.length - 1].seq;
  }
}

export interface AuditQuery {
  username?: string;
  patient?: string;
  action?: string;
  from?: string;
  to?: string;
  count: number;
  /** Keyset cursor: entries before this sequence number (newest first). */
  before?: string;
}

export async function queryAudit(db: Queryable, q: AuditQuery): Promise<{ seq: string; content: string }[]> {
  const values: unknown[] = [];
  const add = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const where: string[] = [];
  if (q.username) where.push(`username = ${add(q.username)}`);
  if (q.patient) where.push(`patients @> ARRAY[${add(q.patient)}]::text[]`);
  if (q.action) where.push(`action = ${add(q.action)}`);
  if (q.from) where.push(`recorded >= ${add(q.from)}::timestamptz`);
  if (q.to) where.push(`recorded <= ${add(q.to)}::timestamptz`);
  if (q.before) where.push(`seq < ${add(q.before)}::bigint`);
  const r = await db.query<{ seq: string; content: string }>(
    `SELECT seq::text AS seq, content FROM audit_event ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_event.seq DESC LIMIT ${add(q.count + 1)}`,
    values,
  );
  return r.rows;
}

export async function countAudit(db: Queryable, action?: string): Promise<number> {
  const r = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM audit_event ${action ? 'WHERE action = $1' : ''}`,
    action ? [action] : [],
  );
  return Number(r.rows[0].n);
}
