// What patient/ scope confinement costs: one patient's observations searched with a SMART token
// confined to that patient (`GET /Observation`), against the same search with the administrator's
// sign-in token naming the patient (`GET /Observation?subject=Patient/x`), same server, same run; and
// read by id with each token. Data: generated patients with observations, on PostgreSQL.
// Usage: node dist/bench/smart-scope.js [--runs 3] [--seconds 8] [--connections 20] [--patients 500]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { authorizeInBrowser, newPkce } from '../test/support/smart-browser.js';
import {
  BENCH_SECRET_KEY,
  fmt,
  freshPgDatabase,
  numberOption,
  saveResult,
  startBenchServer,
  stats,
} from './support.js';

const runs = numberOption('--runs', 3);
const seconds = numberOption('--seconds', 8);
const connections = numberOption('--connections', 20);
const patients = numberOption('--patients', 500);
const perPatient = 20;

const databaseUrl = await freshPgDatabase('bench_smart');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smart-'));
const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  CHARTROOM_DATA_DIR: dataDir,
  CHARTROOM_SECRET_KEY: BENCH_SECRET_KEY,
  CHARTROOM_ADMIN_PASSWORD: 'bench password 123',
  CHARTROOM_MFA: 'off',
  CHARTROOM_PORT: '18090',
};
const { server, base, token: admin } = await startBenchServer(env);
const fhir = `${base}/fhir/R4`;
const call = async (method: string, url: string, body?: unknown) => {
  const r = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<Record<string, unknown>>;
};

let target = '';
let targetObs = '';
for (let p = 0; p < patients; p++) {
  const id = `p${p}`;
  const entry = [
    {
      resource: { resourceType: 'Patient', id, name: [{ family: `Bench${p}` }] },
      request: { method: 'PUT', url: `Patient/${id}` },
    },
    ...Array.from({ length: perPatient }, (_, k) => ({
      resource: {
        resourceType: 'Observation',
        id: `${id}-o${k}`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
        subject: { reference: `Patient/${id}` },
        valueQuantity: { value: 60 + k, unit: 'kg' },
      },
      request: { method: 'PUT', url: `Observation/${id}-o${k}` },
    })),
  ];
  await call('POST', fhir, { resourceType: 'Bundle', type: 'transaction', entry });
  if (p === Math.floor(patients / 2)) {
    target = id;
    targetObs = `${id}-o0`;
  }
}

// Statistics as a database in service has them (autovacuum would analyze after the bulk load).
const analyze = new pg.Client({ connectionString: databaseUrl });
await analyze.connect();
await analyze.query('ANALYZE');
await analyze.end();

const redirect = 'http://app.example/cb';
const client = await call('POST', `${base}/admin/clients`, {
  name: 'bench app',
  type: 'public',
  redirect_uris: [redirect],
  scopes: 'launch/patient patient/*.rs',
});
const pkce = newPkce();
const q = new URLSearchParams({
  response_type: 'code',
  client_id: client.client_id as string,
  redirect_uri: redirect,
  scope: 'launch/patient patient/*.rs',
  state: 's',
  aud: fhir,
  code_challenge: pkce.challenge,
  code_challenge_method: 'S256',
});
const flow = await authorizeInBrowser(
  base,
  `${base}/oauth/authorize?${q}`,
  { username: 'admin', password: env.CHARTROOM_ADMIN_PASSWORD },
  { patientName: `Bench${target.slice(1)}`, patientId: target },
);
const tr = await fetch(`${base}/oauth/token`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'authorization_code',
    code: flow.location?.searchParams.get('code') as string,
    redirect_uri: redirect,
    code_verifier: pkce.verifier,
    client_id: client.client_id as string,
  }),
});
const smart = ((await tr.json()) as { access_token: string }).access_token;

async function load(pathAndQuery: string, token: string, expectHits: number) {
  const check = (await (
    await fetch(`${base}${pathAndQuery}`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as {
    entry?: unknown[];
    resourceType: string;
  };
  const hits = check.resourceType === 'Bundle' ? (check.entry?.length ?? 0) : 1;
  if (hits !== expectHits) throw new Error(`${pathAndQuery}: ${hits} hits, expected ${expectHits}`);
  const r = await autocannon({
    url: `${base}${pathAndQuery}`,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  if (r.non2xx) throw new Error(`${r.non2xx} non-2xx responses`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, hits };
}

const cases = {
  searchConfinedSmartToken: () => load('/fhir/R4/Observation?_count=50', smart, perPatient),
  searchBySubjectSignInToken: () =>
    load(`/fhir/R4/Observation?subject=Patient/${target}&_count=50`, admin, perPatient),
  readConfinedSmartToken: () => load(`/fhir/R4/Observation/${targetObs}`, smart, 1),
  readSignInToken: () => load(`/fhir/R4/Observation/${targetObs}`, admin, 1),
};
const results: Record<string, { rps: number; p50: number; p99: number; hits: number }[]> = Object.fromEntries(
  Object.keys(cases).map((name) => [name, []]),
);
for (let k = 0; k < runs; k++)
  for (const [name, run] of Object.entries(cases)) {
    results[name] ??= [];
    results[name].push(await run());
  }

const summary = Object.fromEntries(
  Object.entries(results).map(([name, xs]) => [
    name,
    {
      hits: xs[0].hits,
      rps: stats(xs.map((x) => x.rps)),
      p50ms: stats(xs.map((x) => x.p50)),
      p99ms: stats(xs.map((x) => x.p99)),
    },
  ]),
);
const out = {
  connections,
  seconds,
  runs,
  data: `${patients} patients x ${perPatient} observations`,
  note: 'server, PostgreSQL and autocannon share the 2 cores',
  ...summary,
};
let text = `patient/ scope confinement, ${connections} connections, ${seconds}s x ${runs} runs (medians):\n`;
for (const [name, s] of Object.entries(summary))
  text += `  ${name.padEnd(28)} ${fmt(s.rps.median)} req/s (min ${fmt(s.rps.min)}, max ${fmt(s.rps.max)}), p50 ${s.p50ms.median} ms, p99 ${s.p99ms.median} ms, ${s.hits} hits\n`;
const ratio = summary.searchConfinedSmartToken.rps.median / summary.searchBySubjectSignInToken.rps.median;
text += `  confined search / search by subject: ${ratio.toFixed(2)}\n`;
process.stdout.write(text);
process.stdout.write(`saved ${saveResult('smart-scope', out)}\n`);
server.kill('SIGTERM');
fs.rmSync(dataDir, { recursive: true, force: true });
