// The minimal search of the record store (_id, _lastUpdated, patient/subject, token, string, date,
// _count with next links) and type/system history, as a client sees them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let patientA: string;
let patientB: string;
let startedAt: string;

const obs = (patient: string, code: string, date: string, value: number) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: date,
  valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
});

before(async () => {
  s = await startTestServer({ label: 'search' });
  startedAt = new Date(Date.now() - 1000).toISOString();
  patientA = (
    await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Müller', given: ['Zoë'] }],
      birthDate: '1960-05-01',
    })
  ).body.id;
  patientB = (
    await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Smith' }],
      birthDate: '1985',
    })
  ).body.id;
  for (let i = 0; i < 25; i++)
    await s.request(
      'POST',
      '/Observation',
      obs(patientA, '29463-7', `2019-01-${String(i + 1).padStart(2, '0')}`, 60 + i),
    );
  await s.request('POST', '/Observation', obs(patientB, '8302-2', '2020-06-01T10:00:00Z', 180));
});
after(() => s.stop());

const ids = (b: { entry?: { resource: { id: string } }[] }) => (b.entry ?? []).map((e) => e.resource.id);

describe('search', () => {
  test('by patient and code, paged with _count and next links that reach every match once', async () => {
    const seen: string[] = [];
    let url: string | undefined = `/Observation?patient=${patientA}&code=http://loinc.org|29463-7&_count=10`;
    let pages = 0;
    while (url) {
      const r = await s.request('GET', url);
      assert.equal(r.status, 200);
      assert.equal(r.body.type, 'searchset');
      seen.push(...ids(r.body));
      url = r.body.link.find((l: { relation: string }) => l.relation === 'next')?.url;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
  });

  test('subject as Type/id and a code without system', async () => {
    const r = await s.request('GET', `/Observation?subject=Patient/${patientB}&code=8302-2`);
    assert.equal(r.body.entry.length, 1);
    assert.equal(r.body.entry[0].resource.subject.reference, `Patient/${patientB}`);
  });

  test('string search is case- and accent-insensitive starts-with; :exact is exact', async () => {
    assert.deepEqual(ids((await s.request('GET', '/Patient?name=mull')).body), [patientA]);
    assert.deepEqual(ids((await s.request('GET', '/Patient?given=ZOE')).body), [patientA]);
    assert.deepEqual(ids((await s.request('GET', '/Patient?family:exact=Müller')).body), [patientA]);
    assert.deepEqual(ids((await s.request('GET', '/Patient?family:exact=muller')).body), []);
  });

  test('dates compare as ranges at their precision', async () => {
    assert.equal(
      (await s.request('GET', `/Observation?patient=${patientA}&date=2019-01-05`)).body.entry.length,
      1,
    );
    assert.equal(
      (await s.request('GET', `/Observation?patient=${patientA}&date=ge2019-01-20`)).body.entry.length,
      6,
    );
    assert.deepEqual(ids((await s.request('GET', '/Patient?birthdate=lt1970')).body), [patientA]);
    assert.deepEqual(
      ids((await s.request('GET', '/Patient?birthdate=1985-03-01')).body),
      [],
      'a year does not fall inside one day',
    );
  });

  test('_id with several values (OR), and quantity with a prefix', async () => {
    const r = await s.request('GET', `/Patient?_id=${patientA},${patientB}`);
    assert.deepEqual(ids(r.body).sort(), [patientA, patientB].sort());
    assert.equal(
      (await s.request('GET', `/Observation?patient=${patientA}&value-quantity=gt80`)).body.entry.length,
      4,
    );
  });

  test('_lastUpdated finds what changed since a moment', async () => {
    const r = await s.request('GET', `/Patient?_lastUpdated=ge${startedAt}`);
    assert.equal(r.body.entry.length, 2);
    assert.equal((await s.request('GET', '/Patient?_lastUpdated=lt2000-01-01')).body.entry.length, 0);
  });

  test('unknown parameters are ignored with a warning, or refused with Prefer: handling=strict', async () => {
    const lenient = await s.request('GET', '/Patient?shoe-size=42');
    assert.equal(lenient.status, 200);
    const outcome = lenient.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
    assert.match(outcome.resource.issue[0].diagnostics, /shoe-size/);
    const strict = await s.request('GET', '/Patient?shoe-size=42', undefined, { prefer: 'handling=strict' });
    assert.equal(strict.status, 400);
  });

  test('_total=accurate counts every page; _summary=count gives only the count; _sort=-date puts the newest first', async () => {
    const r = await s.request('GET', `/Observation?patient=${patientA}&_count=10&_total=accurate`);
    assert.equal(r.body.total, 25);
    assert.equal(r.body.entry.length, 10);
    const c = await s.request('GET', `/Observation?patient=${patientA}&_summary=count`);
    assert.equal(c.body.total, 25);
    assert.deepEqual(c.body.entry, []);
    assert.equal(
      (await s.request('GET', `/Observation?patient=${patientA}`)).body.total,
      undefined,
      'no count unless asked',
    );
    const sorted = await s.request('GET', `/Observation?patient=${patientA}&_sort=-date&_count=50`);
    const dates = sorted.body.entry.map(
      (e: { resource: { effectiveDateTime: string } }) => e.resource.effectiveDateTime,
    );
    assert.equal(dates.length, 25);
    assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');
    assert.equal((await s.request('GET', '/Observation?_total=lots')).status, 400);
  });

  test('POST _search takes the parameters as a form', async () => {
    const r = await s.request('POST', '/Patient/_search', `family=smith`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.deepEqual(ids(r.body), [patientB]);
  });

  test('a bad date or count is a 400 naming the parameter', async () => {
    const r = await s.request('GET', '/Observation?date=yesterday');
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.issue[0].expression, ['date']);
    assert.equal((await s.request('GET', '/Observation?_count=lots')).status, 400);
  });
});

describe('history', () => {
  test('type history lists creations newest first and pages with next links', async () => {
    const r = await s.request('GET', '/Observation/_history?_count=20');
    assert.equal(r.body.type, 'history');
    assert.equal(r.body.entry.length, 20);
    const next = r.body.link.find((l: { relation: string }) => l.relation === 'next').url;
    const r2 = await s.request('GET', next);
    assert.equal(r2.body.entry.length, 6);
    const all = [...r.body.entry, ...r2.body.entry].map((e: { resource: { id: string } }) => e.resource.id);
    assert.equal(new Set(all).size, 26);
  });

  test('system history includes every type, and _since filters', async () => {
    const r = await s.request('GET', `/_history?_count=100&_since=${startedAt}`);
    const types = new Set(
      r.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType),
    );
    assert.deepEqual([...types].sort(), ['Observation', 'Patient']);
    assert.equal(
      (await s.request('GET', `/_history?_since=${new Date(Date.now() + 60_000).toISOString()}`)).body.entry
        .length,
      0,
    );
  });
});
