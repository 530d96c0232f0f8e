// Accounting of disclosures (HIPAA 45 CFR 164.528): record disclosures, and give a patient the
// accountable ones of the last six years, without those the rule excludes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'disclosures' });
});
after(() => s.stop());

const record = (body: object, token = s.token) =>
  fetch(`${s.url}/disclosures`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const yearsAgo = (n: number) => new Date(Date.now() - n * 365.25 * 86_400_000).toISOString();
const base = {
  patient: 'pat-disc-1',
  recipient: { name: 'County Health Department', address: '1 Main St' },
  description: 'immunization history',
  purpose: 'disease surveillance',
};

test("a patient's accounting lists the accountable disclosures of the last six years and only those", async () => {
  const made = [
    await record({ ...base, date: yearsAgo(1), basis: 'public-health' }),
    await record({
      ...base,
      date: yearsAgo(2),
      basis: 'law-enforcement',
      recipient: { name: 'City Police' },
      description: 'ED record of 2024-03-02',
      purpose: 'subpoena 24-113',
    }),
    await record({ ...base, date: yearsAgo(7), basis: 'public-health', description: 'too old' }),
    await record({ ...base, date: yearsAgo(1), basis: 'treatment', recipient: { name: 'Dr. Referral' } }),
    await record({
      ...base,
      date: yearsAgo(1),
      basis: 'authorization',
      authorization: 'DocumentReference/auth-1',
      recipient: { name: 'Life insurer' },
    }),
    await record({ ...base, date: yearsAgo(1), basis: 'to-individual', recipient: { name: 'The patient' } }),
    await record({ ...base, patient: 'someone-else', date: yearsAgo(1), basis: 'public-health' }),
  ];
  assert.deepEqual(
    made.map((r) => r.status),
    [201, 201, 201, 201, 201, 201, 201],
  );
  const r = await s.request('GET', `${s.url}/patients/pat-disc-1/accounting-of-disclosures`);
  assert.equal(r.status, 200);
  assert.deepEqual(
    r.body.disclosures.map((d: { recipient: string; legalBasis: string }) => [d.recipient, d.legalBasis]),
    [
      ['City Police', '164.512(f) law enforcement'],
      ['County Health Department', '164.512(b) public health activities'],
    ],
  );
  assert.equal(r.body.disclosures[1].recipientAddress, '1 Main St');
  assert.equal(r.body.excludedCount, 3);
  assert.deepEqual(r.body.excludedBases, { treatment: 1, authorization: 1, 'to-individual': 1 });
  assert.ok(Date.parse(r.body.period.start) > Date.parse(yearsAgo(6.01)));
});

test('a correction replaces the entry it corrects; entries cannot be changed in place', async () => {
  const first = (await (
    await record({
      ...base,
      patient: 'pat-disc-2',
      date: yearsAgo(1),
      basis: 'public-health',
      description: 'wrong description',
    })
  ).json()) as { id: string };
  await record({
    ...base,
    patient: 'pat-disc-2',
    date: yearsAgo(1),
    basis: 'public-health',
    description: 'lab results',
    corrects: first.id,
  });
  const r = await s.request('GET', `${s.url}/patients/pat-disc-2/accounting-of-disclosures`);
  assert.deepEqual(
    r.body.disclosures.map((d: { description: string }) => d.description),
    ['lab results'],
  );
  await assert.rejects(
    s.running.services.db.query('UPDATE disclosure SET purpose = $1', ['x']),
    /insert-only/,
  );
});

test('bad input names the field; a coder may not record or read disclosures', async () => {
  const noRecipient = await record({ ...base, recipient: {}, date: yearsAgo(1), basis: 'public-health' });
  assert.equal(noRecipient.status, 400);
  assert.deepEqual(
    ((await noRecipient.json()) as { issue: { expression: string[] }[] }).issue[0].expression,
    ['recipient.name'],
  );
  const badBasis = await record({ ...base, date: yearsAgo(1), basis: 'because' });
  assert.match(JSON.stringify(await badBasis.json()), /basis must be one of/);
  const noAuth = await record({ ...base, date: yearsAgo(1), basis: 'authorization' });
  assert.equal(noAuth.status, 400);
  const coder = await s.addUser('cody', ['coder']);
  assert.equal((await record({ ...base, date: yearsAgo(1), basis: 'public-health' }, coder)).status, 403);
});
