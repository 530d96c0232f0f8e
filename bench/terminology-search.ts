// Benchmark of the terminology domain: load time, memory, search and code-detail latency, and search relevance
// measured on an evaluation set built from the Alphabetic Index (term path -> code), plus coder-style abbreviations.
// Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/terminology-search.js [--runs N]
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INDEX_FILES } from '../src/terminology/data-catalog.js';
import { loadTerminology, loadTerminologyCached, type SearchHit } from '../src/terminology/index.js';
import { defaultDataDir } from '../src/terminology/load-terminology.js';
import { type IndexEntry, loadIndexCsv } from '../src/terminology/loaders/icd10cm-index-csv.js';
import { abbreviationPhrases, abbreviationsFor } from '../src/terminology/search/abbreviations.js';

const CODER_QUERIES = [
  'dm2 ckd',
  'chf acute on chronic',
  'fx neck femur r',
  'copd exac',
  'htn',
  'essential hypertension',
  'type 2 diabetes',
  'uti',
  'pneumonia',
  'sepsis',
  'afib',
  'cad',
  'nstemi',
  'esrd',
  'aki',
  'gerd',
  'osa',
  'dvt lle',
  'pe',
  'cva',
  'major depressive disorder recurrent severe',
  'anxiety',
  'obesity morbid',
  'bmi 40',
  'fall from ladder',
  'history of breast cancer',
  'encounter for screening colonoscopy',
  'pregnancy 12 weeks',
  'newborn born in hospital',
  'sprain ankle l',
  'lac scalp',
  'migraine without aura',
  'asthma mild intermittent',
  'hypothyroidism',
  'anemia iron',
  'I10',
  'E11.22',
  'S72.001A',
  'Z38',
  'O09.51',
  'j44',
];

/**
 * Hand-labelled coder queries: what a coder types and the code a coder would assign with no further
 * detail. Small and opinionated, but unlike the index-built set it is not circular.
 */
const LABELLED: [string, string][] = [
  ['dm2 ckd', 'E11.22'],
  ['copd exac', 'J44.1'],
  ['htn', 'I10'],
  ['essential hypertension', 'I10'],
  ['uti', 'N39.0'],
  ['afib', 'I48.91'],
  ['cad', 'I25.10'],
  ['esrd', 'N18.6'],
  ['aki', 'N17.9'],
  ['gerd', 'K21.9'],
  ['osa', 'G47.33'],
  ['pneumonia', 'J18.9'],
  ['sepsis', 'A41.9'],
  ['type 2 diabetes', 'E11.9'],
  ['t2dm w hyperglycemia', 'E11.65'],
  ['chest pain', 'R07.9'],
  ['sob', 'R06.02'],
  ['migraine without aura', 'G43.009'],
  ['hypothyroidism', 'E03.9'],
  ['anemia iron', 'D50.9'],
  ['alcohol dependence', 'F10.20'],
  ['obesity morbid', 'E66.01'],
  ['bmi 40', 'Z68.41'],
  ['ckd stage 3', 'N18.30'],
  ['mets liver', 'C78.7'],
  ['history of breast cancer', 'Z85.3'],
  ['fx neck femur r', 'S72.001A'],
  ['hip fx l', 'S72.002A'],
  ['nstemi', 'I21.4'],
  ['cva', 'I63.9'],
  ['dvt lle', 'I82.402'],
  ['sprain ankle l', 'S93.402A'],
  ['major depressive disorder recurrent severe', 'F33.2'],
  ['asthma mild intermittent', 'J45.20'],
  ['pregnancy 12 weeks', 'Z3A.12'],
  ['fall from ladder', 'W11.XXXA'],
  ['screening colonoscopy', 'Z12.11'],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stats(times: number[]): { p50: number; p95: number; p99: number; max: number; n: number } {
  const s = [...times].sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s[s.length - 1]),
    n: s.length,
  };
}

interface EvalCase {
  query: string;
  expected: string; // code as printed in the index ("S72.0-" = any code under S72.0)
  form: 'path' | 'reordered' | 'abbreviated';
}

/**
 * The index's code is the answer; where it is incomplete (a trailing "-", or a header the coder must
 * complete, e.g. with a 7th character), any code under it is the coder's completion of it.
 */
function hitMatches(h: SearchHit, expected: string, expectedBillable: boolean): boolean {
  if (expected.endsWith('-')) return h.code.startsWith(expected.slice(0, -1));
  return expectedBillable ? h.code === expected : h.code.startsWith(expected);
}

/** Query text for an index path: the main term without its alternate forms, then the subterms. */
function pathQuery(e: IndexEntry): string {
  return [e.path[0].split(',')[0], ...e.path.slice(1)].join(' ');
}

function buildEvalSet(entries: IndexEntry[], isCode: (c: string) => boolean, size: number): EvalCase[] {
  const usable = entries.filter((e) => e.code && isCode(e.code));
  const step = Math.max(1, Math.floor(usable.length / size));
  const out: EvalCase[] = [];
  for (let i = 0; i < usable.length && out.length < size * 2; i += step) {
    const e = usable[i];
    const q = pathQuery(e);
    out.push({ query: q, expected: e.code as string, form: 'path' });
    if (e.path.length > 1)
      out.push({
        query: [...e.path.slice(1)].reverse().concat(e.path[0].split(',')[0]).join(' '),
        expected: e.code as string,
        form: 'reordered',
      });
  }
  // Abbreviated forms: every usable path that contains a phrase coders abbreviate.
  const phrases = abbreviationPhrases().filter((p) => p.split(' ').length >= 1 && p.length >= 4);
  let abbreviated = 0;
  for (const e of usable) {
    if (abbreviated >= size) break;
    const q = pathQuery(e).toLowerCase();
    for (const p of phrases) {
      const re = new RegExp(`\\b${p}\\b`);
      if (!re.test(q)) continue;
      const abbr = abbreviationsFor(p)[0];
      if (!abbr) continue;
      out.push({ query: q.replace(re, abbr), expected: e.code as string, form: 'abbreviated' });
      abbreviated++;
      break;
    }
  }
  return out;
}

interface LoadSample {
  loadMs: number;
  rssMiB: number;
  rssAfterIdleMiB: number;
  hwmMiB: number;
  heapUsedMiB: number;
  rssBeforeMiB: number;
}

/**
 * One load in a fresh process, as a server start does: load time, then memory after a GC and after 3 s idle.
 * `cacheDir`: read from the code-set cache there (written beforehand) instead of the source files.
 */
function loadInFreshProcess(cacheDir?: string): LoadSample {
  const index = fileURLToPath(new URL('../src/terminology/index.js', import.meta.url));
  const script = String.raw`
    import { readFileSync } from 'node:fs';
    const st = (k) => Number(new RegExp(k + ':\\s+(\\d+)').exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const before = st('VmRSS');
    const { loadTerminology, loadTerminologyCached } = await import(${JSON.stringify(index)});
    const cacheDir = ${JSON.stringify(cacheDir ?? null)};
    const t = cacheDir ? (await loadTerminologyCached({ cacheDir })).terminology : await loadTerminology();
    globalThis.gc();
    const rss = st('VmRSS'), hwm = st('VmHWM');
    await new Promise((r) => setTimeout(r, 3000));
    globalThis.gc();
    console.log(JSON.stringify({ loadMs: t.loadMs, rssMiB: Math.round(rss), rssAfterIdleMiB: Math.round(st('VmRSS')), hwmMiB: Math.round(hwm),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20), rssBeforeMiB: Math.round(before), keep: t.versions().length }));`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as LoadSample;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
  const cacheDir = mkdtempSync(join(tmpdir(), 'chartroom-bench-codeset-cache-'));
  await loadTerminologyCached({ cacheDir }); // writes the cache, as the first start does
  const samples: LoadSample[] = [];
  const cached: LoadSample[] = [];
  // in turn, so both see the same machine load
  for (let i = 0; i < runs; i++) {
    samples.push(loadInFreshProcess());
    cached.push(loadInFreshProcess(cacheDir));
  }
  rmSync(cacheDir, { recursive: true, force: true });
  const medianOf =
    (list: LoadSample[]) =>
    (f: (s: LoadSample) => number): { median: number; min: number; max: number } => {
      const v = list.map(f).sort((x, y) => x - y);
      return { median: v[Math.floor(v.length / 2)], min: v[0], max: v[v.length - 1] };
    };
  const median = medianOf(samples);
  const medianCached = medianOf(cached);
  const t = await loadTerminology();
  const g = globalThis as { gc?: () => void };
  g.gc?.();

  const entries = await loadIndexCsv(join(defaultDataDir(), INDEX_FILES.alphabeticIndex));
  const cm = t.versions().find((v) => v.system === 'icd10cm');
  const isCode = (c: string): boolean => t.validateCode({ code: c.replace(/-$/, '') }).display !== undefined;
  const evalSet = buildEvalSet(entries, isCode, 3000);

  // Relevance
  const relevance: Record<string, { n: number; top1: number; top5: number }> = {};
  const misses: { query: string; expected: string; got: string[] }[] = [];
  for (const c of evalSet) {
    const r = t.search(c.query, { limit: 5 });
    const billable = !c.expected.endsWith('-') && t.validateCode({ code: c.expected }).valid;
    const rank = r.hits.findIndex((h) => hitMatches(h, c.expected, billable));
    const k = relevance[c.form] ?? { n: 0, top1: 0, top5: 0 };
    k.n++;
    if (rank === 0) k.top1++;
    if (rank >= 0) k.top5++;
    else if (misses.length < 25)
      misses.push({ query: c.query, expected: c.expected, got: r.hits.map((h) => h.code) });
    relevance[c.form] = k;
  }
  const rel = Object.fromEntries(
    Object.entries(relevance).map(([f, k]) => [
      f,
      { n: k.n, top1: Math.round((1000 * k.top1) / k.n) / 10, top5: Math.round((1000 * k.top5) / k.n) / 10 },
    ]),
  );
  const all = Object.values(relevance).reduce(
    (a, k) => ({ n: a.n + k.n, top1: a.top1 + k.top1, top5: a.top5 + k.top5 }),
    { n: 0, top1: 0, top5: 0 },
  );

  const labelled = {
    n: LABELLED.length,
    top1: 0,
    top5: 0,
    misses: [] as { query: string; expected: string; got: string[] }[],
  };
  for (const [q, code] of LABELLED) {
    const hits = t.search(q, { limit: 5 }).hits.map((h) => h.code);
    if (hits[0] === code) labelled.top1++;
    if (hits.includes(code)) labelled.top5++;
    if (hits[0] !== code) labelled.misses.push({ query: q, expected: code, got: hits });
  }

  // Latency: the coder queries plus a fixed slice of the evaluation queries, repeated.
  const queries = [...CODER_QUERIES, ...evalSet.filter((_, i) => i % 20 === 0).map((c) => c.query)];
  for (let w = 0; w < 3; w++) for (const q of queries) t.search(q); // warm-up (JIT)
  g.gc?.();
  const searchTimes: number[] = [];
  const hitCounts: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    for (const q of queries) {
      const t0 = performance.now();
      const r = t.search(q, { limit: 20 });
      searchTimes.push(performance.now() - t0);
      if (rep === 0) hitCounts.push(r.total);
    }
  }
  // Baseline in the same run: a naive linear scan of the titles for all query words (what a flat lookup does).
  const allCodes = (billableOnly: boolean): { code: string; display: string }[] => {
    const out: { code: string; display: string }[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = t.expand({ billableOnly, offset, count: 1000 });
      out.push(...page.contains);
      if (page.contains.length < 1000) return out;
    }
  };
  const flat = allCodes(false).map((c) => ({ code: c.code, text: c.display.toLowerCase() }));
  const titles = flat.length;
  const baselineTimes: number[] = [];
  for (const q of queries.slice(0, 60)) {
    const ws = q.toLowerCase().split(/\s+/);
    const t0 = performance.now();
    flat.filter((c) => ws.every((w) => c.text.includes(w))).slice(0, 20);
    baselineTimes.push(performance.now() - t0);
  }
  const billable = allCodes(true);
  const detailCodes = billable.filter((_, i) => i % 37 === 0).map((c) => c.code);
  for (const c of detailCodes) t.lookup({ code: c }); // warm-up (JIT)
  g.gc?.();
  const detailTimes: number[] = [];
  for (const code of detailCodes) {
    const t0 = performance.now();
    t.lookup({ code });
    detailTimes.push(performance.now() - t0);
  }
  for (const q of ['breast', 'lung', 'acetaminophen']) t.searchTable('neoplasm', q);
  g.gc?.();
  const tableTimes: number[] = [];
  for (const [table, q] of [
    ['neoplasm', 'breast upper outer quadrant'],
    ['neoplasm', 'lung'],
    ['drug', 'acetaminophen'],
    ['drug', 'warfarin'],
    ['neoplasm', 'colon sigmoid'],
  ] as const) {
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      t.searchTable(table, q);
      tableTimes.push(performance.now() - t0);
    }
  }

  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {}
  const result = {
    benchmark: 'terminology-search',
    date: new Date().toISOString(),
    commit,
    command: `node --expose-gc dist/bench/terminology-search.js --runs ${runs}`,
    machine: { nproc: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    load: {
      runs,
      ms: median((x) => x.loadMs),
      steps: t.loadTimings,
      note: 'each run a fresh node process, as at server start',
    },
    memory: {
      rssAfterLoadAndGcMiB: median((x) => x.rssMiB),
      rssAfterIdleMiB: median((x) => x.rssAfterIdleMiB),
      peakRssMiB: median((x) => x.hwmMiB),
      heapUsedMiB: median((x) => x.heapUsedMiB),
      rssOfNodeBeforeLoadMiB: median((x) => x.rssBeforeMiB),
      note: 'VmRSS/VmHWM from /proc/self/status of the fresh process; heap after a full GC',
    },
    loadFromCache: {
      runs,
      ms: medianCached((x) => x.loadMs),
      rssAfterLoadAndGcMiB: medianCached((x) => x.rssMiB),
      rssAfterIdleMiB: medianCached((x) => x.rssAfterIdleMiB),
      peakRssMiB: medianCached((x) => x.hwmMiB),
      heapUsedMiB: medianCached((x) => x.heapUsedMiB),
      note: 'fresh processes reading the code-set cache (written once before), in turn with the full loads above',
    },
    codeSets: t.versions().map((v) => ({ system: v.system, version: v.version, codes: v.codes })),
    search: {
      ...stats(searchTimes),
      queries: queries.length,
      medianHits: hitCounts.sort((a, b) => a - b)[Math.floor(hitCounts.length / 2)],
      zeroHitQueries: hitCounts.filter((h) => h === 0).length,
    },
    searchBaselineLinearScan: {
      ...stats(baselineTimes),
      titles: flat.length,
      note: 'substring scan of all FY2026 titles for every query word, same queries',
    },
    detail: { ...stats(detailTimes), codes: detailCodes.length },
    tableSearch: stats(tableTimes),
    labelledCoderQueries: {
      n: labelled.n,
      top1: Math.round((1000 * labelled.top1) / labelled.n) / 10,
      top5: Math.round((1000 * labelled.top5) / labelled.n) / 10,
      notTop1: labelled.misses,
    },
    relevance: {
      evaluationCases: all.n,
      top1: Math.round((1000 * all.top1) / all.n) / 10,
      top5: Math.round((1000 * all.top5) / all.n) / 10,
      byForm: rel,
      sampleMisses: misses.slice(0, 10),
    },
    notes: `icd10cm ${cm?.version}; ${titles} codes. The evaluation set is built from the FY2025 Alphabetic Index, which is also indexed for search: the "path" form measures whether the encoder returns what the index says for its own wording; "reordered" and "abbreviated" forms are coder-style variations.`,
  };
  console.log(JSON.stringify(result, null, 2));
  const dir = join(fileURLToPath(new URL('../../bench/results/', import.meta.url)));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `terminology-search-${result.date.slice(0, 16).replace(':', '')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`written ${file}`);
}

await main();
