// Optimistic locking under load: 20 writers race to update one resource with If-Match.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ label: 'race' });
});
after(() => s.stop());

test('20 concurrent If-Match writers: every success is a distinct version and no update is lost', async () => {
  const c = await s.request('POST', '/Patient', { resourceType: 'Patient', name: [{ family: 'Race' }] });
  const id = c.body.id;
  const writers = Array.from({ length: 20 }, (_, i) => i);
  const successes: { writer: number; version: string }[] = [];
  // Each writer reads, then writes with If-Match, retrying on 412 until its own change lands.
  await Promise.all(
    writers.map(async (w) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const cur = await s.request('GET', `/Patient/${id}`);
        const marks: string[] = cur.body.name[0].given ?? [];
        const next = { ...cur.body, name: [{ family: 'Race', given: [...marks, `w${w}`] }] };
        const r = await s.request('PUT', `/Patient/${id}`, next, {
          'if-match': `W/"${cur.body.meta.versionId}"`,
        });
        if (r.status === 200) {
          successes.push({ writer: w, version: r.body.meta.versionId });
          return;
        }
        assert.equal(r.status, 412, `a losing writer gets 412, got ${r.status}: ${r.text}`);
      }
      assert.fail(`writer ${w} never succeeded`);
    }),
  );
  assert.equal(successes.length, 20);
  assert.equal(new Set(successes.map((x) => x.version)).size, 20, 'every success produced its own version');
  const final = await s.request('GET', `/Patient/${id}`);
  assert.equal(final.body.meta.versionId, '21');
  assert.deepEqual(
    [...final.body.name[0].given].sort(),
    writers.map((w) => `w${w}`).sort(),
    'every writer’s change is in the final version',
  );
  const history = await s.request('GET', `/Patient/${id}/_history?_count=100`);
  assert.equal(history.body.entry.length, 21);
});
