// `chartroom reindex`: a database whose index rows are missing or out of date (written by an older
// version, or damaged) gets them back from the stored documents, for some types or all, without new
// versions; Social Security numbers come back as their blind index, never as the number.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pendingReindexes, reindexResources } from '../../src/store/reindex.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
const SSN = 'http://hl7.org/fhir/sid/us-ssn';
const LOINC = 'http://loinc.org';

const ids = (body: { entry?: { resource: { id: string } }[] }) =>
  (body.entry ?? []).map((e) => e.resource.id).sort();
async function find(query: string): Promise<string[]> {
  const res = await s.request('GET', `/${query}`);
  assert.equal(res.status, 200, res.text);
  return ids(res.body);
}

const BASIC = (k: number) => ({ resourceType: 'Basic', id: `rx-b${k}`, code: { text: `filler ${k}` } });

const SEARCHES: [string, string[]][] = [
  ['Patient?name=quenby', ['rx-p']],
  [`Patient?identifier=${SSN}%7C999-12-3456`, ['rx-p']],
  ['Observation?code-value-date=zz-88$ge2022-01-01', ['rx-o']],
  ['Observation?patient=rx-p', ['rx-o']],
  ['Observation?_content=lighthouse', ['rx-o']],
];

before(async () => {
  s = await startTestServer({ label: 'reindex' });
  for (const r of [
    {
      resourceType: 'Patient',
      id: 'rx-p',
      name: [{ family: 'Quenby', given: ['Ada'] }],
      identifier: [{ system: SSN, value: '999-12-3456' }],
    },
    {
      resourceType: 'Observation',
      id: 'rx-o',
      status: 'final',
      code: { coding: [{ system: LOINC, code: 'zz-88' }], text: 'lighthouse visit' },
      subject: { reference: 'Patient/rx-p' },
      valueDateTime: '2022-05-06T07:08:09Z',
    },
  ]) {
    const res = await s.request('PUT', `/${r.resourceType}/${r.id}`, r);
    assert.equal(res.status, 201, res.text);
  }
});
after(() => s.stop());

test('index rows lost or never written come back from the stored documents', async () => {
  for (const [q, expected] of SEARCHES) assert.deepEqual(await find(q), expected, `before: ${q}`);
  const db = s.running.services.db;
  const { repo } = s.running.services;
  const before = await s.request('GET', '/Observation/rx-o/_history');
  // What a database indexed by another version, or damaged, may hold: no index rows, no compartments.
  const rids = "(SELECT rid FROM resource WHERE id IN ('rx-p', 'rx-o'))";
  for (const t of ['sp_token', 'sp_string', 'sp_date', 'sp_reference', 'sp_composite', 'sp_text'])
    await db.query(`DELETE FROM ${t} WHERE rid IN ${rids}`);
  await db.query(`DELETE FROM resource_compartment WHERE rid IN ${rids}`);
  await db.query(`UPDATE resource SET patients = '{}' WHERE rid IN ${rids}`);
  for (const [q] of SEARCHES) assert.deepEqual(await find(q), [], `damaged: ${q}`);

  // One type only: the Observation's rows come back, the Patient's do not.
  const observations = await reindexResources(db, repo.params, repo.ssn, ['Observation']);
  assert.equal(observations.scanned, observations.total);
  assert.ok(observations.moved >= 1, 'the Observation is in the Patient compartment again');
  assert.deepEqual(await find('Observation?code-value-date=zz-88$ge2022-01-01'), ['rx-o']);
  assert.deepEqual(await find('Observation?patient=rx-p'), ['rx-o']);
  assert.deepEqual(await find('Patient?name=quenby'), []);

  // Everything: each search finds its resource again, and a second run changes nothing.
  const all = await reindexResources(db, repo.params, repo.ssn);
  assert.equal(all.scanned, all.total);
  assert.ok(all.total >= 2);
  for (const [q, expected] of SEARCHES) assert.deepEqual(await find(q), expected, `after: ${q}`);
  // Batches of 2 over more than 10 resources: the walk goes by the keys' numeric order (a text order
  // would jump from key 10 to 11 past 2-9) and reaches every resource.
  for (let k = 0; k < 12; k++) await s.request('PUT', `/Basic/rx-b${k}`, BASIC(k));
  const again = await reindexResources(db, repo.params, repo.ssn, [], () => {}, 2);
  assert.equal(again.scanned, again.total);
  assert.ok(again.total >= 14, `${again.total} resources`);
  assert.equal(again.moved, 0);
  for (const [q, expected] of SEARCHES) assert.deepEqual(await find(q), expected, `again: ${q}`);

  // The SSN is indexed by its blind index only, and the documents and their versions are as they were.
  const tokens = await db.query<{ code: string }>(
    `SELECT t.code FROM sp_token t JOIN resource r USING (rid) WHERE r.id = 'rx-p' AND t.system = $1`,
    [SSN],
  );
  assert.equal(tokens.rows.length, 1);
  assert.doesNotMatch(tokens.rows[0].code, /999|3456/);
  const text = await db.query<{ content: string }>(
    `SELECT t.content::text AS content FROM sp_text t JOIN resource r USING (rid) WHERE r.id = 'rx-p'`,
  );
  assert.doesNotMatch(text.rows[0].content, /3456/);
  const afterwards = await s.request('GET', '/Observation/rx-o/_history');
  assert.deepEqual(afterwards.body.entry, before.body.entry);
});

test('a reindex an upgrade asks for is pending until it has run for that type', async () => {
  const { db, repo } = s.running.services;
  // A new database has nothing to reindex (migration 025 found no Observation).
  assert.deepEqual(await pendingReindexes(db), []);
  // One written before this version: the migration recorded the reindex as not done.
  await db.query("UPDATE index_backfill SET done_at = NULL WHERE name LIKE 'reindex Observation:%'");
  const pending = [['Observation', 'combo-code-value-* index components, code-value-date valueDateTime']];
  assert.deepEqual(await pendingReindexes(db), pending);
  await reindexResources(db, repo.params, repo.ssn, ['Patient']);
  assert.deepEqual(await pendingReindexes(db), pending, 'another type does not count');
  await reindexResources(db, repo.params, repo.ssn, ['Observation']);
  assert.deepEqual(await pendingReindexes(db), []);
});

test('an unknown resource type is refused before anything is opened', () => {
  const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
  const run = spawnSync(process.execPath, [cli, 'reindex', 'Observation', 'Patients'], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /Patients is not an R4 resource type/);
});
