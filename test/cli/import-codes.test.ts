// `chartroom import` checks coded elements like any write: a Condition with an unknown ICD-10-CM code is not
// stored and the file is reported partial; the others are stored (with two import threads on PostgreSQL).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDatabase } from '../../src/platform/db/database.js';
import { cliPath } from '../support/corpus.js';
import { freshStorage, type TestStorage } from '../support/test-server.js';

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
let st: TestStorage;
before(async () => {
  st = await freshStorage('import-codes');
});
after(() => st.drop());

const condition = (id: string, code: string) => ({
  request: { method: 'PUT', url: `Condition/${id}` },
  resource: {
    resourceType: 'Condition',
    id,
    subject: { reference: 'Patient/p1' },
    code: { coding: [{ system: ICD10CM, code }] },
  },
});

test('an imported Condition with an unknown ICD-10-CM code is refused, the rest of the file is stored', async () => {
  const file = path.join(st.dataDir, 'codes.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'PUT', url: 'Patient/p1' }, resource: { resourceType: 'Patient', id: 'p1' } },
        condition('good', 'E11.22'),
        condition('bad', 'E11.99'),
      ],
    }),
  );
  const r = spawnSync(process.execPath, [cliPath, 'import', '--quiet', '--threads', '2', file], {
    env: {
      ...process.env,
      CHARTROOM_DATA_DIR: st.dataDir,
      DATABASE_URL: st.databaseUrl ?? '',
      CHARTROOM_ADMIN_PASSWORD: 'import test password 1',
    },
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(fs.readFileSync(path.join(st.dataDir, 'import-report.json'), 'utf8'));
  assert.equal(report.files[0].status, 'partial', JSON.stringify(report.files[0]));
  assert.match(JSON.stringify(report.files[0]), /E11\.99/);
  const db = await openDatabase({ databaseUrl: st.databaseUrl, dataDir: st.dataDir });
  try {
    const rows = await db.query<{ id: string }>(
      "SELECT id FROM resource WHERE type = 'Condition' ORDER BY id",
    );
    assert.deepEqual(
      rows.rows.map((x) => x.id),
      ['good'],
    );
  } finally {
    await db.close();
  }
});
