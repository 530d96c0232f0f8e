// The loaders read the shipped official files as published: counts and records checked against the files themselves.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { defaultDataDir, loadTerminology, type Terminology } from '../../src/terminology/index.js';
import { loadCptFile, parseCptFile } from '../../src/terminology/loaders/cpt-ama.js';
import { loadAnweb } from '../../src/terminology/loaders/hcpcs-anweb.js';
import { loadOrderAddenda } from '../../src/terminology/loaders/icd10-addenda.js';
import { loadOrderFile, parseOrderFile } from '../../src/terminology/loaders/icd10-order-file.js';
import { loadConversionTable } from '../../src/terminology/loaders/icd10cm-conversion-table.js';
import { loadIndexCsv } from '../../src/terminology/loaders/icd10cm-index-csv.js';
import { loadTabularXml } from '../../src/terminology/loaders/icd10cm-tabular-xml.js';

const dir = defaultDataDir();

// One loaded instance for the tests that add independent code sets (CPT, HCPCS, PTP, FY2024): each
// load costs seconds on two cores. Tests that replace notes or index paths load their own.
let sharedInstance: Promise<Terminology> | undefined;
const shared = (): Promise<Terminology> => {
  sharedInstance ??= loadTerminology();
  return sharedInstance;
};
const text = (rel: string): string => gunzipSync(readFileSync(join(dir, rel))).toString('latin1');

test('the FY2026 ICD-10-CM order file loads every record with its billable flag', async () => {
  const raw = text('icd10cm/2026/icd10cm_order_2026.txt.gz').split('\r\n').filter(Boolean);
  const v = await loadOrderFile(join(dir, 'icd10cm/2026/icd10cm_order_2026.txt.gz'), 'icd10cm', 2026, {
    publisher: 'CMS',
    official: true,
  });
  assert.equal(v.size, raw.length);
  assert.equal(v.entries.filter((e) => e.billable).length, raw.filter((l) => l[14] === '1').length);
  const e = v.get('E1122');
  assert.ok(e);
  assert.equal(e.code, 'E11.22');
  assert.equal(e.billable, true);
  assert.equal(e.display, 'Type 2 diabetes mellitus with diabetic chronic kidney disease');
  assert.equal(v.get('E11.2')?.billable, false, 'E11.2 is a header');
  assert.deepEqual(v.effective, { start: '2025-10-01', end: '2026-09-30' });
});

test('a malformed order record is rejected with its line number', () => {
  assert.throws(
    () => parseOrderFile(Buffer.from('00001 A00     0 Cholera\r\nnot an order record at all\r\n'), 'icd10cm'),
    /line 2/,
  );
});

test('ICD-10-PCS order file: 7-character codes, table headers are not valid codes', async () => {
  const v = await loadOrderFile(join(dir, 'icd10pcs/2026/icd10pcs_order_2026.txt.gz'), 'icd10pcs', 2026, {
    publisher: 'CMS',
    official: true,
  });
  const appendectomy = v.get('0DTJ4ZZ');
  assert.ok(appendectomy?.billable);
  assert.match(appendectomy.display, /Resection of Appendix, Percutaneous Endoscopic Approach/);
  assert.equal(v.get('001')?.billable, false);
});

test('order addenda list the FY2026 additions and deletions with their flags', async () => {
  const recs = await loadOrderAddenda(join(dir, 'icd10cm/2026/icd10cm_order_addenda_2026.txt.gz'), 'icd10cm');
  const raw = text('icd10cm/2026/icd10cm_order_addenda_2026.txt.gz').split('\r\n');
  assert.equal(recs.filter((r) => r.action === 'add').length, raw.filter((l) => l.startsWith('Add:')).length);
  assert.equal(
    recs.filter((r) => r.action === 'delete').length,
    raw.filter((l) => l.startsWith('Delete:')).length,
  );
  assert.equal(
    recs.filter((r) => r.action === 'revise-from').length,
    recs.filter((r) => r.action === 'revise-to').length,
  );
  assert.ok(recs.every((r) => /^[A-Z](?:\d[0-9A-Z]|[A-Z]\d)(\.[0-9A-Z]{1,4})?$/.test(r.code)));
});

test('tabular XML: E11 carries its Excludes1 list and S72 its 7th characters', async () => {
  const t = await loadTabularXml(join(dir, 'icd10cm/xml/2017/icd10cm_tabular_2017.xml.gz'));
  assert.equal(t.year, 2017);
  assert.equal(t.chapters.size, 21);
  const e11 = t.diags.get('E11');
  assert.ok(e11?.notes.some((n) => n.kind === 'excludes1' && n.text === 'type 1 diabetes mellitus (E10.-)'));
  const s72 = t.diags.get('S72');
  assert.equal(
    s72?.sevenChr?.find((c) => c.char === 'A')?.description,
    'initial encounter for closed fracture',
  );
  assert.equal(t.diags.get('E11.22')?.parent, 'E11.2');
});

test('alphabetic index CSV rebuilds term paths: Diabetes, type 2, with, chronic kidney disease -> E11.22', async () => {
  const idx = await loadIndexCsv(join(dir, 'icd10cm/derived/2025/ICD10CM_2025_Index.csv.gz'));
  const e = idx.find((x) => x.path.join('|') === 'Diabetes, diabetic|type 2|with|chronic kidney disease');
  assert.equal(e?.code, 'E11.22');
  assert.ok(
    idx.some((x) => x.code?.endsWith('-')),
    'incomplete index codes keep their dash',
  );
});

test('the conversion table (xlsx) is read with node zlib: new codes point at the codes they replaced', async () => {
  const rows = await loadConversionTable(join(dir, 'icd10cm/2026/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx.gz'));
  assert.ok(rows.length > 5000);
  const addenda = await loadOrderAddenda(
    join(dir, 'icd10cm/2026/icd10cm_order_addenda_2026.txt.gz'),
    'icd10cm',
  );
  const added = addenda.filter((r) => r.action === 'add' && r.billable).map((r) => r.code);
  const inTable = rows.filter((r) => r.effectiveDate === '2025-10-01').map((r) => r.current);
  // every FY2026 billable addition is in the FY2026 conversion table with an effective date of 2025-10-01
  const missing = added.filter((c) => !inTable.includes(c));
  assert.ok(missing.length < added.length * 0.05, `missing from table: ${missing.slice(0, 5).join(', ')}`);
});

test('HCPCS ANWEB 2020 (official, Windows-1252 fixed width): long descriptions joined across continuation records', async () => {
  const { version, modifiers } = await loadAnweb(
    join(dir, 'hcpcs/2020/HCPC2020_ANWEB_w_disclaimer.txt.gz'),
    '2020',
    { start: '2020-01-01', end: '2020-03-31' },
  );
  assert.equal(version.get('G0008')?.display, 'Administration of influenza virus vaccine');
  assert.equal(version.get('J1100')?.display, 'Injection, dexamethasone sodium phosphate, 1 mg');
  assert.ok(modifiers.length > 300);
  const long = version.entries.find((e) => e.display.length > 80);
  assert.ok(long, 'some description spans continuation records');
});

test('CPT loader reads a licensed AMA-style file (synthetic here: no CPT text is shipped)', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cpt-'));
  const file = join(tmp, 'LONGULT.txt');
  writeFileSync(
    file,
    'Synthetic CPT test file\r\n90001 Synthetic descriptor for a test service\r\n9000T\tSynthetic category III descriptor\r\n0001A Synthetic vaccine administration descriptor\r\n',
  );
  assert.equal(parseCptFile('no codes here').length, 0);
  const v = await loadCptFile(file, '2026', { start: '2026-01-01', end: '2026-12-31' });
  assert.equal(v.size, 3);
  assert.equal(v.get('9000T')?.display, 'Synthetic category III descriptor');
  const t = await shared();
  assert.throws(() => t.lookup({ system: 'http://www.ama-assn.org/go/cpt', code: '90001' }), /not loaded/);
  const info = await t.loadCpt(file, '2026', { start: '2026-01-01', end: '2026-12-31' });
  assert.equal(info.systemUri, 'http://www.ama-assn.org/go/cpt');
  assert.equal(t.validateCode({ system: 'cpt', code: '90001' }).valid, true);
});

test('loadTerminology reports progress and loads every code set', async () => {
  const seen: string[] = [];
  const t = await loadTerminology({ onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.step}`) });
  assert.ok(seen.length > 5);
  assert.match(seen[seen.length - 1], /^(\d+)\/\1 done$/);
  const versions = t.versions().map((v) => `${v.system} ${v.version}`);
  for (const v of [
    'icd10cm 2026',
    'icd10cm 2025',
    'icd10pcs 2026',
    'icd10pcs 2025',
    'hcpcs 2024-07',
    'hcpcs 2020',
  ])
    assert.ok(versions.includes(v), v);
});

const official = '/work/shared/data/icd10cm/2025/icd10cm_order_2025.txt.gz';
test('installing an official release file beside the shipped years (the yearly-update path)', {
  skip: !existsSync(official),
}, async () => {
  const t = await shared();
  const info = await t.installOrderFile(official, 'icd10cm', 2024);
  assert.equal(info.version, '2024');
  assert.deepEqual(info.effective, { start: '2023-10-01', end: '2024-09-30' });
  assert.equal(t.validateCode({ code: 'E11.22', date: '2024-05-01' }).valid, true);
});

test('installing a newer Tabular List XML: its chapters replace the older notes and say their year', async () => {
  const t = await loadTerminology();
  const tmp = mkdtempSync(join(tmpdir(), 'tab-'));
  const file = join(tmp, 'icd10cm_tabular_2027.xml');
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="utf-8"?><ICD10CM.tabular><version>2027</version>
<chapter><name>4</name><desc>Endocrine, nutritional and metabolic diseases (E00-E89)</desc>
<section id="E08-E13"><desc>Diabetes mellitus (E08-E13)</desc>
<diag><name>E11</name><desc>Type 2 diabetes mellitus</desc><excludes1><note>synthetic exclusion (E10.-)</note></excludes1>
<diag><name>E11.2</name><desc>Type 2 diabetes mellitus with kidney complications</desc>
<diag><name>E11.22</name><desc>Type 2 diabetes mellitus with diabetic chronic kidney disease</desc></diag></diag></diag>
</section></chapter></ICD10CM.tabular>`,
  );
  const res = await t.installTabularXml(file);
  assert.deepEqual(res, { year: 2027, chapters: 1, codes: 3 });
  const d = t.lookup({ code: 'E11.22' });
  assert.ok(d.notes.every((n) => n.tabularYear === 2027));
  assert.ok(d.notes.some((n) => n.text === 'synthetic exclusion (E10.-)'));
  assert.ok(
    t.lookup({ code: 'I10' }).notes.every((n) => n.tabularYear === 2017),
    'other chapters keep their notes',
  );
});

const anweb = '/work/shared/data/hcpcs/2020/HCPC2020_ANWEB_w_disclaimer.txt.gz';
test('installing an official HCPCS ANWEB release as a new quarter', {
  skip: !existsSync(anweb),
}, async () => {
  const t = await shared();
  const info = await t.installHcpcsAnweb(anweb, '2020-reinstalled', {
    start: '2020-01-01',
    end: '2020-03-31',
  });
  assert.equal(info.official, true);
  assert.ok(info.codes > 6000);
  assert.equal(t.validateCode({ system: 'hcpcs', code: 'G0008', version: '2020-reinstalled' }).valid, true);
});

const indexXml = '/work/shared/data/icd10cm/xml/2017/icd10cm_index_2017.xml.gz';
test('installing an official Alphabetic Index XML release: titles keep their NEC, the search walks the new paths', {
  skip: !existsSync(indexXml),
}, async () => {
  const t = await loadTerminology();
  const res = await t.installIndexXml(indexXml);
  assert.equal(res.year, 2017);
  assert.ok(res.entries > 70_000);
  const top = t.search('dm2 ckd').hits[0];
  assert.equal(top.code, 'E11.22');
  assert.deepEqual(top.indexPath, ['Diabetes, diabetic', 'type 2', 'with', 'chronic kidney disease']);
});

test('installing an official NCCI PTP file (CMS tab-separated layout) replaces the shipped sample', async () => {
  const t = await shared();
  const tmp = mkdtempSync(join(tmpdir(), 'ptp-'));
  const file = join(tmp, 'ccipra-v321r0-f1.txt');
  writeFileSync(
    file,
    'Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\r\n' +
      'J1100\tJ1200\t\t20240101\t*\t0\tSynthetic rationale\r\n' +
      'J1100\tJ1644\t\t20200101\t20201231\t1\tSynthetic deleted pair\r\n',
  );
  assert.deepEqual(await t.installNcciPtp(file), { pairs: 2 });
  const r = t.edits({
    date: '2025-11-03',
    encounterType: 'professional',
    diagnoses: [],
    procedures: [{ code: 'J1100' }, { code: 'J1200', modifiers: ['59'] }],
  });
  const f = r.findings.find((x) => x.rule === 'ncci.ptp');
  assert.equal(f?.severity, 'error');
  assert.match(f?.ruleSource ?? '', /ccipra-v321r0-f1\.txt\); modifier indicator 0/);
  const deleted = t.edits({
    date: '2025-11-03',
    encounterType: 'professional',
    diagnoses: [],
    procedures: [{ code: 'J1100' }, { code: 'J1644' }],
  });
  assert.ok(!deleted.findings.some((x) => x.rule === 'ncci.ptp'));
});
