// Bulk Data export (FHIR Bulk Data Access 2.0) on real Synthea records: kick-off, progress, manifest and
// NDJSON files that hold exactly what the store holds; _type, _since and _typeFilter narrow it; Patient
// and Group level; cancellation; only the owner downloads; restricted patients stay out unless the
// requester may see them; every step is audited; finished exports survive a restart; and a FHIR client
// library from npm (fhir-kit-client) drives an export end to end.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'fhir-kit-client';
import { startServer } from '../../src/server.js';
import { loadSmallBundles } from '../support/synthea-load.js';
import {
  ADMIN_PASSWORD,
  signInAdministrator,
  startTestServer,
  type TestServer,
} from '../support/test-server.js';

let s: TestServer;
let patients: string[];
let restricted: string;
const users: Record<string, string> = {};
const LINES_PER_FILE = 50;

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: { type: string; url: string; count: number }[];
  error: unknown[];
}

const get = (token: string, url: string, headers: Record<string, string> = {}) =>
  fetch(url.startsWith('http') ? url : `${s.fhir}${url}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });

/** Kick-off with Prefer: respond-async, poll the status URL until done; returns the status URL and manifest. */
async function runExport(token: string, kickOff: string): Promise<{ status: string; manifest: Manifest }> {
  const r = await get(token, kickOff, { prefer: 'respond-async', accept: 'application/fhir+json' });
  assert.equal(r.status, 202, await r.text());
  const status = r.headers.get('content-location') as string;
  assert.match(status, /\/fhir\/R4\/\$export-status\//);
  for (let i = 0; i < 600; i++) {
    const p = await get(token, status);
    if (p.status === 200) return { status, manifest: (await p.json()) as Manifest };
    assert.equal(p.status, 202, await p.text());
    assert.match(p.headers.get('x-progress') ?? '', /^\d+% \(\d+ of \d+ resources\)$/);
    assert.ok(Number(p.headers.get('retry-after')) >= 1);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('export did not finish');
}

/** Downloads every output file; resources by type. */
async function download(
  token: string,
  m: Manifest,
): Promise<Map<string, { resourceType: string; id: string }[]>> {
  const byType = new Map<string, { resourceType: string; id: string }[]>();
  for (const o of m.output) {
    const r = await get(token, o.url, { accept: 'application/fhir+ndjson' });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/fhir\+ndjson/);
    const lines = (await r.text()).split('\n').filter(Boolean);
    assert.equal(lines.length, o.count, `${o.url} holds as many lines as the manifest says`);
    assert.ok(lines.length <= LINES_PER_FILE);
    const list = byType.get(o.type) ?? [];
    for (const l of lines) {
      const res = JSON.parse(l) as { resourceType: string; id: string };
      assert.equal(res.resourceType, o.type);
      list.push(res);
    }
    byType.set(o.type, list);
  }
  return byType;
}

const counts = (m: Map<string, unknown[]>) =>
  Object.fromEntries(
    [...m].map(([t, l]) => [t, l.length]).sort(([a], [b]) => String(a).localeCompare(String(b))),
  );

/** What the store holds, per type, outside the restricted patient's record (unless included). */
async function storeCounts(where = 'true', params: unknown[] = []): Promise<Record<string, number>> {
  const r = await s.running.services.db.query<{ type: string; n: number }>(
    `SELECT type, count(*)::int AS n FROM resource r WHERE NOT deleted AND ${where} GROUP BY type ORDER BY type`,
    params,
  );
  return Object.fromEntries(r.rows.map((x) => [x.type, x.n]));
}

async function auditRows(
  action: string,
): Promise<{ username: string; patients: string[]; content: string }[]> {
  await s.running.flushAudit();
  const r = await s.running.services.db.query<{ username: string; patients: string[]; content: string }>(
    'SELECT username, patients, content FROM audit_event WHERE action = $1 ORDER BY seq',
    [action],
  );
  return r.rows;
}

before(async () => {
  s = await startTestServer({ label: 'export', config: { exportFileLines: LINES_PER_FILE } });
  patients = await loadSmallBundles(s, 3);
  // The chart exists first; then the record is labelled (as restricted.test.ts does).
  restricted = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Sealed' }] })
  ).body.id;
  for (let i = 0; i < 2; i++) {
    const o = await s.request('POST', '/Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'sealed' },
      subject: { reference: `Patient/${restricted}` },
    });
    assert.equal(o.status, 201, o.text);
  }
  const labelled = await s.request('PUT', `/Patient/${restricted}`, {
    resourceType: 'Patient',
    id: restricted,
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ETH' }] },
    name: [{ family: 'Sealed' }],
  });
  assert.equal(labelled.status, 200, labelled.text);
  for (const [name, role] of [
    ['nora', 'provider'],
    ['dora', 'him-director'],
    ['sam', 'system-integration'],
  ]) {
    users[name] = await s.addUser(name, [role]);
  }
});
let restarted = false;
after(async () => {
  if (!restarted) await s?.stop();
  else await s.storage.drop();
});

const notRestricted = 'NOT ($1 = ANY(r.patients))';

describe('system-level export', () => {
  test('the CapabilityStatement declares the Bulk Data operations and $everything', async () => {
    const m = (await (await fetch(`${s.fhir}/metadata`)).json()) as {
      instantiates: string[];
      rest: { operation: { name: string }[]; resource: { type: string; operation?: { name: string }[] }[] }[];
    };
    assert.ok(m.instantiates.includes('http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data'));
    assert.deepEqual(
      m.rest[0].operation.map((o) => o.name),
      ['export'],
    );
    const ops = (t: string) => m.rest[0].resource.find((r) => r.type === t)?.operation?.map((o) => o.name);
    assert.deepEqual(ops('Patient'), ['everything', 'export']);
    assert.deepEqual(ops('Group'), ['export']);
  });

  test('the files hold every resource the store holds, per type, split into files of the configured size', async () => {
    const { manifest } = await runExport(s.token, '/$export');
    assert.equal(manifest.requiresAccessToken, true);
    assert.match(manifest.request, /\/fhir\/R4\/\$export$/);
    assert.ok(!Number.isNaN(Date.parse(manifest.transactionTime)));
    assert.deepEqual(manifest.error, []);
    const got = await download(s.token, manifest);
    // The administrator has no care relationship with the restricted patient: its records stay out.
    assert.deepEqual(counts(got), await storeCounts(notRestricted, [restricted]));
    assert.ok(manifest.output.filter((o) => o.type === 'Observation').length > 1, 'Observation is split');
    const ids = [...got.values()].flat().map((r) => `${r.resourceType}/${r.id}`);
    assert.equal(new Set(ids).size, ids.length, 'no resource twice');
    assert.ok(!ids.includes(`Patient/${restricted}`));
  });

  test('_type narrows to the named types', async () => {
    const { manifest } = await runExport(s.token, '/$export?_type=Patient,Condition');
    const got = await download(s.token, manifest);
    const all = await storeCounts(notRestricted, [restricted]);
    assert.deepEqual(counts(got), { Condition: all.Condition, Patient: all.Patient });
  });

  test('_since exports only what changed after the instant', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const obs = await s.request('GET', `/Observation?subject=Patient/${patients[0]}&_count=1`);
    const changed = { ...obs.body.entry[0].resource, status: 'amended' };
    assert.equal((await s.request('PUT', `/Observation/${changed.id}`, changed)).status, 200);
    const { manifest } = await runExport(s.token, `/$export?_since=${encodeURIComponent(since)}`);
    const got = await download(s.token, manifest);
    assert.deepEqual(
      [...got.values()].flat().map((r) => `${r.resourceType}/${r.id}`),
      [`Observation/${changed.id}`],
    );
  });

  test('_typeFilter narrows a type through the search engine; other types stay whole', async () => {
    const query = 'Observation?code=http://loinc.org|8302-2';
    const expected = (await s.request('GET', '/Observation?code=http://loinc.org|8302-2&_summary=count')).body
      .total;
    assert.ok(expected > 0, 'the corpus has body heights');
    const { manifest } = await runExport(
      s.token,
      `/$export?_type=Observation,Patient&_typeFilter=${encodeURIComponent(query)}`,
    );
    const got = await download(s.token, manifest);
    assert.equal(got.get('Observation')?.length, expected);
    assert.equal(got.get('Patient')?.length, patients.length);
  });

  test('a bad request is refused before any work: no Prefer, unknown type, unknown format, bad filter', async () => {
    assert.equal((await get(s.token, '/$export')).status, 400);
    for (const q of [
      '_type=Nonsense',
      '_outputFormat=text/csv',
      '_since=yesterday',
      '_typeFilter=Observation%3Fnope%3D1',
    ]) {
      const r = await get(s.token, `/$export?${q}`, { prefer: 'respond-async' });
      assert.equal(r.status, 400, q);
      assert.equal(((await r.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    }
  });

  test('unauthenticated: 401; a role without the export right: 403', async () => {
    assert.equal((await fetch(`${s.fhir}/$export`, { headers: { prefer: 'respond-async' } })).status, 401);
    assert.equal((await get(users.nora, '/$export', { prefer: 'respond-async' })).status, 403);
  });
});

describe('Patient and Group level', () => {
  test('Patient/$export holds the patients and their compartments, not the directory', async () => {
    const { manifest } = await runExport(s.token, '/Patient/$export');
    const got = await download(s.token, manifest);
    assert.deepEqual(counts(got), await storeCounts(`r.patients <> '{}' AND ${notRestricted}`, [restricted]));
    assert.ok(!got.has('Organization') && !got.has('Practitioner'));
  });

  test('Group/[id]/$export holds only the members’ records', async () => {
    const group = await s.request('POST', '/Group', {
      resourceType: 'Group',
      type: 'person',
      actual: true,
      member: [{ entity: { reference: `Patient/${patients[1]}` } }],
    });
    const { manifest } = await runExport(s.token, `/Group/${group.body.id}/$export`);
    const got = await download(s.token, manifest);
    assert.deepEqual(counts(got), await storeCounts('$1 = ANY(r.patients)', [patients[1]]));
    assert.equal((await get(s.token, '/Group/nope/$export', { prefer: 'respond-async' })).status, 404);
  });
});

describe('restricted patients', () => {
  test('excluded for a requester without access, included after break-the-glass', async () => {
    const before = await download(users.dora, (await runExport(users.dora, '/Patient/$export')).manifest);
    assert.ok(!before.get('Patient')?.some((p) => p.id === restricted));
    const grant = await fetch(`${s.url}/break-the-glass`, {
      method: 'POST',
      headers: { authorization: `Bearer ${users.dora}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        patient: restricted,
        reason: 'Records requested by the court, subpoena 2024-118',
      }),
    });
    assert.equal(grant.status, 201, await grant.text());
    const afterGrant = await download(users.dora, (await runExport(users.dora, '/Patient/$export')).manifest);
    assert.ok(afterGrant.get('Patient')?.some((p) => p.id === restricted));
    assert.equal((afterGrant.get('Observation')?.length ?? 0) - (before.get('Observation')?.length ?? 0), 2);
  });
});

describe('jobs', () => {
  test('only the user who started an export sees its status and files', async () => {
    const { status, manifest } = await runExport(users.dora, '/$export?_type=Patient');
    assert.equal((await get(s.token, status)).status, 200, 'an administrator may');
    assert.equal((await get(users.sam, status)).status, 403, 'another user who may export may not');
    assert.equal((await get(users.sam, manifest.output[0].url)).status, 403);
    assert.equal((await get(users.nora, status)).status, 403, 'a role without the export right');
    assert.equal((await get(users.dora, `${manifest.output[0].url}x`)).status, 404);
  });

  test('cancelling removes the job and its files; its status is then 404', async () => {
    const r = await get(s.token, '/$export', { prefer: 'respond-async' });
    assert.equal(r.status, 202);
    const status = r.headers.get('content-location') as string;
    const id = status.split('/').pop() as string;
    const del = await fetch(status, { method: 'DELETE', headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(del.status, 202);
    assert.equal((await get(s.token, status)).status, 404);
    assert.ok(!fs.existsSync(path.join(s.storage.dataDir, 'exports', id)), 'files removed');
  });

  test('an expired export is removed: status 404, files gone', async () => {
    const { status, manifest } = await runExport(s.token, '/$export?_type=Patient');
    const id = status.split('/').pop() as string;
    assert.ok(fs.existsSync(path.join(s.storage.dataDir, 'exports', id)));
    // As if CHARTROOM_EXPORT_TTL had passed since it finished.
    await s.running.services.db.query(
      "UPDATE export_job SET expires_at = now() - interval '1 second' WHERE id = $1",
      [id],
    );
    assert.equal((await get(s.token, manifest.output[0].url)).status, 404);
    assert.equal((await get(s.token, status)).status, 404);
    assert.ok(!fs.existsSync(path.join(s.storage.dataDir, 'exports', id)));
  });

  test('kick-off, completion (with the patients) and each download are audited', async () => {
    const { manifest } = await runExport(
      users.dora,
      `/Group/${(await s.request('POST', '/Group', { resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${patients[0]}` } }] })).body.id}/$export`,
    );
    const patientFile = manifest.output.find((o) => o.type === 'Patient');
    assert.ok(patientFile);
    assert.equal((await get(users.dora, patientFile.url)).status, 200);
    const kickoffs = await auditRows('export-kickoff');
    assert.ok(kickoffs.some((a) => a.username === 'dora' && a.patients.includes(patients[0])));
    const completions = await auditRows('export-complete');
    const last = completions.filter((a) => a.username === 'dora').at(-1);
    assert.deepEqual(last?.patients, [patients[0]]);
    assert.equal(JSON.parse(last?.content ?? '{}').resourceType, 'AuditEvent');
    // A request's audit entry is recorded when its response ends, which may be just after the client
    // has read it: look again for a moment.
    const filePath = new URL(patientFile.url).pathname;
    let downloads = await auditRows('export-download');
    for (let i = 0; i < 40 && !downloads.some((d) => d.content.includes(filePath)); i++) {
      await new Promise((r) => setTimeout(r, 50));
      downloads = await auditRows('export-download');
    }
    const download = downloads.find((d) => d.content.includes(filePath));
    assert.deepEqual(download?.patients, [patients[0]]);
  });
});

describe('a FHIR client library (fhir-kit-client) from npm', () => {
  test('kicks off, polls and reads the manifest; the files are fetched as NDJSON', async () => {
    const client = new Client({ baseUrl: s.fhir, bearerToken: s.token });
    const kicked = await client.request('$export?_type=Patient,Encounter', {
      options: { headers: { prefer: 'respond-async', accept: 'application/fhir+json' } },
    });
    const { response } = Client.httpFor(kicked);
    assert.equal(response?.status, 202);
    const statusUrl = response?.headers.get('content-location') as string;
    let manifest: Manifest | undefined;
    for (let i = 0; i < 600 && !manifest; i++) {
      const polled = await client.request(statusUrl);
      if (Client.httpFor(polled).response?.status === 200) manifest = polled as unknown as Manifest;
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(manifest);
    // fhir-kit-client parses every answer as one JSON document, so NDJSON files are fetched directly.
    const got = await download(s.token, manifest);
    const all = await storeCounts(notRestricted, [restricted]);
    assert.deepEqual(counts(got), { Encounter: all.Encounter, Patient: all.Patient });
    await client.request(statusUrl, { method: 'DELETE' });
    await assert.rejects(
      client.request(statusUrl),
      (e: { response?: { status: number } }) => e.response?.status === 404,
    );
  });
});

describe('after a restart', () => {
  test('a finished export is still served', async () => {
    const { status, manifest } = await runExport(s.token, '/$export?_type=Patient');
    await s.running.close();
    const second = await startServer({
      databaseUrl: s.storage.databaseUrl,
      dataDir: s.storage.dataDir,
      port: 0,
      adminPassword: ADMIN_PASSWORD,
    });
    restarted = true;
    try {
      const { token } = await signInAdministrator(second.url, s.totpSecret);
      const moved = (u: string) => u.replace(/^http:\/\/[^/]+/, second.url);
      const again = await fetch(moved(status), { headers: { authorization: `Bearer ${token}` } });
      assert.equal(again.status, 200);
      const file = await fetch(moved(manifest.output[0].url), {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal((await file.text()).split('\n').filter(Boolean).length, manifest.output[0].count);
    } finally {
      await second.close();
    }
  });
});
