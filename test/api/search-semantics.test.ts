// The R4 search semantics, table-driven: each parameter type with its prefixes and modifiers, chains,
// _has, composite, special parameters, sorting, paging, includes and subsetting, on a small fixture
// whose expected answers are worked out by hand (see the comments on the fixture).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const MRN = 'http://hosp.example/mrn';
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

const loinc = (code: string, display?: string) => ({ coding: [{ system: LOINC, code, display }] });
const qty = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });

/** The fixture: ids are chosen so that expected answers read easily. */
const FIXTURE: Record<string, unknown>[] = [
  { resourceType: 'Organization', id: 'org1', name: 'General Hospital' },
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'House', given: ['Gregory'] }] },
  {
    resourceType: 'Patient',
    id: 'p1',
    meta: { tag: [{ system: 'http://example.org/tags', code: 'vip' }] },
    text: {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">Patient with a long diabetes history</div>',
    },
    identifier: [{ system: MRN, value: 'MRN1', type: { coding: [{ system: V2, code: 'MR' }] } }],
    active: true,
    name: [{ family: 'Smith', given: ['Jöhn'] }],
    gender: 'male',
    birthDate: '1960-05-15',
    address: [{ city: 'Boston' }],
    generalPractitioner: [{ reference: 'Practitioner/dr1' }],
    managingOrganization: { reference: 'Organization/org1' },
  },
  {
    resourceType: 'Patient',
    id: 'p2',
    identifier: [{ system: MRN, value: 'MRN2' }],
    active: false,
    name: [{ family: 'Smithson', given: ['Anna'] }],
    gender: 'female',
    birthDate: '1975',
  },
  // A family name with a comma (escaped as \, in searches) and an identifier with a bar (\|).
  {
    resourceType: 'Patient',
    id: 'p3',
    identifier: [{ system: MRN, value: 'A|B' }],
    name: [{ family: 'Jones,Smith' }],
    birthDate: '2001-06-01',
  },
  {
    resourceType: 'Patient',
    id: 'p4',
    name: [{ family: 'García', given: ['José'] }],
    birthDate: '1990-12-31',
  },
  {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: loinc('8867-4', 'Heart rate'),
    subject: { reference: 'Patient/p1' },
    performer: [{ reference: 'Practitioner/dr1' }],
    effectiveDateTime: '2020-01-15T10:00:00Z',
    valueQuantity: qty(72, '/min'),
    note: [{ text: 'The patient was anxious' }],
  },
  {
    resourceType: 'Observation',
    id: 'o2',
    status: 'final',
    code: loinc('8867-4', 'Heart rate'),
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2020-02-01',
    valueQuantity: qty(100.5, '/min'),
  },
  // 23:30 on 31 December 2019 in New York is 04:30 UTC on 1 January 2020.
  {
    resourceType: 'Observation',
    id: 'o3',
    status: 'final',
    code: loinc('85354-9', 'Blood pressure panel'),
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2019-12-31T23:30:00-05:00',
    component: [
      { code: loinc('8480-6'), valueQuantity: qty(120, 'mm[Hg]') },
      { code: loinc('8462-4'), valueQuantity: qty(80, 'mm[Hg]') },
    ],
  },
  {
    resourceType: 'Observation',
    id: 'o4',
    status: 'preliminary',
    code: loinc('8867-4', 'Heart rate'),
    subject: { reference: 'Patient/p2' },
    effectivePeriod: { start: '2020-01-01', end: '2020-01-31' },
    valueQuantity: qty(60, '/min'),
  },
  {
    resourceType: 'Observation',
    id: 'o5',
    status: 'final',
    code: { text: 'Free text finding' },
    subject: { reference: 'Patient/p2' },
  },
  {
    resourceType: 'Observation',
    id: 'o6',
    status: 'amended',
    code: { coding: [{ system: 'http://local.example/codes', code: 'X1' }] },
    subject: { reference: 'Patient/p3' },
    effectiveDateTime: '2021',
    hasMember: [{ reference: 'Observation/o1' }],
  },
  {
    resourceType: 'Condition',
    id: 'c1',
    code: {
      coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }],
    },
    subject: { reference: 'Patient/p1' },
    onsetDateTime: '2010',
  },
  {
    resourceType: 'Encounter',
    id: 'e1',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: 'Patient/p1' },
    period: { start: '2019-01-10', end: '2019-01-12' },
  },
  {
    resourceType: 'RiskAssessment',
    id: 'ra1',
    status: 'final',
    subject: { reference: 'Patient/p1' },
    prediction: [{ probabilityDecimal: 0.25 }],
  },
  {
    resourceType: 'List',
    id: 'l1',
    status: 'current',
    mode: 'working',
    entry: [{ item: { reference: 'Patient/p1' } }, { item: { reference: 'Patient/p3' } }],
  },
  {
    resourceType: 'ValueSet',
    id: 'vs1',
    url: 'http://example.org/vs/hr',
    status: 'active',
    compose: { include: [{ system: LOINC, concept: [{ code: '8867-4' }] }] },
  },
];

before(async () => {
  s = await startTestServer({ label: 'search-semantics' });
  for (const r of FIXTURE) {
    const res = await s.request('PUT', `/${r.resourceType}/${r.id}`, r);
    assert.ok(res.status === 201 || res.status === 200, `${r.resourceType}/${r.id}: ${res.text}`);
  }
});
after(() => s.stop());

type Entry = { resource: { id: string; resourceType: string }; search: { mode: string } };
const matches = (body: { entry?: Entry[] }) =>
  (body.entry ?? []).filter((e) => e.search.mode === 'match').map((e) => e.resource.id);

/** [query, the ids it must find (any order)]. */
const CASES: [string, string[]][] = [
  // string: starts-with, case- and accent-insensitive; :exact; :contains; escaped commas
  ['Patient?family=smith', ['p1', 'p2']],
  ['Patient?family=SMITH', ['p1', 'p2']],
  ['Patient?family:exact=Smith', ['p1']],
  ['Patient?family:exact=smith', []],
  ['Patient?family:contains=mith', ['p1', 'p2', 'p3']],
  ['Patient?given=john', ['p1']],
  ['Patient?family=garcia', ['p4']],
  ['Patient?family=GARCÍA', ['p4']],
  ['Patient?family=jones\\,smith', ['p3']],
  ['Patient?family=jones,garcia', ['p3', 'p4']],
  ['Patient?name=greg', []],
  ['Practitioner?name=greg', ['dr1']],
  ['Patient?address-city=bos', ['p1']],
  ['Patient?family=smith&given=anna', ['p2']],
  // token: system|code, code, |code, system|, :not (includes missing), :missing, escaped bar, :of-type
  ['Patient?gender=male', ['p1']],
  ['Patient?gender=male,female', ['p1', 'p2']],
  ['Patient?gender:not=male', ['p2', 'p3', 'p4']],
  ['Patient?gender:missing=true', ['p3', 'p4']],
  ['Patient?gender:missing=false', ['p1', 'p2']],
  [`Patient?identifier=${MRN}|MRN1`, ['p1']],
  ['Patient?identifier=MRN1', ['p1']],
  ['Patient?identifier=|MRN1', []],
  [`Patient?identifier=${MRN}|`, ['p1', 'p2', 'p3']],
  [`Patient?identifier=${MRN}|A\\|B`, ['p3']],
  [`Patient?identifier:of-type=${V2}|MR|MRN1`, ['p1']],
  [`Patient?identifier:of-type=${V2}|MR|MRN2`, []],
  ['Patient?active=true', ['p1']],
  ['Patient?active=false', ['p2']],
  ['Patient?_tag=http://example.org/tags|vip', ['p1']],
  [`Observation?code=${LOINC}|8867-4`, ['o1', 'o2', 'o4']],
  ['Observation?code=8867-4', ['o1', 'o2', 'o4']],
  [`Observation?code=${LOINC}|8867-4,http://local.example/codes|X1`, ['o1', 'o2', 'o4', 'o6']],
  ['Observation?code:text=heart', ['o1', 'o2', 'o4']],
  ['Observation?code:text=free text', ['o5']],
  ['Observation?code:in=http://example.org/vs/hr', ['o1', 'o2', 'o4']],
  ['Observation?code:not-in=http://example.org/vs/hr', ['o3', 'o5', 'o6']],
  ['Observation?status=final&code=8867-4', ['o1', 'o2']],
  // date: precision ranges, every prefix, time zones, periods, :missing
  ['Observation?date=2020-01-15', ['o1']],
  ['Observation?date=2020-01-15T10:00:00Z', ['o1']],
  ['Observation?date=2020-01-15T10:00Z', ['o1']],
  ['Observation?date=2020-01-15T05:00:00-05:00', ['o1']],
  ['Observation?date=2020-01', ['o1', 'o3', 'o4']],
  ['Observation?date=2020', ['o1', 'o2', 'o3', 'o4']],
  ['Observation?date=ge2020-02-01', ['o2', 'o6']],
  ['Observation?date=gt2020-01-31', ['o2', 'o6']],
  ['Observation?date=lt2020-01-01', []],
  ['Observation?date=lt2020-01-01T05:00:00Z', ['o3', 'o4']],
  ['Observation?date=le2019-12-31', []],
  ['Observation?date=sa2020-01-31', ['o2', 'o6']],
  ['Observation?date=eb2020-01-02', ['o3']],
  ['Observation?date=ne2020-01', ['o2', 'o6']],
  ['Observation?date:missing=true', ['o5']],
  ['Observation?date=ge2020-01-01&date=lt2020-02-01', ['o1', 'o3', 'o4']],
  ['Patient?birthdate=1960', ['p1']],
  ['Patient?birthdate=ge1975', ['p2', 'p3', 'p4']],
  ['Patient?birthdate=1975-06', []],
  ['Patient?birthdate=lt1976', ['p1', 'p2']],
  ['Encounter?date=2019-01-11', []],
  ['Encounter?date=ge2019-01-11', ['e1']],
  ['Encounter?date=le2019-01-11', ['e1']],
  ['Encounter?date=2019-01', ['e1']],
  ['Condition?onset-date=2010', ['c1']],
  // quantity and number: precision, prefixes, system and unit, ap
  ['Observation?value-quantity=72', ['o1']],
  ['Observation?value-quantity=100.5', ['o2']],
  ['Observation?value-quantity=100', []],
  ['Observation?value-quantity=gt70', ['o1', 'o2']],
  ['Observation?value-quantity=lt70', ['o4']],
  ['Observation?value-quantity=ge72', ['o1', 'o2']],
  ['Observation?value-quantity=ap70', ['o1']],
  [`Observation?value-quantity=72|${UCUM}|/min`, ['o1']],
  ['Observation?value-quantity=72||/min', ['o1']],
  [`Observation?value-quantity=72|${UCUM}|mg`, []],
  ['Observation?value-quantity:missing=true', ['o3', 'o5', 'o6']],
  ['RiskAssessment?probability=0.25', ['ra1']],
  ['RiskAssessment?probability=gt0.2', ['ra1']],
  ['RiskAssessment?probability=0.3', []],
  ['RiskAssessment?probability=lt0.3', ['ra1']],
  // reference: Type/id, id, :Type, absolute URL to this server, :missing
  ['Observation?subject=Patient/p1', ['o1', 'o2', 'o3']],
  ['Observation?subject=p1', ['o1', 'o2', 'o3']],
  ['Observation?subject:Patient=p1', ['o1', 'o2', 'o3']],
  ['Observation?patient=p2', ['o4', 'o5']],
  ['Observation?performer:Practitioner=dr1', ['o1']],
  ['Observation?performer:missing=false', ['o1']],
  ['Observation?has-member=Observation/o1', ['o6']],
  // chains, several levels
  ['Observation?subject:Patient.name=smith', ['o1', 'o2', 'o3', 'o4', 'o5']],
  ['Observation?patient.gender=female', ['o4', 'o5']],
  ['Observation?subject:Patient.general-practitioner.name=house', ['o1', 'o2', 'o3']],
  ['Observation?subject:Patient.organization.name=general', ['o1', 'o2', 'o3']],
  ['Observation?subject:Patient.identifier=MRN2', ['o4', 'o5']],
  // _has (reverse chaining), nested
  ['Patient?_has:Observation:patient:code=8867-4', ['p1', 'p2']],
  ['Patient?_has:Observation:subject:code=X1', ['p3']],
  ['Patient?_has:Condition:patient:code=44054006', ['p1']],
  ['Practitioner?_has:Patient:general-practitioner:_has:Observation:patient:code=8867-4', ['dr1']],
  // composite
  [`Observation?component-code-value-quantity=${LOINC}|8480-6$gt100`, ['o3']],
  ['Observation?component-code-value-quantity=8480-6$gt100', ['o3']],
  ['Observation?component-code-value-quantity=8480-6$lt100', []],
  // combo-: the Observation's own code and value, and each component's (its roots are of two types)
  ['Observation?combo-code-value-quantity=8480-6$gt100', ['o3']],
  [`Observation?combo-code-value-quantity=${LOINC}|8462-4$lt90`, ['o3']],
  ['Observation?combo-code-value-quantity=8867-4$72', ['o1']],
  ['Observation?combo-code-value-quantity=85354-9$gt100', []],
  // combo- parameters are the union of the Observation's own and its components' parameters (they share
  // their index rows): each finds what either part finds, :missing only what neither has
  ['Observation?combo-code=8480-6', ['o3']],
  ['Observation?combo-code=85354-9,8867-4', ['o1', 'o2', 'o3', 'o4']],
  [`Observation?combo-code:text=heart`, ['o1', 'o2', 'o4']],
  ['Observation?combo-value-quantity=gt110', ['o3']],
  ['Observation?combo-value-quantity=le80', ['o1', 'o3', 'o4']],
  [`Observation?combo-value-quantity=120|${UCUM}|mm[Hg]`, ['o3']],
  ['Observation?combo-value-quantity:missing=true', ['o5', 'o6']],
  ['Observation?combo-code:missing=false', ['o1', 'o2', 'o3', 'o4', 'o5', 'o6']],
  ['Observation?component-code-value-quantity=8462-4$80', ['o3']],
  ['Observation?code-value-quantity=8867-4$72', ['o1']],
  [`Observation?code-value-quantity=${LOINC}|8867-4$gt90`, ['o2']],
  // uri: exact, :below, :above
  ['ValueSet?url=http://example.org/vs/hr', ['vs1']],
  ['ValueSet?url=http://example.org/vs', []],
  ['ValueSet?url:below=http://example.org/vs', ['vs1']],
  ['ValueSet?url:above=http://example.org/vs/hr/sub', ['vs1']],
  // special parameters
  ['Patient?_id=p1,p2', ['p1', 'p2']],
  ['Patient?_list=l1', ['p1', 'p3']],
  ['Patient?_text=diabetes', ['p1']],
  ['Patient?_text=asthma', []],
  ['Observation?_content=anxious', ['o1']],
  ['Observation?_content=heart', ['o1', 'o2', 'o4']],
];

describe('search parameters, prefixes and modifiers', () => {
  for (const [query, expected] of CASES) {
    test(query, async () => {
      const res = await s.request('GET', `/${encodeQuery(query)}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(matches(res.body).sort(), [...expected].sort());
    });
  }
});

/** Encodes the values of a readable query (the table keeps them readable). */
function encodeQuery(q: string): string {
  const [path, query] = q.split('?');
  if (query === undefined) return path;
  return `${path}?${query
    .split('&')
    .map((kv) => {
      const i = kv.indexOf('=');
      return `${kv.slice(0, i)}=${encodeURIComponent(kv.slice(i + 1))}`;
    })
    .join('&')}`;
}

const get = async (q: string) => {
  const res = await s.request('GET', q.startsWith('http') ? q : `/${encodeQuery(q)}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
};
const link = (body: { link: { relation: string; url: string }[] }, rel: string) =>
  body.link.find((l) => l.relation === rel)?.url;

describe('sorting and paging', () => {
  test('_sort by a date, both directions, and by several keys with missing values last', async () => {
    assert.deepEqual(matches(await get('Patient?_sort=birthdate')), ['p1', 'p2', 'p4', 'p3']);
    assert.deepEqual(matches(await get('Patient?_sort=-birthdate')), ['p3', 'p4', 'p2', 'p1']);
    assert.deepEqual(matches(await get('Patient?_sort=family')), ['p4', 'p3', 'p1', 'p2']);
    assert.deepEqual(matches(await get('Patient?_sort=gender,-birthdate')), ['p2', 'p1', 'p3', 'p4']);
    assert.deepEqual(matches(await get('Observation?patient=p1&_sort=-date')), ['o2', 'o1', 'o3']);
    assert.deepEqual(matches(await get('Patient?_sort=_id')), ['p1', 'p2', 'p3', 'p4']);
    // by the lowest of the Observation's own and its components' values (o3: 120 and 80), or the highest
    const valued = 'Observation?combo-value-quantity:missing=false&_sort=';
    assert.deepEqual(matches(await get(`${valued}combo-value-quantity`)), ['o4', 'o1', 'o3', 'o2']);
    assert.deepEqual(matches(await get(`${valued}-combo-value-quantity`)), ['o3', 'o2', 'o1', 'o4']);
  });

  test('next and previous links walk the pages and stay right while records are added', async () => {
    let page = await get('Patient?_sort=birthdate&_count=1');
    assert.deepEqual(matches(page), ['p1']);
    assert.equal(link(page, 'previous'), undefined);
    // A new patient that sorts before the current page must not shift the next pages.
    await s.request('PUT', '/Patient/p0', { resourceType: 'Patient', id: 'p0', birthDate: '1950-01-01' });
    const seen = ['p1'];
    for (;;) {
      const next = link(page, 'next');
      if (!next) break;
      page = await get(next);
      seen.push(...matches(page));
    }
    assert.deepEqual(seen, ['p1', 'p2', 'p4', 'p3']);
    const back: string[] = [];
    for (;;) {
      const prev = link(page, 'previous');
      if (!prev) break;
      page = await get(prev);
      back.push(...matches(page));
    }
    assert.deepEqual(back, ['p4', 'p2', 'p1', 'p0'], 'previous pages, including the one added since');
    await s.request('DELETE', '/Patient/p0');
  });

  test('_total: accurate, estimate, and free when everything fits on one page', async () => {
    assert.equal((await get('Observation?code=8867-4&_count=1&_total=accurate')).total, 3);
    const estimate = (await get('Observation?code=8867-4&_count=1&_total=estimate')).total;
    assert.equal(typeof estimate, 'number');
    assert.equal((await get('Observation?code=8867-4')).total, 3);
    assert.equal((await get('Observation?code=8867-4&_count=1')).total, undefined);
  });

  test('a cursor that does not belong to the search is refused', async () => {
    assert.equal((await s.request('GET', '/Patient?_cursor=garbage')).status, 400);
    const page = await get('Patient?_sort=birthdate&_count=1');
    const cursor = new URL(link(page, 'next') as string).searchParams.get('_cursor') as string;
    assert.equal((await s.request('GET', `/Patient?_cursor=${cursor}`)).status, 400, 'sort keys differ');
  });
});

describe('includes, subsetting, compartments and the system level', () => {
  const byMode = (body: { entry: Entry[] }, mode: string) =>
    body.entry
      .filter((e) => e.search.mode === mode)
      .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();

  test('_include, _include:iterate and _revinclude', async () => {
    let b = await get('Observation?_id=o1&_include=Observation:subject');
    assert.deepEqual(byMode(b, 'match'), ['Observation/o1']);
    assert.deepEqual(byMode(b, 'include'), ['Patient/p1']);
    b = await get(
      'Observation?_id=o1&_include=Observation:performer:Practitioner&_include=Observation:subject:Group',
    );
    assert.deepEqual(byMode(b, 'include'), ['Practitioner/dr1']);
    b = await get(
      'Observation?_id=o6&_include=Observation:has-member&_include:iterate=Observation:subject&_include:iterate=Patient:organization',
    );
    assert.deepEqual(byMode(b, 'include'), [
      'Observation/o1',
      'Organization/org1',
      'Patient/p1',
      'Patient/p3',
    ]);
    b = await get('Patient?_id=p1&_revinclude=Observation:subject');
    assert.deepEqual(byMode(b, 'include'), ['Observation/o1', 'Observation/o2', 'Observation/o3']);
    assert.equal((await s.request('GET', '/Observation?_include=Observation:nothing')).status, 400);
  });

  test('_summary and _elements return subsets marked SUBSETTED', async () => {
    const one = async (q: string) => (await get(q)).entry[0].resource;
    const summary = await one('Patient?_id=p1&_summary=true');
    assert.equal(summary.name[0].family, 'Smith');
    assert.equal(summary.text, undefined);
    assert.equal(summary.generalPractitioner, undefined, 'not a summary element');
    assert.ok(summary.meta.tag.some((t: { code: string }) => t.code === 'SUBSETTED'));
    const text = await one('Patient?_id=p1&_summary=text');
    assert.ok(text.text.div.includes('diabetes'));
    assert.equal(text.name, undefined);
    const data = await one('Patient?_id=p1&_summary=data');
    assert.equal(data.text, undefined);
    assert.equal(data.generalPractitioner[0].reference, 'Practitioner/dr1');
    const el = await one('Patient?_id=p1&_elements=birthDate,gender');
    assert.deepEqual(Object.keys(el).sort(), ['birthDate', 'gender', 'id', 'meta', 'resourceType']);
    const count = await get('Patient?_summary=count');
    assert.equal(count.total, 4);
    assert.deepEqual(count.entry, []);
  });

  test('compartment search: Patient/p1/Observation', async () => {
    assert.deepEqual(matches(await get('Patient/p1/Observation')).sort(), ['o1', 'o2', 'o3']);
    assert.deepEqual(matches(await get('Patient/p1/Observation?code=8867-4')).sort(), ['o1', 'o2']);
    assert.deepEqual(matches(await get('Patient/p1/Condition')), ['c1']);
    assert.equal((await s.request('GET', '/Organization/org1/Observation')).status, 400, 'not a compartment');
    assert.equal(
      (await s.request('GET', '/Patient/p1/Organization')).status,
      400,
      'never in the compartment',
    );
    const hist = await s.request('GET', '/Patient/p1/_history');
    assert.equal(hist.body.type, 'history', 'history is not taken for a compartment');
  });

  test('system-level search with _type, and POST _search', async () => {
    const b = await get('?_type=Patient,Practitioner&_id=p1,dr1');
    assert.deepEqual(byMode(b, 'match'), ['Patient/p1', 'Practitioner/dr1']);
    assert.deepEqual(byMode(await get('?_tag=http://example.org/tags|vip'), 'match'), ['Patient/p1']);
    const post = await s.request('POST', '/Observation/_search', 'code=8867-4&status=final', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.deepEqual(matches(post.body).sort(), ['o1', 'o2']);
  });
});

describe('bad searches are clear 400s naming the parameter', () => {
  const BAD: [string, RegExp][] = [
    ['Patient?family:below=x', /family:below/],
    ['Patient?birthdate=1960-13', /birthdate/],
    ['Observation?value-quantity=abc', /value-quantity/],
    ['Observation?component-code-value-quantity=8480-6', /component-code-value-quantity/],
    ['Patient?_sort=shoe-size', /_sort/],
    ['Observation?code:in=http://nowhere.example/vs', /code:in/],
    ['Patient?_count=many', /_count/],
    ['Patient?gender:missing=maybe', /gender:missing/],
    ['Observation?subject:Patient.shoe=x', /shoe/],
    ['?_type=Nope', /_type/],
    // a chain or _has nested deeper than the server follows (the SQL would grow without bound)
    [`Observation?subject:Patient.organization${'.partof'.repeat(200)}.name=x`, /at most 10 levels/],
    [`Patient?${'_has:Patient:link:'.repeat(30)}gender=male`, /at most 10 levels/],
  ];
  for (const [query, expression] of BAD) {
    test(query, async () => {
      const res = await s.request('GET', `/${encodeQuery(query)}`);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(JSON.stringify(res.body.issue[0]), expression);
    });
  }
});

describe('code-value-date, the composite R4 writes with `as(DateTime)`', () => {
  // R4's definition names the FHIRPath type DateTime where FHIR's dateTime is meant: Observations with a
  // valueDateTime are indexed as for value-date, and valuePeriod ones too.
  before(async () => {
    for (const [id, value] of [
      ['vd1', { valueDateTime: '2021-03-04T05:06:07Z' }],
      ['vd2', { valuePeriod: { start: '2019-01-01', end: '2019-06-30' } }],
    ] as const) {
      const res = await s.request('PUT', `/Observation/${id}`, {
        resourceType: 'Observation',
        id,
        status: 'final',
        code: loinc('zz-77', 'sampling moment'),
        ...value,
      });
      assert.equal(res.status, 201, res.text);
    }
  });
  for (const [query, expected] of [
    ['Observation?code-value-date=zz-77$ge2021-01-01', ['vd1']],
    [`Observation?code-value-date=${LOINC}|zz-77$2021-03-04`, ['vd1']],
    ['Observation?code-value-date=zz-77$lt2020', ['vd2']],
    ['Observation?code-value-date=zz-77$2019', ['vd2']],
    // eq: the search range must hold the whole period
    ['Observation?code-value-date=zz-77$2019-03', []],
    ['Observation?code-value-date=8867-4$ge2021-01-01', []],
    ['Observation?value-date=ge2021-01-01&code=zz-77', ['vd1']],
  ] as [string, string[]][])
    test(query, async () => assert.deepEqual(matches(await get(query)).sort(), expected));
});

describe('full text of resources written together', () => {
  // One transaction writes its index rows in one statement per table, and sp_text parses each distinct
  // text once: each resource must still get the words of its own narrative and content, none of another's.
  const basic = (id: string, words: string, narrative?: string) => ({
    fullUrl: `urn:uuid:${id}`,
    resource: {
      resourceType: 'Basic',
      id,
      ...(narrative
        ? {
            text: {
              status: 'generated',
              div: `<div xmlns="http://www.w3.org/1999/xhtml">${narrative}</div>`,
            },
          }
        : {}),
      code: { text: words },
    },
    request: { method: 'PUT', url: `Basic/${id}` },
  });

  before(async () => {
    const res = await s.request('POST', '/', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        basic('t1', 'zebrafish lantern', 'quartz meadow'),
        basic('t2', 'zebrafish lantern', 'quartz meadow'),
        basic('t3', 'walrus', 'quartz meadow'),
        basic('t4', 'zebrafish lantern'),
        basic('t5', 'quartz meadow'),
      ],
    });
    assert.equal(res.status, 200, res.text);
  });

  for (const [query, expected] of [
    ['Basic?_content=zebrafish', ['t1', 't2', 't4']],
    ['Basic?_content=walrus', ['t3']],
    ['Basic?_content=meadow', ['t1', 't2', 't3', 't5']],
    ['Basic?_text=quartz', ['t1', 't2', 't3']],
    ['Basic?_text=zebrafish', []],
    ['Basic?_text=walrus', []],
  ] as [string, string[]][])
    test(query, async () => assert.deepEqual(matches(await get(query)).sort(), expected));
});
