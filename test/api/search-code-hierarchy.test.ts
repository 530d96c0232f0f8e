// Token :below and :above (subsumption) for the code systems whose codes carry their hierarchy: a
// report of every diabetes diagnosis is `Condition?code:below=http://hl7.org/fhir/sid/icd-10-cm|E11`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;

const CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const SNOMED = 'http://snomed.info/sct';

const condition = (id: string, system: string, code: string) => ({
  resourceType: 'Condition',
  id,
  subject: { reference: 'Patient/p1' },
  code: { coding: [{ system, code }] },
});

const FIXTURE = [
  { resourceType: 'Patient', id: 'p1' },
  condition('e11', CM, 'E11'), // the category itself
  condition('e11-9', CM, 'E11.9'),
  condition('e11-65', CM, 'E11.65'),
  condition('e11-65-nodot', CM, 'E1165'), // written without the dot, as some feeds do
  condition('e10-9', CM, 'E10.9'),
  condition('e13-9', CM, 'E13.9'),
  condition('i10', CM, 'I10'),
  condition('snomed', SNOMED, '44054006'),
  condition('e11-9-other-system', 'http://example.org/local', 'E11.9'),
  {
    resourceType: 'Procedure',
    id: 'pcs1',
    status: 'completed',
    subject: { reference: 'Patient/p1' },
    code: { coding: [{ system: PCS, code: '0DTJ4ZZ' }] }, // appendectomy, laparoscopic
  },
  {
    resourceType: 'Procedure',
    id: 'pcs2',
    status: 'completed',
    subject: { reference: 'Patient/p1' },
    code: { coding: [{ system: PCS, code: '0DBJ4ZZ' }] },
  },
];

before(async () => {
  s = await startTestServer({ label: 'search-code-hierarchy' });
  for (const r of FIXTURE) {
    const res = await s.request('PUT', `/${r.resourceType}/${r.id}`, r);
    assert.ok(res.status === 201 || res.status === 200, `${r.resourceType}/${r.id}: ${res.text}`);
  }
});
after(() => s.stop());

const ids = async (query: string) => {
  const res = await s.request('GET', `/${query}`);
  assert.equal(res.status, 200, res.text);
  return ((res.body.entry ?? []) as { resource: { id: string } }[]).map((e) => e.resource.id).sort();
};

describe('token :below and :above', () => {
  const CASES: [string, string[]][] = [
    [`Condition?code:below=${CM}|E11`, ['e11', 'e11-65', 'e11-65-nodot', 'e11-9']],
    [`Condition?code:below=${CM}|e11`, ['e11', 'e11-65', 'e11-65-nodot', 'e11-9']],
    [`Condition?code:below=${CM}|E11.6`, ['e11-65', 'e11-65-nodot']],
    [`Condition?code:below=${CM}|E116`, ['e11-65', 'e11-65-nodot']],
    [`Condition?code:below=${CM}|E11.65`, ['e11-65', 'e11-65-nodot']],
    [`Condition?code:below=${CM}|E11.7`, []],
    [`Condition?code:below=${CM}|E11,${CM}|I10`, ['e11', 'e11-65', 'e11-65-nodot', 'e11-9', 'i10']],
    [`Condition?code:below=${CM}|E1`, ['e10-9', 'e11', 'e11-65', 'e11-65-nodot', 'e11-9', 'e13-9']],
    [`Condition?code:above=${CM}|E11.65`, ['e11', 'e11-65', 'e11-65-nodot']],
    [`Condition?code:above=${CM}|E11.9`, ['e11', 'e11-9']],
    [`Condition?code:above=${CM}|E11`, ['e11']],
    [`Procedure?code:below=${PCS}|0DT`, ['pcs1']],
    [`Procedure?code:below=${PCS}|0D`, ['pcs1', 'pcs2']],
    [`Procedure?code:above=${PCS}|0DTJ4ZZ`, ['pcs1']],
    // with other parameters, and in a compartment
    [`Condition?subject=Patient/p1&code:below=${CM}|E11.6`, ['e11-65', 'e11-65-nodot']],
    [`Patient/p1/Condition?code:below=${CM}|E10`, ['e10-9']],
    // reverse chaining: the patients with a diabetes diagnosis
    [`Patient?_has:Condition:subject:code:below=${CM}|E11`, ['p1']],
  ];
  for (const [query, expected] of CASES) {
    test(query, async () => assert.deepEqual(await ids(query), expected));
  }

  test('each hit of :below is the code or a code under it, never a code that only sorts near it', async () => {
    const res = await s.request('GET', `/Condition?code:below=${CM}|E11&_count=100`);
    for (const e of res.body.entry as { resource: { code: { coding: { code: string }[] } } }[])
      assert.match(e.resource.code.coding[0].code, /^E11/);
  });

  const BAD: [string, RegExp][] = [
    [`Condition?code:below=${SNOMED}|73211009`, /ICD-10-CM.*not for http:\/\/snomed/],
    ['Condition?code:below=E11', /system\|code/],
    [`Condition?code:above=${CM}|`, /system\|code/],
  ];
  for (const [query, message] of BAD) {
    test(`refused with a clear 400: ${query}`, async () => {
      const res = await s.request('GET', `/${query}`);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(res.body.issue[0].diagnostics, message);
      assert.deepEqual(res.body.issue[0].expression, [
        query.includes(':above') ? 'code:above' : 'code:below',
      ]);
    });
  }
});
