// The shape of one edit finding: what is wrong, how bad, in plain words, and which published rule says so.
export type FindingSeverity = 'error' | 'warning' | 'information';

export interface EditFinding {
  severity: FindingSeverity;
  /** Stable rule id, e.g. "icd10cm.excludes1", "mce.age.newborn", "ncci.ptp". */
  rule: string;
  /** The publication the rule comes from, with its version. */
  ruleSource: string;
  message: string;
  /** Codes involved, in the order they appear on the encounter. */
  codes: string[];
  /** Codes that would fix the finding, when the rule names them. */
  suggestions?: string[];
}
