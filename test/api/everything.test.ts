// Patient/$everything on real Synthea records: the patient's whole compartment plus the practitioners and
// organizations it references, nothing of another patient; _type, _since and _count paging; only the
// types the role may read; a restricted patient is refused (403) until break-the-glass; audited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'fhir-kit-client';
import { loadSmallBundles } from '../support/synthea-load.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let patients: string[];
let restricted: string;
const users: Record<string, string> = {};

type Entry = { resource: { resourceType: string; id: string; subject?: { reference?: string } } };
type Bundle = { type: string; entry: Entry[]; link: { relation: string; url: string }[] };

const get = (token: string, url: string) =>
  fetch(url.startsWith('http') ? url : `${s.fhir}${url}`, { headers: { authorization: `Bearer ${token}` } });

/** Follows next links; every resource as Type/id. */
async function allPages(token: string, first: string): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let url: string | undefined = first;
  let pages = 0;
  while (url) {
    const r = await get(token, url);
    assert.equal(r.status, 200, await r.clone().text());
    const b = (await r.json()) as Bundle;
    assert.equal(b.type, 'searchset');
    keys.push(...(b.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`));
    url = b.link.find((l) => l.relation === 'next')?.url;
    pages++;
  }
  return { keys, pages };
}

/** What the store holds in the patient's compartment, as Type/id. */
async function compartment(patient: string): Promise<string[]> {
  const r = await s.running.services.db.query<{ k: string }>(
    "SELECT r.type || '/' || r.id AS k FROM resource_compartment c JOIN resource r ON r.rid = c.rid WHERE c.patient = $1 AND NOT r.deleted",
    [patient],
  );
  return r.rows.map((x) => x.k);
}

before(async () => {
  s = await startTestServer({ label: 'everything' });
  patients = await loadSmallBundles(s, 2);
  restricted = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Sealed' }] })
  ).body.id;
  await s.request('POST', '/Observation', {
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'sealed' },
    subject: { reference: `Patient/${restricted}` },
  });
  await s.request('PUT', `/Patient/${restricted}`, {
    resourceType: 'Patient',
    id: restricted,
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ETH' }] },
    name: [{ family: 'Sealed' }],
  });
  for (const [name, role] of [
    ['nora', 'provider'],
    ['rita', 'registrar'],
  ]) {
    users[name] = await s.addUser(name, [role]);
  }
});
after(() => s.stop());

describe('Patient/$everything', () => {
  test('holds the whole compartment and the practitioners and organizations it references, nothing else', async () => {
    const [p, other] = patients;
    const { keys } = await allPages(s.token, `/Patient/${p}/$everything?_count=1000`);
    assert.equal(new Set(keys).size, keys.length, 'no resource twice');
    const mine = await compartment(p);
    assert.deepEqual(
      keys.filter((k) => mine.includes(k)).sort(),
      [...mine].sort(),
      'every compartment resource',
    );
    const extra = keys.filter((k) => !mine.includes(k));
    assert.ok(extra.some((k) => k.startsWith('Practitioner/')));
    assert.ok(extra.some((k) => k.startsWith('Organization/')));
    assert.ok(
      extra.every((k) => /^(Practitioner|Organization|Location|Medication)\//.test(k)),
      extra.join(),
    );
    const theirs = new Set(await compartment(other));
    assert.ok(!keys.some((k) => theirs.has(k)), "nothing of the other patient's record");
  });

  test('_count pages with next links that add up to the whole, in order, without repeats', async () => {
    const p = patients[0];
    const whole = await allPages(s.token, `/Patient/${p}/$everything?_count=1000`);
    const paged = await allPages(s.token, `/Patient/${p}/$everything?_count=7`);
    assert.ok(paged.pages > 3);
    assert.deepEqual(paged.keys, whole.keys);
  });

  test('_type narrows to the named types; the count matches a compartment search', async () => {
    const p = patients[0];
    const { keys } = await allPages(
      s.token,
      `/Patient/${p}/$everything?_type=Observation,Encounter&_count=1000`,
    );
    const obs = (await s.request('GET', `/Observation?subject=Patient/${p}&_summary=count`)).body.total;
    const enc = (await s.request('GET', `/Encounter?subject=Patient/${p}&_summary=count`)).body.total;
    assert.equal(keys.filter((k) => k.startsWith('Observation/')).length, obs);
    assert.equal(keys.filter((k) => k.startsWith('Encounter/')).length, enc);
    assert.equal(keys.length, obs + enc);
  });

  test('_since holds only what changed after the instant', async () => {
    const p = patients[1];
    const since = new Date(Date.now() - 1).toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const patient = (await s.request('GET', `/Patient/${p}`)).body;
    assert.equal((await s.request('PUT', `/Patient/${p}`, { ...patient, gender: 'unknown' })).status, 200);
    const { keys } = await allPages(s.token, `/Patient/${p}/$everything?_since=${encodeURIComponent(since)}`);
    assert.deepEqual(keys, [`Patient/${p}`]);
  });

  test('POST with a Parameters resource works like GET', async () => {
    const p = patients[0];
    const r = await s.request('POST', `/Patient/${p}/$everything`, {
      resourceType: 'Parameters',
      parameter: [
        { name: '_type', valueString: 'Condition' },
        { name: '_count', valueInteger: 1000 },
      ],
    });
    assert.equal(r.status, 200);
    const conditions = (await s.request('GET', `/Condition?subject=Patient/${p}&_summary=count`)).body.total;
    assert.equal(r.body.entry.length, conditions);
  });

  test('a role sees only the types it may read (a registrar: no clinical records)', async () => {
    const { keys } = await allPages(users.rita, `/Patient/${patients[0]}/$everything?_count=1000`);
    assert.ok(keys.includes(`Patient/${patients[0]}`));
    assert.ok(keys.some((k) => k.startsWith('Encounter/')));
    assert.ok(!keys.some((k) => /^(Observation|Condition|Procedure)\//.test(k)));
  });

  test('a restricted patient: 403 without access, the record after break-the-glass', async () => {
    assert.equal((await get(users.nora, `/Patient/${restricted}/$everything`)).status, 403);
    const grant = await fetch(`${s.url}/break-the-glass`, {
      method: 'POST',
      headers: { authorization: `Bearer ${users.nora}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        patient: restricted,
        reason: 'Unresponsive in the ED, medication history needed',
      }),
    });
    assert.equal(grant.status, 201);
    const { keys } = await allPages(users.nora, `/Patient/${restricted}/$everything`);
    assert.equal(keys.length, 2);
  });

  test('unknown patient 404, unauthenticated 401, unsupported parameter 400', async () => {
    assert.equal((await get(s.token, '/Patient/nobody/$everything')).status, 404);
    assert.equal((await fetch(`${s.fhir}/Patient/${patients[0]}/$everything`)).status, 401);
    assert.equal((await get(s.token, `/Patient/${patients[0]}/$everything?start=2020`)).status, 400);
  });

  test('is audited with the patient', async () => {
    await get(users.nora, `/Patient/${patients[1]}/$everything?_count=5`);
    // The entry is recorded when the response ends, which may be just after the client has read it.
    const latest = async () => {
      await s.running.flushAudit();
      return (
        await s.running.services.db.query<{ username: string; patients: string[] }>(
          "SELECT username, patients FROM audit_event WHERE action = 'everything' AND username = 'nora' AND $1 = ANY(patients)",
          [patients[1]],
        )
      ).rows[0];
    };
    let row = await latest();
    for (let i = 0; i < 40 && !row; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await latest();
    }
    assert.deepEqual(row, { username: 'nora', patients: [patients[1]] });
  });

  test('a FHIR client library (fhir-kit-client) reads it and pages with nextPage', async () => {
    const client = new Client({ baseUrl: s.fhir, bearerToken: s.token });
    const first = (await client.operation({
      name: '$everything',
      resourceType: 'Patient',
      id: patients[0],
      method: 'GET',
      input: { _count: 10 },
    })) as unknown as Bundle;
    assert.equal(first.entry.length, 10);
    const second = (await client.nextPage({ bundle: first as never })) as unknown as Bundle;
    assert.equal(second.entry.length, 10);
    assert.notEqual(second.entry[0].resource.id, first.entry[0].resource.id);
  });
});
