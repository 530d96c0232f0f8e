// Protection of data in transit and in logs: security headers on every response, HTTPS with HSTS when
// a certificate is configured, and no patient data in what the server writes to its output.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server.js';
import { repoRoot } from '../support/corpus.js';
import { freshStorage, signInAdministrator, startTestServer } from '../support/test-server.js';

test('every response carries the security headers, and data responses are not cached', async () => {
  const s = await startTestServer({ label: 'headers' });
  try {
    const r = await fetch(`${s.fhir}/Patient`, { headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
    const unauth = await fetch(`${s.fhir}/Patient`);
    assert.equal(unauth.headers.get('x-frame-options'), 'DENY', 'errors carry them too');
  } finally {
    await s.stop();
  }
});

test('with a certificate configured Chartroom serves HTTPS with HSTS', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const storage = await freshStorage('tls');
  const running = await startServer({
    databaseUrl: storage.databaseUrl,
    dataDir: storage.dataDir,
    port: 0,
    tlsCert: cert,
    tlsKey: key,
  });
  try {
    assert.match(running.url, /^https:/);
    const res = await new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      https
        .get(`${running.url}/fhir/R4/metadata`, { rejectUnauthorized: false }, (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, headers: r.headers });
        })
        .on('error', reject);
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['strict-transport-security']), /max-age=31536000/);
  } finally {
    await running.close();
    await storage.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no patient data reaches the server output, even on errors', async () => {
  const storage = await freshStorage('phi');
  const env = {
    ...process.env,
    DATABASE_URL: storage.databaseUrl ?? '',
    CHARTROOM_DATA_DIR: storage.dataDir,
    CHARTROOM_ADMIN_PASSWORD: 'correct horse battery staple 42',
    CHARTROOM_PORT: '0',
  };
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/src/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  try {
    const url = await new Promise<string>((resolve) => {
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/[^\s]+) /.exec(output);
        if (m) resolve(m[1]);
      });
    });
    const { token } = await signInAdministrator(url);
    const h = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
    const phi = { name: 'Quillonius Zephyrine', ssn: '987-65-4329', mrn: 'MRN-PHI-31337' };
    const created = await fetch(`${url}/fhir/R4/Patient`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({
        resourceType: 'Patient',
        name: [{ text: phi.name }],
        identifier: [
          { system: 'http://hl7.org/fhir/sid/us-ssn', value: phi.ssn },
          { system: 'urn:mrn', value: phi.mrn },
        ],
      }),
    });
    const id = ((await created.json()) as { id: string }).id;
    await fetch(`${url}/fhir/R4/Patient?name=Quillonius&identifier=urn:mrn|${phi.mrn}`, { headers: h });
    await fetch(`${url}/fhir/R4/Patient/${id}`, { headers: h });
    await fetch(`${url}/fhir/R4/Patient`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ resourceType: 'Patient', gender: phi.name }),
    });
    await fetch(`${url}/fhir/R4/Patient?birthdate=${encodeURIComponent(phi.ssn)}`, { headers: h });
    await fetch(`${url}/fhir/R4/Patient/${id}`, {
      method: 'PUT',
      headers: h,
      body: '{"resourceType": "Patient", "name": "',
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await storage.drop();
  }
  for (const value of ['Quillonius', 'Zephyrine', '987-65-4329', 'MRN-PHI-31337'])
    assert.ok(!output.includes(value), `the output holds "${value}"`);
  assert.match(output, /listening/, 'the output was captured');
});
