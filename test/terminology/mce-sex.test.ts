// The MCE sex edit by date: CMS applied it to discharges before 2024-10-01 and deactivated it from then on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mceFindings } from '../../src/terminology/edits/mce.js';
import { defaultDataDir } from '../../src/terminology/index.js';
import { loadMceCsv, loadMceJson } from '../../src/terminology/loaders/mce-lists.js';

test('a male patient with a female-only code: error on a 2024-06 inpatient discharge, warning from 2024-10-01', async () => {
  const dir = defaultDataDir();
  const current = await loadMceJson(join(dir, 'mce/2026/mce_edits.json.gz'), 'FY2026');
  const sex = await loadMceCsv(join(dir, 'mce/2024/MCE_v41_1_age_sex_manifestation.csv.gz'), 'v41.1');
  const female = [...(sex.lists.female ?? [])][0];
  const male = [...(sex.lists.male ?? [])][0];
  assert.ok(female && male);
  const run = (date: string, s: 'male' | 'female', code: string) =>
    mceFindings({ date, encounterType: 'inpatient', sex: s, ageYears: 40, diagnoses: [{ code }] }, [code], {
      current,
      sex,
    }).filter((f) => f.rule.startsWith('mce.sex'));
  assert.equal(run('2024-06-15', 'male', female)[0]?.severity, 'error');
  assert.equal(run('2024-10-01', 'male', female)[0]?.severity, 'warning');
  assert.equal(run('2024-06-15', 'female', male)[0]?.rule, 'mce.sex.male-only');
  assert.equal(run('2024-06-15', 'female', female).length, 0);
});
