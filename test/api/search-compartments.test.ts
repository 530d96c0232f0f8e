// Compartment search beyond Patient: Encounter, Practitioner, RelatedPerson and Device compartments, as
// their official R4 CompartmentDefinitions define them (a reference by one of the type's member
// parameters, or the compartment's own resource), with the caller's restrictions applied as in any search.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let nora: string;
/** The privacy officer sees restricted records; the table of cases runs as her. */
let pia: string;
type Entry = { resource: { resourceType: string; id: string }; search: { mode: string } };

const LOINC = 'http://loinc.org';
const obs = (id: string, code: string, extra: Record<string, unknown>) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  ...extra,
});

/** Two patients (pr gets restricted), two practitioners, encounters and observations of each. */
const FIXTURE: Record<string, unknown>[] = [
  { resourceType: 'Patient', id: 'pa', name: [{ family: 'Open' }] },
  { resourceType: 'Patient', id: 'pr', name: [{ family: 'Hidden' }] },
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'One' }] },
  { resourceType: 'Practitioner', id: 'dr2', name: [{ family: 'Two' }] },
  { resourceType: 'RelatedPerson', id: 'rp1', patient: { reference: 'Patient/pa' } },
  { resourceType: 'Device', id: 'dev1' },
  ...[
    ['e1', 'pa', 'dr1', '2020-01-01'],
    ['e2', 'pa', 'dr2', '2020-02-01'],
    ['e3', 'pr', 'dr1', '2020-03-01'],
  ].map(([id, patient, dr, date]) => ({
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${patient}` },
    participant: [{ individual: { reference: `Practitioner/${dr}` } }],
    period: { start: date },
  })),
  // e1 holds five observations (two heart rates), e2 one, e3 (the restricted patient's) one.
  ...['o1', 'o2', 'o3', 'o4', 'o5'].map((id, i) =>
    obs(id, i < 2 ? '8867-4' : '29463-7', {
      subject: { reference: 'Patient/pa' },
      encounter: { reference: 'Encounter/e1' },
      ...(i === 0 ? { performer: [{ reference: 'Practitioner/dr1' }] } : {}),
    }),
  ),
  obs('o6', '8867-4', { subject: { reference: 'Patient/pa' }, encounter: { reference: 'Encounter/e2' } }),
  obs('o7', '8867-4', {
    subject: { reference: 'Patient/pr' },
    encounter: { reference: 'Encounter/e3' },
    performer: [{ reference: 'Practitioner/dr1' }],
  }),
  obs('o8', '8310-5', {
    subject: { reference: 'Patient/pa' },
    performer: [{ reference: 'RelatedPerson/rp1' }],
  }),
  obs('o9', '8310-5', { subject: { reference: 'Device/dev1' }, device: { reference: 'Device/dev1' } }),
];

before(async () => {
  s = await startTestServer({ label: 'compartments' });
  for (const r of FIXTURE) {
    const res = await s.request('PUT', `/${r.resourceType}/${r.id}`, r);
    assert.ok(res.status < 300, res.text);
  }
  // The patient's record is labelled restricted (substance use) after its records exist.
  const labelled = await s.request('PUT', '/Patient/pr', {
    ...FIXTURE[1],
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ETH' }] },
  });
  assert.equal(labelled.status, 200, labelled.text);
  nora = await s.addUser('nora', ['provider']);
  pia = await s.addUser('pia', ['privacy-officer']);
});
after(() => s.stop());

async function get(path: string, token = s.token) {
  const r = await s.request('GET', path, undefined, { authorization: `Bearer ${token}` });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.body as { entry?: Entry[]; link: { relation: string; url: string }[]; total?: number };
}
const ids = (b: { entry?: Entry[] }) =>
  (b.entry ?? [])
    .filter((e) => e.search.mode === 'match')
    .map((e) => e.resource.id)
    .sort();

describe('compartments other than Patient', () => {
  const cases: [string, string[]][] = [
    ['Encounter/e1/Observation', ['o1', 'o2', 'o3', 'o4', 'o5']],
    ['Encounter/e1/Observation?code=8867-4', ['o1', 'o2']],
    ['Encounter/e2/Observation', ['o6']],
    ['Encounter/e1/Encounter', ['e1']],
    ['Encounter/nope/Observation', []],
    ['Practitioner/dr1/Encounter', ['e1', 'e3']],
    ['Practitioner/dr1/Encounter?date=lt2020-02-01', ['e1']],
    ['Practitioner/dr1/Observation', ['o1', 'o7']],
    ['Practitioner/dr2/Encounter', ['e2']],
    ['Practitioner/dr1/Practitioner', ['dr1']],
    ['RelatedPerson/rp1/Observation', ['o8']],
    ['Device/dev1/Observation', ['o9']],
  ];
  for (const [path, expected] of cases)
    test(`${path} finds ${expected.join(', ') || 'nothing'}`, async () => {
      assert.deepEqual(ids(await get(`/${path}`, pia)), expected);
    });

  test('paging walks the compartment with next links that stay in it', async () => {
    const seen: string[] = [];
    let page = await get('/Encounter/e1/Observation?_count=2&_sort=_id', pia);
    for (let i = 0; i < 5 && page; i++) {
      seen.push(...ids(page));
      const next = page.link.find((l) => l.relation === 'next');
      if (!next) break;
      assert.match(next.url, /\/Encounter\/e1\/Observation\?/);
      page = await get(next.url, pia);
    }
    assert.deepEqual(seen, ['o1', 'o2', 'o3', 'o4', 'o5']);
    assert.equal((await get('/Encounter/e1/Observation?_total=accurate&_count=1')).total, 5);
  });

  test('a restricted patient stays hidden in a practitioner compartment from a user without access', async () => {
    assert.deepEqual(ids(await get('/Practitioner/dr1/Encounter', nora)), ['e1']);
    assert.deepEqual(ids(await get('/Practitioner/dr1/Observation', nora)), ['o1']);
    assert.deepEqual(ids(await get('/Encounter/e3/Observation', nora)), []);
    assert.equal((await get('/Practitioner/dr1/Encounter?_total=accurate', nora)).total, 1);
  });

  test('a compartment that does not exist, or a type it never holds, is a 400 that says so', async () => {
    for (const [path, message] of [
      ['/Organization/o1/Patient', /Organization is not a compartment type.*Encounter/],
      ['/Encounter/e1/Patient', /Patient resources are never in a Encounter compartment/],
      ['/Device/dev1/Organization', /Organization resources are never in a Device compartment/],
    ] as const) {
      const r = await s.request('GET', path);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      assert.match(r.body.issue[0].diagnostics, message);
    }
    assert.equal((await s.request('GET', '/Encounter/e1/Nothing')).status, 404, 'an unknown type');
  });

  test('[compartment]/[id]/* lists every type of the compartment in one searchset', async () => {
    const refs = (b: { entry?: Entry[] }) =>
      (b.entry ?? [])
        .filter((e) => e.search.mode === 'match')
        .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
        .sort();
    const pa = [
      'Encounter/e1',
      'Encounter/e2',
      ...['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o8'].map((o) => `Observation/${o}`),
      'Patient/pa',
      'RelatedPerson/rp1',
    ];
    assert.deepEqual(refs(await get('/Patient/pa/*', pia)), pa);
    assert.deepEqual(refs(await get('/Patient/pa/*?_lastUpdated=gt2020-01-01', pia)), pa);
    assert.deepEqual(refs(await get('/Patient/pa/*?_lastUpdated=lt2020-01-01', pia)), []);
    assert.deepEqual(refs(await get('/Patient/pa/*?_type=Encounter,RelatedPerson', pia)), [
      'Encounter/e1',
      'Encounter/e2',
      'RelatedPerson/rp1',
    ]);
    assert.deepEqual(refs(await get('/Encounter/e1/*', pia)), [
      'Encounter/e1',
      ...['o1', 'o2', 'o3', 'o4', 'o5'].map((o) => `Observation/${o}`),
    ]);
    assert.deepEqual(refs(await get('/Practitioner/dr1/*', pia)), [
      'Encounter/e1',
      'Encounter/e3',
      'Observation/o1',
      'Observation/o7',
      'Practitioner/dr1',
    ]);
    assert.deepEqual(refs(await get('/Device/dev1/*', pia)), ['Device/dev1', 'Observation/o9']);
    assert.deepEqual(
      refs(await get(`/Patient/pa/*?_filter=${encodeURIComponent('_id eq o1 or _id eq e1')}`, pia)),
      ['Encounter/e1', 'Observation/o1'],
    );
  });

  test('[compartment]/[id]/* pages within the compartment and hides what the caller may not see', async () => {
    const seen: string[] = [];
    let page = await get('/Patient/pa/*?_count=4&_sort=_id', pia);
    for (let i = 0; i < 10; i++) {
      seen.push(...(page.entry ?? []).map((e) => e.resource.id));
      const next = page.link.find((l) => l.relation === 'next');
      if (!next) break;
      assert.match(decodeURIComponent(next.url), /\/Patient\/pa\/\*\?/);
      page = await get(next.url, pia);
    }
    assert.deepEqual(seen, ['e1', 'e2', 'o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o8', 'pa', 'rp1']);
    assert.equal((await get('/Patient/pa/*?_total=accurate&_count=1', pia)).total, 11);
    assert.deepEqual(ids(await get('/Patient/pr/*', nora)), [], 'a restricted patient: nothing');
    assert.deepEqual(ids(await get('/Patient/pr/*', pia)), ['e3', 'o7', 'pr']);
    assert.deepEqual(ids(await get('/Practitioner/dr1/*', nora)), ['dr1', 'e1', 'o1']);
    assert.equal((await get('/Practitioner/dr1/*?_total=accurate', nora)).total, 3);
  });

  test('[compartment]/[id]/* refuses a type the compartment never holds and a non-compartment', async () => {
    const r = await s.request('GET', '/Patient/pa/*?_type=Organization');
    assert.equal(r.status, 400);
    assert.match(r.body.issue[0].diagnostics, /Organization resources are never in a Patient compartment/);
    const o = await s.request('GET', '/Organization/o1/*');
    assert.equal(o.status, 400);
    assert.match(o.body.issue[0].diagnostics, /Organization is not a compartment type/);
  });

  test('the CapabilityStatement names the compartments searched', async () => {
    const cs = (await s.request('GET', '/metadata')).body;
    assert.deepEqual(
      [...cs.rest[0].compartment].sort(),
      ['device', 'encounter', 'patient', 'practitioner', 'relatedPerson'].map(
        (c) => `http://hl7.org/fhir/CompartmentDefinition/${c}`,
      ),
    );
  });
});
