// Restricted patients (security labels): hidden from search, paging and history for users without a
// care relationship, refused on read and write, reachable by break-the-glass (time-limited, reviewed by
// the privacy officer), and visible to the privacy officer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let restricted: string;
let open: string;
let restrictedObs: string;
const users: Record<string, string> = {};

const as = (user: string) => (method: string, path: string, body?: unknown) =>
  s.request(method, path, body, {
    authorization: `Bearer ${users[user]}`,
    ...(body ? { 'content-type': 'application/json' } : {}),
  });
const obs = (patient: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  subject: { reference: `Patient/${patient}` },
});
const ids = (b: { entry?: { resource: { id: string } }[] }) => (b.entry ?? []).map((e) => e.resource.id);

before(async () => {
  s = await startTestServer({ label: 'restricted', config: { breakGlassSeconds: 3 } });
  // The chart exists first; then the patient's record is labelled (substance use, 42 CFR Part 2).
  restricted = (
    await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Hidden' }] })
  ).body.id;
  open = (await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Hidalgo' }] }))
    .body.id;
  restrictedObs = (await s.request('POST', '/Observation', obs(restricted))).body.id;
  await s.request('POST', '/Observation', obs(open));
  const labelled = await s.request('PUT', `/Patient/${restricted}`, {
    resourceType: 'Patient',
    id: restricted,
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ETH' }] },
    name: [{ family: 'Hidden' }],
  });
  assert.equal(labelled.status, 200, labelled.text);
  for (const [name, role] of [
    ['nora', 'provider'],
    ['otto', 'provider'],
    ['pia', 'privacy-officer'],
  ]) {
    users[name] = await s.addUser(name, [role]);
  }
});
after(() => s.stop());

describe('without a care relationship', () => {
  test('search does not find the restricted patient or its records, and paging does not count them', async () => {
    const nora = as('nora');
    assert.deepEqual(ids((await nora('GET', '/Patient?name=hid')).body), [open]);
    assert.deepEqual(ids((await nora('GET', '/Observation?code=29463-7')).body).length, 1);
    const page = await nora('GET', '/Patient?name=hid&_count=1');
    assert.equal(page.body.entry.length, 1);
    assert.equal(
      page.body.link.find((l: { relation: string }) => l.relation === 'next'),
      undefined,
      'no next page that would hold the hidden one',
    );
    assert.equal(
      (await nora('GET', '/Patient?name=hid&_total=accurate')).body.total,
      1,
      '_total does not reveal the hidden patient',
    );
    assert.equal((await as('pia')('GET', '/Patient?name=hid&_total=accurate')).body.total, 2);
    const history = await nora('GET', '/Patient/_history?_count=100');
    assert.ok(!ids(history.body).includes(restricted));
  });

  test('read, history and writes are refused with a way forward', async () => {
    const nora = as('nora');
    const r = await nora('GET', `/Patient/${restricted}`);
    assert.equal(r.status, 403);
    assert.match(r.body.issue[0].diagnostics, /restricted.*break the glass/);
    assert.equal((await nora('GET', `/Observation/${restrictedObs}`)).status, 403);
    assert.equal((await nora('GET', `/Observation/${restrictedObs}/_history/1`)).status, 403);
    assert.equal(
      (
        await nora('PUT', `/Observation/${restrictedObs}`, {
          ...obs(restricted),
          id: restrictedObs,
          status: 'amended',
        })
      ).status,
      403,
    );
    assert.equal((await nora('POST', '/Observation', obs(restricted))).status, 403);
    assert.equal(
      (await as('pia')('GET', `/Observation/${restrictedObs}`)).body.status,
      'final',
      'nothing changed',
    );
    assert.equal(
      (await s.request('GET', `/Patient/${restricted}`)).status,
      403,
      'administrators are not exempt',
    );
  });

  test('the privacy officer sees restricted patients', async () => {
    assert.deepEqual(
      ids((await as('pia')('GET', '/Patient?name=hid')).body).sort(),
      [open, restricted].sort(),
    );
  });
});

describe('with a care relationship', () => {
  test('the patient and its records become visible to that user only', async () => {
    assert.equal(
      (
        await s.request(
          'POST',
          `${s.url}/care-relationships`,
          { username: 'nora', patient: restricted },
          { 'content-type': 'application/json' },
        )
      ).status,
      201,
    );
    assert.deepEqual(
      ids((await as('nora')('GET', '/Patient?name=hid')).body).sort(),
      [open, restricted].sort(),
    );
    assert.equal((await as('nora')('GET', `/Observation/${restrictedObs}`)).status, 200);
    assert.equal((await as('otto')('GET', `/Patient/${restricted}`)).status, 403);
  });

  test("a deleted record of the restricted chart stays out of others' history and reads", async () => {
    users.dina = await s.addUser('dina', ['him-director']); // may delete
    await s.request(
      'POST',
      `${s.url}/care-relationships`,
      { username: 'dina', patient: restricted },
      { 'content-type': 'application/json' },
    );
    const made = await as('dina')('POST', '/Observation', obs(restricted));
    assert.equal(made.status, 201, made.text);
    assert.equal((await as('dina')('DELETE', `/Observation/${made.body.id}`)).status, 204);
    const history = await as('otto')('GET', '/Observation/_history?_count=100');
    assert.equal(history.status, 200);
    assert.ok(history.body.entry.length > 0);
    assert.ok(!history.text.includes(made.body.id), 'not in type history, neither version');
    assert.equal((await as('otto')('GET', `/Observation/${made.body.id}`)).status, 403);
    assert.equal((await as('otto')('GET', `/Observation/${made.body.id}/_history/1`)).status, 403);
    assert.equal((await as('dina')('GET', `/Observation/${made.body.id}`)).status, 410);
  });
});

describe('break-the-glass', () => {
  test('a stated reason gives time-limited access, audited and queued for the privacy officer', async () => {
    const otto = as('otto');
    const noReason = await otto('POST', `${s.url}/break-the-glass`, {
      patient: restricted,
      reason: 'need it',
    });
    assert.equal(noReason.status, 400);
    assert.deepEqual(noReason.body.issue[0].expression, ['reason']);
    const grant = await otto('POST', `${s.url}/break-the-glass`, {
      patient: restricted,
      reason: 'Unresponsive in the ED, medication history needed',
    });
    assert.equal(grant.status, 201);
    assert.equal((await otto('GET', `/Patient/${restricted}`)).status, 200);

    const queue = await as('pia')('GET', `${s.url}/privacy/break-the-glass`);
    assert.equal(queue.status, 200);
    assert.deepEqual(
      queue.body.map((g: { username: string; patient: string }) => [g.username, g.patient]),
      [['otto', restricted]],
    );
    assert.equal(
      (await otto('GET', `${s.url}/privacy/break-the-glass`)).status,
      403,
      'the user cannot see the queue',
    );
    assert.equal(
      (
        await as('pia')('POST', `${s.url}/privacy/break-the-glass/${grant.body.id}/review`, {
          note: 'Appropriate: emergency care',
        })
      ).status,
      204,
    );
    assert.deepEqual((await as('pia')('GET', `${s.url}/privacy/break-the-glass`)).body, []);

    const audit = await s.request('GET', `${s.url}/audit?action=break-the-glass&patient=${restricted}`);
    await s.running.flushAudit();
    const audited = await s.request('GET', `${s.url}/audit?action=break-the-glass&patient=${restricted}`);
    assert.ok(audit.status === 200 && audited.body.entry.length === 1);

    await new Promise((r) => setTimeout(r, 3200));
    assert.equal((await otto('GET', `/Patient/${restricted}`)).status, 403, 'the grant expired');
  });
});

describe('deleting a restricted patient', () => {
  test("the patient's remaining records stay restricted", async () => {
    const p = (
      await s.request('POST', '/Patient', {
        resourceType: 'Patient',
        meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] },
        name: [{ family: 'Gone' }],
      })
    ).body.id;
    users.dora = await s.addUser('dora', ['him-director']); // may delete, with a care relationship
    await s.request(
      'POST',
      `${s.url}/care-relationships`,
      { username: 'dora', patient: p },
      { 'content-type': 'application/json' },
    );
    const made = await as('dora')('POST', '/Observation', obs(p));
    assert.equal(made.status, 201, made.text);
    const o = made.body.id;
    const deleted = await as('dora')('DELETE', `/Patient/${p}`);
    assert.equal(deleted.status, 204, deleted.text);
    const nora = as('nora');
    assert.deepEqual(ids((await nora('GET', `/Observation?subject=Patient/${p}`)).body), []);
    const read = await nora('GET', `/Observation/${o}`);
    assert.equal(read.status, 403, read.text);
    assert.deepEqual(ids((await as('pia')('GET', `/Observation?subject=Patient/${p}`)).body), [o]);
  });
});
