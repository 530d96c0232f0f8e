// Records the audit entry of every request: first a line in the local journal (security/audit/journal.ts),
// synchronously, before the response leaves; then in small batches to the database (one INSERT per flush),
// so that auditing every read costs a fraction of a database round trip per request and a killed process
// loses no entry (the next start replays the journal).

import type { Database } from '../platform/db/database.js';
import { FhirError, issue } from '../platform/errors.js';
import { type AccessRecord, auditRow } from '../security/audit/audit-event.js';
import type { AuditJournal, JournalSegment } from '../security/audit/journal.js';
import { type AuditRow, appendAudit } from '../store/audit-log.js';

/** A journal file takes the records of this long (many database batches) before the next file starts. */
const SEGMENT_MS = 1_000;

interface Pending {
  row: AuditRow;
  /** The journal file holding the row (none for a refusal the journal could not take). */
  segment?: JournalSegment;
  /** A write of this row failed before: it may have committed all the same (a connection lost at COMMIT). */
  retried?: boolean;
}

export class AuditWriter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly journal: AuditJournal | undefined,
    private readonly intervalMs = 50,
  ) {}

  /**
   * Journals the entry and queues it for the database; resolves when its line is written (under
   * fsync=batch, on disk). Rejects with a 503 FhirError when the journal cannot take it (the caller must not
   * disclose anything then).
   */
  record(a: AccessRecord): Promise<void> {
    const row = auditRow(a);
    if (!this.journal) {
      this.queue({ row });
      return Promise.resolve();
    }
    const journal = this.journal;
    return journal.append(row).then(
      ({ segment, durable }) => {
        if (!durable) return this.queue({ row, segment });
        // fsync=batch: the entry is queued once its line is on disk; if the disk refuses, the request is
        // refused and its refusal is recorded instead (the caller's recordUnjournaled).
        return durable.then(
          () => this.queue({ row, segment }),
          () => {
            journal.stored([segment]);
            throw journalUnavailable();
          },
        );
      },
      (err: NodeJS.ErrnoException) => {
        process.emitWarning(`audit journal write failed: ${err.code ?? 'error'}`);
        throw journalUnavailable();
      },
    );
  }

  /** Queues an entry for the database only: the refusal of a request whose entry the journal refused. */
  recordUnjournaled(a: AccessRecord): void {
    this.queue({ row: auditRow(a) });
  }

  private queue(p: Pending): void {
    this.pending.push(p);
    if (this.pending.length >= 500) void this.flushBatch(false);
    else this.timer ??= setTimeout(() => void this.flushBatch(false), this.intervalMs);
  }

  /** Writes everything recorded so far; resolves when it is in the database. The records that follow go to a new journal file. */
  flush(): Promise<void> {
    return this.flushBatch(true);
  }

  private flushBatch(newSegment: boolean): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (newSegment) this.journal?.retire();
    else this.journal?.retireIfOlderThan(SEGMENT_MS);
    this.flushing = this.flushing
      .then(async () => {
        if (batch.length === 0) return;
        // A row's id is new until a write of it has failed (and may have committed): only then does the
        // batch look for ids already stored. A first write that met one would fail on the unique index.
        await appendAudit(
          this.db,
          batch.map((p) => p.row),
          { skipStored: batch.some((p) => p.retried) },
        );
        this.journal?.stored(batch.flatMap((p) => (p.segment ? [p.segment] : [])));
      })
      .catch((err) => {
        // Never drop audit silently: put the rows back (they are still in the journal) and report.
        for (const p of batch) p.retried = true;
        this.pending.unshift(...batch);
        this.timer ??= setTimeout(() => void this.flushBatch(false), Math.max(this.intervalMs, 1000));
        process.emitWarning(`audit write failed, will retry: ${(err as Error).message}`);
      });
    return this.flushing;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.journal?.close();
  }
}

const journalUnavailable = () =>
  new FhirError(
    503,
    issue(
      'transient',
      'The request was refused because its audit record could not be written (audit journal unavailable); try again later',
    ),
  );
