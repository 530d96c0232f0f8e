// At start, before the server accepts requests: audit records that a stopped or killed process journaled
// (security/audit/journal.ts) but did not store are appended to the trail, each once (by its AuditEvent
// id, under the chain lock), in the order they were written; then their files are deleted.
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from '../../platform/db/database.js';
import { type AuditRow, appendAudit } from '../../store/audit-log.js';
import { HEARTBEAT_MS, hostLabel, type JournalFileName, parseJournalFileName } from './journal.js';

export interface ReplayReport {
  files: number;
  /** Records appended to the trail (the others were already there). */
  appended: number;
  /** Lines that could not be read (a line torn by a failed write or a power cut). */
  unreadable: number;
}

const CHUNK = 1000;

/** Whether no live process writes this file any more. */
function orphaned(name: JournalFileName, file: string): boolean {
  if (name.host === hostLabel()) {
    if (name.pid === process.pid) return true; // a predecessor with our pid (a restarted container)
    try {
      process.kill(name.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  // Another host's process (or a reused pid here): live processes touch their files every HEARTBEAT_MS.
  return Date.now() - fs.statSync(file).mtimeMs > 6 * HEARTBEAT_MS;
}

function readRows(file: string): { rows: AuditRow[]; unreadable: number } {
  const rows: AuditRow[] = [];
  let unreadable = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      const r = JSON.parse(line) as AuditRow;
      if (typeof r.id !== 'string' || typeof r.content !== 'string' || typeof r.action !== 'string')
        throw new Error('not an audit record');
      rows.push(r);
    } catch {
      unreadable++;
    }
  }
  return { rows, unreadable };
}

export async function replayJournals(db: Database, dir: string): Promise<ReplayReport> {
  const report: ReplayReport = { files: 0, appended: 0, unreadable: 0 };
  if (!fs.existsSync(dir)) return report;
  const files = fs
    .readdirSync(dir)
    .flatMap((f) => {
      const name = parseJournalFileName(f);
      return name ? [{ name, file: path.join(dir, f) }] : [];
    })
    .filter((f) => orphaned(f.name, f.file))
    .sort(
      (a, b) => a.name.start - b.name.start || a.name.pid - b.name.pid || a.name.segment - b.name.segment,
    );
  for (const f of files) {
    const { rows, unreadable } = readRows(f.file);
    for (let i = 0; i < rows.length; i += CHUNK)
      report.appended += await appendAudit(db, rows.slice(i, i + CHUNK), { skipStored: true });
    report.unreadable += unreadable;
    report.files++;
    fs.rmSync(f.file, { force: true });
  }
  if (report.unreadable)
    process.emitWarning(`audit journal: ${report.unreadable} torn line(s) could not be replayed`);
  return report;
}
