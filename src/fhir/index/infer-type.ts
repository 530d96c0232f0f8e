// Guesses the FHIR datatype of an untyped value returned by fhirpath.js (the fallback path), from its shape.

const DATE_RE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T/;

export function inferType(v: unknown): string {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'decimal';
  if (typeof v === 'string') {
    if (DATETIME_RE.test(v)) return 'dateTime';
    if (DATE_RE.test(v)) return 'date';
    return 'string';
  }
  if (typeof v !== 'object' || v === null) return 'string';
  const o = v as Record<string, unknown>;
  if ('coding' in o || ('text' in o && Object.keys(o).length === 1)) return 'CodeableConcept';
  if ('reference' in o || ('identifier' in o && 'display' in o)) return 'Reference';
  if ('start' in o || 'end' in o) return 'Period';
  if ('value' in o && ('unit' in o || 'code' in o || 'system' in o) && typeof o.value === 'number')
    return 'Quantity';
  if ('low' in o || 'high' in o) return 'Range';
  if ('family' in o || 'given' in o) return 'HumanName';
  if ('line' in o || 'city' in o || 'postalCode' in o) return 'Address';
  if ('system' in o && 'value' in o)
    return o.system === 'phone' || o.system === 'email' ? 'ContactPoint' : 'Identifier';
  if ('code' in o || 'system' in o) return 'Coding';
  return 'Element';
}
