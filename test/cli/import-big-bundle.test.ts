// `chartroom import` of Bundle files too big to hold: streamed entry by entry and written in chunks of 250.
// A transaction of 21,000 entries with urn:uuid references back and forth loads whole (gzip too), or not
// at all when one entry is bad; a batch loads its good entries and names each bad one; the streamed and
// the whole-file paths write the same rows. (`--stream-from 1` streams every file above 1 MiB of JSON.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../../src/server.js';
import { type BigBundleSpec, observationId, patientId, writeBigBundle } from '../support/big-bundle.js';
import { runImportCli as runImport, withDb } from '../support/cli-import.js';
import { corpusFiles } from '../support/corpus.js';
import {
  ADMIN_PASSWORD,
  freshStorage,
  signInAdministrator,
  type TestStorage,
} from '../support/test-server.js';

const countResources = (st: TestStorage, prefix: string) =>
  withDb(st, (db) =>
    db
      .query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE id LIKE $1 AND NOT deleted', [
        `${prefix}-%`,
      ])
      .then((r) => r.rows[0].n),
  );

// 1,000 patients with 20 observations each: 21,000 entries, 84 chunks, ~6 MB of JSON
const tx = (prefix: string, bad?: Set<number>): BigBundleSpec => ({
  type: 'transaction',
  patients: 1000,
  observationsPerPatient: 20,
  prefix,
  bad,
});

describe('a transaction Bundle bigger than memory should need', () => {
  let st: TestStorage;
  let dir: string;
  before(async () => {
    st = await freshStorage('big-bundle');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-big-bundle-'));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await st.drop();
  });

  test('21,000 entries of a gzip transaction load whole, urn:uuid references resolve across chunks, the bar moves while the file is read, and a re-run is skipped', async () => {
    const file = path.join(dir, 'big.json.gz');
    await writeBigBundle(file, tx('big'));
    const r = runImport(st, ['--stream-from', '1', file]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /Imported 21,000 resources from 1 files/);
    assert.match(r.out, /Observation\s+20,000/);
    // progress lines come every 3 s on a pipe: some show the file part-read, before it is done
    assert.match(r.err, /\s([1-9]|[1-9]\d)% 0\/1 files/, r.err);

    const running = await startServer({
      databaseUrl: st.databaseUrl,
      dataDir: st.dataDir,
      port: 0,
      adminPassword: ADMIN_PASSWORD,
    });
    try {
      const { token } = await signInAdministrator(running.url);
      const spec = tx('big');
      // patient 0 comes before its observations, patient 999 after: references point both ways
      for (const p of [0, 999]) {
        const res = await fetch(
          `${running.url}/fhir/R4/Observation?subject=Patient/${patientId(spec, p)}&_count=50&_elements=id`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        const body = (await res.json()) as { entry?: { resource: { id: string } }[] };
        assert.equal(res.status, 200);
        assert.deepEqual(
          (body.entry ?? []).map((e) => e.resource.id).sort(),
          Array.from({ length: 20 }, (_, o) => observationId(spec, p, o)).sort(),
          `Patient ${p}'s observations`,
        );
      }
    } finally {
      await running.close();
    }
    const stored = await withDb(st, (db) =>
      db
        .query<{ content: string }>(
          `SELECT v.content FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
            WHERE r.type = 'Observation' AND r.id = $1`,
          [observationId(tx('big'), 500, 7)],
        )
        .then((x) => x.rows[0].content),
    );
    assert.ok(stored.includes('"value":1.50'), 'decimals keep their written text');
    assert.ok(stored.includes(`"reference":"Patient/${patientId(tx('big'), 500)}"`), stored);

    const again = runImport(st, ['--stream-from', '1', file]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /1 file\(s\) were already imported and skipped/);
  });

  test('one bad entry in the middle writes nothing, and the report names the entry and the problem', async () => {
    const file = path.join(dir, 'bad.json');
    await writeBigBundle(file, tx('bad', new Set([10_501])));
    const r = runImport(st, ['--stream-from', '1', file]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.out, /bad\.json \(failed, 0 resources loaded\)/);
    assert.match(r.out, /Bundle\.entry\[10501\]\.resource\.status.*not-a-status/);
    assert.equal(await countResources(st, 'bad'), 0, 'all or nothing');
  });
});

describe('a big batch Bundle', () => {
  let st: TestStorage;
  let dir: string;
  before(async () => {
    st = await freshStorage('big-batch');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-big-batch-'));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await st.drop();
  });

  test('loads its good entries chunk by chunk and reports each bad one by its position in the file', async () => {
    const file = path.join(dir, 'batch.json');
    // 100 patients with 20 observations: 2,100 entries, ~0.7 MB (each entry is its own transaction)
    await writeBigBundle(file, {
      type: 'batch',
      patients: 100,
      observationsPerPatient: 20,
      prefix: 'batch',
      bad: new Set([3, 1_000, 2_098]),
    });
    const r = runImport(st, ['--stream-from', '0.25', file]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.out, /batch\.json \(partial, 2097 resources loaded\)/);
    for (const i of [3, 1000, 2098]) assert.match(r.out, new RegExp(`entry\\[${i}\\].*not-a-status`));
    const report = JSON.parse(fs.readFileSync(path.join(st.dataDir, 'import-report.json'), 'utf8')) as {
      files: { errors: { where: string }[] }[];
    };
    assert.deepEqual(
      report.files[0].errors.map((e) => e.where.replace(/ .*/, '')),
      ['entry[3]', 'entry[1000]', 'entry[2098]'],
    );
    assert.equal(await countResources(st, 'batch'), 2097);
  });
});

describe('the streamed and the whole-file paths', () => {
  const stores: TestStorage[] = [];
  after(async () => {
    for (const st of stores) await st.drop();
  });

  test('write the same rows from Synthea bundles (conditional references, shared resources matched by identifier)', async () => {
    const r4 = corpusFiles('synthea-fhir-r4');
    const files = [
      ...r4.filter((f) => /(hospital|practitioner)Information/.test(f)),
      ...r4.filter((f) => !/Information/.test(f)).slice(0, 3),
    ];
    const rows: string[][] = [];
    for (const streamFrom of ['0', '32']) {
      const st = await freshStorage(`stream-from-${streamFrom}`);
      stores.push(st);
      // one file at a time: with several in flight, which copy of a shared Practitioner lands first (the
      // one with Synthea's extension or a patient bundle's) is a race, whichever the path
      const r = runImport(st, ['--workers', '1', '--stream-from', streamFrom, ...files]);
      assert.equal(r.code, 0, r.out + r.err);
      rows.push(
        await withDb(st, (db) =>
          db
            .query<{ type: string; id: string; content: string }>(
              `SELECT r.type, r.id, v.content FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
                ORDER BY r.type, r.id`,
            )
            .then((x) =>
              x.rows.map((row) => {
                const { meta, ...rest } = JSON.parse(row.content) as { meta?: Record<string, unknown> };
                const { lastUpdated: _, ...keptMeta } = meta ?? {};
                // sealed SSNs differ by key and nonce (each storage has its own key); the number is the same
                const text = JSON.stringify({ ...rest, meta: keptMeta }).replace(
                  /"chartroom-sealed:[^"]+"/g,
                  '"sealed"',
                );
                return `${row.type}/${row.id} ${text}`;
              }),
            ),
        ),
      );
    }
    assert.deepEqual(rows[0], rows[1]);
    assert.ok(rows[0].length > 500, `${rows[0].length} resources`);
  });
});
