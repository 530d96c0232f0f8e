// The audit writer's batches to the database: a batch whose write failed after it may have committed (a
// connection lost at COMMIT) is written again without a second copy of any entry, and with the chain intact.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuditWriter } from '../../src/api/audit-writer.js';
import type { Database } from '../../src/platform/db/database.js';
import { verifyChain } from '../../src/security/audit/chain.js';
import { auditInOrder } from '../../src/store/audit-log.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'audit-writer' });
});
after(() => s.stop());

const access = (path: string) => ({
  username: 'admin',
  action: 'R' as const,
  interaction: 'read',
  path,
  status: 200,
  entities: [path.slice('/fhir/R4/'.length)],
  patients: ['p-writer'],
});

test('a batch that committed but was reported failed is written again without duplicates', async () => {
  const db = s.running.services.db;
  let failNext = true;
  // The database commits the first batch, then the connection "drops" before the writer hears back.
  const flaky: Database = {
    ...db,
    transaction: async (fn) => {
      const out = await db.transaction(fn);
      if (failNext) {
        failNext = false;
        throw new Error('Connection terminated unexpectedly');
      }
      return out;
    },
  };
  const writer = new AuditWriter(flaky, undefined, 60_000);
  try {
    for (const p of ['/fhir/R4/Patient/w1', '/fhir/R4/Patient/w2', '/fhir/R4/Patient/w3'])
      await writer.record(access(p));
    await writer.flush(); // commits, then reports the failure: the rows go back to the queue
    await writer.record(access('/fhir/R4/Patient/w4'));
    await writer.flush(); // the retry: the three stored ones are skipped, the fourth appended
  } finally {
    writer.close();
  }
  assert.equal(failNext, false, 'the first batch was reported failed');
  const rows = (
    await db.query<{ path: string; n: string }>(
      `SELECT content::json #>> '{entity,2,description}' AS path, count(*)::text AS n
         FROM audit_event WHERE 'p-writer' = ANY(patients) GROUP BY 1 ORDER BY 1`,
    )
  ).rows;
  assert.deepEqual(
    rows.map((r) => `${r.path} x${r.n}`),
    ['w1', 'w2', 'w3', 'w4'].map((id) => `/fhir/R4/Patient/${id} -> 200 x1`),
  );
  assert.equal((await verifyChain(auditInOrder(db))).ok, true);
});
