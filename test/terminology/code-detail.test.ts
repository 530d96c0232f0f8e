// Code detail: hierarchy, billable status, validity by date of service and every inherited instructional note.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FhirError } from '../../src/platform/errors.js';
import {
  type AppliedNote,
  defaultDataDir,
  loadTerminology,
  type Terminology,
} from '../../src/terminology/index.js';
import { loadOrderAddenda } from '../../src/terminology/loaders/icd10-addenda.js';

let t: Terminology;
before(async () => {
  t = await loadTerminology();
});

const has = (notes: AppliedNote[], kind: string, text: RegExp, level?: string): AppliedNote | undefined =>
  notes.find((n) => n.kind === kind && text.test(n.text) && (!level || n.level === level));

test('E11.22: billable, with chapter, block, category and subcategory', () => {
  const d = t.lookup({ code: 'E11.22' });
  assert.equal(d.billable, true);
  assert.equal(d.systemUri, 'http://hl7.org/fhir/sid/icd-10-cm');
  assert.equal(d.version, '2026');
  assert.deepEqual(
    d.hierarchy.map((h) => `${h.level}:${h.code}`),
    ['chapter:4', 'block:E08-E13', 'category:E11', 'subcategory:E11.2'],
  );
  assert.equal(d.hierarchy.find((h) => h.level === 'subcategory')?.billable, false);
});

test('E11.22 inherits Excludes1, includes and use-additional-code notes from E11, and has its own CKD-stage note', () => {
  const d = t.lookup({ code: 'e1122' });
  const ex1 = has(d.notes, 'excludes1', /type 1 diabetes mellitus \(E10\.-\)/, 'category');
  assert.ok(ex1, 'Excludes1 type 1 diabetes inherited from E11');
  assert.equal(ex1.inherited, true);
  assert.equal(ex1.source, 'E11');
  assert.equal(ex1.tabularYear, 2017);
  assert.ok(has(d.notes, 'includes', /diabetes NOS/, 'category'));
  assert.ok(has(d.notes, 'useAdditionalCode', /insulin \(Z79\.4\)/, 'category'));
  const own = has(d.notes, 'useAdditionalCode', /stage of chronic kidney disease \(N18\./, 'code');
  assert.ok(own, 'own note to code the CKD stage');
  assert.equal(own.inherited, false);
  assert.ok(
    d.notes.some((n) => n.level === 'chapter'),
    'chapter 4 notes apply too',
  );
  assert.match(d.notesSource ?? '', /FY2017/);
});

test('I10: its own inclusion notes and the block-level use-additional-code note for tobacco', () => {
  const d = t.lookup({ code: 'I10' });
  assert.equal(d.billable, true);
  assert.ok(has(d.notes, 'includes', /high blood pressure/, 'code'));
  assert.ok(has(d.notes, 'excludes1', /pregnancy/, 'code'));
  assert.ok(
    has(d.notes, 'useAdditionalCode', /tobacco/, 'block'),
    'block I10-I16 tells to code tobacco exposure',
  );
  assert.ok(has(d.notes, 'excludes2', /neoplasms \(C00-D49\)/, 'chapter'));
});

test('S72.001A: 7th character A from category S72, fracture notes inherited', () => {
  const d = t.lookup({ code: 'S72.001A' });
  assert.equal(d.billable, true);
  assert.equal(d.seventhCharacter?.source, 'S72');
  assert.equal(d.seventhCharacter?.basis, 'tabular');
  assert.deepEqual(d.seventhCharacter?.current, {
    char: 'A',
    description: 'initial encounter for closed fracture',
  });
  assert.ok(d.seventhCharacter?.definitions.some((c) => c.char === 'S'));
  assert.equal(d.seventhCharacter?.placeholder.usesPlaceholder, false);
  assert.ok(has(d.notes, 'excludes1', /traumatic amputation of hip and thigh \(S78\.-\)/, 'category'));
  assert.ok(has(d.notes, 'sevenChrNote', /7th character/));
  assert.deepEqual(d.hierarchy.map((h) => h.code).slice(2), ['S72', 'S72.0', 'S72.00', 'S72.001']);
});

test('O09.511: maternity chapter notes, MCE maternity list and POA exemption as in the official list', () => {
  const d = t.lookup({ code: 'O09.511' });
  assert.equal(d.display, 'Supervision of elderly primigravida, first trimester');
  assert.ok(has(d.notes, 'notes', /maternal records/i, 'chapter'));
  assert.ok(has(d.notes, 'notes', /trimester/i, 'chapter'));
  assert.ok(d.mceLists?.some((l) => l.startsWith('maternity')));
  const poa = gunzipSync(
    readFileSync(join(defaultDataDir(), 'icd10cm/2026/POAexemptCodesFY26.txt.gz')),
  ).toString('latin1');
  assert.equal(d.poaExempt, /\tO09\.511\t/.test(poa));
});

test('Z38.00: newborn code on the MCE newborn list and POA exempt', () => {
  const d = t.lookup({ code: 'Z38.00' });
  assert.equal(d.billable, true);
  assert.ok(d.mceLists?.some((l) => l.startsWith('newborn')));
  assert.equal(d.poaExempt, true);
  assert.deepEqual(
    d.hierarchy.map((h) => h.level),
    ['chapter', 'block', 'category', 'subcategory'],
  );
});

test('placeholder X: T07.XXXA uses placeholders; its 7th characters are read from the order file when the FY2017 XML predates them', () => {
  const d = t.lookup({ code: 'T07.XXXA' });
  assert.equal(d.seventhCharacter?.placeholder.usesPlaceholder, true);
  assert.equal(d.seventhCharacter?.basis, 'order-file');
  assert.equal(d.seventhCharacter?.current?.char, 'A');
  assert.match(d.seventhCharacter?.placeholder.rule ?? '', /placeholder X/);
});

test('validate: missing 7th character, missing placeholder, invalid 7th character, header, unknown', () => {
  const missing = t.validateCode({ code: 'S72.001' });
  assert.equal(missing.valid, false);
  assert.equal(missing.problem, 'seventh-character-missing');
  assert.ok(missing.suggestions.includes('S72.001A'));
  const ph = t.validateCode({ code: 'T07A' });
  assert.equal(ph.problem, 'placeholder-missing');
  assert.deepEqual(ph.suggestions, ['T07.XXXA']);
  const ph2 = t.validateCode({ code: 'T36.01A' });
  assert.equal(ph2.problem, 'placeholder-missing');
  assert.deepEqual(ph2.suggestions, ['T36.0X1A']);
  assert.equal(t.validateCode({ code: 'S72.001Z' }).problem, 'seventh-character-invalid');
  const header = t.validateCode({ code: 'E11.2' });
  assert.equal(header.problem, 'header-not-billable');
  assert.deepEqual(header.suggestions, ['E11.21', 'E11.22', 'E11.29']);
  assert.equal(t.validateCode({ code: 'E11.99' }).problem, 'unknown-code');
  assert.equal(t.validateCode({ code: 'E11.22' }).valid, true);
});

test('validity follows the fiscal year of the date of service (Oct 1 - Sep 30)', async () => {
  const addenda = await loadOrderAddenda(
    join(defaultDataDir(), 'icd10cm/2026/icd10cm_order_addenda_2026.txt.gz'),
    'icd10cm',
  );
  const added = addenda.find((r) => r.action === 'add' && r.billable);
  assert.ok(added);
  assert.equal(
    t.validateCode({ code: added.code, date: '2025-09-30' }).valid,
    false,
    'not yet valid in FY2025',
  );
  assert.equal(t.validateCode({ code: added.code, date: '2025-10-01' }).valid, true, 'valid from FY2026');
  assert.equal(t.validateCode({ code: 'E11.22', date: '2025-03-01' }).version, '2025');
  assert.throws(
    () => t.validateCode({ code: 'E11.22', date: '2024-09-30' }),
    (e: unknown) => e instanceof FhirError && e.status === 404 && /FY2024|2024-09-30/.test(e.message),
  );
});

test('chapter 2 notes come from the FY2025 tabular, other chapters from FY2017', () => {
  const d = t.lookup({ code: 'C50.911' });
  assert.ok(d.notes.length > 0);
  assert.ok(d.notes.every((n) => n.tabularYear === 2025));
  assert.ok(t.lookup({ code: 'J44.1' }).notes.every((n) => n.tabularYear === 2017));
});

test('lookup of an unknown code or system is a FHIR error, not a crash', () => {
  assert.throws(
    () => t.lookup({ code: 'E11.99' }),
    (e: unknown) => e instanceof FhirError && e.status === 404,
  );
  assert.throws(
    () => t.lookup({ system: 'http://example.org/nope', code: 'X' }),
    (e: unknown) => e instanceof FhirError && e.status === 400,
  );
  const pcs = t.lookup({ system: 'http://www.cms.gov/Medicare/Coding/ICD10', code: '0DTJ4ZZ' });
  assert.equal(pcs.billable, true);
  const hcpcs = t.lookup({
    system: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
    code: 'J1100',
  });
  assert.equal(hcpcs.display, 'Injection, dexamethasone sodium phosphate, 1 mg');
});
