// SQL for bulk-export jobs and their files (table export_job, export_file; migrations/007).
import type { Queryable } from '../../platform/db/database.js';
import type { SsnView } from '../ssn-sealing.js';

export type ExportLevel = 'system' | 'patient' | 'group';
export type ExportStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** What a job exports: the kick-off parameters, already validated and narrowed by the user's rights. */
export interface ExportSpec {
  /** Resource types to write (already limited to those the user may read). */
  types: string[];
  /** Only resources changed after this instant. */
  since?: string;
  /** Per type: search queries (OR'ed) that its resources must match; types not listed are not filtered. */
  typeFilters: Record<string, [string, string][][]>;
  /** Group export: the member patients (ids). */
  patients?: string[];
  groupId?: string;
  /** Restricted patients the requester may see; undefined when the requester sees all. */
  visibleRestricted?: string[];
  /** How the files show SSNs: whole when the requester holds phi:ssn, else masked (the default). */
  ssn?: SsnView;
}

export interface ExportJob {
  id: string;
  username: string;
  level: ExportLevel;
  request: string;
  spec: ExportSpec;
  status: ExportStatus;
  transactionTime: string;
  finishedAt: string | null;
  expiresAt: string | null;
  done: number;
  total: number;
  message: string | null;
}

export interface ExportFile {
  name: string;
  type: string;
  count: number;
  patients: string[];
}

interface JobRow {
  id: string;
  username: string;
  level: ExportLevel;
  request: string;
  spec: string;
  status: ExportStatus;
  transaction_time: string;
  finished_at: string | null;
  expires_at: string | null;
  done: string;
  total: string;
  message: string | null;
}

const toJob = (r: JobRow): ExportJob => ({
  id: r.id,
  username: r.username,
  level: r.level,
  request: r.request,
  spec: JSON.parse(r.spec) as ExportSpec,
  status: r.status,
  transactionTime: new Date(r.transaction_time).toISOString(),
  finishedAt: r.finished_at,
  expiresAt: r.expires_at,
  done: Number(r.done),
  total: Number(r.total),
  message: r.message,
});

const COLUMNS =
  'id, username, level, request, spec, status, transaction_time::text AS transaction_time, finished_at::text AS finished_at, expires_at::text AS expires_at, done::text AS done, total::text AS total, message';

export async function insertJob(
  q: Queryable,
  j: { id: string; username: string; level: ExportLevel; request: string; spec: ExportSpec },
): Promise<ExportJob> {
  const r = await q.query<JobRow>(
    `INSERT INTO export_job (id, username, level, request, spec, status, transaction_time)
     VALUES ($1, $2, $3, $4, $5, 'running', now()) RETURNING ${COLUMNS}`,
    [j.id, j.username, j.level, j.request, JSON.stringify(j.spec)],
  );
  return toJob(r.rows[0]);
}

export async function getJob(q: Queryable, id: string): Promise<ExportJob | undefined> {
  const r = await q.query<JobRow>(`SELECT ${COLUMNS} FROM export_job WHERE id = $1`, [id]);
  return r.rows[0] ? toJob(r.rows[0]) : undefined;
}

export async function setProgress(q: Queryable, id: string, done: number, total: number): Promise<void> {
  await q.query("UPDATE export_job SET done = $2, total = $3 WHERE id = $1 AND status = 'running'", [
    id,
    done,
    total,
  ]);
}

/** Marks a running job finished; false when it was no longer running (cancelled meanwhile). */
export async function finishJob(
  q: Queryable,
  id: string,
  status: 'completed' | 'failed',
  ttlSeconds: number,
  message?: string,
): Promise<boolean> {
  const r = await q.query(
    `UPDATE export_job SET status = $2, finished_at = now(), expires_at = now() + make_interval(secs => $3), message = $4
      WHERE id = $1 AND status = 'running'`,
    [id, status, ttlSeconds, message ?? null],
  );
  return r.rowCount > 0;
}

/** Ends a job for good (cancelled or expired); its files are removed by the caller. */
export async function closeJob(q: Queryable, id: string, status: 'cancelled' | 'expired'): Promise<void> {
  await q.query(
    'UPDATE export_job SET status = $2, finished_at = coalesce(finished_at, now()) WHERE id = $1',
    [id, status],
  );
  await forgetFiles(q, id);
}

/** Jobs that were running when the server stopped: marked failed (their files are partial). */
export async function failInterruptedJobs(q: Queryable, ttlSeconds: number): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `UPDATE export_job SET status = 'failed', finished_at = now(), expires_at = now() + make_interval(secs => $1),
            message = 'The server stopped while this export ran; start the export again'
      WHERE status = 'running' RETURNING id`,
    [ttlSeconds],
  );
  if (r.rows.length)
    await q.query('DELETE FROM export_file WHERE job_id = ANY($1::text[])', [r.rows.map((x) => x.id)]);
  return r.rows.map((x) => x.id);
}

/** Finished jobs whose files have outlived their time. */
export async function expiredJobs(q: Queryable): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    "SELECT id FROM export_job WHERE status IN ('completed', 'failed') AND expires_at <= now()",
  );
  return r.rows.map((x) => x.id);
}

/** Forgets the files recorded for a job (after a failure removed them). */
export async function forgetFiles(q: Queryable, jobId: string): Promise<void> {
  await q.query('DELETE FROM export_file WHERE job_id = $1', [jobId]);
}

export async function addFile(q: Queryable, jobId: string, f: ExportFile): Promise<void> {
  await q.query(
    'INSERT INTO export_file (job_id, name, type, count, patients) VALUES ($1, $2, $3, $4, $5::text[])',
    [jobId, f.name, f.type, f.count, f.patients],
  );
}

export async function filesOf(q: Queryable, jobId: string): Promise<ExportFile[]> {
  const r = await q.query<ExportFile>(
    'SELECT name, type, count, patients FROM export_file WHERE job_id = $1 ORDER BY type, name',
    [jobId],
  );
  return r.rows;
}

export async function fileOf(q: Queryable, jobId: string, name: string): Promise<ExportFile | undefined> {
  const r = await q.query<ExportFile>(
    'SELECT name, type, count, patients FROM export_file WHERE job_id = $1 AND name = $2',
    [jobId, name],
  );
  return r.rows[0];
}

/** The patients whose records a job wrote (for the audit entry of its completion). */
export async function patientsOfJob(q: Queryable, jobId: string): Promise<string[]> {
  const r = await q.query<{ p: string }>(
    'SELECT DISTINCT unnest(patients) AS p FROM export_file WHERE job_id = $1 ORDER BY 1',
    [jobId],
  );
  return r.rows.map((x) => x.p);
}
