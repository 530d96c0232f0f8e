// `chartroom import <files or folders>`: loads FHIR Bundles and NDJSON with a progress bar, per-type
// counts and a per-file error report (also written as JSON next to the data).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { loadConfig } from '../platform/config.js';
import { threadCpuSeconds } from '../platform/thread-cpu.js';
import { auditRow } from '../security/audit/audit-event.js';
import { openServices } from '../server.js';
import { type AuditRow, appendAudit } from '../store/audit-log.js';
import { PrepareThreads } from '../store/import/pipeline.js';
import { findFiles } from '../store/import/read-files.js';
import type { FileReport } from '../store/import/run-import.js';
import {
  type ImportReport,
  pipelineLikely,
  prepareThreadsOf,
  runImport,
} from '../store/import/run-import.js';
import { importCodeCheckData, setupRepository } from './import-code-check.js';
import { ProgressBar } from './progress-bar.js';

function importAudit(f: FileReport, operator: string): AuditRow {
  const status = f.status === 'imported' ? 201 : f.status === 'partial' ? 207 : 400;
  return auditRow({
    username: operator,
    action: 'C',
    interaction: 'import',
    path: f.file,
    status,
    entities: [],
    patients: [],
  });
}

export interface ImportArgs {
  inputs: string[];
  workers?: number;
  threads?: number;
  force?: boolean;
  quiet?: boolean;
  /** Print a line per finished file (status, resources, name) to stdout. */
  verbose?: boolean;
  reportFile?: string;
  /** Bundle files with more JSON text than this many bytes are streamed (default 32 MiB). */
  streamBundlesFrom?: number;
  /** Heap limit (MiB) of the threads the import starts (CHARTROOM_IMPORT_HEAP_MIB, as its own). */
  threadHeapMib?: number;
}

/** Calls `stop` when the user asks the import to stop (Ctrl-C; the import thread gets it as a message). */
export type OnStopRequest = (stop: () => void) => () => void;

const onSigint: OnStopRequest = (stop) => {
  process.once('SIGINT', stop);
  return () => process.removeListener('SIGINT', stop);
};

export async function importCommand(
  args: ImportArgs,
  onStopRequest: OnStopRequest = onSigint,
): Promise<ImportReport> {
  if (args.inputs.length === 0)
    throw new Error('usage: chartroom import <file or folder>... [--workers N] [--force] [--report FILE]');
  const files = findFiles(args.inputs);
  const kind = loadConfig().databaseUrl ? 'postgres' : 'pglite';
  // Threads pay for themselves from 4 cores up (each loads the definitions and warms up on its own).
  const threads =
    args.threads ?? (kind === 'postgres' ? Math.max(1, Math.floor(os.availableParallelism() / 2)) : 1);
  const prepareThreads = prepareThreadsOf(process.env.CHARTROOM_IMPORT_PIPELINE, os.availableParallelism());
  // The pipeline's threads load the definitions while the database opens (~0.8 s less to wait for them).
  const spawned = pipelineLikely(kind, threads, prepareThreads)
    ? PrepareThreads.spawn(prepareThreads, args.threadHeapMib)
    : undefined;
  let services: Awaited<ReturnType<typeof openServices>>;
  try {
    services = await openServices();
  } catch (err) {
    await spawned?.close();
    throw err;
  }
  const { db, repo, config } = services;
  const workers = args.workers ?? 3;
  // coded elements are checked as on any write (docs/terminology.md), here and in each import thread
  const codeCheck = importCodeCheckData(config.dataDir);
  if (codeCheck) setupRepository(repo, codeCheck);
  const bar = new ProgressBar('import');
  // Loading records is an access to patient data like any other: each import transaction commits with
  // its audit entry (the patients it wrote), and each file gets a summary entry (its outcome) at the end.
  const operator = `cli:${os.userInfo().username}`;
  const audits: AuditRow[] = [];
  const controller = new AbortController();
  const stop = () => {
    process.stderr.write('\nStopping after the files in flight; run the same command again to resume.\n');
    controller.abort();
  };
  const unlisten = onStopRequest(stop);
  let report: ImportReport;
  const cpuBefore = threadCpuSeconds();
  try {
    report = await runImport(repo, db, files, {
      workers,
      threads,
      databaseUrl: config.databaseUrl,
      force: args.force,
      auditOperator: operator,
      deferIndexes: true,
      // threads prepare files while this one writes (embedded database; PostgreSQL with one import thread)
      prepareThreads,
      spawnedPrepareThreads: spawned,
      threadHeapMib: args.threadHeapMib,
      streamBundlesFrom: args.streamBundlesFrom,
      signal: controller.signal,
      threadSetup: codeCheck
        ? { module: new URL('./import-code-check.js', import.meta.url).href, data: codeCheck }
        : undefined,
      onFile: (f) => {
        if (f.status !== 'skipped') audits.push(importAudit(f, operator));
        if (args.verbose) process.stdout.write(`${f.status} ${f.resources} ${f.file}\n`);
      },
      onProgress: (p) => {
        if (args.quiet) return;
        const rate = p.resources / Math.max(0.001, (Date.now() - started) / 1000);
        bar.update(
          p.bytesDone,
          p.bytesTotal,
          `${p.filesDone}/${p.filesTotal} files, ${p.resources.toLocaleString('en-US')} resources, ${Math.round(rate).toLocaleString('en-US')}/s${p.failedFiles ? `, ${p.failedFiles} failed` : ''}`,
        );
      },
    });
    const cpu = threadCpuSeconds();
    if (cpu !== undefined && cpuBefore !== undefined) report.mainThreadCpuSeconds = cpu - cpuBefore;
    report.heapLimitMiB = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  } finally {
    unlisten();
    await spawned?.close(); // done with by now, or never used (runImport closes those it used)
    await appendAudit(db, audits).catch((err: Error) =>
      process.stderr.write(`Could not write the audit entries of this import: ${err.message}\n`),
    );
    await db.close();
  }
  if (!args.quiet) {
    bar.update(
      report.bytesTotal,
      report.bytesTotal,
      `${report.filesDone}/${report.filesTotal} files, ${report.resources.toLocaleString('en-US')} resources`,
      true,
    );
    bar.done();
    printSummary(report);
  }
  const reportFile = args.reportFile ?? path.join(config.dataDir, 'import-report.json');
  fs.mkdirSync(path.dirname(reportFile), { recursive: true });
  fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
  if (!args.quiet) process.stdout.write(`Full report: ${reportFile}\n`);
  return report;
}

const started = Date.now();

function printSummary(r: ImportReport): void {
  const out: string[] = [];
  const rate = r.resources / Math.max(0.001, r.seconds);
  out.push(
    `Imported ${r.resources.toLocaleString('en-US')} resources from ${r.filesDone} files in ${r.seconds.toFixed(1)} s (${Math.round(rate).toLocaleString('en-US')}/s).`,
  );
  if (r.pipeline)
    out.push(
      `${r.pipeline.preparedFiles} of ${r.filesDone} files were prepared on ${r.pipeline.threads} other thread(s) while this one wrote (CHARTROOM_IMPORT_PIPELINE=off: one thread).`,
    );
  const skipped = r.files.filter((f) => f.status === 'skipped').length;
  if (skipped)
    out.push(`${skipped} file(s) were already imported and skipped (use --force to load them again).`);
  const types = Object.entries(r.byType).sort((a, b) => b[1] - a[1]);
  if (types.length) {
    out.push('', 'By resource type:');
    const w = Math.max(...types.map(([t]) => t.length));
    for (const [t, n] of types) out.push(`  ${t.padEnd(w)}  ${n.toLocaleString('en-US').padStart(9)}`);
  }
  const bad = r.files.filter((f) => f.errors.length);
  if (bad.length) {
    out.push('', `Problems in ${bad.length} file(s):`);
    for (const f of bad) {
      out.push(`  ${f.file} (${f.status}, ${f.resources} resources loaded):`);
      for (const e of f.errors.slice(0, 10)) out.push(`    ${e.where}: ${e.message}`);
      if (f.errors.length > 10) out.push(`    ... and ${f.errors.length - 10} more (see the report file)`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
