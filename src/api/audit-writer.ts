// Collects audit records from requests and appends them in small batches (one INSERT per flush), so
// that auditing every read costs a fraction of a database round trip per request.
import type { Database } from '../platform/db/database.js';
import { type AccessRecord, toAuditEvent } from '../security/audit/audit-event.js';
import { type AuditRow, appendAudit } from '../store/audit-log.js';

export class AuditWriter {
  private pending: AuditRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly intervalMs = 50,
  ) {}

  record(a: AccessRecord): void {
    const recorded = new Date().toISOString();
    this.pending.push({
      username: a.username,
      action: a.interaction,
      outcome: String(a.status),
      patients: a.patients,
      content: JSON.stringify(toAuditEvent(a, recorded)),
    });
    if (this.pending.length >= 500) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Writes everything recorded so far; resolves when it is in the database. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.pending;
    this.pending = [];
    this.flushing = this.flushing
      .then(() => (rows.length ? appendAudit(this.db, rows) : undefined))
      .catch((err) => {
        // Never drop audit silently: put the rows back and report.
        this.pending.unshift(...rows);
        process.emitWarning(`audit write failed, will retry: ${(err as Error).message}`);
      });
    return this.flushing;
  }
}
