// A patient's search by code starts from the token rows that carry that patient (migration 019): the same
// matches as before for every anchor (compartment, `patient`, `subject`, `performer`), for resources in two
// compartments or in none, and for a database written before the column, once
// `chartroom index-patient-keys` has given its rows their patient.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { indexPatientKeys } from '../../src/store/index-patient-keys.js';
import { ParamRegistry } from '../../src/store/param-registry.js';
import { compartmentFilter } from '../../src/store/search/compartment.js';
import { runSearch } from '../../src/store/search/run-search.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const LOINC = 'http://loinc.org';
const HR = `${LOINC}|8867-4`;

function obs(id: string, code: string, date: string, refs: Record<string, unknown>): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    effectiveDateTime: date,
    identifier: [{ system: 'urn:lab', value: id }],
    ...refs,
  };
}

const RESOURCES = [
  { resourceType: 'Patient', id: 'pk-a', gender: 'female', name: [{ family: 'Aster' }] },
  { resourceType: 'Patient', id: 'pk-b', gender: 'male', name: [{ family: 'Birch' }] },
  { resourceType: 'Group', id: 'pk-g', type: 'person', actual: true },
  obs('o1', '8867-4', '2020-01-01', { subject: { reference: 'Patient/pk-a' } }),
  obs('o2', '8867-4', '2021-06-01', { subject: { reference: 'Patient/pk-a' } }),
  obs('o3', '2339-0', '2021-07-01', { subject: { reference: 'Patient/pk-a' } }),
  obs('o4', '8867-4', '2019-03-01', { subject: { reference: 'Patient/pk-b' } }),
  // in both patients' compartments: subject pk-a, performer pk-b
  obs('o5', '8867-4', '2018-05-01', {
    subject: { reference: 'Patient/pk-a' },
    performer: [{ reference: 'Patient/pk-b' }],
  }),
  obs('o6', '8867-4', '2022-01-01', {}),
  obs('o7', '8867-4', '2022-02-01', { subject: { reference: 'Group/pk-g' } }),
];

/** Query, compartment (if any), and the ids it must find, in order where the query sorts. */
const CASES: { query: string; compartment?: string; want: string[]; sorted?: boolean }[] = [
  { query: `Observation?patient=pk-a&code=${HR}&_sort=-date`, want: ['o2', 'o1', 'o5'], sorted: true },
  { query: `Observation?patient=Patient/pk-a&code=${HR}&_sort=date`, want: ['o5', 'o1', 'o2'], sorted: true },
  { query: `Observation?subject=Patient/pk-a&code=${HR}`, want: ['o1', 'o2', 'o5'] },
  { query: `Observation?subject:Patient=pk-a&code=8867-4`, want: ['o1', 'o2', 'o5'] },
  // pk-b's compartment holds o5 (as performer), but `patient` is the subject
  { query: `Observation?patient=pk-b&code=${HR}`, want: ['o4'] },
  { query: `Observation?performer=Patient/pk-b&code=${HR}`, want: ['o5'] },
  { query: `Observation?subject=Group/pk-g&code=${HR}`, want: ['o7'] },
  { query: `Observation?code=${HR}&_sort=date`, want: ['o5', 'o4', 'o1', 'o2', 'o6', 'o7'], sorted: true },
  { query: `Observation?code=${HR}`, compartment: 'pk-b', want: ['o4', 'o5'] },
  { query: `Observation?code=${HR},${LOINC}|2339-0`, compartment: 'pk-a', want: ['o1', 'o2', 'o3', 'o5'] },
  { query: 'Observation?code:not=8867-4', compartment: 'pk-a', want: ['o3'] },
  { query: 'Observation?identifier=urn:lab|o5', compartment: 'pk-b', want: ['o5'] },
  { query: `Observation?patient=pk-a&code=${HR}&date=ge2020`, want: ['o1', 'o2'] },
  { query: 'Patient?name=birch', compartment: 'pk-b', want: ['pk-b'] },
  { query: 'Patient?name=birch', compartment: 'pk-a', want: [] },
];

let s: TestServer;

before(async () => {
  s = await startTestServer({ label: 'patient-keys' });
  const res = await s.request('POST', '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: RESOURCES.map((r) => ({
      resource: r,
      request: { method: 'PUT', url: `${r.resourceType}/${r.id}` },
    })),
  });
  assert.equal(res.status, 200, res.text);
});

after(async () => {
  await s?.stop();
});

function ids(body: { entry?: { resource: { id: string } }[] }): string[] {
  return (body.entry ?? []).map((e) => e.resource.id);
}

function urlOf(c: (typeof CASES)[number]): string {
  const [type, q] = c.query.split('?');
  const path = c.compartment ? `Patient/${c.compartment}/${type}` : type;
  const params = new URLSearchParams(q.split('&').map((kv) => kv.split('=') as [string, string]));
  return `/${path}?${params}`;
}

/** The ids a search finds when run by the store with a registry of its own (it reads the backfill state anew). */
async function storeSearch(c: (typeof CASES)[number]): Promise<{ ids: string[]; patientKey: boolean }> {
  const db = s.running.services.db;
  const registry = await ParamRegistry.load(db);
  const [type, q] = c.query.split('?');
  const seen: string[] = [];
  const recording = {
    query: <T>(sql: string, values?: unknown[]) => {
      seen.push(sql);
      return db.query<T>(sql, values);
    },
  };
  const page = await runSearch(
    recording,
    registry,
    {
      type,
      params: q.split('&').map((kv) => kv.split('=') as [string, string]),
      filters: c.compartment ? [compartmentFilter('Patient', c.compartment, type)] : undefined,
    },
    undefined,
  );
  return {
    ids: page.entries.map((e) => JSON.parse(e.content).id),
    patientKey: seen.some((q) => /\.patient = \$/.test(q)),
  };
}

function same(got: string[], c: (typeof CASES)[number], where: string) {
  if (c.sorted) assert.deepEqual(got, c.want, `${where}: ${c.query}`);
  else assert.deepEqual([...got].sort(), [...c.want].sort(), `${where}: ${c.query}`);
}

async function tokenRows(): Promise<string[]> {
  const r = await s.running.services.db.query<{ row: string }>(
    `SELECT concat_ws(' ', res.id, sp.code, t.system, t.code, coalesce(t.patient, '-')) AS row
       FROM sp_token t JOIN resource res ON res.rid = t.rid JOIN search_param sp ON sp.id = t.param
      WHERE res.id LIKE 'o_' OR res.id LIKE 'pk-_' ORDER BY 1`,
  );
  return r.rows.map((x) => x.row);
}

describe('token rows carry their patient', () => {
  test('once per patient whose compartment holds the resource, none outside every compartment', async () => {
    const rows = await tokenRows();
    const codeRows = (id: string) => rows.filter((r) => r.startsWith(`${id} code `));
    assert.deepEqual(codeRows('o1'), [`o1 code ${LOINC} 8867-4 pk-a`]);
    assert.deepEqual(codeRows('o5'), [`o5 code ${LOINC} 8867-4 pk-a`, `o5 code ${LOINC} 8867-4 pk-b`]);
    assert.deepEqual(codeRows('o6'), [`o6 code ${LOINC} 8867-4 -`]);
    assert.deepEqual(codeRows('o7'), [`o7 code ${LOINC} 8867-4 -`], 'a Group is no patient compartment');
    assert.ok(rows.includes('pk-b gender male pk-b'), 'a Patient in its own');
  });

  test('an update that moves a record to another patient moves its rows', async () => {
    const moved = obs('o8', '8867-4', '2023-01-01', { subject: { reference: 'Patient/pk-a' } });
    assert.equal((await s.request('PUT', '/Observation/o8', moved)).status, 201);
    assert.deepEqual(
      ids((await s.request('GET', `/Patient/pk-a/Observation?code=${encodeURIComponent(HR)}`)).body).includes(
        'o8',
      ),
      true,
    );
    moved.subject = { reference: 'Patient/pk-b' };
    assert.equal((await s.request('PUT', '/Observation/o8', moved)).status, 200);
    const a = ids((await s.request('GET', `/Patient/pk-a/Observation?code=${encodeURIComponent(HR)}`)).body);
    const b = ids((await s.request('GET', `/Patient/pk-b/Observation?code=${encodeURIComponent(HR)}`)).body);
    assert.ok(!a.includes('o8') && b.includes('o8'), `${a} / ${b}`);
    assert.equal((await s.request('DELETE', '/Observation/o8')).status, 204);
    assert.ok(
      !ids(
        (await s.request('GET', `/Patient/pk-b/Observation?code=${encodeURIComponent(HR)}`)).body,
      ).includes('o8'),
    );
  });
});

describe('searches anchored on a patient find what they found before', () => {
  for (const c of CASES)
    test(`${c.compartment ? `Patient/${c.compartment}/` : ''}${c.query}`, async () => {
      const res = await s.request('GET', urlOf(c));
      assert.equal(res.status, 200, res.text);
      same(ids(res.body), c, 'over HTTP');
    });

  test('the patient searches by code use the patient key', async () => {
    assert.equal((await storeSearch(CASES[0])).patientKey, true);
    assert.equal((await storeSearch(CASES[8])).patientKey, true);
    assert.equal((await storeSearch(CASES[7])).patientKey, false, 'a population search does not');
  });
});

describe('an unsorted search by code (read in rid order from the code index)', () => {
  test('lists each record once, in pages that neither skip nor repeat, forwards and backwards', async () => {
    // o5 has a row per patient: still one entry
    const all = ids((await s.request('GET', `/Observation?code=${encodeURIComponent(HR)}&_count=50`)).body);
    assert.deepEqual([...all].sort(), ['o1', 'o2', 'o4', 'o5', 'o6', 'o7']);
    const pages: string[][] = [];
    let res = await s.request('GET', `/Observation?code=${encodeURIComponent(HR)}&_count=2`);
    for (;;) {
      pages.push(ids(res.body));
      const next = res.body.link.find((l: { relation: string }) => l.relation === 'next');
      if (!next) break;
      res = await s.request('GET', next.url);
    }
    assert.deepEqual(pages.flat(), all, 'the pages, in order, are the whole list');
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 2],
    );
    const prev = res.body.link.find((l: { relation: string }) => l.relation === 'previous');
    assert.deepEqual(ids((await s.request('GET', prev.url)).body), pages[1], 'the previous page');
    const total = await s.request(
      'GET',
      `/Observation?code=${encodeURIComponent(HR)}&_total=accurate&_count=1`,
    );
    assert.equal(total.body.total, 6);
  });

  test('as a user who may not see a restricted patient', async () => {
    const token = await s.addUser('pk-nora', ['provider']);
    const labelled = await s.request('PUT', '/Patient/pk-b', {
      ...RESOURCES[1],
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ETH' }] },
    });
    assert.equal(labelled.status, 200, labelled.text);
    const res = await fetch(`${s.fhir}/Observation?code=${encodeURIComponent(HR)}&_count=50`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    // o4 is pk-b's; o5 is in pk-b's compartment too (as performer)
    assert.deepEqual(ids(body).sort(), ['o1', 'o2', 'o6', 'o7']);
  });
});

describe('a database written before the patient key', () => {
  test('searches as before until `chartroom index-patient-keys` has run, then uses the key with the same rows', async () => {
    const db = s.running.services.db;
    const fresh = await tokenRows();
    // What an older version wrote: no patient on token rows, one row per value; the backfill not done.
    await db.query(
      `DELETE FROM sp_token t USING resource r WHERE r.rid = t.rid AND t.patient IS DISTINCT FROM r.patients[1]
          AND cardinality(r.patients) > 1`,
    );
    await db.query('UPDATE sp_token SET patient = NULL');
    await db.query("UPDATE index_backfill SET done_at = NULL WHERE name = 'sp_token.patient'");
    for (const c of CASES) {
      const r = await storeSearch(c);
      assert.equal(r.patientKey, false, c.query);
      same(r.ids, c, 'before the backfill');
    }
    const progress = await indexPatientKeys(db);
    assert.equal(progress.scanned, progress.total);
    assert.ok(progress.rows > 0);
    assert.deepEqual(await tokenRows(), fresh, 'the same rows as written by this version');
    for (const c of CASES) same((await storeSearch(c)).ids, c, 'after the backfill');
    assert.equal((await storeSearch(CASES[0])).patientKey, true);
    const again = await indexPatientKeys(db);
    assert.equal(again.rows, 0, 'a second run changes nothing');
    assert.deepEqual(await tokenRows(), fresh);
  });
});
