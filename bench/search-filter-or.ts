// `_filter` OR between two parameters on the large dataset: the SQL the server compiles (`r.rid = ANY
// (ARRAY(side UNION ALL side))`, each side read from its index) against the baseline of the same search written so that
// the rewrite does not apply, `not (not (a or b))`, which PostgreSQL plans as `EXISTS (a) OR EXISTS (b)`
// checked on the type's resources (the form an OR of EXISTS terms gets). Same rows, same connection, A and
// B alternating per sample. Measures the PostgreSQL backend's CPU per query (/proc, steady under load) and
// the wall time. Reads only; needs the dataset bench/search.ts loaded (it does not load one).
// Usage: node dist/bench/search-filter-or.js [--database chartroom_bench_1m] [--samples 30] [--runs 3]
import fs from 'node:fs';
import pg from 'pg';
import { ParamRegistry } from '../src/store/param-registry.js';
import { benchDatabaseUrl } from './search-dataset.js';
import { searchStatements } from './search-sql.js';
import { numberOption, saveResult, stats } from './support.js';

const args = process.argv.slice(2);
const database = args.includes('--database') ? args[args.indexOf('--database') + 1] : 'chartroom_bench_1m';
const samples = numberOption('--samples', 30);
const runs = numberOption('--runs', 3);
const TICK_MS = 10; // USER_HZ 100

const client = new pg.Client({ connectionString: benchDatabaseUrl(database) });
await client.connect();
const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
const cpu = () => {
  const f = fs.readFileSync(`/proc/${backend}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12])) * TICK_MS;
};
const registry = await ParamRegistry.load(client);
const count = (
  await client.query<{ n: string }>('SELECT count(*)::text AS n FROM resource WHERE NOT deleted')
).rows[0].n;

// Shapes: two string parameters of Patient (a small type), and on Observation (the biggest) a code OR an
// encounter; values from rows picked at random, so frequent codes come up as often as they occur.
const patientPairs = (
  await client.query<{ a: string; b: string }>(
    `SELECT f.value AS a, g.value AS b
       FROM (SELECT x.value FROM sp_string x JOIN search_param p ON p.id = x.param AND p.base = 'Patient' AND p.code = 'family'
             ORDER BY random() LIMIT $1) f,
      LATERAL (SELECT x.value FROM sp_string x JOIN search_param p ON p.id = x.param AND p.base = 'Patient' AND p.code = 'given'
             WHERE x.value <> f.value ORDER BY random() LIMIT 1) g`,
    [samples],
  )
).rows;
// A LOINC code of one observation picked at random and the encounter of another.
const picked = (
  await client.query<{ code: string | null; encounter: string | null }>(
    `SELECT (SELECT x.code FROM sp_token x JOIN search_param p ON p.id = x.param AND p.base = 'Observation' AND p.code = 'code'
              WHERE x.rid = o.rid AND x.system = 'http://loinc.org' LIMIT 1) AS code,
            (SELECT x.target_id FROM sp_reference x JOIN search_param p ON p.id = x.param AND p.base = 'Observation' AND p.code = 'encounter'
              WHERE x.rid = o.rid LIMIT 1) AS encounter
       FROM (SELECT rid FROM resource WHERE type = 'Observation' AND NOT deleted ORDER BY random() LIMIT $1) o`,
    [2 * samples],
  )
).rows;
const observationPairs = Array.from({ length: samples }, (_, i) => ({
  a: picked[i].code ?? '',
  b: picked[samples + i].encounter ?? '',
})).filter((p) => p.a && p.b);
// LOINC codes held by 20 to 200 observations, each with the encounter of an observation picked above.
const rareCodes = (
  await client.query<{ code: string }>(
    `SELECT code FROM (SELECT x.code, count(*) AS n FROM sp_token x
        JOIN search_param p ON p.id = x.param AND p.base = 'Observation' AND p.code = 'code'
       WHERE x.system = 'http://loinc.org' GROUP BY x.code) q
      WHERE n BETWEEN 20 AND 200 ORDER BY random() LIMIT $1`,
    [samples],
  )
).rows;
const rarePairs = rareCodes.map((r, i) => ({
  a: r.code,
  b: observationPairs[i % observationPairs.length].b,
}));
const SHAPES = [
  {
    name: 'Patient?_filter=family eq X or given eq Y',
    type: 'Patient',
    pairs: patientPairs,
    filter: (p: { a: string; b: string }) => `family eq "${p.a}" or given eq "${p.b}"`,
  },
  {
    name: 'Observation?_filter=code eq http://loinc.org|X or encounter eq Encounter/Y',
    type: 'Observation',
    pairs: observationPairs,
    filter: (p: { a: string; b: string }) =>
      `code eq http://loinc.org|${p.a} or encounter eq Encounter/${p.b}`,
  },
  {
    name: 'the same with a rare code (20-200 observations)',
    type: 'Observation',
    pairs: rarePairs,
    filter: (p: { a: string; b: string }) =>
      `code eq http://loinc.org|${p.a} or encounter eq Encounter/${p.b}`,
  },
];

const pageOf = async (type: string, f: string) => {
  const path = `/${type}?${new URLSearchParams([
    ['_filter', f],
    ['_count', '20'],
  ])}`;
  const s = await searchStatements(registry, path);
  return s[s.length - 1]; // the page query
};

interface Measure {
  cpuMs: number[];
  wallMs: number[];
  hits: number[];
}
const results: Record<string, unknown>[] = [];
for (const shape of SHAPES) {
  const measures: Record<'compiled' | 'baseline', Measure> = {
    compiled: { cpuMs: [], wallMs: [], hits: [] },
    baseline: { cpuMs: [], wallMs: [], hits: [] },
  };
  const plans: Record<string, string> = {};
  for (let run = 0; run < runs; run++) {
    for (const [i, p] of shape.pairs.entries()) {
      const f = shape.filter(p);
      const forms = {
        compiled: await pageOf(shape.type, f),
        baseline: await pageOf(shape.type, `not (not (${f}))`),
      };
      const order = (run + i) % 2 ? (['baseline', 'compiled'] as const) : (['compiled', 'baseline'] as const);
      const rows: Record<string, number> = {};
      for (const k of order) {
        const c0 = cpu();
        const t0 = performance.now();
        const r = await client.query(forms[k].sql, forms[k].values);
        measures[k].wallMs.push(performance.now() - t0);
        measures[k].cpuMs.push(cpu() - c0);
        measures[k].hits.push(r.rowCount ?? 0);
        rows[k] = r.rowCount ?? 0;
      }
      if (rows.compiled !== rows.baseline)
        throw new Error(`different rows for ${f}: ${JSON.stringify(rows)}`);
      if (run === 0 && i === 0)
        for (const k of ['compiled', 'baseline'] as const) {
          const e = await client.query(`EXPLAIN (FORMAT TEXT) ${forms[k].sql}`, forms[k].values);
          plans[k] = e.rows.map((x) => x['QUERY PLAN']).join('\n');
        }
    }
  }
  const summary = Object.fromEntries(
    Object.entries(measures).map(([k, m]) => [
      k,
      {
        totalBackendCpuMs: m.cpuMs.reduce((a, b) => a + b, 0),
        wallMs: stats(m.wallMs),
        medianHits: stats(m.hits).median,
      },
    ]),
  ) as Record<
    'compiled' | 'baseline',
    { totalBackendCpuMs: number; wallMs: ReturnType<typeof stats>; medianHits: number }
  >;
  const queries = shape.pairs.length * runs;
  const perQuery = (k: 'compiled' | 'baseline') => summary[k].totalBackendCpuMs / queries;
  process.stdout.write(
    `${shape.name}: ${shape.pairs.length} samples x ${runs} runs (_count=20), median ${summary.compiled.medianHits} rows a page\n` +
      `  compiled (rid = ANY (ARRAY(... UNION ALL ...))): wall p50 ${summary.compiled.wallMs.median.toFixed(1)} ms (min ${summary.compiled.wallMs.min.toFixed(1)}, max ${summary.compiled.wallMs.max.toFixed(1)}), backend CPU ${perQuery('compiled').toFixed(2)} ms/query\n` +
      `  baseline (EXISTS OR EXISTS):           wall p50 ${summary.baseline.wallMs.median.toFixed(1)} ms (min ${summary.baseline.wallMs.min.toFixed(1)}, max ${summary.baseline.wallMs.max.toFixed(1)}), backend CPU ${perQuery('baseline').toFixed(2)} ms/query\n`,
  );
  if (args.includes('--plans'))
    process.stdout.write(`plan (compiled):\n${plans.compiled}\nplan (baseline):\n${plans.baseline}\n`);
  results.push({
    shape: shape.name,
    samples: shape.pairs.length,
    runs,
    summary,
    cpuMsPerQuery: { compiled: perQuery('compiled'), baseline: perQuery('baseline') },
    plans,
  });
}
await client.end();
const file = saveResult('search-filter-or', { database, resources: Number(count), results });
process.stdout.write(`${database}: ${count} resources; saved ${file}\n`);
