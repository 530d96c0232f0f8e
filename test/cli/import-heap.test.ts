// `chartroom import` bounds its own JavaScript heap (CHARTROOM_IMPORT_HEAP_MIB, default 512 MiB): V8 would
// otherwise let it grow to several times what is live on a big file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cliEnv } from '../support/cli-import.js';
import { cliPath, corpusFiles } from '../support/corpus.js';
import { freshStorage, type TestStorage } from '../support/test-server.js';

const stores: TestStorage[] = [];
after(async () => {
  for (const st of stores) await st.drop();
});

async function importWithHeap(
  setting: string | undefined,
): Promise<{ heapLimitMiB: number; resources: number }> {
  const st = await freshStorage('import-heap');
  stores.push(st);
  const reportFile = path.join(st.dataDir, 'report.json');
  const file = corpusFiles('synthea-fhir-r4').find((f) => !/Information/.test(f)) as string;
  const env = { ...cliEnv(st) };
  delete env.CHARTROOM_IMPORT_HEAP_MIB;
  if (setting !== undefined) env.CHARTROOM_IMPORT_HEAP_MIB = setting;
  const r = spawnSync(process.execPath, [cliPath, 'import', '--quiet', '--report', reportFile, file], {
    env,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return JSON.parse(fs.readFileSync(reportFile, 'utf8'));
}

test('the importer runs with its heap bounded: 512 MiB by default, as configured, or unbounded when off', async () => {
  const byDefault = await importWithHeap(undefined);
  assert.ok(byDefault.resources > 100);
  // V8's limit is the old generation's plus the young generation's
  assert.ok(byDefault.heapLimitMiB >= 512 && byDefault.heapLimitMiB < 600, `${byDefault.heapLimitMiB} MiB`);
  const configured = await importWithHeap('256');
  assert.ok(
    configured.heapLimitMiB >= 256 && configured.heapLimitMiB < 340,
    `${configured.heapLimitMiB} MiB`,
  );
  const off = await importWithHeap('off');
  assert.ok(off.heapLimitMiB > 1000, `${off.heapLimitMiB} MiB`);
});

test('a heap limit that is not a number of MiB stops the import with a message', () => {
  const r = spawnSync(process.execPath, [cliPath, 'import', '.'], {
    env: { ...process.env, CHARTROOM_IMPORT_HEAP_MIB: 'lots' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /CHARTROOM_IMPORT_HEAP_MIB must be off or a number of MiB/);
});
