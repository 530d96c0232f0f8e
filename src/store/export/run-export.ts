// Runs bulk exports in the background inside the server: each job streams its resources from the
// database in bounded batches (scan.ts; or through Repository.search for types with a _typeFilter) into
// NDJSON files under DATA_DIR/exports/<job>/, records its progress, and can be cancelled. Jobs that were
// running when the server stopped are marked failed at the next start (their files are partial; the
// client starts the export again); finished jobs and their files are kept until they expire.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { redactSsns, SSN_LIKE } from '../../fhir/ssn.js';
import type { Database } from '../../platform/db/database.js';
import type { Repository } from '../repository.js';
import type { SsnSealer } from '../ssn-sealing.js';
import {
  addFile,
  closeJob,
  type ExportJob,
  type ExportLevel,
  type ExportSpec,
  expiredJobs,
  failInterruptedJobs,
  finishJob,
  forgetFiles,
  insertJob,
  setProgress,
} from './export-jobs.js';
import { NdjsonFiles } from './ndjson-files.js';
import { countScan, patientsOfRids, type ScanFilter, type ScannedRow, scanBatch } from './scan.js';

export interface ExportOptions {
  /** Folder under which each job gets its own folder of files. */
  dir: string;
  linesPerFile: number;
  ttlSeconds: number;
  /** Resources per database round trip. */
  batchSize?: number;
}

/** Told when a job ends, for the audit trail. */
export type ExportFinished = (job: ExportJob, status: 'completed' | 'failed') => Promise<void>;

class Cancelled extends Error {}

export class ExportRunner {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly batchSize: number;

  constructor(
    private readonly db: Database,
    private readonly opts: ExportOptions,
    private readonly onFinished: ExportFinished = async () => undefined,
  ) {
    this.batchSize = opts.batchSize ?? 2000;
  }

  /** At start: jobs interrupted by a stop are failed and their partial files removed; expired ones go. */
  async init(): Promise<void> {
    for (const id of await failInterruptedJobs(this.db, this.opts.ttlSeconds)) this.removeFiles(id);
    await this.sweep();
    const every = Math.min(600, Math.max(1, Math.floor(this.opts.ttlSeconds / 2))) * 1000;
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), every);
    this.sweeper.unref();
  }

  dirOf(id: string): string {
    return path.join(this.opts.dir, id);
  }

  /** Records the job and starts it; `repo` carries the requester's visibility for filtered searches. */
  async start(
    j: { username: string; level: ExportLevel; request: string; spec: ExportSpec },
    repo: Repository,
  ): Promise<ExportJob> {
    // The job row keeps no SSN: the request URL shows them masked, the searches keep them sealed.
    const job = await insertJob(this.db, {
      id: randomUUID(),
      ...j,
      request: redactSsns(j.request),
      spec: { ...j.spec, typeFilters: sealTypeFilters(j.spec.typeFilters, repo.ssn) },
    });
    const abort = new AbortController();
    const done = this.run(job, repo, abort.signal).finally(() => this.running.delete(job.id));
    this.running.set(job.id, { abort, done });
    return job;
  }

  /** Cancels a running job, or deletes a finished one's files (DELETE on the status URL). */
  async cancel(id: string): Promise<void> {
    const r = this.running.get(id);
    await closeJob(this.db, id, 'cancelled');
    if (r) {
      r.abort.abort('cancel');
      await r.done;
    }
    this.removeFiles(id);
  }

  /** Removes the files of expired jobs. */
  async sweep(): Promise<void> {
    for (const id of await expiredJobs(this.db)) {
      await closeJob(this.db, id, 'expired');
      this.removeFiles(id);
    }
  }

  /** Server shutdown: running jobs stop and are marked failed. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort('stop');
    await Promise.all(all.map((r) => r.done));
  }

  private removeFiles(id: string): void {
    fs.rmSync(this.dirOf(id), { recursive: true, force: true });
  }

  private async run(job: ExportJob, repo: Repository, signal: AbortSignal): Promise<void> {
    const dir = this.dirOf(job.id);
    const view = job.spec.ssn ?? 'masked';
    const files = new NdjsonFiles(
      dir,
      this.opts.linesPerFile,
      (content) => repo.ssn.reveal(content, view),
      (f) => addFile(this.db, job.id, f),
    );
    try {
      fs.mkdirSync(dir, { recursive: true });
      await this.export(job, repo, files, signal);
      await files.close();
      // The audit entry is recorded before the manifest becomes visible, so no client sees a finished
      // export whose completion is not yet in the audit trail.
      await this.onFinished(job, 'completed');
      await finishJob(this.db, job.id, 'completed', this.opts.ttlSeconds);
    } catch (err) {
      files.destroy();
      if (signal.reason === 'cancel') {
        this.removeFiles(job.id); // cancelled: the status row says so already
        return;
      }
      // The message of a database error may quote data: only its kind is kept.
      const message =
        signal.reason === 'stop'
          ? 'The server stopped while this export ran; start the export again'
          : `The export failed (${err instanceof Error ? err.name : 'error'}); start it again`;
      if (signal.reason !== 'stop') {
        const frames = ((err as Error).stack ?? '').split('\n').slice(1, 6).join('\n');
        process.stderr.write(
          `export ${job.id} failed: ${(err as Error).name} (message withheld: it may hold patient data)\n${frames}\n`,
        );
      }
      this.removeFiles(job.id);
      await forgetFiles(this.db, job.id).catch(() => undefined);
      if (await finishJob(this.db, job.id, 'failed', this.opts.ttlSeconds, message).catch(() => false))
        await this.onFinished({ ...job, status: 'failed', message }, 'failed');
    }
  }

  private async export(
    job: ExportJob,
    repo: Repository,
    files: NdjsonFiles,
    signal: AbortSignal,
  ): Promise<void> {
    const spec = job.spec;
    const filtered = spec.types.filter((t) => spec.typeFilters[t]?.length);
    const scan: ScanFilter = {
      types: spec.types.filter((t) => !filtered.includes(t)),
      since: spec.since,
      inCompartment: job.level === 'patient',
      patients: job.level === 'group' ? (spec.patients ?? []) : undefined,
      visibleRestricted: spec.visibleRestricted,
    };
    const sinceParam: [string, string][] = spec.since ? [['_lastUpdated', `gt${spec.since}`]] : [];
    let total = scan.types.length ? await countScan(this.db, scan) : 0;
    for (const type of filtered)
      for (const f of spec.typeFilters[type])
        total +=
          (await repo.search({ type, params: [...f, ...sinceParam], count: 0, total: true })).total ?? 0;
    let done = 0;
    let reported = 0;
    await setProgress(this.db, job.id, 0, total);
    const progress = async (n: number) => {
      done += n;
      if (signal.aborted) throw new Cancelled();
      if (Date.now() - reported > 500) {
        reported = Date.now();
        await setProgress(this.db, job.id, done, Math.max(total, done));
      }
    };

    // Unfiltered types: one pass over the resources in rid order; the next batch is fetched while the
    // current one is written.
    if (scan.types.length) {
      const fetch = (after: string) => scanBatch(this.db, scan, after, this.batchSize);
      let next: Promise<ScannedRow[]> | undefined = fetch('0');
      while (next) {
        const rows: ScannedRow[] = await next;
        next = rows.length === this.batchSize ? fetch(rows[rows.length - 1].rid) : undefined;
        next?.catch(() => undefined); // awaited on the next turn; a cancellation may leave it behind
        try {
          await this.writeRows(files, rows);
          await progress(rows.length);
        } catch (err) {
          await next?.catch(() => undefined);
          throw err;
        }
      }
    }

    // Types with a _typeFilter: each query through the search engine, OR'ed (a resource matching two
    // queries is written once), confined to the compartments a Patient or Group export covers.
    const members = job.level === 'group' ? new Set(spec.patients ?? []) : undefined;
    for (const type of filtered) {
      const seen = spec.typeFilters[type].length > 1 ? new Set<string>() : undefined;
      for (const f of spec.typeFilters[type]) {
        let after: string | undefined;
        do {
          const page = await repo.search({
            type,
            params: [...f, ...sinceParam],
            count: this.batchSize,
            after,
          });
          after = page.next;
          const patients = await patientsOfRids(
            this.db,
            page.entries.map((e) => e.rid),
          );
          const rows = page.entries
            .map((e) => ({ rid: e.rid, type, content: e.content, patients: patients.get(e.rid) ?? [] }))
            .filter((r) => job.level === 'system' || r.patients.length > 0)
            .filter((r) => !members || r.patients.some((p) => members.has(p)))
            .filter((r) => !seen || (!seen.has(r.rid) && seen.add(r.rid)));
          await files.write(type, rows);
          await progress(page.entries.length);
        } while (after);
      }
    }
    await setProgress(this.db, job.id, done, done);
  }

  /** Writes a batch (mixed types, rid order) to the files of each type. */
  private async writeRows(files: NdjsonFiles, rows: ScannedRow[]): Promise<void> {
    const byType = new Map<string, ScannedRow[]>();
    for (const r of rows) {
      const list = byType.get(r.type);
      if (list) list.push(r);
      else byType.set(r.type, [r]);
    }
    for (const [type, list] of byType) await files.write(type, list);
  }
}

/** The SSNs searched by _typeFilter queries, sealed (the search opens them: store/ssn-sealing.ts). */
function sealTypeFilters(filters: ExportSpec['typeFilters'], ssn: SsnSealer): ExportSpec['typeFilters'] {
  const seal = (value: string): string =>
    SSN_LIKE.test(value)
      ? ssn.seal(value)
      : value.replace(/(us-ssn\|)([^,]+)/g, (_, system: string, code: string) => system + ssn.seal(code));
  return Object.fromEntries(
    Object.entries(filters).map(([type, queries]) => [
      type,
      queries.map((params) => params.map(([name, value]): [string, string] => [name, seal(value)])),
    ]),
  );
}
