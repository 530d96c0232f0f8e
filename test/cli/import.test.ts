// The import command on real Synthea data: counts, identifier matching of shared resources, re-runs,
// NDJSON with bad lines, conditional references, and a crash (SIGKILL) in the middle of an import.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/platform/db/database.js';
import { cliEnv, runImportCli as runImport, withDb } from '../support/cli-import.js';
import { cliPath, corpusFiles, readBundle } from '../support/corpus.js';
import { freshStorage, type TestStorage, testDb } from '../support/test-server.js';

const countByType = (db: Database) =>
  db
    .query<{ type: string; n: number }>(
      'SELECT type, count(*)::int AS n FROM resource WHERE NOT deleted GROUP BY type',
    )
    .then((r) => Object.fromEntries(r.rows.map((x) => [x.type, x.n])));

const r4 = corpusFiles('synthea-fhir-r4');
const shared = r4.filter((f) => /(hospital|practitioner)Information/.test(f));
const patientsSample = r4.filter((f) => !shared.includes(f)).slice(0, 12);

describe('importing Synthea bundles', () => {
  let st: TestStorage;
  let tmp: string;
  before(async () => {
    st = await freshStorage('import');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-import-files-'));
    for (const f of [...shared, ...patientsSample]) fs.copyFileSync(f, path.join(tmp, path.basename(f)));
  });
  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await st.drop();
  });

  test('loads every resource, prints per-type counts, and merges repeated Organizations and Practitioners by identifier', async () => {
    const r = runImport(st, [tmp]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Imported [\d,]+ resources from 14 files/);
    assert.match(r.out, /Observation\s+[\d,]+/);
    // Expected: each patient-compartment resource once; shared resources once per distinct identifier.
    const expected: Record<string, Set<string>> = {};
    for (const f of [...shared, ...patientsSample]) {
      for (const e of readBundle(f).entry) {
        const res = e.resource;
        const key = ['Organization', 'Practitioner', 'Location'].includes(res.resourceType)
          ? `${res.identifier?.[0]?.system}|${res.identifier?.[0]?.value}`
          : res.id;
        if (!expected[res.resourceType]) expected[res.resourceType] = new Set();
        expected[res.resourceType].add(key);
      }
    }
    const counts = await withDb(st, countByType);
    for (const [type, keys] of Object.entries(expected))
      assert.equal(counts[type], keys.size, `${type} count`);
    const orgEntries = [...shared, ...patientsSample]
      .flatMap((f) => readBundle(f).entry)
      .filter((e) => e.resource.resourceType === 'Organization').length;
    assert.ok(
      counts.Organization < orgEntries,
      `the ${orgEntries} Organization entries became ${counts.Organization} resources`,
    );
  });

  test('a second run skips the finished files and writes no new versions', async () => {
    const before = await withDb(st, (db) =>
      db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version').then((r) => r.rows[0].n),
    );
    const r = runImport(st, [tmp]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /14 file\(s\) were already imported and skipped/);
    const forced = runImport(st, ['--force', tmp]);
    assert.equal(forced.code, 0, forced.err);
    const afterCount = await withDb(st, (db) =>
      db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version').then((r) => r.rows[0].n),
    );
    assert.equal(afterCount, before, 'loading the same data again changes nothing');
  });
});

describe('importing NDJSON and conditional references', () => {
  let st: TestStorage;
  before(async () => {
    st = await freshStorage('ndjson');
  });
  after(() => st.drop());

  test('good lines load; bad lines are reported with file and line number', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-ndjson-'));
    const file = path.join(dir, 'Patient.ndjson');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ resourceType: 'Patient', id: 'nd-1', name: [{ family: 'One' }] }),
        '{"resourceType": "Patient", "id": "nd-2", ',
        JSON.stringify({ resourceType: 'Patient', id: 'nd-3', gender: 'sometimes' }),
        '',
        JSON.stringify({ resourceType: 'Patient', id: 'nd-4', name: [{ family: 'Four' }] }),
      ].join('\n'),
    );
    const r = runImport(st, [file]);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 2, 'a partial import exits with 2');
    assert.match(r.out, /Patient\.ndjson line 2: Not valid JSON/);
    assert.match(r.out, /Patient\.ndjson line 3.*gender/);
    const ids = await withDb(st, (db) =>
      db
        .query<{ id: string }>("SELECT id FROM resource WHERE type = 'Patient' ORDER BY id")
        .then((x) => x.rows.map((y) => y.id)),
    );
    assert.deepEqual(ids, ['nd-1', 'nd-4']);
  });

  test('a record labelled restricted on its own meta.security is stored as such, as the API stores it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-ndjson-'));
    const file = path.join(dir, 'Observation.ndjson');
    const obs = (id: string, security?: { system: string; code: string }[]) =>
      JSON.stringify({
        resourceType: 'Observation',
        id,
        ...(security ? { meta: { security } } : {}),
        status: 'final',
        code: { text: 'HIV screen' },
        subject: { reference: 'Patient/nd-1' },
      });
    fs.writeFileSync(
      file,
      [
        obs('lab-hiv', [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }]),
        obs('lab-normal', [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' },
        ]),
        obs('lab-plain'),
      ].join('\n'),
    );
    const r = runImport(st, [file]);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 0, r.out + r.err);
    // The search filter reads restricted_to (migration 014); resource-labels.test.ts shows what users see.
    const rows = await withDb(st, (db) =>
      db
        .query<{ id: string; restricted_to: string[] | null }>(
          "SELECT id, restricted_to FROM resource WHERE id LIKE 'lab-%' ORDER BY id",
        )
        .then((x) => x.rows),
    );
    assert.deepEqual(rows, [
      { id: 'lab-hiv', restricted_to: ['nd-1'] },
      { id: 'lab-normal', restricted_to: null },
      { id: 'lab-plain', restricted_to: null },
    ]);
  });

  test('Synthea bulk NDJSON with conditional references to Organizations resolves them', async () => {
    const folder = corpusFiles('synthea-bulk-ndjson-partial/10-patients').filter((f) =>
      /(Organization|Location|Practitioner|Patient|Encounter)\.000/.test(f),
    );
    const r = runImport(st, folder);
    assert.equal(r.code, 0, r.out + r.err);
    const unresolved = await withDb(st, (db) =>
      db
        .query<{ n: number }>(
          "SELECT count(*)::int AS n FROM resource_version WHERE type = 'Encounter' AND content LIKE '%Organization?identifier%'",
        )
        .then((x) => x.rows[0].n),
    );
    assert.equal(unresolved, 0, 'every conditional reference was rewritten to Organization/<id>');
    const counts = await withDb(st, countByType);
    assert.equal(counts.Encounter, 1215);
  });
});

describe('a crash in the middle of an import', () => {
  let st: TestStorage;
  let child: ChildProcess | undefined;
  before(async () => {
    st = await freshStorage('crash');
  });
  after(async () => {
    child?.kill('SIGKILL');
    await st.drop();
  });

  test('after SIGKILL every committed bundle is whole, none is partial, and a re-run completes the import', async () => {
    const folder = path.dirname(r4[0]);
    child = spawn(process.execPath, [cliPath, 'import', '--quiet', '--verbose', folder], {
      env: cliEnv(st),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    // Kill it once eight bundles are committed (the importer prints a line after each commit).
    await new Promise<void>((resolve) => {
      let done = 0;
      child?.stdout?.on('data', (chunk: Buffer) => {
        done += (chunk.toString().match(/^imported /gm) ?? []).length;
        if (done >= 8) resolve();
      });
      child?.once('exit', () => resolve());
    });
    child.kill('SIGKILL');
    await exited;

    const checkWhole = async () =>
      withDb(st, async (db) => {
        let whole = 0;
        let absent = 0;
        for (const f of r4.filter((x) => !shared.includes(x))) {
          const ids = readBundle(f)
            .entry.filter((e) => !['Organization', 'Practitioner'].includes(e.resource.resourceType))
            .map((e) => e.resource.id);
          const n = await db
            .query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE id = ANY($1)', [ids])
            .then((r) => r.rows[0].n);
          assert.ok(
            n === 0 || n === ids.length,
            `${path.basename(f)}: ${n} of ${ids.length} resources visible: a partial transaction`,
          );
          if (n) whole++;
          else absent++;
          // Every committed resource is readable.
        }
        const unreadable = await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM resource r LEFT JOIN resource_version v ON v.rid = r.rid AND v.version = r.version WHERE v.content IS NULL AND NOT r.deleted',
        );
        assert.equal(unreadable.rows[0].n, 0);
        return { whole, absent };
      });
    const mid = await checkWhole();
    assert.ok(
      mid.whole > 0 && mid.absent > 0,
      `the kill came mid-import (${mid.whole} bundles in, ${mid.absent} not)`,
    );
    // Each committed bundle committed with its audit entry: no patient's records came in unaudited,
    // although the importer died before it could write anything at the end.
    const audit = await withDb(st, (db) =>
      db
        .query<{ loaded: number; unaudited: number }>(
          `SELECT count(*)::int AS loaded,
                  count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM audit_event a
                    WHERE a.action = 'import' AND r.id = ANY(a.patients)))::int AS unaudited
             FROM resource r WHERE r.type = 'Patient' AND NOT r.deleted`,
        )
        .then((x) => x.rows[0]),
    );
    assert.ok(audit.loaded > 0);
    assert.equal(
      audit.unaudited,
      0,
      `${audit.unaudited} of ${audit.loaded} loaded patients have no audit entry`,
    );
    // Into the empty embedded database the import held the secondary indexes back for the end: the
    // kill left them missing, recorded in deferred_index; the next start (here `audit verify`) builds them.
    const deferred = await withDb(st, (db) =>
      db
        .query<{ name: string }>('SELECT name FROM deferred_index WHERE NOT temporary')
        .then((x) => x.rows.map((y) => y.name)),
    );
    if (testDb === 'pglite') assert.ok(deferred.includes('sp_token_code'), deferred.join(', '));
    else assert.deepEqual(deferred, [], 'PostgreSQL keeps its indexes: others may read during an import');
    const verify = spawnSync(process.execPath, [cliPath, 'audit', 'verify'], {
      env: cliEnv(st),
      encoding: 'utf8',
    });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    const indexes = await withDb(st, async (db) => ({
      names: (await db.query<{ n: string }>('SELECT indexname AS n FROM pg_indexes')).rows.map((x) => x.n),
      left: (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deferred_index')).rows[0].n,
    }));
    assert.deepEqual(
      deferred.filter((n) => !indexes.names.includes(n)),
      [],
      'every deferred index is built',
    );
    assert.deepEqual(
      indexes.names.filter((n) => n.startsWith('import_sp_token_identifier')),
      [],
      "the importer's own indexes are gone",
    );
    assert.equal(indexes.left, 0);

    const resumed = runImport(st, ['--quiet', folder]);
    assert.equal(resumed.code, 0, resumed.err);
    const end = await checkWhole();
    assert.equal(end.absent, 0, 'the re-run loaded every remaining bundle');
    const counts = await withDb(st, countByType);
    assert.equal(counts.Observation, 17315);
    assert.equal(counts.Patient, 123);
  });
});
