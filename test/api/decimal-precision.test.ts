// FHIR decimals keep their precision (FHIR R4 JSON: "the precision of the decimal value has significance"):
// 1.50, 0.0050, 1.0e2 and a 25-digit value come back exactly as written from every way of reading, after a
// PATCH, through a transaction, past the SSN masking and _summary/_elements; search honours the precision.
// Assertions are on the response text: JSON.parse in the test would itself lose what is checked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let patientId: string;
before(async () => {
  s = await startTestServer({ label: 'decimals' });
  patientId = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Decimal' }] })
  ).body.id;
});
after(() => s.stop());

const PI_25 = '3.141592653589793238462643';
/** The decimals as a client writes them, each as it must come back. */
const WRITTEN = ['"value":1.50', '"value":0.0050', '"value":1.0e2', `"value":${PI_25}`, '"value":100.00'];

/** An Observation as JSON text (an object literal would lose the decimals before they are sent). */
function observationText(
  opts: { id?: string; identifier?: string; status?: string; value?: string } = {},
): string {
  return `{"resourceType":"Observation",${opts.id ? `"id":"${opts.id}",` : ''}
    "identifier":[{"system":"urn:decimal-test","value":"${opts.identifier ?? 'obs-1'}"}],
    "status":"${opts.status ?? 'final'}",
    "code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},
    "subject":{"reference":"Patient/${patientId}"},
    "valueQuantity":{"value":${opts.value ?? '1.50'},"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"},
    "referenceRange":[{"low":{"value":0.0050,"unit":"mmol/L"},"high":{"value":1.0e2,"unit":"mmol/L"}}],
    "component":[
      {"code":{"text":"pi"},"valueQuantity":{"value":${PI_25},"unit":"1","system":"http://unitsofmeasure.org","code":"1"}},
      {"code":{"text":"hundred"},"valueQuantity":{"value":100.00,"unit":"1"}}]}`;
}

function assertWritten(text: string, where: string, expected = WRITTEN): void {
  for (const lexeme of expected)
    assert.ok(text.includes(lexeme), `${where} keeps ${lexeme}: ${text.slice(0, 600)}`);
}

const create = async (opts: Parameters<typeof observationText>[0] = {}) => {
  const r = await s.request('POST', '/Observation', observationText(opts));
  assert.equal(r.status, 201, r.text);
  return r;
};

describe('decimals come back as written', () => {
  test('create, read and vread return 1.50, 0.0050, 1.0e2, 100.00 and a 25-digit value unchanged', async () => {
    const c = await create();
    assertWritten(c.text, 'the create response');
    assertWritten((await s.request('GET', `/Observation/${c.body.id}`)).text, 'read');
    assertWritten((await s.request('GET', `/Observation/${c.body.id}/_history/1`)).text, 'vread');
  });

  test('search, history and Patient/$everything bundles carry the written decimals', async () => {
    const c = await create({ identifier: 'obs-bundles' });
    const id = c.body.id;
    const search = await s.request('GET', `/Observation?identifier=urn:decimal-test|obs-bundles`);
    assert.equal(search.body.total ?? search.body.entry.length, 1);
    assertWritten(search.text, 'search');
    assertWritten((await s.request('GET', `/Observation/${id}/_history`)).text, 'instance history');
    assertWritten((await s.request('GET', '/Observation/_history')).text, 'type history');
    const everything = await s.request('GET', `/Patient/${patientId}/$everything`);
    assert.equal(everything.status, 200);
    assertWritten(everything.text, '$everything');
  });

  test('_elements and _summary=data keep the decimals of the elements they return', async () => {
    const id = (await create({ identifier: 'obs-subset' })).body.id;
    const elements = await s.request('GET', `/Observation?_id=${id}&_elements=valueQuantity,referenceRange`);
    assert.match(elements.text, /SUBSETTED/);
    assertWritten(elements.text, '_elements', ['"value":1.50', '"value":0.0050', '"value":1.0e2']);
    assert.ok(!elements.text.includes(PI_25), '_elements leaves out the components');
    assertWritten((await s.request('GET', `/Observation?_id=${id}&_summary=data`)).text, '_summary=data');
  });

  test('a PATCH of another element keeps them; decimals a patch writes, copies or moves keep theirs', async () => {
    const id = (await create({ identifier: 'obs-patch' })).body.id;
    const patch = (ops: string) =>
      s.request('PATCH', `/Observation/${id}`, ops, { 'content-type': 'application/json-patch+json' });
    const status = await patch('[{"op":"replace","path":"/status","value":"amended"}]');
    assert.equal(status.status, 200, status.text);
    assert.match(status.text, /"status":"amended"/);
    assertWritten(status.text, 'the patch response');
    assertWritten((await s.request('GET', `/Observation/${id}`)).text, 'read after the patch');

    const values = await patch(
      '[{"op":"replace","path":"/valueQuantity/value","value":2.500},' +
        '{"op":"copy","from":"/referenceRange/0","path":"/referenceRange/-"},' +
        '{"op":"move","from":"/component/1/valueQuantity","path":"/component/0/valueQuantity"}]',
    );
    assert.equal(values.status, 200, values.text);
    const read = (await s.request('GET', `/Observation/${id}`)).text;
    assert.match(read, /"valueQuantity":\{"value":2\.500,/);
    assert.equal(read.split('"value":0.0050').length - 1, 2, 'the copied range keeps 0.0050');
    assert.match(read, /"text":"pi"\},"valueQuantity":\{"value":100\.00,/);
  });

  test('a transaction Bundle keeps the decimals of its entries', async () => {
    const obs = observationText({ identifier: 'obs-transaction' }).replace(
      `"Patient/${patientId}"`,
      '"urn:uuid:5f0f4b8e-8d1c-4c69-9d5e-1f3d5b9a1c01"',
    );
    const bundle = `{"resourceType":"Bundle","type":"transaction","entry":[
      {"fullUrl":"urn:uuid:5f0f4b8e-8d1c-4c69-9d5e-1f3d5b9a1c01","resource":{"resourceType":"Patient","name":[{"family":"Bundled"}]},
       "request":{"method":"POST","url":"Patient"}},
      {"resource":${obs},"request":{"method":"POST","url":"Observation"}}]}`;
    const r = await s.request('POST', '/', bundle);
    assert.equal(r.status, 200, r.text);
    const location = r.body.entry[1].response.location as string;
    const read = await s.request('GET', `/${location.replace(/\/_history\/\d+$/, '')}`);
    assertWritten(read.text, 'a resource written by a transaction');
  });

  test('a role that sees SSNs masked still reads the decimals of the same Patient as written', async () => {
    const p = await s.request(
      'POST',
      '/Patient',
      `{"resourceType":"Patient","identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"999-12-3456"}],
        "extension":[{"url":"http://example.org/fhir/StructureDefinition/score","valueDecimal":0.750}]}`,
    );
    assert.equal(p.status, 201, p.text);
    const coder = await s.addUser('decimal-coder', ['coder']);
    const read = await s.request('GET', `/Patient/${p.body.id}`, undefined, {
      authorization: `Bearer ${coder}`,
    });
    assert.match(read.text, /\*\*\*-\*\*-3456/);
    assert.match(read.text, /"valueDecimal":0\.750/);
  });
});

describe('bad JSON with decimals', () => {
  test('is refused with an OperationOutcome naming the JSON error, and nothing is written', async () => {
    const existing =
      (await s.request('GET', '/Observation?identifier=urn:decimal-test|obs-bad')).body.entry ?? [];
    const r = await s.request(
      'POST',
      '/Observation',
      '{"resourceType":"Observation","identifier":[{"system":"urn:decimal-test","value":"obs-bad"}],"valueQuantity":{"value":1.50,}}',
    );
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.resourceType, 'OperationOutcome');
    assert.match(r.body.issue[0].diagnostics, /not valid JSON/);
    const afterwards =
      (await s.request('GET', '/Observation?identifier=urn:decimal-test|obs-bad')).body.entry ?? [];
    assert.equal(afterwards.length, existing.length);
  });
});

describe('updates compare decimals as written', () => {
  test('a PUT of the content read back writes no version; a PUT that changes only the precision does', async () => {
    const id = (await create({ identifier: 'obs-put' })).body.id;
    const stored = (await s.request('GET', `/Observation/${id}`)).text;
    const same = await s.request('PUT', `/Observation/${id}`, stored);
    assert.equal(same.status, 200, same.text);
    assert.equal(same.body.meta.versionId, '1', 'unchanged content is recognised');
    const conditional = await s.request('PUT', '/Observation?identifier=urn:decimal-test|obs-put', stored);
    assert.equal(conditional.status, 200, conditional.text);
    assert.equal(conditional.body.meta.versionId, '1', 'a conditional update with the same content too');
    const shorter = await s.request(
      'PUT',
      `/Observation/${id}`,
      stored.replace('"value":1.50', '"value":1.5'),
    );
    assert.equal(shorter.body.meta.versionId, '2', '1.5 is not the same decimal as 1.50');
    assert.match((await s.request('GET', `/Observation/${id}`)).text, /"valueQuantity":\{"value":1\.5,/);
    assertWritten((await s.request('GET', `/Observation/${id}/_history/1`)).text, 'the first version');
  });
});

describe('search honours the written precision', () => {
  test('value-quantity=1.5 and =1.50 find 1.50; 1.504 does not (1.50 means 1.495 to 1.505)', async () => {
    await create({ identifier: 'obs-search', value: '1.50' });
    const ids = async (q: string) =>
      ((await s.request('GET', `/Observation?identifier=urn:decimal-test|obs-search&${q}`)).body.entry ?? [])
        .length;
    assert.equal(await ids('value-quantity=1.5'), 1);
    assert.equal(await ids('value-quantity=1.50'), 1);
    assert.equal(await ids('value-quantity=1.50|http://unitsofmeasure.org|mmol/L'), 1);
    assert.equal(await ids('value-quantity=1.504'), 0);
    assert.equal(await ids('value-quantity=lt1.496'), 1, 'the low edge of 1.50 is below 1.496');
    assert.equal(await ids('value-quantity=lt1.494'), 0);
  });

  test('a 25-digit value is found by itself and not by its neighbour beyond double precision', async () => {
    await create({ identifier: 'obs-pi' });
    const ids = async (v: string) =>
      (
        (
          await s.request(
            'GET',
            `/Observation?identifier=urn:decimal-test|obs-pi&component-value-quantity=${v}`,
          )
        ).body.entry ?? []
      ).length;
    assert.equal(await ids(PI_25), 1);
    assert.equal(await ids('3.141592653589793238462644'), 0, 'differs in the 25th digit only');
    assert.equal(await ids('3.14159'), 1);
  });

  test('a number parameter uses the written precision too (RiskAssessment probability 0.50)', async () => {
    const r = await s.request(
      'POST',
      '/RiskAssessment',
      `{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/${patientId}"},
        "prediction":[{"probabilityDecimal":0.50}]}`,
    );
    assert.equal(r.status, 201, r.text);
    assert.match(r.text, /"probabilityDecimal":0\.50/);
    const n = async (q: string) => ((await s.request('GET', `/RiskAssessment?${q}`)).body.entry ?? []).length;
    assert.equal(await n('probability=0.5'), 1);
    assert.equal(await n('probability=0.504'), 0);
  });
});

describe('bulk export', () => {
  test('the NDJSON files carry the decimals as written', async () => {
    await create({ identifier: 'obs-export' });
    const get = (url: string, headers: Record<string, string> = {}) =>
      fetch(url.startsWith('http') ? url : `${s.fhir}${url}`, {
        headers: { authorization: `Bearer ${s.token}`, accept: 'application/fhir+json', ...headers },
      });
    const kick = await get('/$export?_type=Observation', { prefer: 'respond-async' });
    assert.equal(kick.status, 202, await kick.text());
    const status = kick.headers.get('content-location') as string;
    let manifest: { output: { type: string; url: string }[] } | undefined;
    for (let i = 0; i < 600 && !manifest; i++) {
      const p = await get(status);
      if (p.status === 200) manifest = await p.json();
      else await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(manifest, 'the export finished');
    let ndjson = '';
    for (const o of manifest.output)
      ndjson += await (await get(o.url, { accept: 'application/fhir+ndjson' })).text();
    const line = ndjson.split('\n').find((l) => l.includes('obs-export'));
    assert.ok(line, 'the exported Observation');
    assertWritten(line, 'bulk export');
  });
});
