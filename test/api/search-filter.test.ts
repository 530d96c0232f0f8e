// The `_filter` parameter (R4 search_filter.html), table-driven: each operator on each parameter type it
// applies to, and/or/not with their precedence, escapes, chained paths, then `_filter` with other
// parameters, paging, includes, compartments, POST, authorization, and the errors. Where ordinary search
// can say the same thing, the case names that search too and both must give the same rows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const MRN = 'http://hosp.example/mrn';
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

const loinc = (code: string, display?: string) => ({ coding: [{ system: LOINC, code, display }] });
const qty = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });

const FIXTURE: Record<string, unknown>[] = [
  { resourceType: 'Organization', id: 'org1', name: 'General Hospital' },
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'House', given: ['Gregory'] }] },
  // Quotes and backslashes in names, for the escapes of quoted strings.
  { resourceType: 'Practitioner', id: 'dr2', name: [{ family: 'O"Neil', given: ['Back\\slash'] }] },
  {
    resourceType: 'Patient',
    id: 'p1',
    text: {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">Patient with a long diabetes history</div>',
    },
    identifier: [{ system: MRN, value: 'MRN1' }],
    name: [{ family: 'Smith', given: ['Jöhn'] }],
    gender: 'male',
    birthDate: '1960-05-15',
    generalPractitioner: [{ reference: 'Practitioner/dr1' }],
    managingOrganization: { reference: 'Organization/org1' },
  },
  {
    resourceType: 'Patient',
    id: 'p2',
    identifier: [{ system: MRN, value: 'MRN2' }],
    name: [{ family: 'Smithson', given: ['Anna'] }],
    gender: 'female',
    birthDate: '1975',
  },
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
    code: { text: 'Free text' },
    subject: { reference: 'Patient/p2' },
  },
  {
    resourceType: 'Observation',
    id: 'o6',
    status: 'amended',
    code: { coding: [{ system: 'http://local.example/codes', code: 'X1' }] },
    subject: { reference: 'Patient/p3' },
    effectiveDateTime: '2021',
  },
  {
    resourceType: 'Condition',
    id: 'c1',
    code: { coding: [{ system: ICD, code: 'E11.65' }] },
    subject: { reference: 'Patient/p1' },
  },
  {
    resourceType: 'Condition',
    id: 'c2',
    code: { coding: [{ system: ICD, code: 'I10' }] },
    subject: { reference: 'Patient/p2' },
  },
  {
    resourceType: 'RiskAssessment',
    id: 'ra1',
    status: 'final',
    subject: { reference: 'Patient/p1' },
    prediction: [{ probabilityDecimal: 0.25 }],
  },
  {
    resourceType: 'RiskAssessment',
    id: 'ra2',
    status: 'final',
    subject: { reference: 'Patient/p2' },
    prediction: [{ probabilityDecimal: 0.9 }],
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
  { resourceType: 'ValueSet', id: 'vs2', url: 'http://other.example/vs/x', status: 'active' },
  // A record labelled on its own (an HIV test of p1, whose chart is open): hidden from the administrator too.
  {
    resourceType: 'Observation',
    id: 'ol',
    meta: { security: [{ system: ACT_CODE, code: 'HIV' }] },
    status: 'final',
    code: loinc('8867-4', 'Heart rate'),
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2020-01-15',
  },
  // A restricted patient (labelled below) and its observation: male, Smith, heart rate. The administrator
  // running the table may not see them, so no case may find them.
  { resourceType: 'Patient', id: 'ph', name: [{ family: 'Smith' }], gender: 'male', birthDate: '1960' },
  {
    resourceType: 'Observation',
    id: 'oh',
    status: 'final',
    code: loinc('8867-4', 'Heart rate'),
    subject: { reference: 'Patient/ph' },
    effectiveDateTime: '2020-01-15',
    valueQuantity: qty(72, '/min'),
  },
];

before(async () => {
  s = await startTestServer({ label: 'search-filter' });
  for (const r of FIXTURE) {
    const res = await s.request('PUT', `/${r.resourceType}/${r.id}`, r);
    assert.ok(res.status === 201 || res.status === 200, `${r.resourceType}/${r.id}: ${res.text}`);
  }
  const ph = FIXTURE.find((r) => r.id === 'ph') as Record<string, unknown>;
  const labelled = await s.request('PUT', '/Patient/ph', {
    ...ph,
    meta: { security: [{ system: ACT_CODE, code: 'ETH' }] },
  });
  assert.equal(labelled.status, 200, labelled.text);
});
after(() => s.stop());

type Entry = { resource: { id: string; resourceType: string }; search: { mode: string } };
type Bundle = { entry?: Entry[]; total?: number; link: { relation: string; url: string }[] };
const matches = (body: Bundle) =>
  (body.entry ?? []).filter((e) => e.search.mode === 'match').map((e) => e.resource.id);

/** Encodes the values of a readable query. */
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

const get = async (q: string, headers?: Record<string, string>): Promise<Bundle> => {
  const path = q.startsWith('http') || q.startsWith('/') ? q : `/${encodeQuery(q)}`;
  const res = await s.request('GET', path, undefined, headers);
  assert.equal(res.status, 200, `${q}: ${res.text}`);
  return res.body;
};
const filter = (type: string, f: string) => `/${type}?_filter=${encodeURIComponent(f)}`;

/** [type, the _filter, the ids it must find, the ordinary search that means the same, if there is one]. */
const CASES: [string, string, string[], string?][] = [
  // string: eq is the whole value, case- and accent-insensitive; sw, co, ew; order; ne (no value equal)
  ['Patient', 'family eq "smith"', ['p1'], 'family:exact=Smith'],
  ['Patient', 'family eq SMITH', ['p1']],
  ['Patient', 'family eq garcia', ['p4'], 'family=garcia'],
  ['Patient', 'family sw smith', ['p1', 'p2'], 'family=smith'],
  ['Patient', 'family co mith', ['p1', 'p2', 'p3'], 'family:contains=mith'],
  ['Patient', 'family ew son', ['p2']],
  ['Patient', 'family ne smith', ['p2', 'p3', 'p4']],
  ['Patient', 'family gt m', ['p1', 'p2']],
  ['Patient', 'family ge smithson', ['p2']],
  ['Patient', 'family lt h', ['p4']],
  ['Patient', 'family le garcia', ['p4']],
  ['Patient', 'family pr false', []],
  // escapes: a comma, a quote, a backslash and a \u escape inside quoted strings
  ['Patient', 'family eq "jones,smith"', ['p3'], 'family=jones\\,smith'],
  ['Practitioner', 'family eq "o\\"neil"', ['dr2']],
  ['Practitioner', 'given eq "back\\\\slash"', ['dr2']],
  ['Patient', 'family eq "sm\\u0069th"', ['p1']],
  ['Patient', 'given eq john', ['p1'], 'given=john'],
  // token: system|code, code, ne (:not, also without the element), pr (:missing), in/ni, ss/sb (ICD-10-CM)
  ['Patient', 'gender eq male', ['p1'], 'gender=male'],
  ['Patient', 'gender ne male', ['p2', 'p3', 'p4'], 'gender:not=male'],
  ['Patient', 'gender pr false', ['p3', 'p4'], 'gender:missing=true'],
  ['Patient', 'gender pr true', ['p1', 'p2'], 'gender:missing=false'],
  ['Patient', `identifier eq ${MRN}|MRN1`, ['p1'], `identifier=${MRN}|MRN1`],
  ['Patient', `identifier eq "${MRN}|A\\\\|B"`, ['p3'], `identifier=${MRN}|A\\|B`],
  ['Observation', `code eq ${LOINC}|8867-4`, ['o1', 'o2', 'o4'], `code=${LOINC}|8867-4`],
  ['Observation', 'code eq 8867-4', ['o1', 'o2', 'o4'], 'code=8867-4'],
  ['Observation', 'code in http://example.org/vs/hr', ['o1', 'o2', 'o4'], 'code:in=http://example.org/vs/hr'],
  [
    'Observation',
    'code ni http://example.org/vs/hr',
    ['o3', 'o5', 'o6'],
    'code:not-in=http://example.org/vs/hr',
  ],
  ['Condition', `code ss ${ICD}|E11`, ['c1'], `code:below=${ICD}|E11`],
  ['Condition', `code sb ${ICD}|E11.65`, ['c1'], `code:above=${ICD}|E11.65`],
  ['Condition', `code sb ${ICD}|E11.6`, []],
  ['Condition', `code ss ${ICD}|E10`, []],
  // reference: eq, re, ne, pr
  ['Observation', 'subject re Patient/p1', ['o1', 'o2', 'o3'], 'subject=Patient/p1'],
  ['Observation', 'subject eq p2', ['o4', 'o5'], 'subject=p2'],
  ['Observation', 'subject ne Patient/p1', ['o4', 'o5', 'o6']],
  ['Observation', 'performer pr true', ['o1'], 'performer:missing=false'],
  // date: the prefixes of ordinary search, po (overlaps), pr
  ['Observation', 'date eq 2020-01', ['o1', 'o3', 'o4'], 'date=2020-01'],
  ['Observation', 'date ge 2020-02-01', ['o2', 'o6'], 'date=ge2020-02-01'],
  ['Observation', 'date gt 2020-01-31', ['o2', 'o6'], 'date=gt2020-01-31'],
  ['Observation', 'date lt 2020-01-01T05:00:00Z', ['o3', 'o4'], 'date=lt2020-01-01T05:00:00Z'],
  ['Observation', 'date le 2019-12-31', [], 'date=le2019-12-31'],
  ['Observation', 'date sa 2020-01-31', ['o2', 'o6'], 'date=sa2020-01-31'],
  ['Observation', 'date eb 2020-01-02', ['o3'], 'date=eb2020-01-02'],
  ['Observation', 'date ne 2020-01', ['o2', 'o6'], 'date=ne2020-01'],
  ['Observation', 'date ap 2020-01-15', ['o1', 'o2', 'o3', 'o4'], 'date=ap2020-01-15'],
  ['Observation', 'date po 2020-01-15', ['o1', 'o4']],
  ['Observation', 'date eq 2020-01-15T05:00:00-05:00', ['o1'], 'date=2020-01-15T05:00:00-05:00'],
  ['Observation', 'date pr false', ['o5'], 'date:missing=true'],
  ['Patient', 'birthdate ge 1975', ['p2', 'p3', 'p4'], 'birthdate=ge1975'],
  ['Patient', '_lastUpdated lt 2000-01-01', [], '_lastUpdated=lt2000-01-01'],
  // number and quantity: prefixes, precision, units (UCUM converts)
  ['RiskAssessment', 'probability gt 0.5', ['ra2'], 'probability=gt0.5'],
  ['RiskAssessment', 'probability eq 0.3', [], 'probability=0.3'],
  ['RiskAssessment', 'probability lt 0.3', ['ra1'], 'probability=lt0.3'],
  ['Observation', 'value-quantity gt 70', ['o1', 'o2'], 'value-quantity=gt70'],
  ['Observation', 'value-quantity le 60', ['o4'], 'value-quantity=le60'],
  ['Observation', 'value-quantity ap 70', ['o1'], 'value-quantity=ap70'],
  ['Observation', `value-quantity eq 72|${UCUM}|/min`, ['o1'], `value-quantity=72|${UCUM}|/min`],
  ['Observation', `value-quantity gt 1.0|${UCUM}|/s`, ['o1', 'o2'], `value-quantity=gt1.0|${UCUM}|/s`],
  ['Observation', 'value-quantity pr false', ['o3', 'o5', 'o6'], 'value-quantity:missing=true'],
  // uri: eq, ne, sw and ss (:below), sb (:above), co, ew
  ['ValueSet', 'url eq http://example.org/vs/hr', ['vs1'], 'url=http://example.org/vs/hr'],
  ['ValueSet', 'url eq http://example.org/vs', [], 'url=http://example.org/vs'],
  ['ValueSet', 'url ne http://example.org/vs/hr', ['vs2']],
  ['ValueSet', 'url sw http://example.org/vs', ['vs1'], 'url:below=http://example.org/vs'],
  ['ValueSet', 'url ss http://example.org/vs', ['vs1'], 'url:below=http://example.org/vs'],
  ['ValueSet', 'url sb http://example.org/vs/hr/sub', ['vs1'], 'url:above=http://example.org/vs/hr/sub'],
  ['ValueSet', 'url co example.org', ['vs1']],
  ['ValueSet', 'url ew /hr', ['vs1']],
  // composite, in the ordinary form of its value
  [
    'Observation',
    `component-code-value-quantity eq ${LOINC}|8480-6$gt100`,
    ['o3'],
    `component-code-value-quantity=${LOINC}|8480-6$gt100`,
  ],
  // combo- parameters read their parts' rows (the Observation's own and its components')
  ['Observation', 'combo-code eq 8480-6', ['o3'], 'combo-code=8480-6'],
  ['Observation', 'combo-value-quantity gt 110', ['o3'], 'combo-value-quantity=gt110'],
  ['Observation', 'combo-value-quantity lt 65', ['o4']],
  // special parameters
  ['Patient', '_id eq p1', ['p1'], '_id=p1'],
  ['Patient', '_id ne p1', ['p2', 'p3', 'p4']],
  ['Patient', '_text eq diabetes', ['p1'], '_text=diabetes'],
  ['Observation', '_content co anxious', ['o1'], '_content=anxious'],
  ['Patient', '_list eq l1', ['p1', 'p3'], '_list=l1'],
  // and, or, not, parentheses; and binds tighter than or
  ['Patient', 'gender eq male or gender eq female', ['p1', 'p2'], 'gender=male,female'],
  ['Patient', 'family sw smith and gender eq female', ['p2'], 'family=smith&gender=female'],
  ['Patient', 'family eq smith or birthdate ge 2001', ['p1', 'p3']],
  ['Patient', 'gender eq male or gender eq female and birthdate ge 1975', ['p1', 'p2']],
  ['Patient', '(gender eq male or gender eq female) and birthdate ge 1975', ['p2']],
  ['Patient', 'gender eq female and birthdate ge 1975 or gender eq male', ['p1', 'p2']],
  ['Patient', 'gender eq female and (birthdate ge 1975 or gender eq male)', ['p2']],
  ['Patient', 'not (gender eq male)', ['p2', 'p3', 'p4']],
  ['Patient', 'not(gender eq male or gender eq female)', ['p3', 'p4']],
  ['Patient', 'not (family sw smith) and birthdate ge 1990', ['p3', 'p4']],
  ['Patient', '((family sw smith))', ['p1', 'p2'], 'family=smith'],
  ['Patient', 'gender EQ male OR gender eq female', ['p1', 'p2']],
  ['Patient', '  gender   eq   male  ', ['p1']],
  // chained paths: via a reference parameter, several levels, with a filter on the target in brackets
  ['Observation', 'subject.family eq smith', ['o1', 'o2', 'o3']],
  ['Observation', 'patient.gender eq female', ['o4', 'o5'], 'patient.gender=female'],
  [
    'Observation',
    'subject.general-practitioner.name sw house',
    ['o1', 'o2', 'o3'],
    'subject:Patient.general-practitioner.name=house',
  ],
  ['Observation', 'subject[gender eq female].family sw smith', ['o4', 'o5']],
  ['Observation', 'subject[gender eq male].family eq smithson', []],
  ['Observation', 'subject.gender eq female or code eq X1', ['o4', 'o5', 'o6']],
  ['Observation', 'not (subject.gender eq male)', ['o4', 'o5', 'o6']],
  // parts of one token value: system and code of the same coding, its display; an identifier's parts
  ['Observation', `code[system eq ${LOINC}].code eq 8867-4`, ['o1', 'o2', 'o4'], `code=${LOINC}|8867-4`],
  ['Observation', 'code[system eq http://local.example/codes].code eq 8867-4', []],
  ['Observation', `code[system ne ${LOINC}].code sw X`, ['o6']],
  ['Observation', 'code.display co "rate"', ['o1', 'o2', 'o4']],
  ['Observation', `code[not (system eq ${LOINC})].code ew 1`, ['o6']],
  ['Patient', `identifier[system eq ${MRN}].code eq MRN2`, ['p2'], `identifier=${MRN}|MRN2`],
];

describe('_filter operators on each parameter type, and the logic between them', () => {
  for (const [type, f, expected, ordinary] of CASES) {
    test(`${type}?_filter=${f}${ordinary ? `  (as ${type}?${ordinary})` : ''}`, async () => {
      const found = matches(await get(filter(type, f))).sort();
      assert.deepEqual(found, [...expected].sort());
      if (ordinary) assert.deepEqual(matches(await get(`${type}?${ordinary}`)).sort(), found);
    });
  }
});

const link = (body: Bundle, rel: string) => body.link.find((l) => l.relation === rel)?.url;

describe('_filter with the rest of search', () => {
  test('AND with other parameters and with a second _filter', async () => {
    assert.deepEqual(matches(await get(`${filter('Observation', 'code eq 8867-4')}&status=final`)).sort(), [
      'o1',
      'o2',
    ]);
    const two = `${filter('Observation', 'code eq 8867-4')}&_filter=${encodeURIComponent('subject eq p2')}`;
    assert.deepEqual(matches(await get(two)), ['o4']);
  });

  test('_sort, _count and next links that carry the _filter, and _total', async () => {
    const f = 'code eq 8867-4 or code eq X1 or subject.gender eq female';
    let page = await get(`${filter('Observation', f)}&_sort=date&_count=2&_total=accurate`);
    assert.equal(page.total, 5);
    const seen = matches(page);
    for (;;) {
      const next = link(page, 'next');
      if (!next) break;
      assert.equal(new URL(next).searchParams.get('_filter'), f, 'the next link carries the filter');
      page = await get(next);
      seen.push(...matches(page));
    }
    // date ascending (o4 starts 2020-01-01, o1 the 15th, o2 in February, o6 in 2021), o5 has none: last
    assert.deepEqual(seen, ['o4', 'o1', 'o2', 'o6', 'o5']);
  });

  test('_include, compartment search, system search and POST _search', async () => {
    const inc = await get(`${filter('Observation', '_id eq o1')}&_include=Observation:subject`);
    assert.deepEqual((inc.entry ?? []).map((e) => `${e.search.mode}:${e.resource.id}`).sort(), [
      'include:p1',
      'match:o1',
    ]);
    assert.deepEqual(matches(await get(`/Patient/p1${filter('Observation', 'code eq 8867-4')}`)).sort(), [
      'o1',
      'o2',
    ]);
    const sys = await get(
      `/?_type=Patient,Practitioner&_filter=${encodeURIComponent('_id eq p1 or _id eq dr1')}`,
    );
    assert.deepEqual(matches(sys).sort(), ['dr1', 'p1']);
    const post = await s.request(
      'POST',
      '/Observation/_search',
      `_filter=${encodeURIComponent('code eq 8867-4 and status eq final')}`,
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    assert.equal(post.status, 200, post.text);
    assert.deepEqual(matches(post.body).sort(), ['o1', 'o2']);
  });

  test('restricted and labelled records stay hidden through or, not, chains and totals; their reader finds them', async () => {
    const admin = async (type: string, f: string) => matches(await get(filter(type, f))).sort();
    assert.deepEqual(await admin('Patient', 'family eq smith or gender eq male'), ['p1']);
    assert.deepEqual(await admin('Observation', 'subject.family eq smith'), ['o1', 'o2', 'o3']);
    assert.deepEqual(await admin('Observation', 'not (status eq preliminary) and code eq 8867-4'), [
      'o1',
      'o2',
    ]);
    assert.equal(
      (await get(`${filter('Patient', 'not (gender eq female)')}&_total=accurate&_count=1`)).total,
      3,
    );
    const pia = await s.addUser('pia', ['privacy-officer']);
    const asPia = { authorization: `Bearer ${pia}` };
    assert.deepEqual(
      matches(await get(filter('Patient', 'family eq smith or gender eq male'), asPia)).sort(),
      ['p1', 'ph'],
    );
    const heart = 'code eq 8867-4 or code eq X1';
    assert.ok(
      !matches(await get(filter('Observation', heart))).includes('ol'),
      'the labelled record is hidden',
    );
    assert.ok(matches(await get(filter('Observation', heart), asPia)).includes('ol'));
    assert.deepEqual(matches(await get(filter('Observation', 'subject.family eq smith'), asPia)).sort(), [
      'o1',
      'o2',
      'o3',
      'oh',
      'ol',
    ]);
  });

  test('/metadata lists _filter among the search parameters', async () => {
    const cap = (await s.request('GET', '/metadata')).body;
    const names = (ps: { name: string }[]) => ps.map((p) => p.name);
    assert.ok(names(cap.rest[0].searchParam).includes('_filter'));
    const patient = cap.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    assert.ok(names(patient.searchParam).includes('_filter'));
  });
});

describe('bad filters are 400s naming where they fail', () => {
  const BAD: [string, string, RegExp][] = [
    ['Patient', 'family eq', /ends where the value of "eq" was expected at character 10/],
    ['Patient', 'family xx smith', /expected an operator .* at character 8 \("xx/],
    ['Patient', 'shoe-size eq 12', /unknown search parameter "shoe-size" for Patient at character 1/],
    ['Patient', '(family eq smith', /parenthesis opened at character 1 is not closed/],
    ['Patient', 'family eq smith)', /closing parenthesis without an opening one at character 16/],
    ['Patient', 'family eq "smith', /string opened at character 11 is not closed/],
    ['Patient', 'family eq "a\\qb"', /unknown escape .* at character 13 \("\\q"\)/],
    [
      'Patient',
      'birthdate co 1960',
      /operator "co" cannot be used with birthdate \(a date parameter\).* at character 11/,
    ],
    ['Patient', 'gender gt male', /operator "gt" cannot be used with gender \(a token parameter\)/],
    ['Patient', 'birthdate eq 1960-13', /"1960-13" is not a date for birthdate .*at character 14/],
    ['Patient', 'gender pr maybe', /"pr" takes true or false at character 11/],
    ['Patient', 'not gender eq male', /"not" must be followed by a filter in parentheses.* at character 1/],
    ['Patient', 'family eq smith and', /ends where a comparison was expected at character 20/],
    [
      'Patient',
      'family eq smith xor gender eq male',
      /expected "and", "or" or the end of the filter at character 17 \("xor"\)/,
    ],
    [
      'Patient',
      'gender.name eq x',
      /a token parameter's value has the parts system, code, display, not "name" at character 8/,
    ],
    [
      'Patient',
      'birthdate.year eq 1960',
      /"birthdate" is a date parameter: only a reference or token parameter/,
    ],
    ['Observation', `code[system eq ${LOINC}].code gt 1`, /operator "gt" cannot be used with code\.code/],
    [
      'Observation',
      `code ss ${LOINC}|8867-4`,
      /"ss" takes system\|code of a code system whose codes carry their hierarchy/,
    ],
    ['Observation', 'code in http://nowhere.example/vs', /nowhere\.example/],
    ['Observation', 'value-quantity gt abc', /"abc"|abc/],
    [
      'Observation',
      'subject.shoe eq x',
      /no resource type that subject can point at .* has the parameter\(s\) shoe/,
    ],
    [
      'Observation',
      'subject[gender eq male] eq x',
      /expected "\." and a parameter after "subject\[\.\.\.\]"/,
    ],
    [
      'Patient',
      'link.link.link.link.link.link.family eq x',
      /a path of more than 6 parameters at character 31 \("family"\)/,
    ],
  ];
  for (const [type, f, diagnostics] of BAD) {
    test(`${type}?_filter=${f}`, async () => {
      const res = await s.request('GET', filter(type, f), undefined, { prefer: 'handling=lenient' });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(res.body.issue[0].diagnostics, diagnostics);
      assert.ok(
        JSON.stringify(res.body.issue[0].expression ?? []).includes('_filter') ||
          /code:in/.test(JSON.stringify(res.body.issue[0].expression)),
        JSON.stringify(res.body.issue[0]),
      );
    });
  }

  test('_filter takes no modifier', async () => {
    const res = await s.request('GET', `/Patient?_filter:exact=${encodeURIComponent('gender eq male')}`);
    assert.equal(res.status, 400, res.text);
  });
});
