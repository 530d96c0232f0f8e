// The import pipeline (on the embedded database, which lives in this thread, and on PostgreSQL when the
// import runs on one thread): worker threads do the per-resource work that needs no database
// (prepare-file.ts) a few files ahead, and this thread only matches shared resources and writes
// (write-prepared.ts). A file the threads cannot prepare, or whose preparation the database contradicts (a
// shared resource found under another id, a resource that exists already), goes through the one-thread
// path (`importFile`) as before, so results do not change.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BundleEntry } from '@medplum/fhirtypes';
import type { Database } from '../../platform/db/database.js';
import type { Repository } from '../repository.js';
import type { WriteResult } from '../write.js';
import { importAuditHook } from './import-audit.js';
import { collectOutcomes } from './import-bundle-file.js';
import type { ImportMemory } from './import-memory.js';
import { withRetry } from './import-writes.js';
import { isImported, markImported } from './journal.js';
import type { PreparedFile } from './prepare-file.js';
import type { PrepareWorkerData } from './prepare-worker.js';
import type { ImportFile } from './read-files.js';
import type { FileOutcome, FileReport } from './run-import.js';

/**
 * Worker threads preparing files, one message per file; answers come back in any order. They are spawned
 * first (`spawn`: each loads the FHIR definitions, ~0.7 s) and given the database's search parameters once
 * it is open (`init`), so an import can start them before it opens the database and need not wait for them.
 */
export class PrepareThreads {
  private seq = 0;
  private next = 0;
  private readonly pending = new Map<
    number,
    { resolve: (p: PreparedFile) => void; reject: (e: Error) => void }
  >();

  /** CPU seconds of each thread when it was ready, and at its last answer (Linux). */
  private readonly cpu: { ready?: number; last?: number }[];
  private readonly ready: ((m: { ready?: boolean; error?: string; cpu?: number }) => void)[] = [];
  private failed: Error | undefined;

  private constructor(private readonly workers: Worker[]) {
    this.cpu = workers.map(() => ({}));
    for (const [k, w] of workers.entries()) {
      w.on(
        'message',
        (m: { seq?: number; ready?: boolean; prepared?: PreparedFile; error?: string; cpu?: number }) => {
          if (m.seq === undefined) {
            this.ready[k]?.(m);
            return;
          }
          if (m.cpu !== undefined) this.cpu[k].last = m.cpu;
          const p = this.pending.get(m.seq);
          if (!p) return;
          this.pending.delete(m.seq);
          if (m.prepared) p.resolve(m.prepared);
          else p.reject(new Error(m.error ?? 'prepare thread failed'));
        },
      );
      w.on('error', (err: Error) => {
        this.failed ??= err;
        this.ready[k]?.({ error: err.message });
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    }
  }

  /** Starts the threads; they load the definitions meanwhile and wait for `init`. */
  static spawn(threads: number, heapMib?: number): PrepareThreads {
    return new PrepareThreads(
      Array.from(
        { length: threads },
        () =>
          new Worker(new URL('./prepare-worker.js', import.meta.url), {
            ...(heapMib ? { resourceLimits: { maxOldGenerationSizeMb: heapMib } } : {}),
          }),
      ),
    );
  }

  /** Gives the threads what they prepare with; resolves once each is ready (terminates them if one fails). */
  async init(data: PrepareWorkerData): Promise<this> {
    const ready = this.workers.map(
      (w, k) =>
        new Promise<void>((resolve, reject) => {
          if (this.failed) return reject(this.failed);
          this.ready[k] = (m) => {
            delete this.ready[k];
            if (!m.ready) return reject(new Error(m.error ?? 'prepare thread failed'));
            this.cpu[k] = { ready: m.cpu, last: m.cpu };
            resolve();
          };
          w.postMessage({ init: data });
        }),
    );
    try {
      await Promise.all(ready);
      return this;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** CPU seconds the threads spent preparing files (undefined where /proc is not there). */
  cpuSeconds(): number | undefined {
    let sum = 0;
    for (const c of this.cpu) {
      if (c.ready === undefined || c.last === undefined) return undefined;
      sum += c.last - c.ready;
    }
    return sum;
  }

  prepare(file: ImportFile): Promise<PreparedFile> {
    const seq = ++this.seq;
    const worker = this.workers[this.next++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ seq, file });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** A shared resource found by its condition (Type?query): its id and version. */
export interface Match {
  id: string;
  version: number;
}

/**
 * Conditions already resolved in this import, kept on the embedded database only (on PostgreSQL others may
 * write meanwhile). Valid while only the pipeline writes: it creates resources and never changes one, so a
 * match stays the one match; a file of the one-thread path (which may update or delete) empties it.
 */
export type MatchCache = Map<string, Match>;

/** The preparation does not hold: the file goes through the one-thread path. */
class Contradicted extends Error {}

/**
 * Writes a prepared file in one transaction (with its audit entry) and journals it; undefined when the
 * one-thread path must import it instead (nothing of it is then written).
 */
export async function writePreparedFile(
  repo: Repository,
  db: Database,
  f: ImportFile,
  prepared: PreparedFile,
  opts: { force?: boolean; auditOperator?: string },
  matches: MatchCache,
  memory?: ImportMemory,
): Promise<FileOutcome | undefined> {
  if (prepared.fallback) return undefined;
  const report: FileReport = { file: f.path, status: 'imported', resources: 0, errors: [] };
  const byType: Record<string, number> = {};
  if (!opts.force && (await isImported(db, prepared.sha256))) {
    report.status = 'skipped';
    return { report, byType, deferred: false };
  }
  // the only writer of its database (PGlite: one connection, in this thread)
  const alone = db.kind === 'pglite';
  const writer = opts.auditOperator
    ? repo.withBeforeCommit(importAuditHook(opts.auditOperator, f.path), { content: false })
    : repo;
  let matched: Map<number, number>;
  let written: WriteResult[];
  let learned: [string, Match][];
  try {
    [matched, written, learned] = await withRetry(() =>
      writer.transaction(async (tx) => {
        // The searches of planEntries in import mode. On PGlite without its advisory locks (one connection,
        // and this thread is its only writer), and once per condition for the whole import (`matches`). On
        // PostgreSQL others may write meanwhile: each file searches again and locks a condition that matches
        // nothing until it commits, as planEntries does (`matchOrLock`).
        const found = new Map<number, number>();
        const learnt: [string, Match][] = [];
        for (const r of prepared.resources) {
          if (!r.condition) continue;
          const key = `${r.type}?${r.condition}`;
          let hit = alone ? matches.get(key) : undefined;
          if (!hit) {
            const hits = !alone
              ? await tx.matchOrLock(r.type, r.condition)
              : memory?.matchesNothing(r.type, r.condition)
                ? []
                : await tx.matchConditional(r.type, r.condition);
            if (hits.length > 1) throw new Contradicted(`${key} matches more than one`);
            if (hits.length === 1) {
              hit = { id: hits[0].id, version: Number(hits[0].resource.meta?.versionId ?? 1) };
              learnt.push([key, hit]);
            }
          }
          if (hit && hit.id !== r.id) throw new Contradicted(`${key} is ${hit.id}, not ${r.id}`);
          if (hit) found.set(r.index, hit.version);
          // created now, it is what the same search finds from here on (its condition is its own identifier)
          else if (r.ownIdentifier) learnt.push([key, { id: r.id, version: 1 }]);
        }
        const out = await tx.writePrepared(prepared, new Set(found.keys()), memory);
        if (!out) throw new Contradicted('a resource of the file exists already');
        return [found, out, learnt] as const;
      }),
    );
  } catch {
    // whatever went wrong, the one-thread path reports it as it always did (or imports the file)
    return undefined;
  }
  // a condition two resources of the file were created with finds both from now on: search it each time
  const twice = new Set(
    learned.filter(([k], i) => learned.findIndex(([x]) => x === k) !== i).map(([k]) => k),
  );
  if (alone) for (const [key, hit] of learned) if (!twice.has(key)) matches.set(key, hit);
  memory?.created(prepared.resources);
  // the response entries processBundle would give: counted and their warnings reported alike
  const byIndex = new Map(written.map((w) => [w.id, w]));
  const entries: BundleEntry[] = prepared.resources.map((r) => {
    const version = matched.get(r.index);
    if (version !== undefined)
      return {
        response: {
          status: '200 OK',
          location: `${r.type}/${r.id}/_history/${version}`,
          etag: `W/"${version}"`,
        },
      };
    const w = byIndex.get(r.id);
    return {
      fullUrl: r.fullUrl,
      response: {
        status: '201 Created',
        location: `${r.type}/${r.id}/_history/1`,
        etag: 'W/"1"',
        lastModified: w?.lastUpdated,
        ...(r.warnings ? { outcome: { resourceType: 'OperationOutcome', issue: r.warnings } } : {}),
      },
    };
  });
  for (const r of prepared.resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  report.resources = prepared.resources.length;
  collectOutcomes({ resourceType: 'Bundle', type: 'transaction-response', entry: entries }, 0, report.errors);
  if (report.errors.length) report.status = 'partial';
  else await markImported(db, prepared.sha256, path.basename(f.path), report.resources);
  return { report, byType, deferred: false };
}

/**
 * Imports `files` in order: up to `ahead` of them are prepared on the threads while this thread writes.
 * `fallback` imports a file the pipeline hands back. Stops taking new files once `signal` aborts. Returns
 * how many files were written as prepared.
 */
export async function runPipeline(
  threads: PrepareThreads,
  files: ImportFile[],
  ahead: number,
  signal: AbortSignal | undefined,
  write: (f: ImportFile, p: PreparedFile) => Promise<FileOutcome | undefined>,
  fallback: (f: ImportFile) => Promise<FileOutcome>,
  settle: (f: ImportFile, o: FileOutcome) => void,
): Promise<number> {
  let written = 0;
  const queue: { f: ImportFile; p: Promise<PreparedFile | undefined> }[] = [];
  let next = 0;
  const fill = () => {
    while (next < files.length && queue.length < ahead && !signal?.aborted) {
      const f = files[next++];
      // a thread that fails on a file leaves it to the one-thread path
      queue.push({ f, p: threads.prepare(f).catch(() => undefined) });
    }
  };
  fill();
  for (let item = queue.shift(); item; item = queue.shift()) {
    const prepared = await item.p;
    fill();
    const done = prepared && (await write(item.f, prepared));
    if (done && done.report.status !== 'skipped') written++;
    settle(item.f, done || (await fallback(item.f)));
    if (signal?.aborted) break;
  }
  return written;
}
