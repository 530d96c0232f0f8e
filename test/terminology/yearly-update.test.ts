// Yearly update: the FY2025 -> FY2026 diff agrees with the official addenda; deleted codes show up in the impact report.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { defaultDataDir, loadTerminology, type Terminology } from '../../src/terminology/index.js';
import { type AddendaRecord, loadOrderAddenda } from '../../src/terminology/loaders/icd10-addenda.js';
import { loadConversionTable } from '../../src/terminology/loaders/icd10cm-conversion-table.js';

let t: Terminology;
let addenda: AddendaRecord[];
before(async () => {
  t = await loadTerminology();
  addenda = await loadOrderAddenda(
    join(defaultDataDir(), 'icd10cm/2026/icd10cm_order_addenda_2026.txt.gz'),
    'icd10cm',
  );
});

test('diff FY2025 -> FY2026 matches the CMS order addenda (adds, deletes, retitles)', () => {
  const d = t.diff('http://hl7.org/fhir/sid/icd-10-cm', '2025', 'FY2026');
  const adds = new Set(addenda.filter((r) => r.action === 'add').map((r) => r.code));
  const dels = new Set(addenda.filter((r) => r.action === 'delete').map((r) => r.code));
  // a code deleted and added back in the same year (billable -> header) is a revision of its flag, not a deletion
  const trulyDeleted = [...dels].filter((c) => !adds.has(c)).sort();
  const trulyAdded = [...adds].filter((c) => !dels.has(c)).sort();
  assert.deepEqual(d.deleted.map((x) => x.code).sort(), trulyDeleted);
  assert.deepEqual(d.added.map((x) => x.code).sort(), trulyAdded);
  const retitled = new Set(addenda.filter((r) => r.action === 'revise-to').map((r) => r.code));
  for (const c of retitled)
    assert.ok(
      d.revised.some((r) => r.code === c),
      `revised ${c}`,
    );
  const flagChanged = [...dels].filter((c) => adds.has(c));
  for (const c of flagChanged)
    assert.ok(
      d.revised.some((r) => r.code === c && r.billableFrom !== r.billableTo),
      `flag change ${c}`,
    );
});

test('impact report: stored codes deleted in FY2026 are listed with the conversion-table replacements', async () => {
  const d = t.diff('icd10cm', '2025', '2026');
  const deletedBillable = d.revised.find((r) => r.billableFrom && !r.billableTo);
  assert.ok(deletedBillable, 'some FY2025 billable code became a header in FY2026');
  const gone = d.deleted[0];
  const stored = [
    { system: 'icd10cm' as const, code: 'E11.22', ref: 'Condition/ok' },
    { system: 'icd10cm' as const, code: deletedBillable.code, ref: 'Condition/expanded' },
    ...(gone ? [{ system: 'icd10cm' as const, code: gone.code, ref: 'Claim/deleted' }] : []),
  ];
  const report = t.impact(stored);
  assert.equal(report.checked, stored.length);
  assert.ok(!report.affected.some((a) => a.ref === 'Condition/ok'));
  const expanded = report.affected.find((a) => a.ref === 'Condition/expanded');
  assert.equal(expanded?.status, 'header-not-billable');
  const table = await loadConversionTable(
    join(defaultDataDir(), 'icd10cm/2026/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx.gz'),
  );
  const fromTable = table
    .filter((r) => r.previous.includes(deletedBillable.code))
    .map((r) => r.current)
    .sort();
  assert.ok(fromTable.length > 0);
  assert.deepEqual(expanded?.replacements.map((r) => r.code).sort(), fromTable);
  assert.ok(expanded?.replacements.every((r) => r.billable));
  if (gone) {
    const g = report.affected.find((a) => a.ref === 'Claim/deleted');
    assert.equal(g?.status, 'deleted');
    assert.equal(g?.previousVersion, '2025');
    assert.match(g?.message ?? '', /is not in 2026/);
  }
});

test('impact against FY2025 flags a code added only in FY2026', () => {
  const added = addenda.find(
    (r) =>
      r.action === 'add' && r.billable && !addenda.some((x) => x.action === 'delete' && x.code === r.code),
  );
  assert.ok(added);
  const r = t.impact([{ system: 'icd10cm', code: added.code }], { icd10cmVersion: '2025' });
  assert.equal(r.affected[0]?.status, 'unknown');
  assert.equal(t.impact([{ system: 'icd10cm', code: added.code }]).affected.length, 0);
});

test('PCS diff covers every addition the CMS PCS addenda list (the order-file diff finds more than the addenda print)', () => {
  const d = t.diff('icd10pcs', '2025', '2026');
  const official = t.addenda('icd10pcs', '2026');
  const added = new Set(d.added.map((x) => x.code));
  const listed = official.filter((r) => r.action === 'add').map((r) => r.code);
  assert.ok(listed.length > 0);
  for (const c of listed) assert.ok(added.has(c), c);
  const deleted = new Set(d.deleted.map((x) => x.code));
  for (const r of official.filter((x) => x.action === 'delete')) assert.ok(deleted.has(r.code), r.code);
});
