// What the edits look at: one encounter's patient facts and its coded diagnoses and procedures.
export type EncounterType = 'inpatient' | 'outpatient' | 'professional' | 'emergency';
export type PoaIndicator = 'Y' | 'N' | 'U' | 'W' | '1';

export interface EncounterDiagnosis {
  code: string;
  /** Present on admission indicator (inpatient claims); leave out when not reported. */
  poa?: PoaIndicator | string;
}

export interface EncounterProcedure {
  /** "icd10pcs", "hcpcs" or "cpt"; HCPCS/CPT are told apart from the code when left out. */
  system?: 'icd10pcs' | 'hcpcs' | 'cpt';
  code: string;
  modifiers?: string[];
  units?: number;
}

export interface EncounterCodes {
  /** Date of service (outpatient) or discharge date (inpatient), ISO yyyy-mm-dd: picks the fiscal year. */
  date: string;
  /** Age in completed years on the date of service (0 for a newborn). */
  ageYears?: number;
  sex?: 'male' | 'female' | 'other' | 'unknown';
  encounterType: EncounterType;
  /** Diagnoses in claim order: the first is the principal (first-listed) diagnosis. */
  diagnoses: EncounterDiagnosis[];
  procedures?: EncounterProcedure[];
}
