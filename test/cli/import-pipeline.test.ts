// The import pipeline (threads prepare files, the import thread writes) against the one-thread path
// (CHARTROOM_IMPORT_PIPELINE=off): the same resources, versions, index rows, compartments, journal and
// per-file report on Synthea bundles, with a bad file and a file already loaded in the middle; on both
// databases. On PostgreSQL, a shared resource created meanwhile by another writer is matched, not doubled.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import type { Practitioner, Resource } from '@medplum/fhirtypes';
import type { Database } from '../../src/platform/db/database.js';
import { identifierCondition } from '../../src/store/bundle/process-bundle.js';
import { TABLES as INDEX_TABLES } from '../../src/store/index-rows.js';
import { cliEnv, withDb } from '../support/cli-import.js';
import { cliPath, corpusFiles, readBundle } from '../support/corpus.js';
import { freshStorage, startTestServer, type TestStorage, testDb } from '../support/test-server.js';

/** The index tables (the writer's own list). */
const TABLES = INDEX_TABLES.map((t) => t.table).filter((t) => t.startsWith('sp_'));

interface Snapshot {
  report: { file: string; status: string; resources: number; errors: unknown[] }[];
  resources: string[];
  versions: Record<string, number>;
  rowsPerTable: Record<string, Record<string, number>>;
  rowDigests: Record<string, string>;
  compartments: string;
  journal: string[];
  imports: string[];
}

/** What a user of the database sees: every current document, and the index rows keyed by type/id. */
async function snapshot(db: Database): Promise<Omit<Snapshot, 'report'>> {
  const docs = await db.query<{ type: string; id: string; version: number; content: string }>(
    `SELECT r.type, r.id, r.version, v.content FROM resource r
       JOIN resource_version v ON v.rid = r.rid AND v.version = r.version ORDER BY r.type, r.id`,
  );
  const resources = docs.rows.map((row) => {
    const { meta, ...rest } = JSON.parse(row.content) as { meta?: Record<string, unknown> };
    const { lastUpdated: _, ...keptMeta } = meta ?? {};
    // sealed SSNs differ by nonce; lastUpdated is the time of each import
    const text = JSON.stringify({ ...rest, meta: keptMeta }).replace(/"chartroom-sealed:[^"]+"/g, '"sealed"');
    return `${row.type}/${row.id} v${row.version} ${text}`;
  });
  const versions = Object.fromEntries(
    (
      await db.query<{ type: string; n: number }>(
        'SELECT type, count(*)::int AS n FROM resource_version GROUP BY type ORDER BY type',
      )
    ).rows.map((r) => [r.type, r.n]),
  );
  const rowsPerTable: Snapshot['rowsPerTable'] = {};
  const rowDigests: Snapshot['rowDigests'] = {};
  for (const t of TABLES) {
    const counts = await db.query<{ type: string; n: number }>(
      `SELECT r.type, count(*)::int AS n FROM ${t} s JOIN resource r ON r.rid = s.rid GROUP BY r.type ORDER BY r.type`,
    );
    rowsPerTable[t] = Object.fromEntries(counts.rows.map((r) => [r.type, r.n]));
    // every row with its resource's type/id in place of the internal key; _lastUpdated rows hold the import time
    const rows = await db.query<{ d: string }>(
      `SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) AS d FROM (
         SELECT r.type || '/' || r.id || ' ' || (to_jsonb(s) - 'rid')::text AS x
           FROM ${t} s JOIN resource r ON r.rid = s.rid
          WHERE s.rid IS NOT NULL ${t === 'sp_date' ? "AND s.param NOT IN (SELECT id FROM search_param WHERE code = '_lastUpdated')" : ''}) q`,
    );
    rowDigests[t] = rows.rows[0].d;
  }
  const compartments = (
    await db.query<{ d: string }>(
      `SELECT md5(coalesce(string_agg(c.patient || ' ' || r.type || '/' || r.id, ',' ORDER BY c.patient, r.type, r.id), '')) AS d
         FROM resource_compartment c JOIN resource r ON r.rid = c.rid`,
    )
  ).rows[0].d;
  const journal = (
    await db.query<{ name: string; resources: number }>(
      'SELECT name, resources FROM import_file ORDER BY name',
    )
  ).rows.map((r) => `${r.name} ${r.resources}`);
  // the audit entries: one per import transaction and one per file, with the patients each one wrote
  const audit = await db.query<{ x: string }>(
    `SELECT coalesce(username, '') || ' ' || action || ' ' || outcome || ' ' ||
            array_to_string(ARRAY(SELECT p FROM unnest(patients) p ORDER BY p), ',') AS x
       FROM audit_event WHERE username LIKE 'cli:%'`,
  );
  const imports = audit.rows.map((r) => r.x).sort();
  return { resources, versions, rowsPerTable, rowDigests, compartments, journal, imports };
}

describe('the import pipeline', () => {
  const stores: TestStorage[] = [];
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-pipeline-files-'));
    const r4 = corpusFiles('synthea-fhir-r4');
    const shared = r4.filter((f) => /(hospital|practitioner)Information/.test(f));
    const patients = r4.filter((f) => !shared.includes(f)).slice(0, 5);
    // names keep findFiles' order: the shared bundles first, then a1..a5 with the bad file and a copy between
    for (const f of shared) fs.copyFileSync(f, path.join(dir, path.basename(f)));
    for (const [i, f] of patients.entries())
      fs.copyFileSync(f, path.join(dir, `a${i + 1}-${path.basename(f)}`));
    // a bad file in the middle: one Observation with a status outside its required value set
    const bad = readBundle(patients[1]);
    const obs = bad.entry.find((e) => e.resource.resourceType === 'Observation');
    assert.ok(obs);
    (obs.resource as { status?: string }).status = 'bogus';
    fs.writeFileSync(path.join(dir, 'a2b-bad.json.gz'), zlib.gzipSync(JSON.stringify(bad)));
    // the first patient again, uncompressed (another file to the journal): every resource exists already
    fs.writeFileSync(path.join(dir, 'a3b-again.json'), zlib.gunzipSync(fs.readFileSync(patients[0])));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const st of stores) await st.drop();
  });

  test('writes the same resources, index rows, compartments, journal and report as the one-thread path', async () => {
    const shots: Snapshot[] = [];
    const summaries: string[] = [];
    for (const pipeline of ['on', 'off']) {
      const st = await freshStorage(`pipeline-${pipeline}`);
      stores.push(st);
      const reportFile = path.join(st.dataDir, 'report.json');
      // one file at a time on the one-thread path: the pipeline writes in file order too
      const r = spawnSync(
        process.execPath,
        // one import thread: on PostgreSQL the pipeline runs only then (the default up to 3 cores)
        [cliPath, 'import', '--workers', '1', '--threads', '1', '--report', reportFile, dir],
        // one key for both, so that the blind indexes of SSNs (keyed hashes) compare
        {
          env: { ...cliEnv(st), CHARTROOM_IMPORT_PIPELINE: pipeline, CHARTROOM_SECRET_KEY: 'c'.repeat(64) },
          encoding: 'utf8',
        },
      );
      // 2: a file failed (the bad one)
      assert.equal(r.status, 2, r.stdout + r.stderr);
      summaries.push(r.stdout);
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
        files: Snapshot['report'];
        pipeline?: { preparedFiles: number };
      };
      if (pipeline === 'on') {
        // the two shared bundles and the five good patient files went through the threads; the bad file and
        // the copy of a loaded one fell back to the one-thread path
        assert.equal(report.pipeline?.preparedFiles, 7, JSON.stringify(report.pipeline));
      } else assert.equal(report.pipeline, undefined);
      const files = report.files.map((f) => ({ ...f, file: path.basename(f.file) }));
      shots.push({ report: files, ...(await withDb(st, snapshot)) });
    }
    const [on, off] = shots;
    assert.match(summaries[0], /7 of 9 files were prepared on \d+ other thread/);
    assert.deepEqual(on.report, off.report);
    const bad = on.report.find((f) => f.file === 'a2b-bad.json.gz');
    assert.equal(bad?.status, 'failed');
    assert.match(JSON.stringify(bad?.errors), /status/);
    assert.deepEqual(on.versions, off.versions);
    assert.deepEqual(on.rowsPerTable, off.rowsPerTable);
    assert.deepEqual(on.rowDigests, off.rowDigests);
    assert.equal(on.compartments, off.compartments);
    assert.deepEqual(on.journal, off.journal);
    assert.deepEqual(on.imports, off.imports);
    assert.ok(on.imports.length >= 9, `${on.imports.length} audit entries`);
    assert.deepEqual(on.resources, off.resources);
    assert.ok(on.resources.length > 1000, `${on.resources.length} resources`);
    assert.ok(on.rowsPerTable.sp_token.Observation > 1000);
  });
});

describe('the import pipeline beside another writer', {
  skip: testDb !== 'postgres' && 'PostgreSQL only: the embedded database has one writer',
}, () => {
  test('a Practitioner that another transaction is creating is matched once it commits, not created twice', async () => {
    const s = await startTestServer({ label: 'pipeline-race' });
    let release = () => {};
    let other: Promise<unknown> = Promise.resolve();
    try {
      const file = corpusFiles('synthea-fhir-r4').find((f) => /practitionerInformation/.test(f));
      assert.ok(file);
      const resources = readBundle(file).entry.map((e) => e.resource as Resource);
      const prac = resources.find((r) => r.resourceType === 'Practitioner') as Practitioner;
      const condition = identifierCondition(prac);
      assert.ok(condition);
      // Another writer creates the same Practitioner (same identifier, another id) as a conditional
      // create, and holds its transaction open.
      const held = new Promise<void>((r) => {
        release = r;
      });
      let created = () => {};
      const isCreated = new Promise<void>((r) => {
        created = r;
      });
      other = s.running.services.repo.transaction(async (tx) => {
        assert.equal((await tx.matchOrLock('Practitioner', condition)).length, 0);
        await tx.write([{ op: 'update', resource: { ...prac, id: 'other-writer' } }]);
        created();
        await held;
      });
      await isCreated;
      const reportFile = path.join(s.storage.dataDir, 'race-report.json');
      const child = spawn(
        process.execPath,
        [cliPath, 'import', '--workers', '1', '--threads', '1', '--report', reportFile, file],
        { env: cliEnv(s.storage), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      // The import must wait for that transaction: its lock on the condition is not granted meanwhile.
      const db = s.running.services.db;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const waiting = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
              AND objid = (hashtext($1)::bigint & 4294967295)::oid`,
          [`Practitioner?${condition}`],
        );
        if (waiting.rows[0].n > 0) break;
        assert.ok(Date.now() < deadline, `the import never waited for the other writer's lock:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      release();
      await other;
      assert.equal(await exited, 0, out);
      const found = await s.request('GET', `/Practitioner?${condition}`);
      assert.deepEqual(
        found.body.entry.map((e: { resource: Resource }) => e.resource.id),
        ['other-writer'],
      );
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
        files: { status: string; resources: number }[];
      };
      assert.deepEqual(
        report.files.map((f) => [f.status, f.resources]),
        [['imported', resources.length]],
      );
    } finally {
      // a failure above must not leave the other writer's transaction open (the server could not stop)
      release();
      await other.catch(() => undefined);
      await s.stop();
    }
  });
});

describe('shared resources matched on their identifier across files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-shared-'));
  const stores: TestStorage[] = [];
  const SYS = 'http://example.org/orgs';
  const org = (id: string | undefined, value: string, name: string) => ({
    resourceType: 'Organization',
    ...(id ? { id } : {}),
    identifier: [{ system: SYS, value }],
    name,
  });
  const bundle = (entries: { resource: Record<string, unknown>; method: 'PUT' | 'POST' }[]) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map(({ resource, method }, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${i}`,
      resource,
      request: { method, url: method === 'PUT' ? `Organization/${resource.id}` : 'Organization' },
    })),
  });
  before(() => {
    // 1: a plain PUT of an Organization (no condition of its own). 2: a new one, and one whose identifier
    // differs from the first's in case only. 3: the first's identifier under another id: import mode must
    // find the PUT one (the pipeline hands the file to the one-thread path, which matches it), not create
    // a second. 4: after that, the new one of file 2 again.
    const files = [
      bundle([{ resource: org('org-put', 'ORG-1', 'Put'), method: 'PUT' }]),
      bundle([
        { resource: org('o2', 'ORG-2', 'Posted'), method: 'POST' },
        { resource: org('lower', 'org-1', 'Lower case'), method: 'POST' },
      ]),
      bundle([{ resource: org('another', 'ORG-1', 'Another id'), method: 'POST' }]),
      bundle([{ resource: org('o2', 'ORG-2', 'Posted again'), method: 'POST' }]),
    ];
    for (const [i, b] of files.entries())
      fs.writeFileSync(path.join(dir, `f${i + 1}.json`), JSON.stringify(b));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const st of stores) await st.drop();
  });

  test('a later file finds what an earlier one created, with or without a condition of its own', async () => {
    const outcomes: string[][] = [];
    for (const pipeline of ['on', 'off']) {
      const st = await freshStorage(`shared-${pipeline}`);
      stores.push(st);
      const reportFile = path.join(st.dataDir, 'report.json');
      const r = spawnSync(
        process.execPath,
        [cliPath, 'import', '--workers', '1', '--threads', '1', '--report', reportFile, dir],
        { env: { ...cliEnv(st), CHARTROOM_IMPORT_PIPELINE: pipeline }, encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
        pipeline?: { preparedFiles: number };
      };
      if (pipeline === 'on')
        assert.ok((report.pipeline?.preparedFiles ?? 0) >= 2, JSON.stringify(report.pipeline));
      const orgs = await withDb(st, async (db) =>
        (
          await db.query<{ id: string; content: string }>(
            `SELECT r.id, v.content FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
              WHERE r.type = 'Organization'`,
          )
        ).rows.map((row) => {
          const o = JSON.parse(row.content) as { identifier: { value: string }[]; name: string };
          return `${o.identifier[0].value} ${o.name}${row.id === 'org-put' ? ' (org-put)' : ''}`;
        }),
      );
      outcomes.push(orgs.sort());
    }
    // the first of each identifier stays, as it was written (identifiers match case-sensitively)
    assert.deepEqual(outcomes[0], ['ORG-1 Put (org-put)', 'ORG-2 Posted', 'org-1 Lower case']);
    assert.deepEqual(outcomes[1], outcomes[0]);
  });
});
