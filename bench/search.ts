import os from 'node:os';
import pg from 'pg';
import { ParamRegistry } from '../src/store/param-registry.js';
import { datasetDefaults, ensureDataset, prewarm, startDatasetServer } from './search-dataset.js';
import { get, type LoadRun, runCalls, runLoad, type Target } from './search-load.js';
import { SEARCH_SHAPES, type SearchShape } from './search-shapes.js';
import {
  explainJson,
  fullIndexScansOnBigTables,
  type Statement,
  searchStatements,
  seqScansOnBigTables,
} from './search-sql.js';
import { fmt, numberOption, postgresMemory, saveResult, stats, vm } from './support.js';
import { runWrk, wrkAvailable } from './wrk-load.js';

const args = process.argv.slice(2);
const runs = numberOption('--runs', 3);
const requests = numberOption('--requests', 600);
const warmup = numberOption('--warmup', 100);
const connections = numberOption('--connections', 10);
const sampleCount = numberOption('--samples', 400);
/** wrk (default when installed) or the Node.js client of search-load.ts; wrk runs for --seconds per run. */
const client = args.includes('--client')
  ? args[args.indexOf('--client') + 1]
  : wrkAvailable()
    ? 'wrk'
    : 'node';
if (client !== 'wrk' && client !== 'node') throw new Error('--client takes wrk or node');
if (client === 'wrk' && !wrkAvailable()) throw new Error('wrk is not installed: apt-get install wrk');
if (client === 'node') process.stdout.write('load generator: Node.js (install wrk for a lighter one)\n');
const seconds = numberOption('--seconds', 8);

const loadavgAtStart = os.loadavg();
const datasetOpts = datasetDefaults(args);
const dataset = await ensureDataset(datasetOpts);
process.stdout.write(
  `${dataset.reused ? 'reusing' : 'loaded'} ${dataset.database}: ${fmt(dataset.import.resources)} resources, imported at ${fmt(dataset.import.rate)}/s\n`,
);

const { server, base, token } = await startDatasetServer(dataset, 18090, 'bench-search');
const fhir: Target = { base: `${base}/fhir/R4`, token };
const pool = new pg.Pool({ connectionString: dataset.databaseUrl, max: connections });
const registry = await ParamRegistry.load(pool);
const postgresSettings = await postgresMemory(pool);
// Fresh planner statistics, after the migrations the server applied at start.
await pool.query('ANALYZE');
const prewarmed = await prewarm(pool);
process.stdout.write(`${prewarmed}\n`);

interface Row {
  name: string;
  example?: string;
  group: string;
  targetP95Ms?: number;
  /** Set when the server does not support (part of) the shape yet: the row is not held to the target. */
  notSupported?: string;
  samples: number;
  http?: Summary;
  sqlOnly?: Summary;
  explain?: {
    path: string;
    why: string;
    seqScansOnBigTables: string[];
    fullIndexScans: string[];
    executionMs: number;
    plan: string[];
  }[];
}

type Summary = Record<'rps' | 'p50ms' | 'p95ms' | 'p99ms', ReturnType<typeof stats>> & {
  meanEntries: number;
  emptyResponses: number;
  requestsPerRun: number;
};

function summarize(rs: LoadRun[]): Summary {
  const s = (f: (r: LoadRun) => number) => {
    const x = stats(rs.map(f));
    return { ...x, median: round(x.median), min: round(x.min), max: round(x.max) };
  };
  return {
    rps: s((r) => r.rps),
    p50ms: s((r) => r.p50),
    p95ms: s((r) => r.p95),
    p99ms: s((r) => r.p99),
    meanEntries: round(rs.reduce((a, r) => a + r.meanEntries, 0) / rs.length),
    emptyResponses: rs.reduce((a, r) => a + r.empty, 0),
    requestsPerRun: Math.round(rs.reduce((a, r) => a + r.requests, 0) / rs.length),
  };
}
const round = (x: number) => Math.round(x * 100) / 100;

async function measure(run: (offset: number, n: number) => Promise<LoadRun>): Promise<Summary> {
  await run(0, warmup);
  const rs: LoadRun[] = [];
  for (let k = 0; k < runs; k++) rs.push(await run(warmup + k * requests, requests));
  return summarize(rs);
}

const httpLoad = (target: Target, paths: string[]) =>
  client === 'wrk'
    ? measure((offset, n) =>
        runWrk(target, paths, { connections, seconds: n === warmup ? 2 : seconds, offset }),
      )
    : measure((offset, n) => runLoad(target, paths, { connections, requests: n, offset }));

/**
 * The server's SQL for each path, run by `connections` clients straight on PostgreSQL; also gives the
 * samples in order of their slowest SQL time, whose plans are the ones worth reading.
 */
async function sqlLoad(statements: Statement[][]): Promise<{ summary: Summary; slowest: number[] }> {
  const worst = new Map<number, number>();
  const calls = statements.map((ss, i) => async () => {
    const t0 = performance.now();
    let n = 0;
    for (const s of ss) n = (await pool.query(s.sql, s.values)).rowCount ?? 0;
    worst.set(i, Math.max(worst.get(i) ?? 0, performance.now() - t0));
    return n;
  });
  const summary = await measure((offset, n) => runCalls(calls, { connections, requests: n, offset }));
  return { summary, slowest: [...worst.entries()].sort((a, b) => b[1] - a[1]).map(([i]) => i) };
}

/** EXPLAIN (ANALYZE, BUFFERS) of the first sample and of the two whose SQL was slowest under load. */
async function explain(
  paths: string[],
  statements: Statement[][],
  slowest: number[],
): Promise<Row['explain']> {
  const out: NonNullable<Row['explain']> = [];
  for (const i of new Set([0, ...slowest.slice(0, 2)])) {
    for (const s of statements[i]) {
      const r = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.values);
      const plan = r.rows.map((x) => x['QUERY PLAN']);
      const client = await pool.connect();
      const json = await explainJson(client, s).finally(() => client.release());
      out.push({
        path: paths[i],
        why: i === 0 ? 'first sample' : 'among the slowest under load',
        seqScansOnBigTables: seqScansOnBigTables(json),
        fullIndexScans: fullIndexScansOnBigTables(json),
        executionMs: Number(/Execution Time: ([\d.]+)/.exec(plan.join('\n'))?.[1] ?? Number.NaN),
        plan: [s.sql, ...plan],
      });
    }
  }
  return out;
}

/** HTTP, the same SQL alone, and the plans, for one set of paths. */
async function measured(row: Row, paths: string[]): Promise<Row> {
  const st = await Promise.all(paths.map((p) => searchStatements(registry, p, { db: pool })));
  const http = await httpLoad(fhir, paths);
  const sql = await sqlLoad(st);
  return { ...row, http, sqlOnly: sql.summary, explain: await explain(paths, st, sql.slowest) };
}

/** What the server said it did not support, from the searchset's OperationOutcome (or its refusal). */
async function probe(p: string): Promise<{ refused?: string; ignored: string[] }> {
  const res = await get(fhir, p);
  if (res.status !== 200) return { refused: `HTTP ${res.status}: ${res.text.slice(0, 200)}`, ignored: [] };
  const m = /Ignored unknown or unsupported search parameter\(s\): ([^"]+)"/.exec(res.text);
  return { ignored: m ? m[1].split(', ') : [] };
}

const withoutParams = (p: string, drop: string[]) => {
  const [head, query] = p.split('?');
  const kept = [...new URLSearchParams(query)].filter(([k]) => !drop.includes(k));
  return `${head}?${new URLSearchParams(kept)}`;
};

async function shapeRows(shape: SearchShape): Promise<Row[]> {
  const paths = await shape.samples(pool, sampleCount);
  const row: Row = {
    name: shape.name,
    example: shape.example,
    group: shape.group,
    targetP95Ms: shape.targetP95Ms,
    samples: new Set(paths).size,
  };
  const pr = await probe(paths[0]);
  if (pr.refused) return [{ ...row, notSupported: `refused by the server (${pr.refused})` }];
  if (!pr.ignored.length) return [await measured(row, paths)];
  // Measured as the server answers it, but flagged; the supported rest is the row held to the target.
  const flagged = {
    ...row,
    notSupported: `${pr.ignored.join(', ')} ignored by the server`,
    http: await httpLoad(fhir, paths),
  };
  const reduced = paths.map((p) => withoutParams(p, pr.ignored));
  return [
    flagged,
    await measured({ ...row, name: `${shape.name} without ${pr.ignored.join(', ')}` }, reduced),
  ];
}

const rows: Row[] = [];
const patientIds = (
  await pool.query<{ id: string }>(
    "SELECT id FROM resource WHERE type = 'Patient' AND NOT deleted ORDER BY random() LIMIT $1",
    [sampleCount],
  )
).rows.map((r) => r.id);
rows.push({
  name: 'baseline: GET /healthz',
  group: 'baseline',
  samples: 1,
  http: await httpLoad({ base }, ['/healthz']),
});
rows.push({
  name: 'baseline: GET Patient/<id>',
  group: 'baseline',
  samples: patientIds.length,
  http: await httpLoad(
    fhir,
    patientIds.map((id) => `/Patient/${id}`),
  ),
});
for (const shape of SEARCH_SHAPES) {
  process.stdout.write(`measuring ${shape.name}\n`);
  rows.push(...(await shapeRows(shape)));
}
const memory = vm(server.pid as number);

const verdict = (r: Row) =>
  r.notSupported
    ? 'not supported yet'
    : r.targetP95Ms === undefined || !r.http
      ? ''
      : r.http.p95ms.median <= r.targetP95Ms
        ? 'met'
        : 'missed';
const lines = [
  `search over ${fmt(dataset.import.resources)} resources, ${connections} clients (${client}), ${runs} runs x ${client === 'wrk' ? `${seconds} s` : `${requests} requests`} (medians of runs; min-max of p95); PostgreSQL ${postgresSettings.summary}:`,
];
for (const r of rows) {
  if (!r.http) {
    lines.push(`  ${r.name.padEnd(58)} ${r.notSupported}`);
    continue;
  }
  const h = r.http;
  lines.push(
    `  ${r.name.padEnd(58)} ${fmt(h.rps.median).padStart(6)}/s p50 ${h.p50ms.median} p95 ${h.p95ms.median} (${h.p95ms.min}-${h.p95ms.max}) p99 ${h.p99ms.median} ms, ${h.meanEntries} hits` +
      (r.sqlOnly ? ` | SQL only p95 ${r.sqlOnly.p95ms.median} ms` : '') +
      (r.targetP95Ms
        ? ` | target ${r.targetP95Ms} ms: ${verdict(r)}`
        : r.notSupported
          ? ` | ${r.notSupported}`
          : ''),
  );
  for (const e of r.explain ?? [])
    for (const scan of [...e.seqScansOnBigTables, ...e.fullIndexScans])
      lines.push(`    ${scan} (${e.executionMs} ms) in ${decodeURIComponent(e.path)}`);
}
lines.push(`  server RSS ${memory.rssMiB} MiB (peak ${memory.hwmMiB} MiB)`);
process.stdout.write(`${lines.join('\n')}\n`);

const label = datasetOpts.resources === 1_000_000 ? '1m' : String(datasetOpts.resources);
// --label NAME: the result file is search-SIZE-DATETHHMM-NAME.json (a run of the same day keeps its own)
const runLabel = args.includes('--label') ? args[args.indexOf('--label') + 1] : undefined;
const file = saveResult(
  `search-${label}`,
  {
    connections,
    loadGenerator: client,
    secondsPerRun: client === 'wrk' ? seconds : undefined,
    postgres: { ...postgresSettings, prewarmed },
    runs,
    requestsPerRun: client === 'wrk' ? undefined : requests,
    warmupRequests: warmup,
    note: 'client, server and PostgreSQL share the 2 cores; the client is an administrator (exempt from patient restrictions)',
    loadavgAtStart,
    dataset,
    rows: rows.map((r) => ({ ...r, verdict: verdict(r) })),
    serverMemory: memory,
  },
  runLabel,
);
process.stdout.write(`saved ${file}\n`);
server.kill('SIGTERM');
await pool.end();
