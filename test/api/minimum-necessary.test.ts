// Minimum necessary: a coder sees only the last four digits of a Social Security number, wherever the
// Patient appears; a registrar sees it whole; a masked value cannot be written back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let patient: string;
const tokens: Record<string, string> = {};
const SSN = { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-12-3456' };

before(async () => {
  s = await startTestServer({ label: 'minnec' });
  patient = (
    await s.request('POST', '/Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Masked' }],
      identifier: [SSN, { system: 'urn:mrn', value: 'M-1' }],
    })
  ).body.id;
  for (const role of ['coder', 'registrar']) {
    tokens[role] = await s.addUser(role, [role]);
  }
});
after(() => s.stop());

const get = (role: string, path: string) =>
  s.request('GET', path, undefined, { authorization: `Bearer ${tokens[role]}` });
const ssnOf = (p: { identifier: { system: string; value: string }[] }) =>
  p.identifier.find((i) => i.system === SSN.system)?.value;

test('a coder sees ***-**-3456 in read, search and history; the MRN is untouched', async () => {
  assert.equal(ssnOf((await get('coder', `/Patient/${patient}`)).body), '***-**-3456');
  assert.equal(ssnOf((await get('coder', '/Patient?name=masked')).body.entry[0].resource), '***-**-3456');
  assert.equal(
    ssnOf((await get('coder', `/Patient/${patient}/_history`)).body.entry[0].resource),
    '***-**-3456',
  );
  assert.ok(
    (await get('coder', `/Patient/${patient}`)).body.identifier.some(
      (i: { value: string }) => i.value === 'M-1',
    ),
  );
});

test('a registrar sees the whole number', async () => {
  assert.equal(ssnOf((await get('registrar', `/Patient/${patient}`)).body), SSN.value);
});

test('a masked value cannot be written back, and the stored number stays', async () => {
  const doc = await s.addUser('doc', ['provider']);
  const seen = (await s.request('GET', `/Patient/${patient}`, undefined, { authorization: `Bearer ${doc}` }))
    .body;
  const r = await s.request(
    'PUT',
    `/Patient/${patient}`,
    { ...seen, gender: 'female' },
    { authorization: `Bearer ${doc}` },
  );
  assert.equal(r.status, 400);
  assert.match(r.body.issue[0].diagnostics, /masked/);
  assert.equal(ssnOf((await get('registrar', `/Patient/${patient}`)).body), SSN.value);
});
