// The External Cause of Injuries Index is searched like the Alphabetic Index: its paths lead to the external
// cause codes (chapter 20), and each such hit says which index it comes from.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadTerminologyCached, type Terminology } from '../../src/terminology/index.js';

let t: Terminology;
before(async () => {
  // the run's shared code-set cache when there is one (test/run.ts), else a full load
  t = (await loadTerminologyCached({ cacheDir: process.env.CHARTROOM_TERMINOLOGY_CACHE })).terminology;
});

const top = (q: string, n = 5) => t.search(q, { limit: n }).hits;

test('a fall on stairs leads to W10.- with its External Cause Index path', () => {
  const hits = top('fall stairs');
  const w10 = hits.find((h) => h.code.startsWith('W10'));
  assert.ok(w10, JSON.stringify(hits.map((h) => h.code)));
  assert.equal(w10.index, 'external-cause');
  assert.equal(w10.indexPath?.[0], 'Fall, falling');
  assert.ok(
    w10.indexPath?.some((p) => /stairs/.test(p)),
    JSON.stringify(w10.indexPath),
  );
});

test('a dog bite is W54.0 (bitten by dog), first', () => {
  const hits = top('bitten by dog');
  assert.equal(
    hits[0].code.replace(/X*[ADS]?$/, ''),
    'W54.0',
    JSON.stringify(hits.map((h) => [h.code, h.indexPath])),
  );
  assert.equal(hits[0].index, 'external-cause');
  // "Dog bite - see Bite" of the Alphabetic Index leads to the injury, not across to the External Cause Index
  const both = top('dog bite external cause', 10);
  assert.ok(
    both.every((h) => !(h.indexPath?.includes('see Bite') && h.indexPath.includes('External cause status'))),
  );
  assert.ok(
    both.some((h) => h.code === 'W54.0' && h.index === 'external-cause'),
    JSON.stringify(both),
  );
});

test('other external causes: struck by a baseball bat, car passenger in a collision, drowning in a swimming pool', () => {
  assert.ok(top('struck by baseball bat').some((h) => h.code.startsWith('W21.11')));
  assert.ok(top('drowning swimming pool').some((h) => h.code.startsWith('W67')));
  assert.ok(
    t.search('accident transport car occupant', { limit: 10 }).hits.some((h) => h.code.startsWith('V4')),
  );
});

test('Alphabetic Index hits are not marked external-cause', () => {
  const hits = top('diabetes type 2 with neuropathy');
  assert.ok(hits.length > 0);
  assert.ok(hits.every((h) => h.index === undefined));
});
