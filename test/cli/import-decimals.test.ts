// `chartroom import` keeps decimals as written (1.50, 0.0050, 1.0e2, a 25-digit value) from NDJSON lines and
// from Bundle files (read whole or streamed), in the import threads too (on PostgreSQL), and indexes them
// at their written precision.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDatabase } from '../../src/platform/db/database.js';
import { runImportCli } from '../support/cli-import.js';
import { freshStorage, type TestStorage } from '../support/test-server.js';

const PI_25 = '3.141592653589793238462643';
const WRITTEN = ['"value":1.50', '"value":0.0050', '"value":1.0e2', `"value":${PI_25}`];

/** One Observation on one line, as JSON text (an object would lose the decimals before they are written). */
const observationLine = (id: string) =>
  `{"resourceType":"Observation","id":"${id}","status":"final","code":{"text":"glucose"},` +
  `"subject":{"reference":"Patient/pat-dec"},"valueQuantity":{"value":1.50,"unit":"mmol/L"},` +
  `"referenceRange":[{"low":{"value":0.0050},"high":{"value":1.0e2}}],` +
  `"component":[{"code":{"text":"pi"},"valueQuantity":{"value":${PI_25}}}]}`;

const stores: TestStorage[] = [];
let dir: string;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-import-decimals-'));
  fs.writeFileSync(
    path.join(dir, 'Observation.ndjson'),
    `${observationLine('obs-ndjson-1')}\n${observationLine('obs-ndjson-2')}\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'bundle.json'),
    `{"resourceType":"Bundle","type":"collection","entry":[
      {"fullUrl":"urn:uuid:pat-dec","resource":{"resourceType":"Patient","id":"pat-dec","name":[{"family":"Decimal"}]}},
      {"resource":${observationLine('obs-bundle')}}]}`,
  );
});
after(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const st of stores) await st.drop();
});

async function importKeepsDecimals(label: string, args: string[]): Promise<void> {
  const st = await freshStorage(label);
  stores.push(st);
  const threads = st.databaseUrl ? ['--threads', '2'] : [];
  const r = runImportCli(st, [...threads, ...args, dir]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /Imported 4 resources from 2 files/);
  const db = await openDatabase({ databaseUrl: st.databaseUrl, dataDir: st.dataDir });
  try {
    const rows = await db.query<{ id: string; content: string }>(
      `SELECT r.id, v.content FROM resource r JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
        WHERE r.type = 'Observation' ORDER BY r.id`,
    );
    assert.deepEqual(
      rows.rows.map((x) => x.id),
      ['obs-bundle', 'obs-ndjson-1', 'obs-ndjson-2'],
    );
    for (const row of rows.rows)
      for (const lexeme of WRITTEN) assert.ok(row.content.includes(lexeme), `${row.id} keeps ${lexeme}`);
    const ranges = await db.query<{ lo: string; hi: string }>(
      `SELECT q.lo::text AS lo, q.hi::text AS hi FROM sp_quantity q JOIN resource r ON r.rid = q.rid
        JOIN search_param p ON p.id = q.param WHERE r.id = 'obs-bundle' AND p.code = 'value-quantity'`,
    );
    assert.deepEqual(ranges.rows, [{ lo: '1.495', hi: '1.505' }], '1.50 covers 1.495 to 1.505');
  } finally {
    await db.close();
  }
}

test('NDJSON lines and Bundle files are stored with their decimals as written and indexed at that precision', () =>
  importKeepsDecimals('import-decimals', []));

test('a Bundle file streamed entry by entry (as the big ones are) keeps its decimals as written too', () =>
  importKeepsDecimals('import-decimals-streamed', ['--stream-from', '0']));
