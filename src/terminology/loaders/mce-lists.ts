// Loaders for the Medicare Code Editor diagnosis lists: the FY2026 JSON (age, manifestation, unacceptable PDX) and the v41.1 CSV (adds sex).
import { canonicalCode } from '../systems.js';
import { parseCsvRecords } from './csv.js';
import { readDataText } from './read-data-file.js';

export type MceAgeCategory = 'newborn' | 'pediatric' | 'maternity' | 'adult';
export type MceList =
  | MceAgeCategory
  | 'male'
  | 'female'
  | 'manifestation'
  | 'unacceptablePdx'
  | 'unacceptablePdxUnlessSecondary';

export interface MceTables {
  version: string;
  source: string;
  ageRanges: Partial<Record<MceAgeCategory, { min: number; max: number }>>;
  lists: Partial<Record<MceList, Set<string>>>;
}

const JSON_LISTS: Record<string, MceList> = {
  age_newborn: 'newborn',
  age_pediatric: 'pediatric',
  age_maternity: 'maternity',
  age_adult: 'adult',
  manifestation_not_pdx: 'manifestation',
  unacceptable_pdx: 'unacceptablePdx',
  unacceptable_pdx_unless_secondary: 'unacceptablePdxUnlessSecondary',
};

interface MceJson {
  age_categories?: Record<string, { min_age: number; max_age: number }>;
  codes?: Record<string, { code: string }[]>;
}

export async function loadMceJson(path: string, version: string): Promise<MceTables> {
  const data = JSON.parse(await readDataText(path)) as MceJson;
  const t: MceTables = { version, source: path.split('/').pop() ?? path, ageRanges: {}, lists: {} };
  for (const [k, v] of Object.entries(data.age_categories ?? {})) {
    t.ageRanges[k as MceAgeCategory] = { min: v.min_age, max: v.max_age };
  }
  for (const [k, list] of Object.entries(data.codes ?? {})) {
    const name = JSON_LISTS[k];
    if (name) t.lists[name] = new Set(list.map((c) => canonicalCode('icd10cm', c.code)));
  }
  return t;
}

const CSV_RULES: [RegExp, MceList][] = [
  [/Newborn/, 'newborn'],
  [/Pediatric/, 'pediatric'],
  [/Maternity/, 'maternity'],
  [/Adult/, 'adult'],
  [/Female Only/, 'female'],
  [/Male Only/, 'male'],
  [/Manifestation/, 'manifestation'],
];

export async function loadMceCsv(path: string, version: string): Promise<MceTables> {
  const recs = parseCsvRecords(await readDataText(path), ['icd_code', 'icd_conflict_rule']);
  const t: MceTables = { version, source: path.split('/').pop() ?? path, ageRanges: {}, lists: {} };
  for (const r of recs) {
    const rule = CSV_RULES.find(([re]) => re.test(r.icd_conflict_rule));
    if (!rule) continue;
    const set = t.lists[rule[1]] ?? new Set<string>();
    set.add(canonicalCode('icd10cm', r.icd_code));
    t.lists[rule[1]] = set;
    const ages = /Ages? (\d+)(?:-(\d+))?/.exec(r.icd_conflict_rule);
    if (ages && rule[1] !== 'male' && rule[1] !== 'female' && rule[1] !== 'manifestation') {
      t.ageRanges[rule[1] as MceAgeCategory] = { min: Number(ages[1]), max: Number(ages[2] ?? ages[1]) };
    }
  }
  return t;
}
