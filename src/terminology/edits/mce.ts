// Medicare Code Editor diagnosis edits: age, sex, manifestation and unacceptable principal diagnosis, present on admission.
import type { MceAgeCategory, MceTables } from '../loaders/mce-lists.js';
import type { EncounterCodes } from './encounter.js';
import type { EditFinding, FindingSeverity } from './finding.js';

export interface MceData {
  current: MceTables; // FY2026 lists: age, manifestation, unacceptable principal diagnosis
  sex?: MceTables; // v41.1 lists: the last MCE with sex edits
  poaExempt?: Set<string>; // for the encounter's fiscal year
  poaYear?: number;
}

const AGE_LABEL: Record<MceAgeCategory, string> = {
  newborn: 'perinatal/newborn',
  pediatric: 'pediatric',
  maternity: 'maternity',
  adult: 'adult',
};

/** The date from which CMS deactivated the MCE sex-conflict edit for ICD-10 codes. */
export const SEX_EDIT_DEACTIVATED = '2024-10-01';

export function mceFindings(enc: EncounterCodes, codes: string[], mce: MceData): EditFinding[] {
  const out: EditFinding[] = [];
  const inpatient = enc.encounterType === 'inpatient';
  // The MCE screens inpatient claims; on other encounters its findings are advice, not claim errors.
  const sev: FindingSeverity = inpatient ? 'error' : 'warning';
  const src = `Medicare Code Editor ${mce.current.version} (${mce.current.source})`;
  if (enc.ageYears !== undefined) {
    for (const code of codes) {
      for (const cat of ['newborn', 'pediatric', 'maternity', 'adult'] as MceAgeCategory[]) {
        const range = mce.current.ageRanges[cat];
        if (!range || !mce.current.lists[cat]?.has(code)) continue;
        if (enc.ageYears < range.min || enc.ageYears > range.max) {
          out.push({
            severity: sev,
            rule: `mce.age.${cat}`,
            ruleSource: src,
            message: `${code} is a ${AGE_LABEL[cat]} diagnosis (ages ${range.min}-${range.max}); the patient is ${enc.ageYears}.`,
            codes: [code],
          });
        }
      }
    }
  }
  if (mce.sex && (enc.sex === 'male' || enc.sex === 'female')) {
    const other = enc.sex === 'male' ? 'female' : 'male';
    const active = enc.date < SEX_EDIT_DEACTIVATED;
    for (const code of codes) {
      if (!mce.sex.lists[other]?.has(code)) continue;
      out.push({
        severity: active ? sev : 'warning',
        rule: `mce.sex.${other}-only`,
        ruleSource: `Medicare Code Editor ${mce.sex.version} (${mce.sex.source})${active ? '' : `; CMS deactivated this edit from ${SEX_EDIT_DEACTIVATED}, shown as a plausibility warning`}`,
        message: `${code} is a ${other}-only diagnosis; the patient's sex is recorded as ${enc.sex}.`,
        codes: [code],
      });
    }
  }
  const principal = codes[0];
  if (principal) {
    if (mce.current.lists.manifestation?.has(principal)) {
      out.push({
        severity: sev,
        rule: 'mce.manifestation-as-principal',
        ruleSource: src,
        message: `${principal} describes a manifestation of an underlying disease and may not be the principal diagnosis; code the underlying condition first.`,
        codes: [principal],
      });
    }
    if (mce.current.lists.unacceptablePdx?.has(principal)) {
      out.push({
        severity: sev,
        rule: 'mce.unacceptable-principal',
        ruleSource: src,
        message: `${principal} is not acceptable as the principal diagnosis (it describes a circumstance that influences health status, not a current illness or injury).`,
        codes: [principal],
      });
    }
    if (mce.current.lists.unacceptablePdxUnlessSecondary?.has(principal) && codes.length < 2) {
      out.push({
        severity: sev,
        rule: 'mce.unacceptable-principal-unless-secondary',
        ruleSource: src,
        message: `${principal} is acceptable as the principal diagnosis only with a secondary diagnosis; none is coded.`,
        codes: [principal],
      });
    }
  }
  if (inpatient && mce.poaExempt) {
    enc.diagnoses.forEach((d, i) => {
      const code = codes[i];
      if (!code) return;
      const poa = (d.poa ?? '').toUpperCase();
      const exempt = mce.poaExempt?.has(code);
      const poaSrc = `CDC/CMS POA exempt list FY${mce.poaYear}; POA reporting guidelines (Y, N, U, W; blank or 1 when exempt)`;
      if (exempt && poa !== '' && poa !== '1') {
        out.push({
          severity: 'warning',
          rule: 'poa.exempt',
          ruleSource: poaSrc,
          message: `${code} is exempt from POA reporting: leave the indicator blank (or 1), not "${poa}".`,
          codes: [code],
        });
      } else if (!exempt && !['Y', 'N', 'U', 'W'].includes(poa)) {
        out.push({
          severity: 'error',
          rule: 'poa.required',
          ruleSource: poaSrc,
          message:
            poa === ''
              ? `${code} requires a present-on-admission indicator (Y, N, U or W).`
              : `"${poa}" is not a valid POA indicator for ${code} (Y, N, U or W).`,
          codes: [code],
        });
      }
    });
  }
  return out;
}
