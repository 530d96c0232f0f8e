// _summary and _elements as the R4 search page defines them, table-driven, through search and read:
// `_summary=true` keeps the summary elements of the StructureDefinitions at every level (inside a backbone
// element or data type only its summary children), mandatory elements and modifier extensions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
type Json = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: returned resources are inspected freely
type Res = Record<string, any>;

const LOINC = 'http://loinc.org';
const qty = (value: number) => ({
  value,
  unit: 'mm[Hg]',
  system: 'http://unitsofmeasure.org',
  code: 'mm[Hg]',
});

const FIXTURE: Json[] = [
  {
    resourceType: 'Patient',
    id: 'sp1',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ann Lee</div>' },
    extension: [{ url: 'http://example.org/birth-place', valueString: 'Lyon' }],
    modifierExtension: [{ url: 'http://example.org/deceased-note', valueBoolean: true }],
    identifier: [
      {
        system: 'http://hosp.example/mrn',
        value: 'M1',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
        extension: [{ url: 'http://example.org/checked', valueBoolean: true }],
      },
    ],
    name: [{ family: 'Lee', given: ['Ann'] }],
    birthDate: '1970-03-04',
    multipleBirthInteger: 2,
    maritalStatus: { text: 'married' },
    contact: [{ relationship: [{ text: 'sister' }], name: { family: 'Lee', given: ['Bea'] } }],
    link: [{ other: { reference: 'Patient/sp2' }, type: 'seealso' }],
  },
  { resourceType: 'Patient', id: 'sp2', name: [{ family: 'Lee' }] },
  {
    resourceType: 'Observation',
    id: 'so1',
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
        ],
      },
    ],
    code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }], text: 'BP' },
    subject: { reference: 'Patient/sp1', display: 'Ann Lee' },
    effectiveDateTime: '2021-04-05T10:00:00Z',
    note: [{ text: 'left arm' }],
    referenceRange: [{ text: 'normal' }],
    component: [
      {
        code: { coding: [{ system: LOINC, code: '8480-6' }] },
        valueQuantity: qty(120.5),
        interpretation: [{ text: 'high' }],
        referenceRange: [{ text: 'below 120' }],
      },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: qty(80) },
    ],
  },
  {
    resourceType: 'Questionnaire',
    id: 'sq1',
    url: 'http://example.org/q/intake',
    name: 'Intake',
    status: 'active',
    item: [{ linkId: '1', type: 'group', text: 'About you', item: [{ linkId: '1.1', type: 'string' }] }],
  },
];

before(async () => {
  s = await startTestServer({ label: 'summary' });
  for (const r of FIXTURE) {
    // 120.50 as written: a decimal's precision is significant and must survive subsetting.
    const res = await s.request(
      'PUT',
      `/${r.resourceType}/${r.id}`,
      JSON.stringify(r).replace('120.5', '120.50'),
    );
    assert.ok(res.status < 300, res.text);
  }
});
after(() => s.stop());

/** The resource as a search returns it, and as a read returns it (both must agree). */
async function both(path: string, query: string): Promise<Res> {
  const [type, id] = path.split('/');
  const search = await s.request('GET', `/${type}?_id=${id}&${query}`);
  assert.equal(search.status, 200, search.text);
  const read = await s.request('GET', `/${path}?${query}`);
  assert.equal(read.status, 200, read.text);
  const { meta: m1, ...a } = search.body.entry[0].resource;
  const { meta: m2, ...b } = read.body;
  assert.deepEqual(a, b, 'search and read subset the same way');
  assert.ok(
    m2.tag.some((t: Json) => t.code === 'SUBSETTED') && m1.tag.some((t: Json) => t.code === 'SUBSETTED'),
    'marked SUBSETTED',
  );
  return read.body;
}

const keys = (o: unknown) => Object.keys(o as Json).sort();

describe('_summary=true keeps the summary elements at every level', () => {
  const cases: [string, string, (r: Res) => void][] = [
    [
      'elements that are not summary go: Patient.contact (a backbone element), maritalStatus, text, extensions',
      'Patient/sp1',
      (r) => {
        assert.deepEqual(keys(r), [
          'birthDate',
          'id',
          'identifier',
          'link',
          'meta',
          'modifierExtension',
          'name',
          'resourceType',
        ]);
      },
    ],
    [
      'a kept backbone element keeps its summary children (Patient.link.other, .type)',
      'Patient/sp1',
      (r) => assert.deepEqual(r.link, [{ other: { reference: 'Patient/sp2' }, type: 'seealso' }]),
    ],
    [
      'a data type keeps its summary elements, not its extensions (Identifier), a CodeableConcept inside it stays whole',
      'Patient/sp1',
      (r) =>
        assert.deepEqual(r.identifier, [
          {
            system: 'http://hosp.example/mrn',
            value: 'M1',
            type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
          },
        ]),
    ],
    [
      'modifier extensions stay whole, value and all',
      'Patient/sp1',
      (r) =>
        assert.deepEqual(r.modifierExtension, [
          { url: 'http://example.org/deceased-note', valueBoolean: true },
        ]),
    ],
    [
      'a choice element that is not summary goes (Patient.multipleBirth[x])',
      'Patient/sp1',
      (r) => assert.equal(r.multipleBirthInteger, undefined),
    ],
    [
      'Observation.component keeps code and value[x], not interpretation or referenceRange; decimals as written',
      'Observation/so1',
      (r) => {
        assert.deepEqual(
          r.component.map((c: Json) => keys(c)),
          [
            ['code', 'valueQuantity'],
            ['code', 'valueQuantity'],
          ],
        );
        assert.equal(r.component[0].valueQuantity.value, 120.5);
        assert.equal(r.referenceRange, undefined);
        assert.equal(r.note, undefined);
        assert.deepEqual(r.code, {
          coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }],
          text: 'BP',
        });
        assert.deepEqual(r.subject, { reference: 'Patient/sp1', display: 'Ann Lee' });
        assert.equal(r.effectiveDateTime, '2021-04-05T10:00:00Z');
        assert.equal(r.status, 'final', 'mandatory');
      },
    ],
    [
      'Questionnaire items (not summary) go, their nested items with them; mandatory status stays',
      'Questionnaire/sq1',
      (r) => assert.deepEqual(keys(r), ['id', 'meta', 'name', 'resourceType', 'status', 'url']),
    ],
  ];
  for (const [name, path, check] of cases) test(name, async () => check(await both(path, '_summary=true')));

  test('the decimal is written as stored (120.50)', async () => {
    const read = await s.request('GET', '/Observation/so1?_summary=true');
    assert.match(read.text, /"value":120\.50/);
  });

  test('a summary is still a valid resource: the server validation accepts it as a new resource', async () => {
    for (const path of ['Patient/sp1', 'Observation/so1', 'Questionnaire/sq1']) {
      const { meta: _meta, id: _id, ...body } = await both(path, '_summary=true');
      const created = await s.request('POST', `/${path.split('/')[0]}`, body);
      assert.equal(created.status, 201, `${path}: ${created.text}`);
    }
  });
});

describe('the other subsets', () => {
  test('_summary=text keeps text, id, meta and mandatory top-level elements', async () => {
    const r = await both('Observation/so1', '_summary=text');
    assert.deepEqual(keys(r), ['code', 'id', 'meta', 'resourceType', 'status']);
    const p = await both('Patient/sp1', '_summary=text');
    assert.ok(String(p.text && (p.text as Json).div).includes('Ann Lee'));
  });

  test('_summary=data removes the text only', async () => {
    const r = await both('Patient/sp1', '_summary=data');
    assert.equal(r.text, undefined);
    assert.deepEqual(r.contact, FIXTURE[0].contact);
    assert.deepEqual(r.extension, FIXTURE[0].extension);
  });

  test('_elements keeps the named top-level elements whole, a choice by its base name, plus mandatory ones', async () => {
    const r = await both('Patient/sp1', '_elements=contact,multipleBirth');
    assert.deepEqual(keys(r), [
      'contact',
      'id',
      'meta',
      'modifierExtension',
      'multipleBirthInteger',
      'resourceType',
    ]);
    assert.deepEqual(r.contact, FIXTURE[0].contact);
    const o = await both('Observation/so1', '_elements=note');
    assert.deepEqual(keys(o), ['code', 'id', 'meta', 'note', 'resourceType', 'status']);
  });

  test('_summary=count gives the total and no entries', async () => {
    const r = await s.request('GET', '/Patient?_id=sp1,sp2&_summary=count');
    assert.equal(r.body.total, 2);
    assert.deepEqual(r.body.entry ?? [], []);
  });

  test('_summary=false and no _summary return the resource whole', async () => {
    const r = await s.request('GET', '/Patient/sp1?_summary=false');
    assert.deepEqual(r.body.contact, FIXTURE[0].contact);
    assert.ok(!(r.body.meta.tag ?? []).some((t: Json) => t.code === 'SUBSETTED'));
  });

  test('a bad _summary is a 400 naming it, on search and on read', async () => {
    for (const path of [
      '/Patient?_summary=maybe',
      '/Patient/sp1?_summary=maybe',
      '/Patient/sp1?_summary=count',
    ]) {
      const r = await s.request('GET', path);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      assert.deepEqual(r.body.issue[0].expression, ['_summary']);
    }
  });
});
