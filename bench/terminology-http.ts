// Benchmark of the terminology API over HTTP: the first request (which loads the code sets, lazy mode), then
// encoder search, code detail, $lookup and $expand latency through the real server with authentication and audit.
// Run: npm run build && node dist/bench/terminology-http.js [--reps N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../src/server.js';
import { defaultDataDir } from '../src/terminology/load-terminology.js';
import { loadIndexCsv } from '../src/terminology/loaders/icd10cm-index-csv.js';
import { saveResult } from './support.js';

const CODER_QUERIES = [
  'dm2 ckd',
  'chf acute on chronic',
  'fx neck femur r',
  'copd exac',
  'htn',
  'uti',
  'sepsis',
  'afib',
  'nstemi',
  'esrd',
  'aki',
  'gerd',
  'dvt lle',
  'major depressive disorder recurrent severe',
  'fall from ladder',
  'history of breast cancer',
  'encounter for screening colonoscopy',
  'pregnancy 12 weeks',
  'sprain ankle l',
  'migraine without aura',
  'I10',
  'E11.22',
  'S72.001A',
  'j44',
];

function percentiles(xs: number[]): { p50: number; p95: number; p99: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 100) / 100;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1), n: s.length };
}

const rssMiB = (): number =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024);

async function main(): Promise<void> {
  const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 3;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-bench-terminology-'));
  const password = 'bench terminology password 1';
  // the benchmark signs in with a password only; the second factor is the sign-in tests' business
  const running = await startServer({ dataDir, port: 0, adminPassword: password, mfa: 'off' });
  try {
    const tokenRes = await fetch(`${running.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'admin', password }),
    });
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const get = async (p: string): Promise<number> => {
      const t0 = performance.now();
      const r = await fetch(`${running.url}${p}`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
      return performance.now() - t0;
    };
    const rssBefore = rssMiB();
    const firstMs = await get('/terminology/search?q=htn');
    const rssAfterLoad = rssMiB();

    const index = await loadIndexCsv(
      path.join(defaultDataDir(), 'icd10cm/derived/2025/ICD10CM_2025_Index.csv.gz'),
    );
    const fromIndex = index
      .filter((e, i) => e.code && i % 200 === 0)
      .map((e) => e.path.join(' ').replace(/[(),]/g, ' '));
    const queries = [...CODER_QUERIES, ...fromIndex];
    const codes = [
      'E11.22',
      'I10',
      'S72.001A',
      'O09.511',
      'Z38.00',
      'J44.1',
      'I50.23',
      'N18.4',
      'F32.2',
      'C50.911',
    ];

    const run = async (paths: string[]): Promise<number[]> => {
      for (const p of paths.slice(0, 50)) await get(p); // warm-up
      const times: number[] = [];
      for (let r = 0; r < reps; r++) for (const p of paths) times.push(await get(p));
      return times;
    };
    const search = await run(queries.map((q) => `/terminology/search?q=${encodeURIComponent(q)}&limit=20`));
    const detail = await run(codes.map((c) => `/terminology/codes/icd10cm/${c}`));
    const lookup = await run(
      codes.map((c) => `/fhir/R4/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=${c}`),
    );
    const expand = await run(
      ['diabetes', 'heart failure', 'fracture femur', 'asthma', 'pneumonia'].map(
        (f) =>
          `/fhir/R4/ValueSet/$expand?url=${encodeURIComponent('http://hl7.org/fhir/sid/icd-10-cm?fhir_vs')}&filter=${encodeURIComponent(f)}&count=20`,
      ),
    );
    const result = {
      reps,
      firstRequestWithLoadMs: Math.round(firstMs),
      serverRssMiB: { beforeTerminology: rssBefore, afterLoad: rssAfterLoad, afterRuns: rssMiB() },
      searchMs: { ...percentiles(search), queries: queries.length },
      codeDetailMs: percentiles(detail),
      lookupMs: percentiles(lookup),
      expandFilterMs: percentiles(expand),
      note: 'one client, sequential requests over keep-alive, client and server in one process (2 shared cores); PGlite; every request authenticated and audited',
    };
    console.log(JSON.stringify(result, null, 2));
    console.error(`written ${saveResult('terminology-http', result)}`);
  } finally {
    await running.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
