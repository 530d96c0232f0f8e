// The code-set cache: written on the first load, read on the next, giving the same answers as the source files;
// a damaged file is rebuilt, and a changed source file gives another key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  cacheKey,
  defaultDataDir,
  loadTerminologyCached,
  type Terminology,
} from '../../src/terminology/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartroom-codeset-cache-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a coder sees from every part the cache holds. */
function answers(t: Terminology): unknown {
  const search = (q: string, system?: string) =>
    t
      .search(q, { system, limit: 10 })
      .hits.map((h) => [h.code, h.display, h.billable, h.indexPath, h.matchedBy]);
  return {
    versions: t.versions(),
    cm: ['dm2 w neuropathy', 'hip fx l', 'liver secondary', 'fracture traumatic hip', 'E11.2', 'htn ckd'].map(
      (q) => search(q),
    ),
    pcs: search('appendectomy laparoscopic', 'icd10pcs'),
    hcpcs: search('wheelchair', 'hcpcs'),
    older: t.search('covid', { version: '2025', limit: 5 }).hits.map((h) => h.code),
    lookup: t.lookup({ code: 'S72.001A' }),
    hcpcsLookup: t.lookup({ system: 'hcpcs', code: 'J1100' }),
    validate: t.validateCode({ code: 'T07A' }),
    expand: t.expand({ parent: 'E11.2', count: 20 }),
    neoplasm: t.searchTable('neoplasm', 'liver'),
    drug: t.searchTable('drug', 'warfarin'),
    edits: t.edits({
      date: '2025-11-03',
      encounterType: 'inpatient',
      ageYears: 70,
      sex: 'male',
      diagnoses: [{ code: 'F02.80' }, { code: 'O09.511' }, { code: 'E11.22' }],
      procedures: [{ code: '0DTJ4ZZ', system: 'icd10pcs' }],
    }),
    diff: t.diff('icd10cm', '2025', '2026').added.length,
    addenda: t.addenda('icd10cm', '2026').length,
    impact: t.impact([{ system: 'icd10cm', code: 'U07.0' }]),
  };
}

let first: { terminology: Terminology; outcome: { cache: string; file?: string } };
before(async () => {
  first = await loadTerminologyCached({ cacheDir: dir });
});

test('the first load reads the source files and writes the cache; the next one reads the cache with the same answers', async () => {
  assert.equal(first.outcome.cache, 'written');
  assert.ok(first.outcome.file && fs.existsSync(first.outcome.file));
  const second = await loadTerminologyCached({ cacheDir: dir });
  assert.equal(second.outcome.cache, 'hit');
  assert.deepEqual(answers(second.terminology), answers(first.terminology));
});

test('a damaged cache file is not an error: the code sets load from the source files and the cache is rewritten', async () => {
  const file = first.outcome.file as string;
  const size = fs.statSync(file).size;
  fs.truncateSync(file, Math.floor(size / 2));
  const again = await loadTerminologyCached({ cacheDir: dir });
  assert.equal(again.outcome.cache, 'written');
  assert.ok(fs.statSync(file).size > size / 2, 'rewritten whole');
  assert.equal((await loadTerminologyCached({ cacheDir: dir })).outcome.cache, 'hit');
  fs.writeFileSync(file, 'not a cache');
  const garbage = await loadTerminologyCached({ cacheDir: dir });
  assert.equal(garbage.outcome.cache, 'written');
  assert.deepEqual(answers(garbage.terminology), answers(first.terminology));
});

test('the key changes when a source file changes (the next start rebuilds the cache)', () => {
  const copy = path.join(dir, 'data');
  fs.cpSync(defaultDataDir(), copy, { recursive: true });
  const before = cacheKey(copy);
  assert.equal(before, cacheKey(defaultDataDir()), 'same bytes, same key');
  const f = path.join(copy, 'icd10cm/2026/POAexemptCodesFY26.txt.gz');
  fs.appendFileSync(f, Buffer.from([0]));
  assert.notEqual(cacheKey(copy), before);
});
