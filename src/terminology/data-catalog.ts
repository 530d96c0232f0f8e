// The shipped data set: which file holds which code-set version, relative to terminology-data/.
import type { EffectivePeriod } from './fiscal-year.js';
import { fiscalYearPeriod } from './fiscal-year.js';

export interface IcdYearFiles {
  fiscalYear: number;
  cmOrder: string;
  cmAddenda: string;
  poaExempt: string;
  pcsOrder: string;
  pcsAddenda: string;
}

export const ICD_YEARS: IcdYearFiles[] = [
  {
    fiscalYear: 2026,
    cmOrder: 'icd10cm/2026/icd10cm_order_2026.txt.gz',
    cmAddenda: 'icd10cm/2026/icd10cm_order_addenda_2026.txt.gz',
    poaExempt: 'icd10cm/2026/POAexemptCodesFY26.txt.gz',
    pcsOrder: 'icd10pcs/2026/icd10pcs_order_2026.txt.gz',
    pcsAddenda: 'icd10pcs/2026/order_addenda_2026.txt.gz',
  },
  {
    fiscalYear: 2025,
    cmOrder: 'icd10cm/2025/icd10cm_order_2025.txt.gz',
    cmAddenda: 'icd10cm/2025/icd10cm_order_addenda_2025.txt.gz',
    poaExempt: 'icd10cm/2025/POAexemptCodesFY25.txt.gz',
    pcsOrder: 'icd10pcs/2025/icd10pcs_order_2025.txt.gz',
    pcsAddenda: 'icd10pcs/2025/order_addenda_2025.txt.gz',
  },
];

export const CONVERSION_TABLE = {
  fiscalYear: 2026,
  file: 'icd10cm/2026/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx.gz',
};

/** Tabular List XML used for structure and notes. Later entries override earlier ones for the chapters they hold. */
export const TABULAR_FILES: { year: number; file: string; scope: string }[] = [
  { year: 2017, file: 'icd10cm/xml/2017/icd10cm_tabular_2017.xml.gz', scope: 'all chapters' },
  {
    year: 2025,
    file: 'icd10cm/xml/2025/icd-10-cm-tabular-2025_ch2.xml.gz',
    scope: 'chapter 2 (Neoplasms, C00-D49) only',
  },
];

export const INDEX_FILES = {
  year: 2025,
  alphabeticIndex: 'icd10cm/derived/2025/ICD10CM_2025_Index.csv.gz',
  sections: 'icd10cm/derived/2025/ICD10CM_2025_sections.csv.gz',
  chapters: 'icd10cm/derived/2025/ICD10CM_2025_chapters.csv.gz',
  neoplasm: 'icd10cm/xml/2025/icd-10-cm-neoplasm-2025.xml.gz',
  drug: 'icd10cm/xml/2025/icd-10-cm-drug-2025.xml.gz',
  externalCauseIndex: 'icd10cm/xml/2025/icd-10-cm-eindex-2025.xml.gz',
};

export interface HcpcsFiles {
  version: string;
  effective: EffectivePeriod;
  kind: 'derived-csv' | 'anweb';
  files: string[];
}

export const HCPCS_FILES: HcpcsFiles[] = [
  {
    version: '2024-07',
    effective: { start: '2024-07-01', end: '2024-09-30' },
    kind: 'derived-csv',
    files: [
      'hcpcs/2024/HCPCS_2024_JUL_level2_descriptions.csv.gz',
      'hcpcs/2024/HCPCS_2024_JUL_level2_attributes.csv.gz',
    ],
  },
  {
    version: '2020',
    effective: { start: '2020-01-01', end: '2020-03-31' },
    kind: 'anweb',
    files: ['hcpcs/2020/HCPC2020_ANWEB_w_disclaimer.txt.gz'],
  },
];

export const MCE_FILES = {
  current: { version: 'FY2026 (v43)', effective: fiscalYearPeriod(2026), file: 'mce/2026/mce_edits.json.gz' },
  withSex: {
    version: 'v41.1',
    effective: { start: '2024-04-01', end: '2024-09-30' },
    file: 'mce/2024/MCE_v41_1_age_sex_manifestation.csv.gz',
  },
};

export const NCCI_FILES = {
  muePractitioner: { effective: '2026-04-01', file: 'ncci/2026/mue_practitioner.json.gz' },
  mueOutpatient: { effective: '2024-07-01', file: 'ncci/2024/MUE_outpatient_hospital_2024-07-01.csv.gz' },
  aoc: { effective: '2026-07-01', file: 'ncci/2026/ncci_aoc_edits.json.gz' },
  ptpSample: { effective: '2024-07-01', file: 'ncci/2024/PTP_practitioner_2024-07-01_first5000.csv.gz' },
};
