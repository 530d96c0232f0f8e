// The security labels (meta.security) that restrict who may see a patient's record: HL7 v3
// Confidentiality R and V, and the v3 ActCode sensitivity codes an HIM department protects.

const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** Labels that restrict a patient: system|code, and the reason shown to users. */
export const RESTRICTING_LABELS: Record<string, string> = {
  [`${CONFIDENTIALITY}|R`]: 'restricted',
  [`${CONFIDENTIALITY}|V`]: 'very restricted',
  [`${ACT_CODE}|ETH`]: 'substance use (42 CFR Part 2)',
  [`${ACT_CODE}|SUD`]: 'substance use (42 CFR Part 2)',
  [`${ACT_CODE}|PSY`]: 'psychiatry',
  [`${ACT_CODE}|BH`]: 'behavioral health',
  [`${ACT_CODE}|HIV`]: 'HIV',
  [`${ACT_CODE}|VIP`]: 'VIP',
  [`${ACT_CODE}|EMP`]: 'employee',
};

/** The restricting labels of a Patient resource (from meta.security). */
export function restrictionLabels(resource: {
  meta?: { security?: { system?: string; code?: string }[] };
}): string[] {
  return (resource.meta?.security ?? [])
    .map((s) => `${s.system}|${s.code}`)
    .filter((k) => k in RESTRICTING_LABELS);
}
