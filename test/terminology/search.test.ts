// Encoder search as coders type: abbreviations, fragments, codes; the index path that led to the code; the two tables.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { defaultDataDir, loadTerminology, type Terminology } from '../../src/terminology/index.js';
import { type IndexEntry, loadIndexCsv } from '../../src/terminology/loaders/icd10cm-index-csv.js';

let t: Terminology;
let index: IndexEntry[];
before(async () => {
  t = await loadTerminology();
  index = await loadIndexCsv(join(defaultDataDir(), 'icd10cm/derived/2025/ICD10CM_2025_Index.csv.gz'));
});

const indexCode = (path: string[]): string | undefined =>
  index.find((e) => e.path.join('|') === path.join('|'))?.code;

test('"dm2 ckd" finds the code the Alphabetic Index gives for Diabetes, type 2, with chronic kidney disease, and shows the path', () => {
  const path = ['Diabetes, diabetic', 'type 2', 'with', 'chronic kidney disease'];
  const expected = indexCode(path);
  assert.ok(expected);
  const r = t.search('dm2 ckd');
  assert.equal(r.hits[0].code, expected);
  assert.deepEqual(r.hits[0].indexPath, path);
  assert.equal(r.hits[0].billable, true);
});

test('"copd exac" ranks the index code for COPD with exacerbation first', () => {
  const expected = indexCode([
    'Disease, diseased',
    'pulmonary',
    'chronic obstructive',
    'with',
    'exacerbation',
  ]);
  assert.ok(expected);
  assert.equal(t.search('copd exac').hits[0].code, expected);
});

test('"fx neck femur r": a billable fracture of the neck of the right femur, initial encounter first', () => {
  const top = t.search('fx neck femur r').hits[0];
  assert.equal(top.billable, true);
  assert.match(top.display, /neck of right femur/);
  assert.match(top.display, /initial encounter for closed fracture/);
  assert.ok(top.code.startsWith('S72.0'));
});

test('"chf acute on chronic" puts acute-on-chronic heart failure codes first', () => {
  const hits = t.search('chf acute on chronic', { limit: 3 }).hits;
  assert.equal(hits.length, 3);
  for (const h of hits) {
    assert.match(h.display, /Acute on chronic .*heart failure/);
    assert.ok(h.code.startsWith('I50.'));
  }
});

test('a single main term goes to the index default code (Pneumonia -> the code the index prints)', () => {
  assert.equal(t.search('pneumonia').hits[0].code, indexCode(['Pneumonia']));
  assert.equal(t.search('hypertension').hits[0].code, indexCode(['Hypertension, hypertensive']));
});

test('fragments as typed: "diab ketoac typ 1" reaches type 1 diabetes with ketoacidosis', () => {
  const top = t.search('diab ketoac typ 1').hits[0];
  assert.match(top.display, /Type 1 diabetes mellitus with ketoacidosis/);
});

test('search by code and by prefix, with or without the dot', () => {
  const r = t.search('E11.2');
  assert.equal(r.hits[0].code, 'E11.2');
  assert.equal(r.hits[0].matchedBy, 'code');
  assert.ok(r.hits.every((h) => h.code.startsWith('E11.2')));
  assert.equal(t.search('e1122').hits[0].code, 'E11.22');
  assert.equal(t.search('I10').hits[0].display, 'Essential (primary) hypertension');
});

test('billableOnly returns only billable codes; a code prefix narrows a word search', () => {
  assert.ok(t.search('diabetes', { billableOnly: true, limit: 50 }).hits.every((h) => h.billable));
  const r = t.search('O24 diabetes');
  assert.ok(r.hits.length > 0);
  assert.ok(r.hits.every((h) => h.code.startsWith('O24')));
});

test('ICD-10-PCS and HCPCS are searchable by their titles', () => {
  const pcs = t.search('resection appendix percutaneous endoscopic', { system: 'icd10pcs' });
  assert.equal(pcs.hits[0].code, '0DTJ4ZZ');
  const hcpcs = t.search('dexamethasone injection', {
    system: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  });
  assert.ok(hcpcs.hits.some((h) => h.code === 'J1100'));
});

test('neoplasm table: site x behavior', () => {
  const r = t.searchTable('neoplasm', 'breast', { column: 'secondary' });
  const top = r.hits[0];
  assert.deepEqual(top.path, ['Neoplasm, neoplastic', 'breast']);
  assert.equal(r.columns.length, 1);
  assert.equal(top.cells[0].column, 'Malignant Secondary');
  assert.match(top.cells[0].code, /^C79\.81/);
  const all = t.searchTable('neoplasm', 'breast');
  assert.equal(all.columns.length, 6);
  assert.ok(all.hits[0].cells.some((c) => c.column === 'Benign' && c.code.startsWith('D24')));
});

test('drug table: substance x intent', () => {
  const r = t.searchTable('drug', 'warfarin', { column: 'adverse' });
  assert.equal(r.hits[0].path[0].toLowerCase(), 'warfarin');
  assert.match(r.hits[0].cells[0].code, /^T45\.51/);
  const poisoning = t.searchTable('drug', 'warfarin', { column: 'self-harm' });
  assert.match(poisoning.hits[0].cells[0].code, /^T45\.512/);
});

test('expand: under a parent, with a text filter, paged', () => {
  const e = t.expand({ parent: 'E11.2' });
  assert.deepEqual(
    e.contains.map((c) => c.code),
    ['E11.2', 'E11.21', 'E11.22', 'E11.29'],
  );
  assert.equal(e.contains[0].system, 'http://hl7.org/fhir/sid/icd-10-cm');
  const paged = t.expand({ parent: 'E11', billableOnly: true, offset: 2, count: 3 });
  assert.equal(paged.contains.length, 3);
  assert.ok(paged.total > 40);
  const f = t.expand({ filter: 'dm2 ckd', count: 1 });
  assert.equal(f.contains[0].code, 'E11.22');
});

test('a billable code comes before the header the words match exactly; initial encounter before sequela with placeholders', () => {
  const gerd = t.search('gerd').hits;
  assert.equal(gerd[0].billable, true);
  assert.ok(gerd[0].code.startsWith('K21'));
  assert.ok(gerd.findIndex((h) => h.code === 'K21') > 0);
  const ladder = t.search('fall from ladder').hits[0];
  assert.equal(ladder.code.slice(-1), 'A');
  assert.match(ladder.display, /initial encounter/);
});

test('"hip fx l" follows the index cross-reference Fracture, traumatic, hip - see Fracture, femur, neck', () => {
  const r = t.search('hip fx l', { limit: 5 });
  const via = r.hits.find((h) => h.indexPath?.includes('see Fracture, femur, neck'));
  assert.ok(via, 'a hit reached through the see reference');
  assert.match(via.display, /neck of left femur/);
  assert.ok(r.crossReferences.some((c) => c.see === 'Fracture, femur, neck'));
});

test('a pasted paragraph or an empty query does not break the search', () => {
  const long =
    'patient presents with acute on chronic systolic congestive heart failure and type 2 diabetes '.repeat(
      40,
    );
  const r = t.search(long);
  assert.ok(r.hits.length > 0);
  assert.equal(t.search('').hits.length, 0);
  assert.equal(t.search('of the and').hits.length, 0);
});
