// Import throughput of the 125 Synthea bundles (36,892 resources, all search indexes), against the
// fastest bare insert of the same JSON documents into one plain table measured in the same run.
// Usage: node dist/bench/import.js [--runs 3] [--db postgres|pglite|both] [--code-check] [--label NAME]
// (--code-check: on PostgreSQL, also the import with the terminology code check off, in turn with the default;
// on PGlite every run also imports on one thread, CHARTROOM_IMPORT_PIPELINE=off, alternating which goes first,
// and the ratio is to the faster of the run's bare multi-row INSERT and bare COPY from a Blob;
// --label: the result file is named import-DB-DATETHHMM-NAME.json)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  corpusDir,
  corpusDocuments,
  fmt,
  freshPgDatabase,
  PG_ADMIN,
  postgresMemory,
  saveResult,
  stats,
  timedImport,
} from './support.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 3) || 3;
const codeCheck = args.includes('--code-check');
const which = args.includes('--db') ? args[args.indexOf('--db') + 1] : 'both';
const label = args.includes('--label') ? args[args.indexOf('--label') + 1] : undefined;
const docs = corpusDocuments();
const N = docs.length;

const freshPg = freshPgDatabase;

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function postgresSettings() {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    return await postgresMemory(c);
  } finally {
    await c.end();
  }
}

/** COPY's text format of one column value. */
const copyEscape = (s: string) =>
  s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/** The rows of documents `from` to `to` in COPY's text format. */
const copyRows = (from: number, to: number) =>
  docs.slice(from, to).map((d) => `${copyEscape(d.id)}\t${copyEscape(d.type)}\t${copyEscape(d.text)}\n`);

/** The bare multi-row INSERT: 500 documents a statement, as three arrays. */
async function insertBare(query: (sql: string, params: unknown[]) => Promise<unknown>, kind: string) {
  for (let i = 0; i < N; i += 500) {
    const chunk = docs.slice(i, i + 500);
    await query(`INSERT INTO bare SELECT * FROM unnest($1::text[], $2::text[], $3::${kind}[])`, [
      chunk.map((d) => d.id),
      chunk.map((d) => d.type),
      chunk.map((d) => d.text),
    ]);
  }
}

async function pgBaseline(kind: 'text' | 'jsonb', method: 'insert' | 'copy'): Promise<number> {
  const url = await freshPg('bench_bare');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE TABLE bare (id text, type text, content ${kind})`);
  const secs = await timed(async () => {
    if (method === 'insert') await insertBare((sql, params) => c.query(sql, params), kind);
    else {
      const stream = c.query(copyFrom('COPY bare FROM STDIN'));
      await new Promise<void>((resolve, reject) => {
        stream.on('finish', () => resolve());
        stream.on('error', reject);
        let i = 0;
        const write = () => {
          let ok = true;
          while (i < N && ok) {
            ok = stream.write(copyRows(i, i + 1)[0]);
            i++;
          }
          if (i < N) stream.once('drain', write);
          else stream.end();
        };
        write();
      });
    }
  });
  await c.end();
  return N / secs;
}

async function pgliteBaseline(kind: 'text' | 'jsonb', method: 'insert' | 'copy' = 'insert'): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pglite-bare-'));
  const db = await PGlite.create(dir);
  await db.exec(`CREATE TABLE bare (id text, type text, content ${kind})`);
  const secs = await timed(async () => {
    // COPY from a Blob (PGlite's /dev/blob), 5,000 rows a statement
    if (method === 'copy')
      for (let i = 0; i < N; i += 5000) {
        await db.query(`COPY bare FROM '/dev/blob'`, [], { blob: new Blob(copyRows(i, i + 5000)) });
      }
    else await insertBare((sql, params) => db.query(sql, params), kind);
  });
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return N / secs;
}

/** Runs `chartroom import` of the corpus on a fresh database as its own process. */
const chartroomImport = (db: 'postgres' | 'pglite', env: NodeJS.ProcessEnv = {}) =>
  timedImport({ db, inputs: [corpusDir], env, dbName: 'bench_import' });

const result: Record<string, unknown> = { documents: N, runs };
const lines: string[] = [`${fmt(N)} resources, ${runs} runs each, medians (min-max):`];
const show = (label: string, xs: number[]) => {
  const s = stats(xs);
  lines.push(`  ${label.padEnd(46)} ${fmt(s.median).padStart(7)}/s  (${fmt(s.min)}-${fmt(s.max)})`);
  return s;
};

if (which === 'both' || which === 'postgres') {
  const r: Record<string, number[]> = {
    copyText: [],
    copyJsonb: [],
    insertText: [],
    insertJsonb: [],
    chartroom: [],
    chartroomCodesOff: [],
    peak: [],
  };
  const settings = await postgresSettings();
  for (let i = 0; i < runs; i++) {
    // --code-check: the same import with the code check off (CHARTROOM_TERMINOLOGY=off), in turn
    if (codeCheck)
      r.chartroomCodesOff.push((await chartroomImport('postgres', { CHARTROOM_TERMINOLOGY: 'off' })).rate);
    r.copyText.push(await pgBaseline('text', 'copy'));
    r.copyJsonb.push(await pgBaseline('jsonb', 'copy'));
    r.insertText.push(await pgBaseline('text', 'insert'));
    r.insertJsonb.push(await pgBaseline('jsonb', 'insert'));
    const c = await chartroomImport('postgres');
    r.chartroom.push(c.rate);
    r.peak.push(c.peakMiB);
  }
  lines.push(`PostgreSQL 15 (${settings.summary}):`);
  const pg = {
    bareCopyText: show('bare COPY, content text', r.copyText),
    bareCopyJsonb: show('bare COPY, content jsonb', r.copyJsonb),
    bareInsertText: show('bare multi-row INSERT, text', r.insertText),
    bareInsertJsonb: show('bare multi-row INSERT, jsonb', r.insertJsonb),
    chartroom: show('chartroom import (versions, all indexes)', r.chartroom),
    ...(codeCheck
      ? {
          chartroomCodeCheckOff: show(
            'same, code check off (CHARTROOM_TERMINOLOGY=off)',
            r.chartroomCodesOff,
          ),
        }
      : {}),
    importerPeakRssMiB: stats(r.peak),
  };
  const best = Math.max(pg.bareCopyText.median, pg.bareInsertText.median);
  lines.push(
    `  ratio to the fastest bare insert: ${(pg.chartroom.median / best).toFixed(2)}; importer peak RSS ${pg.importerPeakRssMiB.median} MiB`,
  );
  result.postgres = { ...pg, settings, ratioToFastestBare: pg.chartroom.median / best };
}
if (which === 'both' || which === 'pglite') {
  const r: Record<string, number[]> = {
    insertText: [],
    insertJsonb: [],
    copyText: [],
    fastest: [],
    chartroom: [],
    peak: [],
    cpuUs: [],
    oneThread: [],
    oneThreadPeak: [],
    oneThreadCpuUs: [],
    ratio: [],
    oneThreadRatio: [],
  };
  const perRun: Record<string, unknown>[] = [];
  const cpuPerResource = (c: { mainThreadCpu?: number; resources: number }) =>
    ((c.mainThreadCpu ?? Number.NaN) / c.resources) * 1e6;
  for (let i = 0; i < runs; i++) {
    const loadAtStart = os.loadavg()[0];
    const insert = await pgliteBaseline('text');
    r.insertText.push(insert);
    r.insertJsonb.push(await pgliteBaseline('jsonb'));
    const copy = await pgliteBaseline('text', 'copy');
    r.copyText.push(copy);
    // the fastest bare load of this run is the ratio's base (issue 2: multi-row INSERT and COPY tried)
    const text = Math.max(insert, copy);
    r.fastest.push(text);
    // the pipeline (default) and the one-thread path in turn, each first in every other run
    const order = i % 2 === 0 ? ['pipeline', 'off'] : ['off', 'pipeline'];
    const got: Record<string, Awaited<ReturnType<typeof chartroomImport>>> = {};
    for (const mode of order)
      got[mode] = await chartroomImport('pglite', mode === 'off' ? { CHARTROOM_IMPORT_PIPELINE: 'off' } : {});
    const [c, o] = [got.pipeline, got.off];
    r.chartroom.push(c.rate);
    r.peak.push(c.peakMiB);
    r.cpuUs.push(cpuPerResource(c));
    r.oneThread.push(o.rate);
    r.oneThreadPeak.push(o.peakMiB);
    r.oneThreadCpuUs.push(cpuPerResource(o));
    r.ratio.push(c.rate / text);
    r.oneThreadRatio.push(o.rate / text);
    perRun.push({
      loadAtStart,
      bareInsertText: insert,
      bareCopyText: copy,
      pipeline: c,
      oneThread: o,
      order,
    });
    lines.push(
      `  run ${i + 1} (load ${loadAtStart.toFixed(1)}-${c.load?.toFixed(1)}): fastest bare ${fmt(text)} rows/s, pipeline ${fmt(c.rate)}/s (${(c.rate / text).toFixed(2)}, main thread ${cpuPerResource(c).toFixed(0)} µs CPU/resource), one thread ${fmt(o.rate)}/s (${(o.rate / text).toFixed(2)}, ${cpuPerResource(o).toFixed(0)} µs)`,
    );
  }
  lines.push('PGlite (file-backed, in process):');
  const pl = {
    bareInsertText: show('bare multi-row INSERT, text', r.insertText),
    bareInsertJsonb: show('bare multi-row INSERT, jsonb', r.insertJsonb),
    bareCopyText: show('bare COPY from a Blob, text', r.copyText),
    chartroom: show('chartroom import, pipeline (versions, all indexes)', r.chartroom),
    chartroomOneThread: show('same, one thread (CHARTROOM_IMPORT_PIPELINE=off)', r.oneThread),
    importerPeakRssMiB: stats(r.peak),
    oneThreadPeakRssMiB: stats(r.oneThreadPeak),
    mainThreadCpuUsPerResource: stats(r.cpuUs),
    oneThreadCpuUsPerResource: stats(r.oneThreadCpuUs),
    ratioPerRun: stats(r.ratio),
    oneThreadRatioPerRun: stats(r.oneThreadRatio),
    runs: perRun,
  };
  lines.push(
    `  ratio to the fastest bare load (per run, median): ${pl.ratioPerRun.median.toFixed(2)} (one thread ${pl.oneThreadRatioPerRun.median.toFixed(2)}); to the multi-row INSERT alone ${(pl.chartroom.median / pl.bareInsertText.median).toFixed(2)}, to the COPY alone ${(pl.chartroom.median / pl.bareCopyText.median).toFixed(2)}`,
    `  main-thread CPU per resource: ${pl.mainThreadCpuUsPerResource.median.toFixed(0)} µs (one thread ${pl.oneThreadCpuUsPerResource.median.toFixed(0)} µs); importer peak RSS ${pl.importerPeakRssMiB.median} MiB (one thread ${pl.oneThreadPeakRssMiB.median} MiB)`,
  );
  result.pglite = {
    ...pl,
    ratioToFastestBare: pl.ratioPerRun.median,
    ratioToBareInsertText: pl.chartroom.median / pl.bareInsertText.median,
  };
}
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(`saved ${saveResult(`import-${which}`, result, label)}\n`);
