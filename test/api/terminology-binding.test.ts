// The record store checks coded elements against the code sets on every write: a Coding of ICD-10-CM,
// ICD-10-PCS or HCPCS must name a code of a loaded version; a header is refused on a claim and accepted with a
// warning elsewhere; a wrong display is a warning. With CHARTROOM_TERMINOLOGY=off nothing is checked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';

type Issue = { severity: string; code: string; diagnostics: string; expression?: string[] };
type Outcome = { resourceType: string; issue: Issue[] };

let s: TestServer;
let patient: string;
before(async () => {
  s = await startTestServer({ label: 'terminology-binding' });
  const p = await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Coder' }] });
  patient = `Patient/${p.body.id}`;
});
after(() => s.stop());

const condition = (coding: Record<string, string>) => ({
  resourceType: 'Condition',
  subject: { reference: patient },
  code: { coding: [coding] },
});

const claim = (diagnosis: string, service = 'J1100') => ({
  resourceType: 'Claim',
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
  use: 'claim',
  patient: { reference: patient },
  created: '2025-11-03',
  provider: { display: 'Clinic' },
  priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
  insurance: [{ sequence: 1, focal: true, coverage: { display: 'Medicare' } }],
  diagnosis: [{ sequence: 1, diagnosisCodeableConcept: { coding: [{ system: ICD10CM, code: diagnosis }] } }],
  item: [{ sequence: 1, productOrService: { coding: [{ system: HCPCS, code: service }] } }],
});

const withOutcome = { prefer: 'return=OperationOutcome' };

describe('on create and update', () => {
  test('a known ICD-10-CM code is stored (the first write loads the code sets: lazy mode)', async () => {
    const r = await s.request('POST', '/Condition', condition({ system: ICD10CM, code: 'E11.22' }));
    assert.equal(r.status, 201, r.text);
  });

  test('an unknown code is a 422 pointing at the coding, naming the system and the versions checked', async () => {
    const r = await s.request('POST', '/Condition', condition({ system: ICD10CM, code: 'E11.99' }));
    assert.equal(r.status, 422, r.text);
    const o = r.body as Outcome;
    assert.equal(o.resourceType, 'OperationOutcome');
    assert.deepEqual(o.issue[0].expression, ['Condition.code.coding[0].code']);
    assert.equal(o.issue[0].severity, 'error');
    assert.equal(o.issue[0].code, 'code-invalid');
    assert.match(o.issue[0].diagnostics, /"E11\.99" is not a code of ICD-10-CM/);
    assert.match(o.issue[0].diagnostics, /http:\/\/hl7\.org\/fhir\/sid\/icd-10-cm/);
    assert.match(o.issue[0].diagnostics, /checked FY2026, FY2025/);
    const search = await s.request('GET', `/Condition?subject=${patient}`);
    assert.equal(search.body.entry.length, 1, 'nothing was written');
  });

  test('a code valid only in an earlier loaded year is accepted (valid in any loaded year)', async () => {
    // S30.1XXA was deleted in FY2026 (expanded to S30.10-S30.12), valid in FY2025
    const r = await s.request('POST', '/Condition', condition({ system: ICD10CM, code: 'S30.1XXA' }));
    assert.equal(r.status, 201, r.text);
    const added = await s.request('POST', '/Condition', condition({ system: ICD10CM, code: 'B88.01' }));
    assert.equal(added.status, 201, added.text);
  });

  test('a header code on a Condition is accepted with a warning naming more specific codes', async () => {
    const r = await s.request('POST', '/Condition', condition({ system: ICD10CM, code: 'E11' }), withOutcome);
    assert.equal(r.status, 201, r.text);
    const warning = (r.body as Outcome).issue.find((i) => i.severity === 'warning');
    assert.ok(warning, r.text);
    assert.deepEqual(warning.expression, ['Condition.code.coding[0].code']);
    assert.match(
      warning.diagnostics,
      /E11 is a header .* not a billable code: code to a more specific one \(E11\.0/,
    );
  });

  test('a wrong display is a warning only; the right one (long or short title, any case) none', async () => {
    const wrong = await s.request(
      'POST',
      '/Condition',
      condition({ system: ICD10CM, code: 'I10', display: 'High cholesterol' }),
      withOutcome,
    );
    assert.equal(wrong.status, 201, wrong.text);
    const w = (wrong.body as Outcome).issue.find((i) => i.severity === 'warning');
    assert.ok(w, wrong.text);
    assert.deepEqual(w.expression, ['Condition.code.coding[0].display']);
    assert.match(
      w.diagnostics,
      /"High cholesterol" is not the title of I10 .*"Essential \(primary\) hypertension"/,
    );
    const right = await s.request(
      'POST',
      '/Condition',
      condition({ system: ICD10CM, code: 'I10', display: 'essential (primary) hypertension' }),
      withOutcome,
    );
    assert.equal(right.status, 201);
    assert.deepEqual(
      (right.body as Outcome).issue.filter((i) => i.severity === 'warning'),
      [],
    );
  });

  test('a header diagnosis on a Claim is refused; a billable one with a known HCPCS code is accepted', async () => {
    const header = await s.request('POST', '/Claim', claim('E11'));
    assert.equal(header.status, 422, header.text);
    const o = header.body as Outcome;
    assert.deepEqual(o.issue[0].expression, ['Claim.diagnosis[0].diagnosisCodeableConcept.coding[0].code']);
    assert.equal(o.issue[0].code, 'business-rule');
    const ok = await s.request('POST', '/Claim', claim('E11.22'));
    assert.equal(ok.status, 201, ok.text);
    const badService = await s.request('POST', '/Claim', claim('E11.22', 'J0001'));
    assert.equal(badService.status, 422, badService.text);
    assert.deepEqual((badService.body as Outcome).issue[0].expression, [
      'Claim.item[0].productOrService.coding[0].code',
    ]);
    assert.match(
      (badService.body as Outcome).issue[0].diagnostics,
      /not a code of HCPCS Level II .* \(checked 2024-07, 2020\)/,
    );
  });

  test('ICD-10-PCS codes on a Procedure are checked; other systems (SNOMED CT) are not', async () => {
    const proc = (code: string) => ({
      resourceType: 'Procedure',
      status: 'completed',
      subject: { reference: patient },
      code: {
        coding: [
          { system: 'http://snomed.info/sct', code: 'not-a-snomed-code' },
          { system: PCS, code },
        ],
      },
    });
    assert.equal((await s.request('POST', '/Procedure', proc('0DTJ4ZZ'))).status, 201);
    const bad = await s.request('POST', '/Procedure', proc('0DTJ4ZQ'));
    assert.equal(bad.status, 422, bad.text);
    assert.deepEqual((bad.body as Outcome).issue[0].expression, ['Procedure.code.coding[1].code']);
  });

  test('an update and a patch are checked like a create', async () => {
    const c = await s.request('POST', '/Condition', condition({ system: ICD10CM, code: 'I10' }));
    const put = await s.request('PUT', `/Condition/${c.body.id}`, {
      ...condition({ system: ICD10CM, code: 'I10.9' }),
      id: c.body.id,
    });
    assert.equal(put.status, 422, put.text);
    const patch = await s.request(
      'PATCH',
      `/Condition/${c.body.id}`,
      [{ op: 'replace', path: '/code/coding/0/code', value: 'ZZZ.1' }],
      { 'content-type': 'application/json-patch+json' },
    );
    assert.equal(patch.status, 422, patch.text);
    assert.deepEqual((patch.body as Outcome).issue[0].expression, ['Condition.code.coding[0].code']);
  });
});

describe('in bundles', () => {
  test('a transaction with an unknown code is refused whole, pointing at the entry', async () => {
    const r = await s.request('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          request: { method: 'POST', url: 'Condition' },
          resource: condition({ system: ICD10CM, code: 'J45.909' }),
        },
        {
          request: { method: 'POST', url: 'Condition' },
          resource: condition({ system: ICD10CM, code: 'J45.999' }),
        },
      ],
    });
    assert.equal(r.status, 422, r.text);
    assert.deepEqual((r.body as Outcome).issue[0].expression, [
      'Bundle.entry[1].resource.code.coding[0].code',
    ]);
  });

  test('a batch refuses only the bad entry, and carries warnings in the good entries response', async () => {
    const r = await s.request('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          request: { method: 'POST', url: 'Condition' },
          resource: condition({ system: ICD10CM, code: 'E11' }),
        },
        {
          request: { method: 'POST', url: 'Condition' },
          resource: condition({ system: ICD10CM, code: 'Q99.99' }),
        },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const [good, bad] = r.body.entry;
    assert.match(good.response.status, /^201/);
    assert.equal(good.response.outcome.issue[0].severity, 'warning');
    assert.equal(bad.response.status, '422');
    assert.deepEqual(bad.response.outcome.issue[0].expression, [
      'Bundle.entry[1].resource.code.coding[0].code',
    ]);
  });
});

test('with CHARTROOM_TERMINOLOGY=off the codes are not checked (documented)', async () => {
  const before = process.env.CHARTROOM_TERMINOLOGY;
  process.env.CHARTROOM_TERMINOLOGY = 'off';
  const off = await startTestServer({ label: 'terminology-binding-off' });
  if (before === undefined) delete process.env.CHARTROOM_TERMINOLOGY;
  else process.env.CHARTROOM_TERMINOLOGY = before;
  try {
    const p = await off.request('POST', '/Patient', { resourceType: 'Patient' });
    const r = await off.request('POST', '/Condition', {
      resourceType: 'Condition',
      subject: { reference: `Patient/${p.body.id}` },
      code: { coding: [{ system: ICD10CM, code: 'E11.99' }] },
    });
    assert.equal(r.status, 201, r.text);
  } finally {
    await off.stop();
  }
});
