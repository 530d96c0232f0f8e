// A real FHIR client library from npm (fhir-kit-client) against the server: it loads Synthea
// transaction bundles, searches (type, compartment, system), and follows next and previous links.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from 'fhir-kit-client';
import { corpusFiles, readBundle } from '../support/corpus.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
let client: Client;
let patientId: string;

type Bundle = {
  total?: number;
  entry?: {
    resource: { resourceType: string; id: string; effectiveDateTime?: string };
    search?: { mode: string };
  }[];
  link?: { relation: string; url: string }[];
};

before(async () => {
  s = await startTestServer({ label: 'fhir-client' });
  client = new Client({ baseUrl: s.fhir, customHeaders: { Authorization: `Bearer ${s.token}` } });
  const files = corpusFiles('synthea-fhir-r4');
  // Shared organizations and practitioners first: the patient bundles point at them conditionally.
  const ordered = [
    ...files.filter((f) => /hospitalInformation|practitionerInformation/.test(f)),
    ...files.filter((f) => !/Information/.test(f)).slice(0, 2),
  ];
  const patients: string[] = [];
  for (const f of ordered) {
    const sent = readBundle(f);
    const out = (await client.transaction({ body: sent as never })) as unknown as {
      entry: { response: { location: string } }[];
    };
    assert.equal(out.entry.length, sent.entry.length);
    out.entry.forEach((e, i) => {
      if (sent.entry[i].resource.resourceType === 'Patient') patients.push(e.response.location.split('/')[1]);
    });
  }
  patientId = patients[0];
});
after(() => s.stop());

test('fhir-kit-client searches and walks every page forwards and backwards', async () => {
  const first = (await client.search({
    resourceType: 'Observation',
    searchParams: { patient: patientId, _sort: '-date', _count: 25, _total: 'accurate' },
  })) as Bundle;
  const total = first.total as number;
  assert.ok(total > 50, `the patient has many observations (${total})`);
  const seen: string[] = [];
  const dates: string[] = [];
  let page: Bundle | undefined = first;
  let pages = 0;
  while (page) {
    pages++;
    for (const e of page.entry ?? []) {
      seen.push(e.resource.id);
      if (e.resource.effectiveDateTime) dates.push(e.resource.effectiveDateTime);
    }
    page = (await client.nextPage({ bundle: page as never })) as Bundle | undefined;
  }
  assert.equal(seen.length, total, 'every observation exactly once');
  assert.equal(new Set(seen).size, total);
  assert.equal(pages, Math.ceil(total / 25));
  const times = dates.map((d) => Date.parse(d));
  assert.ok(
    times.every((t, i) => i === 0 || t <= times[i - 1]),
    'newest first across pages',
  );

  // Back from the last page to the first with the previous links.
  let last = first;
  for (let next = first; next; next = (await client.nextPage({ bundle: next as never })) as Bundle)
    last = next;
  const back: string[] = [];
  for (
    let prev: Bundle | undefined = last;
    prev;
    prev = (await client.prevPage({ bundle: prev as never })) as Bundle
  )
    back.unshift(...(prev.entry ?? []).map((e) => e.resource.id));
  assert.deepEqual(back, seen);
});

test('fhir-kit-client compartment and system searches', async () => {
  const comp = (await client.compartmentSearch({
    resourceType: 'Condition',
    compartment: { resourceType: 'Patient', id: patientId },
    searchParams: { _count: 1000 },
  })) as Bundle;
  const direct = (await client.search({
    resourceType: 'Condition',
    searchParams: { patient: patientId, _count: 1000 },
  })) as Bundle;
  assert.ok((comp.entry ?? []).length > 0);
  assert.deepEqual(
    (comp.entry ?? []).map((e) => e.resource.id).sort(),
    (direct.entry ?? []).map((e) => e.resource.id).sort(),
  );
  const system = (await client.systemSearch({
    searchParams: { _type: 'Patient', _id: patientId },
  })) as Bundle;
  assert.deepEqual(
    (system.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`),
    [`Patient/${patientId}`],
  );
  const included = (await client.search({
    resourceType: 'Encounter',
    searchParams: { patient: patientId, _count: 5, _include: 'Encounter:participant' },
  })) as Bundle;
  assert.ok(
    (included.entry ?? []).some(
      (e) => e.search?.mode === 'include' && e.resource.resourceType === 'Practitioner',
    ),
  );
});
