// Transaction and batch Bundles: all or nothing, references rewritten, batches entry by entry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'txn' });
});
after(() => s.stop());

const P = 'urn:uuid:6f1e3f6a-0000-4000-8000-000000000001';
const E = 'urn:uuid:6f1e3f6a-0000-4000-8000-000000000002';

function bundle(type: 'transaction' | 'batch', extra: object[] = []) {
  return {
    resourceType: 'Bundle',
    type,
    entry: [
      {
        fullUrl: P,
        resource: {
          resourceType: 'Patient',
          name: [{ family: 'Txn' }],
          identifier: [{ system: 'urn:t', value: 'txn-1' }],
        },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        fullUrl: E,
        resource: {
          resourceType: 'Encounter',
          status: 'finished',
          class: { code: 'AMB' },
          subject: { reference: P },
        },
        request: { method: 'POST', url: 'Encounter' },
      },
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
          subject: { reference: P },
          encounter: { reference: E },
          valueQuantity: { value: 70, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
        },
        request: { method: 'POST', url: 'Observation' },
      },
      ...extra,
    ],
  };
}

describe('transaction', () => {
  test('creates every entry and rewrites urn:uuid references to the new ids, consistently', async () => {
    const r = await s.request('POST', '', bundle('transaction'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.type, 'transaction-response');
    const locations: string[] = r.body.entry.map(
      (e: { response: { location: string } }) => e.response.location,
    );
    assert.ok(
      locations.every((l) => /^[A-Za-z]+\/[\w-]+\/_history\/1$/.test(l)),
      JSON.stringify(locations),
    );
    const patientRef = locations[0].split('/_history')[0];
    const encounterRef = locations[1].split('/_history')[0];
    const obs = await s.request('GET', `/${locations[2].split('/_history')[0]}`);
    assert.equal(obs.body.subject.reference, patientRef);
    assert.equal(obs.body.encounter.reference, encounterRef);
    const enc = await s.request('GET', `/${encounterRef}`);
    assert.equal(enc.body.subject.reference, patientRef);
    const found = await s.request('GET', `/Observation?patient=${patientRef.split('/')[1]}`);
    assert.equal(found.body.entry.length, 1, 'the rewritten reference is searchable');
  });

  test('one invalid entry writes nothing and the outcome names the entry and element', async () => {
    const before = await s.request('GET', '/Patient?identifier=urn:t|txn-bad');
    assert.equal(before.body.entry.length, 0);
    const bad = bundle('transaction', [
      {
        resource: { resourceType: 'Observation', status: 'not-a-status', code: { text: 'x' } },
        request: { method: 'POST', url: 'Observation' },
      },
    ]);
    (bad.entry[0] as { resource: object }).resource = {
      ...(bad.entry[0] as { resource: object }).resource,
      identifier: [{ system: 'urn:t', value: 'txn-bad' }],
    } as never;
    const r = await s.request('POST', '', bad);
    assert.equal(r.status, 400);
    const where = r.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []);
    assert.ok(
      where.some((w: string) => w.startsWith('Bundle.entry[3].resource')),
      JSON.stringify(where),
    );
    const after = await s.request('GET', '/Patient?identifier=urn:t|txn-bad');
    assert.equal(after.body.entry.length, 0, 'the valid patient entry was not written either');
  });

  test('a failing If-Match inside a transaction rolls back the whole bundle', async () => {
    const p = await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Locked' }] });
    const b = bundle('transaction', [
      {
        resource: { resourceType: 'Patient', id: p.body.id, name: [{ family: 'Changed' }] },
        request: { method: 'PUT', url: `Patient/${p.body.id}`, ifMatch: 'W/"7"' },
      },
    ]);
    (b.entry[0] as { resource: object }).resource = {
      ...(b.entry[0] as { resource: object }).resource,
      identifier: [{ system: 'urn:t', value: 'txn-412' }],
    } as never;
    const r = await s.request('POST', '', b);
    assert.equal(r.status, 412);
    assert.equal((await s.request('GET', '/Patient?identifier=urn:t|txn-412')).body.entry.length, 0);
    assert.equal((await s.request('GET', `/Patient/${p.body.id}`)).body.name[0].family, 'Locked');
  });

  test('conditional references (Type?identifier=...) resolve to the matching resource', async () => {
    const org = await s.request('POST', '/Organization', {
      resourceType: 'Organization',
      name: 'General',
      identifier: [{ system: 'urn:org', value: 'GH' }],
    });
    const r = await s.request('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: {
            resourceType: 'Patient',
            managingOrganization: { reference: 'Organization?identifier=urn:org|GH' },
          },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    });
    assert.equal(r.status, 200, r.text);
    const pat = await s.request('GET', `/${r.body.entry[0].response.location.split('/_history')[0]}`);
    assert.equal(pat.body.managingOrganization.reference, `Organization/${org.body.id}`);
  });

  test('a Bundle that is neither transaction nor batch is refused', async () => {
    const r = await s.request('POST', '', { resourceType: 'Bundle', type: 'collection', entry: [] });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.issue[0].expression, ['Bundle.type']);
  });
});

describe('batch', () => {
  test('entries succeed or fail on their own, each with its status', async () => {
    const r = await s.request('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          resource: { resourceType: 'Patient', name: [{ family: 'Batch' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: { resourceType: 'Patient', gender: 'sometimes' },
          request: { method: 'POST', url: 'Patient' },
        },
        { request: { method: 'GET', url: 'Patient/none' } },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.type, 'batch-response');
    assert.match(r.body.entry[0].response.status, /^201/);
    assert.equal(r.body.entry[1].response.status, '400');
    assert.equal(r.body.entry[1].response.outcome.resourceType, 'OperationOutcome');
  });
});
