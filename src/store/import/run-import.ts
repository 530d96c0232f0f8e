// The importer: loads FHIR Bundles and NDJSON files through the same transaction code as the REST API,
// with several files in flight, retries on write conflicts, a per-file error report, and a journal of
// finished files so that a re-run (for example after a crash) skips what is done and resumes the rest.

import path from 'node:path';
import type { BundleEntry, Resource } from '@medplum/fhirtypes';
import { parseJson } from '../../fhir/json.js';
import type { Database } from '../../platform/db/database.js';
import { FhirError } from '../../platform/errors.js';
import { processBundle } from '../bundle/process-bundle.js';
import type { Repository } from '../repository.js';
import { deferIndexes, restoreDeferredIndexes } from './deferred-indexes.js';
import { importAuditHook } from './import-audit.js';
import {
  type BundleFileOptions,
  importBundleFile,
  STREAM_BUNDLES_FROM,
  textSize,
} from './import-bundle-file.js';
import { ImportMemory } from './import-memory.js';
import { asEntry, countWritten, errorsOf, isMissingConditional, withRetry } from './import-writes.js';
import { isImported, markImported } from './journal.js';
import { type MatchCache, PrepareThreads, runPipeline, writePreparedFile } from './pipeline.js';
import { type ImportFile, ndjsonBatches, sha256File } from './read-files.js';
import type { ThreadSetup } from './thread-runner.js';
import { ThreadRunner } from './thread-runner.js';

export interface FileReport {
  file: string;
  status: 'imported' | 'skipped' | 'failed' | 'partial';
  resources: number;
  errors: { where: string; message: string }[];
}

export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  resources: number;
  byType: Record<string, number>;
  failedFiles: number;
}

export interface ImportOptions {
  /** Files in flight per thread. */
  workers?: number;
  /** Worker threads (PostgreSQL only; each opens its own connections to databaseUrl). */
  threads?: number;
  databaseUrl?: string;
  /** Import files again even when the journal says they are done. */
  force?: boolean;
  ndjsonBatch?: number;
  /** Bundle files with more JSON text than this many bytes are streamed (default 32 MiB). */
  streamBundlesFrom?: number;
  /** Entries per chunk of a streamed Bundle file (default 250). */
  bundleChunk?: number;
  onProgress?: (p: ImportProgress) => void;
  onFile?: (r: FileReport) => void;
  signal?: AbortSignal;
  /**
   * Import threads set up their repository with `setupRepository(repo, data)` of this module (the code check
   * of the terminology area, which the store does not import).
   */
  threadSetup?: ThreadSetup;
  /** Who imports: each import transaction then carries its audit entry (see import-audit.ts). */
  auditOperator?: string;
  /**
   * Into an empty embedded database, build the secondary indexes once at the end instead of row by row
   * (see deferred-indexes.ts); ignored on PostgreSQL and on a database that holds resources.
   */
  deferIndexes?: boolean;
  /**
   * Embedded database only: threads that prepare files (parse, validate, index) while the main thread writes
   * (pipeline.ts). 0 imports on one thread as before; default CHARTROOM_IMPORT_PIPELINE, else cores - 1.
   */
  prepareThreads?: number;
  /**
   * Preparing threads spawned before the database was opened (`PrepareThreads.spawn`, as many as
   * prepareThreads), so their start-up overlaps it: used if the pipeline runs, terminated otherwise.
   */
  spawnedPrepareThreads?: PrepareThreads;
  /** Heap limit (MiB) of each preparing thread (worker resourceLimits); none when undefined. */
  threadHeapMib?: number;
}

/**
 * Whether an import would run the pipeline, as far as the configuration tells before the database is open
 * (runImport decides: the embedded database, or PostgreSQL with one import thread; Bundle files read whole).
 */
export function pipelineLikely(
  kind: 'pglite' | 'postgres',
  threads: number,
  prepareThreads: number,
): boolean {
  return prepareThreads > 0 && (kind === 'pglite' || threads === 1);
}

/** Preparing threads of the embedded import: CHARTROOM_IMPORT_PIPELINE (off, or a number), else cores - 1. */
export function prepareThreadsOf(env: string | undefined, cores: number): number {
  if (env === undefined || env === '' || env === 'on') return Math.max(1, cores - 1);
  if (env === 'off') return 0;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`CHARTROOM_IMPORT_PIPELINE must be off, on or a number of threads, not "${env}"`);
  return n;
}

export interface ImportReport extends ImportProgress {
  files: FileReport[];
  seconds: number;
  /** The pipeline: threads that prepared files, and how many files were written as they prepared them. */
  pipeline?: { threads: number; preparedFiles: number; prepareCpuSeconds?: number };
  /** CPU seconds of the thread that ran the import (the CLI fills it in on Linux). */
  mainThreadCpuSeconds?: number;
  /** The JavaScript heap limit of the thread that ran the import (the CLI fills it in). */
  heapLimitMiB?: number;
}

/** Files prepared ahead of the one being written (bounds the pipeline's memory). */
const PREPARED_AHEAD = 3;

export interface FileOutcome {
  report: FileReport;
  byType: Record<string, number>;
  /** The file's conditional references did not resolve yet: try it again after the others. */
  deferred: boolean;
}

/** Imports one file (or skips it when the journal has it): the unit of work of every importer thread. */
export async function importFile(
  repo: Repository,
  db: Database,
  f: ImportFile,
  opts: {
    force?: boolean;
    lastRound: boolean;
    ndjsonBatch?: number;
    streamBundlesFrom?: number;
    bundleChunk?: number;
    signal?: AbortSignal;
    auditOperator?: string;
    /** Bytes of this file read so far, while a big Bundle file is streamed. */
    onBytes?: (bytes: number) => void;
  },
): Promise<FileOutcome> {
  const name = path.basename(f.path);
  if (opts.auditOperator)
    repo = repo.withBeforeCommit(importAuditHook(opts.auditOperator, f.path), { content: false });
  const report: FileReport = { file: f.path, status: 'imported', resources: 0, errors: [] };
  const byType: Record<string, number> = {};
  const sha = await sha256File(f.path);
  if (!opts.force && (await isImported(db, sha))) {
    report.status = 'skipped';
  } else if (f.kind === 'bundle') {
    try {
      const bundleOpts: BundleFileOptions = {
        streamFrom: opts.streamBundlesFrom,
        chunk: opts.bundleChunk,
        onBytes: opts.onBytes,
        signal: opts.signal,
      };
      await importBundleFile(repo, f, report, byType, bundleOpts);
    } catch (err) {
      if (!opts.lastRound && isMissingConditional(err)) return { report, byType: {}, deferred: true };
      report.status = 'failed';
      report.errors.push(...errorsOf(err, name));
    }
  } else {
    await importNdjsonFile(repo, f, report, byType, opts.ndjsonBatch ?? 500, opts.signal);
  }
  if (report.status === 'imported' && report.errors.length)
    report.status = report.resources ? 'partial' : 'failed';
  if (report.status === 'imported') await markImported(db, sha, name, report.resources);
  return { report, byType, deferred: false };
}

/** Runs files through `run` with at most `lanes` in flight, in order, until done or aborted. */
async function pool(
  files: ImportFile[],
  lanes: number,
  signal: AbortSignal | undefined,
  run: (f: ImportFile) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < files.length && !signal?.aborted) await run(files[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
}

export async function runImport(
  repo: Repository,
  db: Database,
  files: ImportFile[],
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const started = Date.now();
  const progress: ImportProgress = {
    filesDone: 0,
    filesTotal: files.length,
    bytesDone: 0,
    bytesTotal: files.reduce((s, f) => s + f.size, 0),
    resources: 0,
    byType: {},
    failedFiles: 0,
  };
  const reports: FileReport[] = [];
  const deferred: ImportFile[] = [];
  // bytes read so far of the big files in flight, so that their progress shows while they are read
  const reading = new Map<ImportFile, number>();
  const emit = () => {
    let bytesDone = progress.bytesDone;
    for (const b of reading.values()) bytesDone += b;
    opts.onProgress?.({ ...progress, bytesDone, byType: { ...progress.byType } });
  };
  const onBytes = (f: ImportFile) => (bytes: number) => {
    reading.set(f, Math.min(bytes, f.size));
    emit();
  };
  const settle = (f: ImportFile, o: FileOutcome) => {
    reading.delete(f);
    if (o.deferred) {
      deferred.push(f);
      return;
    }
    for (const [t, n] of Object.entries(o.byType)) progress.byType[t] = (progress.byType[t] ?? 0) + n;
    if (o.report.status === 'failed') progress.failedFiles++;
    progress.filesDone++;
    progress.bytesDone += f.size;
    progress.resources += o.report.resources;
    reports.push(o.report);
    opts.onFile?.(o.report);
    emit();
  };
  // On PostgreSQL the work spreads over worker threads, each with its own connections (validation and
  // index extraction are CPU-bound); the embedded database lives in this thread, so it imports here.
  const threads = db.kind === 'postgres' ? (opts.threads ?? 1) : 1;
  const lanes = Math.max(1, opts.workers ?? 1);
  const runner =
    threads > 1 && opts.databaseUrl
      ? await ThreadRunner.start(threads, opts.databaseUrl, {
          setup: opts.threadSetup,
          auditOperator: opts.auditOperator,
          streamBundlesFrom: opts.streamBundlesFrom,
          bundleChunk: opts.bundleChunk,
        })
      : {
          run: (f: ImportFile, lastRound: boolean, bytes: (n: number) => void) =>
            importFile(repo, db, f, { ...opts, lastRound, onBytes: bytes }),
          close: async () => undefined,
        };
  const streamFrom = opts.streamBundlesFrom ?? STREAM_BUNDLES_FROM;
  // The threads only prepare Bundle files read whole: none to prepare, no thread (nor its memory). On
  // PostgreSQL the pipeline runs when the import has one thread of its own (up to 3 cores): a second one
  // preparing files there beat files in flight on one thread (docs/performance.md, session 7).
  const usePipeline =
    pipelineLikely(db.kind, threads, opts.prepareThreads ?? 0) && (await anyWholeBundle(files, streamFrom));
  if (!usePipeline) await opts.spawnedPrepareThreads?.close();
  const preparing = usePipeline
    ? await (
        opts.spawnedPrepareThreads ?? PrepareThreads.spawn(opts.prepareThreads ?? 1, opts.threadHeapMib)
      ).init({ params: repo.params.entries(), streamFrom, setup: opts.threadSetup })
    : undefined;
  let preparedFiles = 0;
  const matches: MatchCache = new Map();
  const memory = new ImportMemory(db.kind === 'pglite');
  const indexesDeferred = opts.deferIndexes ? await deferIndexes(db) : false;
  // deferIndexes found the embedded database empty; else ask
  if (
    memory.sole &&
    (indexesDeferred ||
      (await db.query('SELECT NOT EXISTS (SELECT 1 FROM resource) AS empty')).rows[0]?.empty)
  )
    memory.startFresh();
  try {
    emit();
    if (preparing)
      preparedFiles = await runPipeline(
        preparing,
        files,
        PREPARED_AHEAD,
        opts.signal,
        (f, p) => writePreparedFile(repo, db, f, p, opts, matches, memory),
        (f) => {
          matches.clear(); // the one-thread path may change or delete what was matched
          memory.unknownWrites();
          return runner.run(f, false, onBytes(f));
        },
        settle,
      );
    else
      await pool(files, lanes * threads, opts.signal, async (f) =>
        settle(f, await runner.run(f, false, onBytes(f))),
      );
    if (deferred.length)
      await pool(deferred.splice(0), lanes * threads, opts.signal, async (f) =>
        settle(f, await runner.run(f, true, onBytes(f))),
      );
  } finally {
    await preparing?.close();
    await runner.close();
    if (indexesDeferred) await restoreDeferredIndexes(db);
  }
  return {
    ...progress,
    files: reports,
    seconds: (Date.now() - started) / 1000,
    ...(preparing
      ? {
          pipeline: {
            threads: opts.prepareThreads ?? 1,
            preparedFiles,
            prepareCpuSeconds: preparing.cpuSeconds(),
          },
        }
      : {}),
  };
}

async function anyWholeBundle(files: ImportFile[], streamFrom: number): Promise<boolean> {
  for (const f of files) if (f.kind === 'bundle' && (await textSize(f)) < streamFrom) return true;
  return false;
}

async function importNdjsonFile(
  repo: Repository,
  f: ImportFile,
  report: FileReport,
  byType: Record<string, number>,
  batchSize: number,
  signal?: AbortSignal,
): Promise<void> {
  const name = path.basename(f.path);
  for await (const lines of ndjsonBatches(f.path, batchSize)) {
    if (signal?.aborted) {
      report.errors.push({ where: name, message: 'cancelled' });
      return;
    }
    const entries: BundleEntry[] = [];
    const lineOf: number[] = [];
    for (const { line, text } of lines) {
      let r: Resource;
      try {
        r = parseJson(text) as Resource;
      } catch (err) {
        report.errors.push({
          where: `${name} line ${line}`,
          message: `Not valid JSON: ${(err as Error).message}`,
        });
        continue;
      }
      if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') {
        report.errors.push({
          where: `${name} line ${line}`,
          message: 'Not a FHIR resource (no resourceType)',
        });
        continue;
      }
      entries.push(asEntry(r));
      lineOf.push(line);
    }
    if (!entries.length) continue;
    try {
      const response = await withRetry(() =>
        processBundle(
          repo,
          { resourceType: 'Bundle', type: 'transaction', entry: entries },
          { importMode: true },
        ),
      );
      report.resources += countWritten(entries, response, byType);
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      // Some line is bad: load the batch entry by entry so the good ones land and each bad one is named.
      const response = await withRetry(() =>
        processBundle(repo, { resourceType: 'Bundle', type: 'batch', entry: entries }, { importMode: true }),
      );
      report.resources += countWritten(entries, response, byType);
      (response.entry ?? []).forEach((e, i) => {
        if (e.response?.outcome)
          report.errors.push(
            ...errorsOf(new FhirError(400, e.response.outcome.issue ?? []), `${name} line ${lineOf[i]}`),
          );
      });
    }
  }
}
