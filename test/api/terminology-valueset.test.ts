// ValueSet/$expand and ValueSet/$validate-code with a ValueSet given in the request body: compose.include /
// exclude of the systems served, with concept lists, hierarchy filters (is-a, descendent-of, is-not-a) and
// the text filter, as a client sees them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';

type Contains = { system: string; code: string; display: string; abstract?: boolean; version?: string };
type Part = { name: string; valueBoolean?: boolean; valueString?: string; valueCode?: string };

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'terminology-valueset' });
});
after(() => s.stop());

const valueSet = (compose: unknown) => ({ resourceType: 'ValueSet', url: 'urn:test:diabetes', compose });
const expand = (vs: unknown, extra: Part[] = []) =>
  s.request('POST', '/ValueSet/$expand', {
    resourceType: 'Parameters',
    parameter: [{ name: 'valueSet', resource: vs }, ...extra],
  });
const codes = (body: { expansion: { contains: Contains[] } }) => body.expansion.contains.map((c) => c.code);

describe('ValueSet/$expand with a ValueSet in the body', () => {
  test('is-a E11.2 gives the code and its descendants, headers marked abstract, with the version used', async () => {
    const r = await expand(
      valueSet({
        include: [{ system: ICD10CM, filter: [{ property: 'concept', op: 'is-a', value: 'E11.2' }] }],
      }),
    );
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.resourceType, 'ValueSet');
    assert.equal(r.body.url, 'urn:test:diabetes');
    assert.deepEqual(codes(r.body), ['E11.2', 'E11.21', 'E11.22', 'E11.29']);
    assert.equal(r.body.expansion.total, 4);
    assert.equal(r.body.expansion.contains[0].abstract, true);
    assert.equal(r.body.expansion.contains[1].version, '2026');
    assert.ok(
      r.body.expansion.parameter.some(
        (p: { name: string; valueUri?: string }) =>
          p.name === 'system-version' && p.valueUri === `${ICD10CM}|2026`,
      ),
    );
  });

  test('descendent-of leaves the code out; notSelectable=false keeps billable codes; exclude removes codes', async () => {
    const r = await expand(
      valueSet({
        include: [
          {
            system: ICD10CM,
            filter: [
              { property: 'concept', op: 'descendent-of', value: 'E11' },
              { property: 'notSelectable', op: '=', value: 'false' },
            ],
          },
        ],
        exclude: [{ system: ICD10CM, filter: [{ property: 'concept', op: 'is-a', value: 'E11.3' }] }],
      }),
      [{ name: 'count', valueString: '1000' } as Part],
    );
    assert.equal(r.status, 200, r.text);
    const list = codes(r.body);
    assert.ok(list.includes('E11.22') && list.includes('E11.9'));
    assert.ok(!list.includes('E11') && !list.includes('E11.2'), 'no header, not E11 itself');
    assert.ok(!list.some((c) => c.startsWith('E11.3')), 'E11.3- excluded');
    assert.equal(r.body.expansion.total, list.length);
  });

  test('concept lists of two systems, with the text filter applied to the displays', async () => {
    const vs = valueSet({
      include: [
        {
          system: ICD10CM,
          concept: [{ code: 'E11.22' }, { code: 'I10' }, { code: 'N18.30' }, { code: 'XX.99' }],
        },
        { system: HCPCS, concept: [{ code: 'J1100' }] },
      ],
    });
    const all = await expand(vs);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(
      codes(all.body),
      ['E11.22', 'I10', 'N18.30', 'J1100'],
      'an unknown listed code is left out',
    );
    assert.equal(all.body.expansion.contains[3].system, HCPCS);
    const kidney = await expand(vs, [{ name: 'filter', valueString: 'kidney' }]);
    assert.deepEqual(codes(kidney.body), ['E11.22', 'N18.30']);
    const typed = await expand(
      valueSet({
        include: [{ system: ICD10CM, filter: [{ property: 'concept', op: 'is-a', value: 'E11' }] }],
      }),
      [{ name: 'filter', valueString: 'diab kid' }],
    );
    assert.ok(codes(typed.body).includes('E11.22'), typed.text);
    for (const c of typed.body.expansion.contains as Contains[]) assert.match(c.display, /diab/i);
  });

  test('an unsupported filter or system is a 400 pointing into the ValueSet', async () => {
    const op = await expand(
      valueSet({
        include: [{ system: ICD10CM, filter: [{ property: 'concept', op: 'regex', value: 'E1.*' }] }],
      }),
    );
    assert.equal(op.status, 400, op.text);
    assert.deepEqual(op.body.issue[0].expression, [
      'Parameters.parameter[0].resource.compose.include[0].filter[0].op',
    ]);
    const sys = await expand(valueSet({ include: [{ system: 'http://snomed.info/sct' }] }));
    assert.equal(sys.status, 400);
    assert.deepEqual(sys.body.issue[0].expression, [
      'Parameters.parameter[0].resource.compose.include[0].system',
    ]);
    const none = await expand({ resourceType: 'ValueSet' });
    assert.equal(none.status, 400);
  });
});

describe('ValueSet/$validate-code', () => {
  const diabetes = valueSet({
    include: [{ system: ICD10CM, filter: [{ property: 'concept', op: 'is-a', value: 'E11' }] }],
    exclude: [{ system: ICD10CM, concept: [{ code: 'E11.9' }] }],
  });
  const validate = (coding: Record<string, string>) =>
    s.request('POST', '/ValueSet/$validate-code', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'valueSet', resource: diabetes },
        { name: 'coding', valueCoding: coding },
      ],
    });
  const param = (body: { parameter: Part[] }, name: string) => body.parameter.find((p) => p.name === name);

  test('a code of the value set is true, with its display', async () => {
    const r = await validate({ system: ICD10CM, code: 'E11.22' });
    assert.equal(r.status, 200, r.text);
    assert.equal(param(r.body, 'result')?.valueBoolean, true);
    assert.equal(
      param(r.body, 'display')?.valueString,
      'Type 2 diabetes mellitus with diabetic chronic kidney disease',
    );
  });

  test('a code outside it, an excluded code and an unknown code are false with a message', async () => {
    const outside = await validate({ system: ICD10CM, code: 'I10' });
    assert.equal(param(outside.body, 'result')?.valueBoolean, false);
    assert.match(String(param(outside.body, 'message')?.valueString), /I10 .* not in the value set/);
    const excluded = await validate({ system: ICD10CM, code: 'E11.9' });
    assert.equal(param(excluded.body, 'result')?.valueBoolean, false);
    const unknown = await validate({ system: ICD10CM, code: 'E11.99' });
    assert.equal(param(unknown.body, 'result')?.valueBoolean, false);
    assert.match(String(param(unknown.body, 'message')?.valueString), /E11\.99 is not a code/);
    const wrongDisplay = await validate({ system: ICD10CM, code: 'E11.22', display: 'Asthma' });
    assert.equal(param(wrongDisplay.body, 'result')?.valueBoolean, false);
  });

  test('by url: the implicit value set ?fhir_vs=isa/<code>', async () => {
    const url = encodeURIComponent(`${ICD10CM}?fhir_vs=isa/E11`);
    const yes = await s.request('GET', `/ValueSet/$validate-code?url=${url}&system=${ICD10CM}&code=E11.22`);
    assert.equal(yes.status, 200, yes.text);
    assert.equal(param(yes.body, 'result')?.valueBoolean, true);
    const no = await s.request('GET', `/ValueSet/$validate-code?url=${url}&system=${ICD10CM}&code=I10`);
    assert.equal(param(no.body, 'result')?.valueBoolean, false);
  });
});
