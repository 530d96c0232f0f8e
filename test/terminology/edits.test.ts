// Coding edits for one encounter: code validity, Excludes1, sequencing, MCE age/sex/manifestation, POA, NCCI.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  defaultDataDir,
  type EditFinding,
  type EncounterCodes,
  loadTerminology,
  type Terminology,
} from '../../src/terminology/index.js';
import { parseCsvRecords } from '../../src/terminology/loaders/csv.js';

let t: Terminology;
before(async () => {
  t = await loadTerminology();
});

const data = (rel: string): string => gunzipSync(readFileSync(join(defaultDataDir(), rel))).toString('utf8');
const enc = (over: Partial<EncounterCodes>): EncounterCodes => ({
  date: '2025-11-03',
  encounterType: 'outpatient',
  diagnoses: [],
  ...over,
});
const rules = (fs: EditFinding[]): string[] => fs.map((f) => f.rule);

test('a clean encounter has no errors', () => {
  const r = t.edits(
    enc({ ageYears: 60, sex: 'female', diagnoses: [{ code: 'E11.22' }, { code: 'N18.30' }] }),
  );
  assert.equal(r.counts.error, 0);
  assert.equal(r.fiscalYear, 2026);
  // E11.22's own note (CKD stage, N18.1-N18.6) is satisfied by N18.30; E11's insulin/oral drug note is still a reminder
  const reminders = r.findings.filter((f) => f.rule === 'icd10cm.use-additional-code');
  assert.ok(reminders.every((f) => !/chronic kidney disease/.test(f.message)));
  assert.ok(reminders.some((f) => /Z79\.4/.test(f.message)));
});

test('Excludes1: type 2 and type 1 diabetes together, with the note that forbids it', () => {
  const r = t.edits(enc({ diagnoses: [{ code: 'E11.9' }, { code: 'E10.9' }] }));
  const f = r.findings.find((x) => x.rule === 'icd10cm.excludes1');
  assert.ok(f);
  assert.equal(f.severity, 'error');
  assert.deepEqual([...f.codes].sort(), ['E10.9', 'E11.9']);
  assert.match(f.ruleSource, /Tabular List FY2017: Excludes1 note at E1[01]/);
  assert.equal(
    t
      .edits(enc({ diagnoses: [{ code: 'E11.9' }, { code: 'I10' }] }))
      .findings.filter((x) => x.rule === 'icd10cm.excludes1').length,
    0,
  );
});

test('invalid, header and 7th-character problems are errors with suggestions', () => {
  const r = t.edits(
    enc({ diagnoses: [{ code: 'S72.001' }, { code: 'E11.2' }, { code: 'T07A' }, { code: 'ZZZ.9' }] }),
  );
  assert.deepEqual(rules(r.findings.filter((f) => f.severity === 'error')).sort(), [
    'icd10cm.header-not-billable',
    'icd10cm.placeholder-missing',
    'icd10cm.seventh-character-missing',
    'icd10cm.unknown-code',
  ]);
  assert.ok(
    r.findings.find((f) => f.rule === 'icd10cm.seventh-character-missing')?.suggestions?.includes('S72.001A'),
  );
});

test('MCE age: a newborn code on a 40-year-old, a maternity code on a 70-year-old', () => {
  const mce = JSON.parse(data('mce/2026/mce_edits.json.gz')) as { codes: Record<string, { code: string }[]> };
  assert.ok(mce.codes.age_newborn.some((c) => c.code === 'Z3800'));
  assert.ok(mce.codes.age_maternity.some((c) => c.code === 'O09511'));
  const r = t.edits(
    enc({
      encounterType: 'inpatient',
      ageYears: 40,
      diagnoses: [{ code: 'J18.9', poa: 'Y' }, { code: 'Z38.00' }],
    }),
  );
  const age = r.findings.find((f) => f.rule === 'mce.age.newborn');
  assert.equal(age?.severity, 'error');
  assert.deepEqual(age?.codes, ['Z38.00']);
  const old = t.edits(enc({ ageYears: 70, sex: 'female', diagnoses: [{ code: 'O09.511' }] }));
  assert.equal(
    old.findings.find((f) => f.rule === 'mce.age.maternity')?.severity,
    'warning',
    'outpatient: advice, not a claim error',
  );
  assert.equal(
    t
      .edits(enc({ ageYears: 30, sex: 'female', diagnoses: [{ code: 'O09.511' }] }))
      .findings.filter((f) => f.rule.startsWith('mce.age')).length,
    0,
  );
});

test('MCE sex: an error before CMS deactivated the edit (2024-10-01), a plausibility warning after', () => {
  const csv = parseCsvRecords(data('mce/2024/MCE_v41_1_age_sex_manifestation.csv.gz'));
  assert.ok(csv.some((r) => r.icd_code === 'O09.511' && r.icd_conflict_rule === 'Female Only'));
  const installed = t.versions().some((v) => v.system === 'icd10cm' && v.version === '2024');
  const after = t.edits(
    enc({ encounterType: 'inpatient', ageYears: 30, sex: 'male', diagnoses: [{ code: 'O09.511' }] }),
  );
  const f = after.findings.find((x) => x.rule === 'mce.sex.female-only');
  assert.equal(f?.severity, 'warning');
  assert.match(f?.ruleSource ?? '', /deactivated/);
  assert.equal(
    installed,
    false,
    'FY2024 is not shipped, so the pre-2024-10-01 case is covered by the sex-edit unit below',
  );
});

test('manifestation as principal and code-first sequencing (dementia in other diseases, Alzheimer disease)', () => {
  const r = t.edits(
    enc({
      encounterType: 'inpatient',
      ageYears: 80,
      diagnoses: [
        { code: 'F02.80', poa: 'Y' },
        { code: 'G30.9', poa: 'Y' },
      ],
    }),
  );
  const pdx = r.findings.find((f) => f.rule === 'mce.manifestation-as-principal');
  assert.equal(pdx?.severity, 'error');
  assert.deepEqual(pdx?.codes, ['F02.80']);
  const seq = r.findings.find((f) => f.rule === 'icd10cm.code-first');
  assert.deepEqual(seq?.codes, ['F02.80', 'G30.9']);
  const fixed = t.edits(
    enc({
      encounterType: 'inpatient',
      ageYears: 80,
      diagnoses: [
        { code: 'G30.9', poa: 'Y' },
        { code: 'F02.80', poa: 'Y' },
      ],
    }),
  );
  assert.equal(fixed.counts.error, 0);
  assert.equal(fixed.findings.filter((f) => f.rule === 'icd10cm.code-first').length, 0);
});

test('unacceptable principal diagnosis from the MCE list', () => {
  const mce = JSON.parse(data('mce/2026/mce_edits.json.gz')) as { codes: Record<string, { code: string }[]> };
  const raw = mce.codes.unacceptable_pdx.map((c) => c.code).find((c) => t.validateCode({ code: c }).valid);
  assert.ok(raw);
  const code = t.validateCode({ code: raw }).code;
  const r = t.edits(
    enc({
      encounterType: 'inpatient',
      ageYears: 50,
      diagnoses: [
        { code, poa: 'Y' },
        { code: 'I10', poa: 'Y' },
      ],
    }),
  );
  assert.ok(r.findings.some((f) => f.rule === 'mce.unacceptable-principal' && f.codes[0] === code));
  const second = t.edits(
    enc({
      encounterType: 'inpatient',
      ageYears: 50,
      diagnoses: [
        { code: 'I10', poa: 'Y' },
        { code, poa: 'Y' },
      ],
    }),
  );
  assert.ok(!second.findings.some((f) => f.rule === 'mce.unacceptable-principal'));
});

test('POA: required on inpatient claims unless the code is exempt', () => {
  const r = t.edits(
    enc({
      encounterType: 'inpatient',
      ageYears: 0,
      diagnoses: [{ code: 'Z38.00', poa: 'Y' }, { code: 'P59.9' }],
    }),
  );
  assert.ok(r.findings.some((f) => f.rule === 'poa.exempt' && f.codes[0] === 'Z38.00'));
  assert.ok(r.findings.some((f) => f.rule === 'poa.required' && f.codes[0] === 'P59.9'));
  const out = t.edits(
    enc({ encounterType: 'outpatient', ageYears: 0, diagnoses: [{ code: 'Z38.00' }, { code: 'P59.9' }] }),
  );
  assert.ok(!out.findings.some((f) => f.rule.startsWith('poa.')));
});

test('NCCI PTP: modifier indicator 0 cannot be bypassed; indicator 1 needs an NCCI modifier', () => {
  const ptp = parseCsvRecords(data('ncci/2024/PTP_practitioner_2024-07-01_first5000.csv.gz'));
  const active = ptp.filter((r) => r.deletion_date === '9999-12-31');
  const zero = active.find((r) => r.modifier_indicator === '0');
  const one = active.find((r) => r.modifier_indicator === '1');
  assert.ok(zero && one);
  const r0 = t.edits(
    enc({ procedures: [{ code: zero.column1 }, { code: zero.column2, modifiers: ['59'] }] }),
  );
  const f0 = r0.findings.find((f) => f.rule === 'ncci.ptp');
  assert.equal(f0?.severity, 'error');
  assert.match(f0?.ruleSource ?? '', /modifier indicator 0/);
  const r1 = t.edits(enc({ procedures: [{ code: one.column1 }, { code: one.column2 }] }));
  assert.equal(r1.findings.find((f) => f.rule === 'ncci.ptp')?.severity, 'error');
  const r1m = t.edits(enc({ procedures: [{ code: one.column1 }, { code: one.column2, modifiers: ['XU'] }] }));
  assert.equal(r1m.findings.find((f) => f.rule === 'ncci.ptp')?.severity, 'information');
  const deleted = ptp.find(
    (r) =>
      r.deletion_date < '2025-01-01' &&
      !active.some((a) => a.column1 === r.column1 && a.column2 === r.column2),
  );
  assert.ok(deleted);
  assert.ok(
    !t
      .edits(enc({ procedures: [{ code: deleted.column1 }, { code: deleted.column2 }] }))
      .findings.some((f) => f.rule === 'ncci.ptp'),
  );
});

test('NCCI MUE: units above the practitioner limit', () => {
  const mue = JSON.parse(data('ncci/2026/mue_practitioner.json.gz')) as {
    code: string;
    mue_value: number;
    description: string;
  }[];
  const e = mue.find((m) => /^[A-V]\d{4}$/.test(m.code) && m.mue_value >= 1 && m.description.startsWith('1'));
  assert.ok(e);
  const ok = t.edits(
    enc({ encounterType: 'professional', procedures: [{ code: e.code, units: e.mue_value }] }),
  );
  assert.ok(!ok.findings.some((f) => f.rule === 'ncci.mue'));
  const over = t.edits(
    enc({ encounterType: 'professional', procedures: [{ code: e.code, units: e.mue_value + 1 }] }),
  );
  assert.ok(over.findings.some((f) => f.rule === 'ncci.mue' && f.codes[0] === e.code));
});

test('NCCI add-on code without any of its primary procedures', () => {
  const aoc = JSON.parse(data('ncci/2026/ncci_aoc_edits.json.gz')) as {
    code1: string;
    code2: string;
    modifier: string;
    end_date: string;
  }[];
  const e = aoc.find((a) => a.modifier === '1' && a.code2 !== 'CCCCC' && !a.end_date);
  assert.ok(e);
  const alone = t.edits(enc({ procedures: [{ code: e.code1, system: 'cpt' }] }));
  assert.ok(alone.findings.some((f) => f.rule === 'ncci.add-on-code' && f.suggestions?.includes(e.code2)));
  const withPrimary = t.edits(
    enc({
      procedures: [
        { code: e.code2, system: 'cpt' },
        { code: e.code1, system: 'cpt' },
      ],
    }),
  );
  assert.ok(!withPrimary.findings.some((f) => f.rule === 'ncci.add-on-code'));
});

test('a bad request is a FHIR 400, not a crash', () => {
  assert.throws(
    () => t.edits({ date: 'yesterday', encounterType: 'outpatient', diagnoses: [] }),
    /date must be an ISO date/,
  );
});
