// The terminology API as a client sees it: FHIR $lookup, $validate-code and $expand at /fhir/R4, and the
// encoder's JSON API under /terminology, on the shipped code sets (loaded once for this file, on first use).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TerminologyHolder } from '../../src/api/terminology/holder.js';
import type { Terminology } from '../../src/terminology/index.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'terminology' });
});
after(() => s.stop());

test('the first terminology request loads the code sets, and the server keeps answering meanwhile', async () => {
  const done: string[] = [];
  const first = s.request('GET', `/CodeSystem/$lookup?system=${ICD10CM}&code=I10`).then((r) => {
    done.push('lookup');
    return r;
  });
  await new Promise((r) => setTimeout(r, 50)); // the load has started
  const health = await fetch(`${s.url}/healthz`);
  done.push('healthz');
  assert.equal(health.status, 200);
  const r = await first;
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(done, ['healthz', 'lookup'], 'the health check did not wait for the code sets');
});

const api = (path: string) => `${s.url}${path}`;
type Part = { name: string; valueCode?: string; valueString?: string; valueBoolean?: boolean; part?: Part[] };
const param = (body: { parameter: Part[] }, name: string) => body.parameter.find((p) => p.name === name);
const properties = (body: { parameter: Part[] }, code: string) =>
  body.parameter
    .filter((p) => p.name === 'property' && p.part?.[0]?.valueCode === code)
    .map((p) => ({
      value: p.part?.[1]?.valueCode ?? p.part?.[1]?.valueString ?? p.part?.[1]?.valueBoolean,
      description: p.part?.find((x) => x.name === 'description')?.valueString,
    }));

describe('CodeSystem/$lookup', () => {
  test('E11.22 gives its display, parent, billable flag and the notes inherited from E11 and chapter 4', async () => {
    const r = await s.request('GET', `/CodeSystem/$lookup?system=${encodeURIComponent(ICD10CM)}&code=E11.22`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.resourceType, 'Parameters', 'the static route wins over /fhir/R4/:type/:id');
    assert.equal(param(r.body, 'name')?.valueString, 'ICD-10-CM');
    assert.equal(param(r.body, 'version')?.valueString, '2026');
    assert.equal(
      param(r.body, 'display')?.valueString,
      'Type 2 diabetes mellitus with diabetic chronic kidney disease',
    );
    assert.deepEqual(properties(r.body, 'parent')[0].value, 'E11.2');
    assert.deepEqual(properties(r.body, 'billable')[0].value, true);
    assert.deepEqual(properties(r.body, 'notSelectable')[0].value, false);
    const excludes1 = properties(r.body, 'excludes1');
    const e08 = excludes1.find((n) => /due to underlying condition \(E08\.-\)/.test(String(n.value)));
    assert.ok(e08, JSON.stringify(excludes1));
    assert.match(e08.description ?? '', /inherited from category E11 \(Tabular List FY2017\)/);
    assert.ok(
      properties(r.body, 'useAdditionalCode').some((n) => /insulin \(Z79\.4\)/.test(String(n.value))),
    );
    assert.ok(excludes1.some((n) => /inherited from chapter 4/.test(n.description ?? '')));
    assert.match(String(properties(r.body, 'notesSource')[0].value), /FY2017/);
  });

  test('POST with a Parameters body and a Coding, a date of service and a property filter', async () => {
    const r = await s.request('POST', '/CodeSystem/$lookup', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'coding', valueCoding: { system: ICD10CM, code: 'e1122' } },
        { name: 'date', valueDate: '2025-03-15' },
        { name: 'property', valueCode: 'parent' },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(param(r.body, 'version')?.valueString, '2025', 'the fiscal year in effect on 2025-03-15');
    const props = r.body.parameter.filter((p: Part) => p.name === 'property');
    assert.deepEqual(
      props.map((p: Part) => p.part?.[0]?.valueCode),
      ['parent'],
    );
  });

  test('a header lists its children; a code unknown to the system is a 404 OperationOutcome', async () => {
    const e11 = await s.request('GET', `/CodeSystem/$lookup?system=${ICD10CM}&code=E11`);
    assert.equal(properties(e11.body, 'notSelectable')[0].value, true);
    assert.ok(properties(e11.body, 'child').some((c) => c.value === 'E11.2'));
    const pcs = await s.request('GET', `/CodeSystem/$lookup?system=${PCS}&code=0DTJ4ZZ`);
    assert.equal(pcs.status, 200, pcs.text);
    assert.equal(param(pcs.body, 'name')?.valueString, 'ICD-10-PCS');
    const missing = await s.request('GET', `/CodeSystem/$lookup?system=${ICD10CM}&code=Q99.99`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.resourceType, 'OperationOutcome');
  });
});

describe('CodeSystem/$validate-code', () => {
  const validate = (query: string) => s.request('GET', `/CodeSystem/$validate-code?url=${ICD10CM}&${query}`);

  test('a billable code is valid; a header is not, unless abstract codes are allowed', async () => {
    const ok = await validate('code=E11.22');
    assert.equal(ok.status, 200);
    assert.equal(param(ok.body, 'result')?.valueBoolean, true);
    assert.equal(
      param(ok.body, 'display')?.valueString,
      'Type 2 diabetes mellitus with diabetic chronic kidney disease',
    );
    const header = await validate('code=E11');
    assert.equal(param(header.body, 'result')?.valueBoolean, false);
    assert.match(param(header.body, 'message')?.valueString ?? '', /header.*not valid for billing/);
    const abstract = await validate('code=E11&abstract=true');
    assert.equal(param(abstract.body, 'result')?.valueBoolean, true);
  });

  test('an unknown code and a wrong display are result=false with a message, not an error', async () => {
    const unknown = await validate('code=E11.99999');
    assert.equal(unknown.status, 200);
    assert.equal(param(unknown.body, 'result')?.valueBoolean, false);
    const wrong = await s.request('POST', '/CodeSystem/$validate-code', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: ICD10CM },
        { name: 'code', valueCode: 'I10' },
        { name: 'display', valueString: 'Low blood pressure' },
      ],
    });
    assert.equal(param(wrong.body, 'result')?.valueBoolean, false);
    assert.match(param(wrong.body, 'message')?.valueString ?? '', /Essential \(primary\) hypertension/);
  });
});

describe('ValueSet/$expand', () => {
  test('filter "diabetes" over ICD-10-CM returns type 2 diabetes codes, paged', async () => {
    const url = encodeURIComponent(`${ICD10CM}?fhir_vs`);
    const r = await s.request('GET', `/ValueSet/$expand?url=${url}&filter=diabetes&count=50`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.resourceType, 'ValueSet');
    const contains = r.body.expansion.contains as { system: string; code: string }[];
    assert.ok(r.body.expansion.total >= contains.length && contains.length > 0);
    assert.ok(contains.every((c) => c.system === ICD10CM));
    assert.ok(
      contains.some((c) => c.code.startsWith('E11.')),
      contains.map((c) => c.code).join(' '),
    );
    const page2 = await s.request('GET', `/ValueSet/$expand?url=${url}&filter=diabetes&count=5&offset=5`);
    assert.deepEqual(
      page2.body.expansion.contains.map((c: { code: string }) => c.code),
      contains.slice(5, 10).map((c) => c.code),
    );
  });

  test('isa/E11 expands the category and its descendants, headers marked abstract', async () => {
    const r = await s.request('POST', '/ValueSet/$expand', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: `${ICD10CM}?fhir_vs=isa/E11` },
        { name: 'count', valueInteger: 1000 },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const contains = r.body.expansion.contains as { code: string; abstract?: boolean }[];
    assert.equal(r.body.expansion.total, contains.length);
    assert.ok(contains.length > 50);
    assert.ok(contains.every((c) => c.code.startsWith('E11')));
    assert.equal(contains.find((c) => c.code === 'E11')?.abstract, true);
    assert.equal(contains.find((c) => c.code === 'E11.22')?.abstract, undefined);
  });
});

describe('encoder JSON API', () => {
  test('search "chf acute on chronic" puts the acute on chronic heart failure codes first', async () => {
    const r = await s.request('GET', api('/terminology/search?q=chf%20acute%20on%20chronic&limit=5'));
    assert.equal(r.status, 200, r.text);
    const codes = r.body.hits.map((h: { code: string }) => h.code);
    assert.ok(codes.includes('I50.23') && codes.includes('I50.33'), codes.join(' '));
    assert.ok(/^I50\.\d3$/.test(codes[0]), codes.join(' '));
  });

  test('the neoplasm table by site, and code detail with inherited notes', async () => {
    const t = await s.request('GET', api('/terminology/tables/neoplasm?q=liver'));
    assert.equal(t.status, 200, t.text);
    const liver = t.body.hits[0];
    assert.ok(liver.cells.some((c: { column: string; code: string }) => c.code === 'C78.7'));
    const d = await s.request('GET', api('/terminology/codes/icd10cm/E11.22?date=2026-01-10'));
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.version, '2026');
    assert.ok(
      d.body.notes.some(
        (n: { kind: string; source: string }) => n.kind === 'excludes1' && n.source === 'E11',
      ),
    );
    assert.deepEqual(
      d.body.hierarchy.map((h: { code: string }) => h.code),
      ['4', 'E08-E13', 'E11', 'E11.2'],
    );
  });

  test('edits find the Excludes1 conflict between type 1 and type 2 diabetes', async () => {
    const r = await s.request(
      'POST',
      api('/terminology/edits'),
      {
        date: '2025-11-03',
        encounterType: 'outpatient',
        ageYears: 54,
        sex: 'female',
        diagnoses: [{ code: 'E11.9' }, { code: 'E10.9' }],
      },
      { 'content-type': 'application/json' },
    );
    assert.equal(r.status, 200, r.text);
    const f = r.body.findings.find((x: { rule: string }) => x.rule === 'icd10cm.excludes1');
    assert.ok(f, JSON.stringify(r.body.findings));
    assert.equal(f.severity, 'error');
    assert.deepEqual([...f.codes].sort(), ['E10.9', 'E11.9']);
    assert.ok(r.body.counts.error >= 1);
  });

  test('versions, the FY2025 -> FY2026 diff, and the impact of a code that became a header', async () => {
    const v = await s.request('GET', api('/terminology/versions'));
    assert.ok(
      v.body.versions.some(
        (x: { system: string; version: string }) => x.system === 'icd10cm' && x.version === '2026',
      ),
    );
    const d = await s.request('GET', api('/terminology/diff?system=icd10cm&from=2025&to=2026'));
    assert.equal(d.status, 200, d.text);
    assert.ok(d.body.counts.added > 0 && d.body.added.length === d.body.counts.added);
    const became = d.body.revised.find(
      (x: { billableFrom: boolean; billableTo: boolean }) => x.billableFrom && !x.billableTo,
    );
    const impact = await s.request('POST', api('/terminology/impact'), {
      codes: [
        { system: ICD10CM, code: became.code, ref: 'Condition/c1' },
        { system: 'icd10cm', code: 'I10', ref: 'Condition/c2' },
      ],
    });
    assert.equal(impact.status, 200, impact.text);
    assert.equal(impact.body.checked, 2);
    assert.deepEqual(
      impact.body.affected.map((a: { ref: string; status: string }) => [a.ref, a.status]),
      [['Condition/c1', 'header-not-billable']],
    );
  });
});

describe('access and input checks', () => {
  test('without a token every terminology route answers 401', async () => {
    for (const path of [
      `/fhir/R4/CodeSystem/$lookup?system=${ICD10CM}&code=I10`,
      '/fhir/R4/ValueSet/$expand',
      '/terminology/search?q=htn',
    ]) {
      const r = await fetch(api(path));
      assert.equal(r.status, 401, path);
      assert.equal(((await r.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    }
  });

  test('a bad parameter is a 400 OperationOutcome whose expression names it', async () => {
    const cases: [string, string, unknown, string][] = [
      ['GET', api('/terminology/search?q=htn&limit=many'), undefined, 'limit'],
      ['GET', api('/terminology/search'), undefined, 'q'],
      ['GET', api('/terminology/search?q=htn&system=snomed'), undefined, 'system'],
      ['GET', api('/terminology/search?q=htn&date=yesterday'), undefined, 'date'],
      ['GET', api('/terminology/tables/cpt?q=x'), undefined, 'table'],
      ['GET', api('/terminology/diff?system=icd10cm&from=2025'), undefined, 'to'],
      [
        'POST',
        api('/terminology/edits'),
        { date: '2025-11-03', encounterType: 'outpatient', diagnoses: [{ code: 'I10' }, { code: 7 }] },
        'diagnoses[1].code',
      ],
      [
        'POST',
        api('/terminology/edits'),
        { date: '2025-11-03', encounterType: 'ward', diagnoses: [] },
        'encounterType',
      ],
      ['POST', api('/terminology/impact'), { codes: 'I10' }, 'codes'],
      ['GET', `/CodeSystem/$lookup?code=I10`, undefined, 'system'],
      ['GET', `/CodeSystem/$lookup?system=${ICD10CM}&code=I10&date=2025-13-01`, undefined, 'date'],
      ['GET', `/ValueSet/$expand?url=${ICD10CM}&count=-1`, undefined, 'count'],
      ['GET', `/ValueSet/$expand?url=http://loinc.org`, undefined, 'url'],
      ['GET', `/ValueSet/$expand?url=${ICD10CM}?fhir_vs=refset/x`, undefined, 'url'],
      ['POST', '/CodeSystem/$validate-code', { resourceType: 'Patient' }, 'Parameters'],
    ];
    for (const [method, path, body, expression] of cases) {
      const r = await s.request(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.resourceType, 'OperationOutcome');
      assert.deepEqual(r.body.issue[0].expression, [expression], `${method} ${path}`);
    }
  });

  test('the CapabilityStatement lists the four operations on CodeSystem and ValueSet', async () => {
    const r = await s.request('GET', '/metadata');
    const ops = (type: string) =>
      r.body.rest[0].resource
        .find((x: { type: string }) => x.type === type)
        ?.operation?.map((o: { name: string }) => o.name);
    assert.deepEqual(ops('CodeSystem'), ['lookup', 'validate-code']);
    assert.deepEqual(ops('ValueSet'), ['expand', 'validate-code']);
  });

  test('the instance route still serves other CodeSystem ids (no capture either way)', async () => {
    const r = await s.request('GET', '/CodeSystem/not-stored-here');
    assert.equal(r.status, 404);
    assert.equal(r.body.resourceType, 'OperationOutcome');
  });
});

describe('loading', () => {
  test('concurrent first callers share one load, and a failed load is retried by the next caller', async () => {
    let loads = 0;
    const fake = {} as Terminology;
    const holder = new TerminologyHolder('lazy', async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 20));
      if (loads === 1) throw new Error('disk unavailable');
      return fake;
    });
    const failed = await Promise.allSettled([holder.get(), holder.get(), holder.get()]);
    assert.equal(loads, 1);
    assert.ok(
      failed.every((x) => x.status === 'rejected' && /disk unavailable/.test(String(x.reason.message))),
    );
    const [a, b] = await Promise.all([holder.get(), holder.get()]);
    assert.equal(loads, 2);
    assert.equal(a, fake);
    assert.equal(b, fake);
    assert.equal(await holder.get(), fake);
    assert.equal(loads, 2);
  });

  test('CHARTROOM_TERMINOLOGY=off answers 501 with an OperationOutcome', async () => {
    process.env.CHARTROOM_TERMINOLOGY = 'off';
    let off: TestServer | undefined;
    try {
      off = await startTestServer({ label: 'terminology_off' });
      const r = await off.request('GET', `/CodeSystem/$lookup?system=${ICD10CM}&code=I10`);
      assert.equal(r.status, 501);
      assert.equal(r.body.issue[0].code, 'not-supported');
      const j = await off.request('GET', `${off.url}/terminology/search?q=htn`);
      assert.equal(j.status, 501);
    } finally {
      delete process.env.CHARTROOM_TERMINOLOGY;
      await off?.stop();
    }
  });
});
