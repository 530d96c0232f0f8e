// The code systems Chartroom knows, their official FHIR URIs, and how each writes its codes.
export type SystemKey = 'icd10cm' | 'icd10pcs' | 'hcpcs' | 'cpt';

export const SYSTEM_URIS: Readonly<Record<SystemKey, string>> = {
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  cpt: 'http://www.ama-assn.org/go/cpt',
};

export const SYSTEM_NAMES: Readonly<Record<SystemKey, string>> = {
  icd10cm: 'ICD-10-CM',
  icd10pcs: 'ICD-10-PCS',
  hcpcs: 'HCPCS Level II',
  cpt: 'CPT',
};

const BY_URI = new Map<string, SystemKey>(Object.entries(SYSTEM_URIS).map(([k, v]) => [v, k as SystemKey]));

/** Accepts a system key ("icd10cm") or an official URI; undefined when unknown. */
export function systemKeyOf(system: string): SystemKey | undefined {
  if (system in SYSTEM_URIS) return system as SystemKey;
  return BY_URI.get(system) ?? BY_URI.get(system.replace(/\/$/, ''));
}

/**
 * Canonical form of a code as the official FHIR system writes it: ICD-10-CM with its dot after
 * the third character (files carry none), everything else upper-case without punctuation.
 */
export function canonicalCode(system: SystemKey, raw: string): string {
  const c = raw.trim().toUpperCase().replace(/[\s.]/g, '');
  if (system === 'icd10cm') return c.length > 3 ? `${c.slice(0, 3)}.${c.slice(3)}` : c;
  return c;
}
