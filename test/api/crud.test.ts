// The FHIR REST interactions on a single resource, as a client sees them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'crud', bodyLimit: 200_000 });
});
after(() => s.stop());

const patient = () => ({
  resourceType: 'Patient',
  name: [{ family: 'Ortiz', given: ['Benedict'] }],
  gender: 'male',
  birthDate: '1961-03-04',
});

describe('create, read, vread, update, delete', () => {
  test('POST creates with a server id, version 1, Location and ETag', async () => {
    const r = await s.request('POST', '/Patient', { ...patient(), id: 'client-chosen' });
    assert.equal(r.status, 201);
    assert.notEqual(r.body.id, 'client-chosen', 'a POST ignores the id in the body');
    assert.equal(r.body.meta.versionId, '1');
    assert.equal(r.headers.get('etag'), 'W/"1"');
    assert.match(r.headers.get('location') ?? '', new RegExp(`/fhir/R4/Patient/${r.body.id}/_history/1$`));
    const read = await s.request('GET', `/Patient/${r.body.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.name, patient().name);
    assert.equal(read.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
  });

  test('PUT updates, keeps every version readable, and an unchanged PUT writes no version', async () => {
    const c = await s.request('POST', '/Patient', patient());
    const id = c.body.id;
    const u = await s.request('PUT', `/Patient/${id}`, { ...patient(), id, gender: 'female' });
    assert.equal(u.status, 200);
    assert.equal(u.body.meta.versionId, '2');
    const same = await s.request('PUT', `/Patient/${id}`, { ...patient(), id, gender: 'female' });
    assert.equal(same.body.meta.versionId, '2');
    const v1 = await s.request('GET', `/Patient/${id}/_history/1`);
    assert.equal(v1.body.gender, 'male');
    const v2 = await s.request('GET', `/Patient/${id}/_history/2`);
    assert.equal(v2.body.gender, 'female');
    assert.equal((await s.request('GET', `/Patient/${id}/_history/3`)).status, 404);
  });

  test('PUT to a new id creates it with the client id (update as create)', async () => {
    const r = await s.request('PUT', '/Patient/pat-from-client-1', { ...patient(), id: 'pat-from-client-1' });
    assert.equal(r.status, 201);
    assert.equal(r.body.id, 'pat-from-client-1');
    assert.equal((await s.request('GET', '/Patient/pat-from-client-1')).status, 200);
  });

  test('PUT whose body id differs from the URL is refused with a pointer to the id', async () => {
    const r = await s.request('PUT', '/Patient/abc', { ...patient(), id: 'xyz' });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.issue[0].expression, ['Patient.id']);
  });

  test('If-Match with a stale version gets 412 and changes nothing', async () => {
    const c = await s.request('POST', '/Patient', patient());
    const id = c.body.id;
    await s.request('PUT', `/Patient/${id}`, { ...patient(), id, gender: 'other' }, { 'if-match': 'W/"1"' });
    const stale = await s.request(
      'PUT',
      `/Patient/${id}`,
      { ...patient(), id, gender: 'unknown' },
      { 'if-match': 'W/"1"' },
    );
    assert.equal(stale.status, 412);
    assert.equal(stale.body.resourceType, 'OperationOutcome');
    assert.equal((await s.request('GET', `/Patient/${id}`)).body.gender, 'other');
  });

  test('DELETE makes read answer 410, history keeps the deletion, and a new PUT revives it', async () => {
    const c = await s.request('POST', '/Patient', patient());
    const id = c.body.id;
    assert.equal((await s.request('DELETE', `/Patient/${id}`)).status, 204);
    assert.equal((await s.request('GET', `/Patient/${id}`)).status, 410);
    assert.equal((await s.request('DELETE', `/Patient/${id}`)).status, 204, 'deleting again is harmless');
    const h = await s.request('GET', `/Patient/${id}/_history`);
    assert.equal(h.body.type, 'history');
    assert.deepEqual(
      h.body.entry.map((e: { request: { method: string } }) => e.request.method),
      ['DELETE', 'POST'],
    );
    const revived = await s.request('PUT', `/Patient/${id}`, { ...patient(), id });
    assert.equal(revived.status, 201);
    assert.equal(revived.body.meta.versionId, '3');
  });

  test('reading an id that never existed is 404 with an OperationOutcome', async () => {
    const r = await s.request('GET', '/Patient/does-not-exist');
    assert.equal(r.status, 404);
    assert.equal(r.body.issue[0].code, 'not-found');
  });
});

describe('Prefer: return=', () => {
  test('minimal sends no body, OperationOutcome sends an outcome, representation the resource', async () => {
    const min = await s.request('POST', '/Patient', patient(), { prefer: 'return=minimal' });
    assert.equal(min.status, 201);
    assert.equal(min.text, '');
    assert.ok(min.headers.get('location'));
    const oo = await s.request('POST', '/Patient', patient(), { prefer: 'return=OperationOutcome' });
    assert.equal(oo.body.resourceType, 'OperationOutcome');
    assert.match(oo.body.issue[0].diagnostics, /created/);
    const rep = await s.request('POST', '/Patient', patient(), { prefer: 'return=representation' });
    assert.equal(rep.body.resourceType, 'Patient');
  });
});

describe('conditional interactions', () => {
  const withId = (value: string) => ({ ...patient(), identifier: [{ system: 'urn:mrn', value }] });

  test('If-None-Exist creates once, then returns the existing resource', async () => {
    const a = await s.request('POST', '/Patient', withId('MRN-1'), {
      'if-none-exist': 'identifier=urn:mrn|MRN-1',
    });
    assert.equal(a.status, 201);
    const b = await s.request('POST', '/Patient', withId('MRN-1'), {
      'if-none-exist': 'identifier=urn:mrn|MRN-1',
    });
    assert.equal(b.status, 200);
    assert.equal(b.body.id, a.body.id);
  });

  test('12 concurrent creates with the same If-None-Exist, as POSTs and in transactions, make one resource', async () => {
    const condition = 'identifier=urn:mrn|MRN-RACE';
    const post = () => s.request('POST', '/Patient', withId('MRN-RACE'), { 'if-none-exist': condition });
    const transaction = () =>
      s.request('POST', '', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:3f1f4b0e-0000-4000-8000-000000000001',
            resource: withId('MRN-RACE'),
            request: { method: 'POST', url: 'Patient', ifNoneExist: condition },
          },
        ],
      });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, k) => (k % 2 ? post() : transaction())));
    const ids = answers.map((r) => {
      assert.ok(r.status === 200 || r.status === 201, r.text);
      return r.body.resourceType === 'Bundle'
        ? (r.body.entry[0].response.location as string).split('/')[1]
        : (r.body.id as string);
    });
    assert.equal(new Set(ids).size, 1, `ids: ${[...new Set(ids)].join(', ')}`);
    const created = answers.filter(
      (r) => r.status === 201 || r.body.entry?.[0]?.response?.status?.startsWith('201'),
    );
    assert.equal(created.length, 1);
    const found = await s.request('GET', `/Patient?${condition}`);
    assert.equal(found.body.total ?? found.body.entry.length, 1);
  });

  test('conditional update updates the single match and creates when none matches', async () => {
    const created = await s.request('PUT', '/Patient?identifier=urn:mrn|MRN-2', withId('MRN-2'));
    assert.equal(created.status, 201);
    const updated = await s.request('PUT', '/Patient?identifier=urn:mrn|MRN-2', {
      ...withId('MRN-2'),
      gender: 'female',
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.id, created.body.id);
    assert.equal(updated.body.gender, 'female');
  });

  test('a condition matching several resources is refused with 412', async () => {
    await s.request('POST', '/Patient', withId('MRN-DUP'));
    await s.request('POST', '/Patient', withId('MRN-DUP'));
    const r = await s.request('PUT', '/Patient?identifier=urn:mrn|MRN-DUP', withId('MRN-DUP'));
    assert.equal(r.status, 412);
  });

  test('conditional delete removes the single match', async () => {
    const a = await s.request('POST', '/Patient', withId('MRN-DEL'));
    assert.equal((await s.request('DELETE', '/Patient?identifier=urn:mrn|MRN-DEL')).status, 204);
    assert.equal((await s.request('GET', `/Patient/${a.body.id}`)).status, 410);
  });
});

describe('JSON Patch', () => {
  test('applies the operations, validates the result and makes a new version', async () => {
    const c = await s.request('POST', '/Patient', patient());
    const r = await s.request(
      'PATCH',
      `/Patient/${c.body.id}`,
      JSON.stringify([{ op: 'replace', path: '/gender', value: 'female' }]),
      {
        'content-type': 'application/json-patch+json',
      },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.gender, 'female');
    assert.equal(r.body.meta.versionId, '2');
  });

  test('a patch producing an invalid resource is refused and the resource is unchanged', async () => {
    const c = await s.request('POST', '/Patient', patient());
    const r = await s.request(
      'PATCH',
      `/Patient/${c.body.id}`,
      JSON.stringify([{ op: 'replace', path: '/gender', value: 42 }]),
      {
        'content-type': 'application/json-patch+json',
      },
    );
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.issue[0].expression, ['Patient.gender']);
    assert.equal((await s.request('GET', `/Patient/${c.body.id}`)).body.meta.versionId, '1');
  });

  test('a malformed patch document is a 400 naming the operation', async () => {
    const c = await s.request('POST', '/Patient', patient());
    const r = await s.request(
      'PATCH',
      `/Patient/${c.body.id}`,
      JSON.stringify([{ op: 'frobnicate', path: '/x' }]),
      {
        'content-type': 'application/json-patch+json',
      },
    );
    assert.equal(r.status, 400);
    assert.match(r.body.issue[0].diagnostics, /operation 0/);
  });
});

describe('bad input gets a clear OperationOutcome, never a 500', () => {
  test('invalid JSON', async () => {
    const r = await s.request('POST', '/Patient', '{"resourceType": "Patient", ');
    assert.equal(r.status, 400);
    assert.match(r.body.issue[0].diagnostics, /not valid JSON/);
  });

  test('wrong content type', async () => {
    const r = await s.request('POST', '/Patient', '<Patient/>', { 'content-type': 'application/xml' });
    assert.equal(r.status, 415);
    assert.equal(r.body.resourceType, 'OperationOutcome');
  });

  test('a body over the size limit', async () => {
    const big = {
      ...patient(),
      text: {
        status: 'generated',
        div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(300_000)}</div>`,
      },
    };
    const r = await s.request('POST', '/Patient', big);
    assert.equal(r.status, 413);
    assert.equal(r.body.resourceType, 'OperationOutcome');
  });

  test('an unknown resource type', async () => {
    const r = await s.request('POST', '/Spaceship', { resourceType: 'Spaceship' });
    assert.equal(r.status, 404);
    assert.match(r.body.issue[0].diagnostics, /Unknown resource type "Spaceship"/);
  });

  test('a body whose type differs from the URL', async () => {
    const r = await s.request('POST', '/Observation', patient());
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.issue[0].expression, ['resourceType']);
  });

  test('datatype, cardinality and unknown-element errors point at the element', async () => {
    const r = await s.request('POST', '/Observation', {
      resourceType: 'Observation',
      code: { text: 'x' },
      effectiveDateTime: 'yesterday',
      subject: { reference: 'Patient/1' },
      colour: 'red',
    });
    assert.equal(r.status, 400);
    const where = r.body.issue.flatMap((i: { expression: string[] }) => i.expression);
    assert.ok(
      where.includes('Observation.status'),
      `missing required status is reported: ${JSON.stringify(where)}`,
    );
    assert.ok(
      where.includes('Observation.effectiveDateTime') || where.includes('Observation.effective[x]'),
      JSON.stringify(where),
    );
    assert.ok(where.includes('Observation.colour'), JSON.stringify(where));
  });

  test('an invalid id', async () => {
    const r = await s.request('PUT', '/Patient/bad_id!', { ...patient(), id: 'bad_id!' });
    assert.ok(r.status === 400 || r.status === 404, String(r.status));
    assert.equal(r.body.resourceType, 'OperationOutcome');
  });
});

describe('security from day one', () => {
  test('no token: 401 with an OperationOutcome, but metadata is open', async () => {
    const r = await fetch(`${s.fhir}/Patient`);
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { resourceType: string }).resourceType, 'OperationOutcome');
    const m = await fetch(`${s.fhir}/metadata`);
    assert.equal(m.status, 200);
    const cs = (await m.json()) as { fhirVersion: string; rest: { resource: { type: string }[] }[] };
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.ok(cs.rest[0].resource.some((r) => r.type === 'Observation'));
  });

  test('a forged or garbled token is refused', async () => {
    const r = await fetch(`${s.fhir}/Patient`, {
      headers: { authorization: `Bearer ${s.token.slice(0, -4)}AAAA` },
    });
    assert.equal(r.status, 401);
  });

  test('a wrong password gets no token', async () => {
    const r = await fetch(`${s.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&username=admin&password=wrong',
    });
    assert.equal(r.status, 401);
  });
});
