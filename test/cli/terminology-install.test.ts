// `chartroom terminology install <file>`: next year's official order file is applied, kept in the data folder and
// loaded again at every start (the server then knows its codes); a file that does not parse is refused whole.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { defaultDataDir } from '../../src/terminology/index.js';
import { cliPath } from '../support/corpus.js';
import { startTestServer } from '../support/test-server.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-install-'));
const dataFolder = path.join(dir, 'data');
const cacheDir = path.join(dir, 'cache');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, 'terminology', ...args], {
    env: { ...process.env, CHARTROOM_DATA_DIR: dataFolder, CHARTROOM_TERMINOLOGY_CACHE: cacheDir },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A "FY2027" order file: the FY2026 one plus a new code, in the official fixed-width layout. */
let release: string;
before(() => {
  fs.mkdirSync(dataFolder, { recursive: true });
  const fy2026 = gunzipSync(
    fs.readFileSync(path.join(defaultDataDir(), 'icd10cm/2026/icd10cm_order_2026.txt.gz')),
  );
  const title = 'Type 2 diabetes mellitus with test complication';
  const line = `99999 ${'E11A'.padEnd(7)} 1 ${title.padEnd(60)} ${title}\r\n`;
  release = path.join(dir, 'icd10cm_order_2027.txt');
  fs.writeFileSync(release, Buffer.concat([fy2026, Buffer.from(line, 'latin1')]));
});

test('install applies the release, keeps it in the data folder and records it', () => {
  const r = cli(['install', release]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /installed ICD-10-CM FY2027: 98187 codes \(74720 billable\)/);
  const installed = cli(['installed', '--json']);
  const list = JSON.parse(installed.out);
  assert.equal(list.length, 1);
  assert.equal(list[0].kind, 'icd10cm-order');
  assert.equal(list[0].fiscalYear, 2027);
  assert.ok(fs.existsSync(path.join(dataFolder, 'terminology-installed', list[0].file)));
});

test('a later load reads it back, from the code-set cache written by the install', () => {
  const r = cli(['load', '--json']);
  assert.equal(r.code, 0, r.err);
  const loaded = JSON.parse(r.out);
  assert.equal(loaded.cache, 'hit');
  assert.deepEqual(
    loaded.versions
      .filter((v: { system: string }) => v.system === 'icd10cm')
      .map((v: { version: string }) => v.version),
    ['2027', '2026', '2025'],
  );
});

test('a server started on that data folder knows the new code (lookup and the record store check)', async () => {
  const s = await startTestServer({ label: 'install', config: { dataDir: dataFolder } });
  try {
    const lookup = await s.request(
      'GET',
      '/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.A',
    );
    assert.equal(lookup.status, 200, lookup.text);
    const version = lookup.body.parameter.find((p: { name: string }) => p.name === 'version');
    assert.equal(version.valueString, '2027');
    const p = await s.request('POST', '/Patient', { resourceType: 'Patient' });
    const c = await s.request('POST', '/Condition', {
      resourceType: 'Condition',
      subject: { reference: `Patient/${p.body.id}` },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.A' }] },
    });
    assert.equal(c.status, 201, c.text);
  } finally {
    await s.stop();
  }
});

test('a file that does not parse is refused and nothing is recorded; an unknown name needs --kind', () => {
  const bad = path.join(dir, 'icd10cm_order_2028.txt');
  fs.writeFileSync(bad, 'this is not an order file, it is a letter to the coders\n');
  const r = cli(['install', bad]);
  assert.equal(r.code, 1);
  assert.match(r.err, /not installed: .*not an order record/);
  assert.equal(JSON.parse(cli(['installed', '--json']).out).length, 1);
  const unnamed = path.join(dir, 'release.txt');
  fs.writeFileSync(unnamed, 'x');
  const u = cli(['install', unnamed]);
  assert.equal(u.code, 1);
  assert.match(u.err, /give --kind/);
});
