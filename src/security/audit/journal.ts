// The audit journal: each audit record is written to a local file, one JSON line, before the response it
// describes leaves the server (the records of one turn of the event loop in one write(2)); the database
// gets the records in batches afterwards, and a file is deleted once all its records are stored. After a
// crash, replay-journal.ts appends what the database misses. Each process writes its own files (host, pid
// and start time in the name), in segments of about a second of database batches, so once those are
// stored the whole file goes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditRow } from '../../store/audit-log.js';

/**
 * off: write(2) only, so a killed process (SIGKILL, OOM) loses nothing, the kernel has the bytes; a
 * power cut or kernel crash can lose the last seconds. batch: the response also waits for an fdatasync
 * shared by the requests that arrived meanwhile (group commit to the file). always: one fdatasync per
 * write (the records of one turn of the event loop), in line (blocks the event loop).
 */
export type FsyncPolicy = 'off' | 'batch' | 'always';

/** A live process touches its files this often, so a starting process on another host can tell them from orphans. */
export const HEARTBEAT_MS = 10_000;

const NAME = /^audit-(.+)-(\d+)-(\d+)-(\d+)\.ndjson$/;

export interface JournalFileName {
  host: string;
  pid: number;
  start: number;
  segment: number;
}

export function parseJournalFileName(name: string): JournalFileName | undefined {
  const m = NAME.exec(name);
  return m ? { host: m[1], pid: Number(m[2]), start: Number(m[3]), segment: Number(m[4]) } : undefined;
}

// A host name may hold characters a file name should not.
export const hostLabel = (host = os.hostname()) => host.replace(/[^A-Za-z0-9.]/g, '_') || 'host';

/** One file of the journal: written until the next batch starts, deleted once its records are stored. */
export class JournalSegment {
  /** Records written here and not yet stored in the database. */
  unstored = 0;
  retired = false;
  readonly openedAt = Date.now();
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    readonly file: string,
    readonly fd: number,
  ) {}

  /** Resolves once everything written before the call is on disk; concurrent callers share one fdatasync. */
  sync(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = new Promise<void>((resolve, reject) =>
        fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())),
      ).finally(() => {
        this.inFlight = undefined;
      });
      return this.inFlight;
    }
    this.queued ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  async remove(): Promise<void> {
    await Promise.allSettled([this.inFlight, this.queued]);
    fs.rmSync(this.file, { force: true });
    fs.closeSync(this.fd);
  }
}

export interface JournalEntry {
  segment: JournalSegment;
  /** Under fsync=batch: resolves when the line is on disk. */
  durable?: Promise<void>;
}

export class AuditJournal {
  private current: JournalSegment | undefined;
  private readonly retiring = new Set<JournalSegment>();
  private segmentNo = 0;
  private readonly stem: string;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    readonly dir: string,
    readonly fsync: FsyncPolicy,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.stem = `audit-${hostLabel()}-${process.pid}-${Date.now()}`;
    this.heartbeat = setInterval(() => this.touch(), HEARTBEAT_MS).unref();
  }

  /** The lines recorded in this turn of the event loop, written together at its end. */
  private group:
    | { lines: string[]; waiters: { resolve: (e: JournalEntry) => void; reject: (err: unknown) => void }[] }
    | undefined;

  /**
   * Writes the row as one line, in one `write(2)` with the other rows recorded in the same turn of the event
   * loop (at `setImmediate`, before any of their responses can leave). Resolves once the line is written
   * (under fsync=always, on disk); rejects when it cannot be: the caller must then not disclose anything.
   */
  append(row: AuditRow): Promise<JournalEntry> {
    return new Promise((resolve, reject) => {
      if (!this.group) {
        this.group = { lines: [], waiters: [] };
        setImmediate(() => this.writeGroup());
      }
      this.group.lines.push(JSON.stringify(row));
      this.group.waiters.push({ resolve, reject });
    });
  }

  private writeGroup(): void {
    const g = this.group;
    this.group = undefined;
    if (!g) return;
    let segment: JournalSegment;
    try {
      segment = this.current ?? this.openSegment();
      const text = Buffer.from(`${g.lines.join('\n')}\n`);
      try {
        let off = 0;
        while (off < text.length) off += fs.writeSync(segment.fd, text, off);
        if (this.fsync === 'always') fs.fdatasyncSync(segment.fd);
      } catch (err) {
        // A part of the lines may be in the file: later lines go to a new segment (replay skips a torn line).
        this.retire();
        throw err;
      }
    } catch (err) {
      for (const w of g.waiters) w.reject(err);
      return;
    }
    segment.unstored += g.lines.length;
    const durable = this.fsync === 'batch' ? segment.sync() : undefined;
    for (const w of g.waiters) w.resolve({ segment, durable });
  }

  /**
   * Starts a new segment for the records that follow once the current one is `ms` old: a segment spans
   * the database batches of that time (each batch of 50 ms opening and deleting its own file cost more
   * than the writes of its records on a busy disk), so a crash leaves at most that much to replay.
   */
  retireIfOlderThan(ms: number): void {
    if (this.current && Date.now() - this.current.openedAt >= ms) this.retire();
  }

  /** Starts a new segment for the records that follow. */
  retire(): void {
    const s = this.current;
    this.current = undefined;
    if (!s) return;
    s.retired = true;
    this.retiring.add(s);
    this.removeIfDone(s);
  }

  /** These records are in the database: a retired segment with none left unstored is deleted. */
  stored(segments: JournalSegment[]): void {
    for (const s of segments) s.unstored--;
    for (const s of new Set(segments)) this.removeIfDone(s);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.retire();
    for (const s of [this.current, ...this.retiring]) if (s) fs.closeSync(s.fd);
  }

  private removeIfDone(s: JournalSegment): void {
    if (!s.retired || s.unstored > 0 || !this.retiring.delete(s)) return;
    s.remove().catch((err: Error) =>
      process.emitWarning(`audit journal: could not delete a file: ${err.message}`),
    );
  }

  private openSegment(): JournalSegment {
    const file = path.join(this.dir, `${this.stem}-${++this.segmentNo}.ndjson`);
    const fd = fs.openSync(file, 'a', 0o600);
    if (this.fsync !== 'off') {
      // The new file's directory entry must survive a power cut too.
      const dirFd = fs.openSync(this.dir, 'r');
      try {
        fs.fsyncSync(dirFd);
      } finally {
        fs.closeSync(dirFd);
      }
    }
    this.current = new JournalSegment(file, fd);
    return this.current;
  }

  /** The heartbeat: files of a live process stay recent (their contents do not change). */
  private touch(): void {
    const now = new Date();
    for (const s of [this.current, ...this.retiring])
      if (s)
        try {
          fs.futimesSync(s.fd, now, now);
        } catch {
          // A failed touch only makes the file look older to another host's start.
        }
  }
}
