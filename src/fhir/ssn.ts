// Social Security numbers inside resources: every Identifier (at any depth, contained resources and
// Reference.identifier included) whose system is the US SSN system. Stored values are sealed strings
// `chartroom-sealed:<key id>:<ciphertext>` (docs/security.md); this module only recognises and walks them.
export const SSN_SYSTEM = 'http://hl7.org/fhir/sid/us-ssn';
export const SEALED_PREFIX = 'chartroom-sealed:';
/** What a masked number starts with (the last four digits follow). */
export const MASK = '***-**-';

export type SsnIdentifier = { system: string; value: string };
type Json = Record<string, unknown>;

export const isSealed = (v: string): boolean => v.startsWith(SEALED_PREFIX);

/** Calls `visit` on every SSN identifier with a string value. */
export function forEachSsn(node: unknown, visit: (identifier: SsnIdentifier) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) if (typeof x === 'object' && x !== null) forEachSsn(x, visit);
  } else if (typeof node === 'object' && node !== null) {
    const o = node as Json;
    if (o.system === SSN_SYSTEM && typeof o.value === 'string') visit(o as SsnIdentifier);
    for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) forEachSsn(v, visit);
  }
}

/** The digits a blind index and a search compare: the number without dashes or spaces. */
export const ssnDigits = (value: string): string => value.replace(/\D/g, '') || value.trim();

/** The number as roles without need see it: `***-**-1234`. */
export const maskSsn = (plain: string): string => `${MASK}${plain.replace(/\D/g, '').slice(-4)}`;

/** Nine digits, with or without dashes: a searched code that may be an SSN. */
export const SSN_LIKE = /^\d{3}-?\d{2}-?\d{4}$/;

/**
 * A search query or URL kept by the server (a bulk export's request) with the SSNs it names masked: numbers
 * written with dashes, and whatever follows the SSN system.
 */
export function redactSsns(text: string): string {
  return text
    .replace(/(us-ssn(?:\||%7C))([^&,]+)/gi, (_, system: string, value: string) => system + maskSsn(value))
    .replace(/(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/g, (v) => maskSsn(v));
}
