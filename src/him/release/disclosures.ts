// Accounting of disclosures (HIPAA 45 CFR 164.528): which disclosures a patient's accounting must list,
// for which period, with which facts. The basis of each disclosure decides whether it is accountable:
// the rule's exclusions (a)(1)(i)-(ix) are not listed.
import { badRequest } from '../../platform/errors.js';

/** Bases that must appear in an accounting (uses and disclosures under 164.512, and others not excluded). */
export const ACCOUNTABLE_BASES = {
  'required-by-law': '164.512(a) required by law',
  'public-health': '164.512(b) public health activities',
  'abuse-report': '164.512(c) victims of abuse, neglect or domestic violence',
  'health-oversight': '164.512(d) health oversight',
  judicial: '164.512(e) judicial and administrative proceedings',
  'law-enforcement': '164.512(f) law enforcement',
  decedent: '164.512(g) coroners, medical examiners, funeral directors',
  'organ-donation': '164.512(h) organ, eye or tissue donation',
  research: '164.512(i) research without authorization',
  'serious-threat': '164.512(j) to avert a serious threat to health or safety',
  'workers-compensation': '164.512(l) workers compensation',
  'in-error': 'a disclosure not permitted by the rule (breach)',
} as const;

/** Bases the rule excludes from the accounting, 164.528(a)(1). */
export const EXCLUDED_BASES = {
  treatment: '(a)(1)(i) treatment',
  payment: '(a)(1)(i) payment',
  operations: '(a)(1)(i) health care operations',
  'to-individual': '(a)(1)(ii) to the individual',
  incidental: '(a)(1)(iii) incident to a permitted use or disclosure',
  authorization: '(a)(1)(iv) pursuant to an authorization',
  directory: '(a)(1)(v) facility directory or persons involved in care',
  'national-security': '(a)(1)(vi) national security or intelligence',
  correctional: '(a)(1)(vii) correctional institutions or law enforcement custody',
  'limited-data-set': '(a)(1)(viii) part of a limited data set',
} as const;

export type DisclosureBasis = keyof typeof ACCOUNTABLE_BASES | keyof typeof EXCLUDED_BASES;

export interface DisclosureInput {
  patient: string;
  date: string;
  recipient: { name: string; address?: string };
  description: string;
  purpose: string;
  basis: DisclosureBasis;
  authorization?: string;
  corrects?: string;
}

const isAccountable = (b: string) => b in ACCOUNTABLE_BASES;
const isBasis = (b: unknown): b is DisclosureBasis =>
  typeof b === 'string' && (b in ACCOUNTABLE_BASES || b in EXCLUDED_BASES);

/** Validates a disclosure at the edge; every problem names its field. */
export function parseDisclosure(body: unknown): DisclosureInput {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (k: string, max = 2000) => {
    const v = b[k];
    if (typeof v !== 'string' || !v.trim()) throw badRequest(`${k} is required`, k);
    if (v.length > max) throw badRequest(`${k} is longer than ${max} characters`, k);
    return v.trim();
  };
  const patient = text('patient', 64);
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(patient)) throw badRequest('patient must be a Patient id', 'patient');
  const date = text('date', 40);
  if (Number.isNaN(Date.parse(date))) throw badRequest('date must be a date or date-time', 'date');
  if (Date.parse(date) > Date.now() + 86_400_000) throw badRequest('date is in the future', 'date');
  const r = b.recipient as Record<string, unknown> | undefined;
  if (!r || typeof r.name !== 'string' || !r.name.trim())
    throw badRequest('recipient.name is required', 'recipient.name');
  if (!isBasis(b.basis)) {
    throw badRequest(
      `basis must be one of: ${[...Object.keys(ACCOUNTABLE_BASES), ...Object.keys(EXCLUDED_BASES)].join(', ')}`,
      'basis',
    );
  }
  if (b.basis === 'authorization' && typeof b.authorization !== 'string')
    throw badRequest('a disclosure under an authorization names it (authorization)', 'authorization');
  return {
    patient,
    date: new Date(date).toISOString(),
    recipient: { name: r.name.trim(), address: typeof r.address === 'string' ? r.address.trim() : undefined },
    description: text('description'),
    purpose: text('purpose'),
    basis: b.basis,
    authorization: typeof b.authorization === 'string' ? b.authorization : undefined,
    corrects: typeof b.corrects === 'string' ? b.corrects : undefined,
  };
}

export interface StoredDisclosure {
  id: string;
  patient: string;
  disclosed_at: string;
  recipient_name: string;
  recipient_address: string | null;
  description: string;
  purpose: string;
  basis: string;
  corrects: string | null;
}

export interface Accounting {
  patient: string;
  rule: string;
  period: { start: string; end: string };
  disclosures: {
    date: string;
    recipient: string;
    recipientAddress?: string;
    description: string;
    purpose: string;
    legalBasis: string;
  }[];
  excludedCount: number;
  excludedBases: Record<string, number>;
}

/** The six-year window that ends on `asOf` (the request date). */
export function accountingPeriod(asOf: Date): { start: Date; end: Date } {
  const start = new Date(asOf);
  start.setUTCFullYear(start.getUTCFullYear() - 6);
  return { start, end: asOf };
}

/** Builds a patient's accounting from the disclosures recorded in the period (corrected entries replaced). */
export function buildAccounting(patient: string, asOf: Date, rows: StoredDisclosure[]): Accounting {
  const { start, end } = accountingPeriod(asOf);
  const corrected = new Set(rows.map((r) => r.corrects).filter((x): x is string => Boolean(x)));
  const current = rows.filter((r) => !corrected.has(r.id));
  const listed = current.filter((r) => isAccountable(r.basis));
  const excludedBases: Record<string, number> = {};
  for (const r of current.filter((x) => !isAccountable(x.basis)))
    excludedBases[r.basis] = (excludedBases[r.basis] ?? 0) + 1;
  return {
    patient,
    rule: '45 CFR 164.528: disclosures in the six years before the request, except those excluded by (a)(1)',
    period: { start: start.toISOString(), end: end.toISOString() },
    disclosures: listed
      .sort((a, b) => Date.parse(a.disclosed_at) - Date.parse(b.disclosed_at))
      .map((r) => ({
        date: new Date(r.disclosed_at).toISOString(),
        recipient: r.recipient_name,
        ...(r.recipient_address ? { recipientAddress: r.recipient_address } : {}),
        description: r.description,
        purpose: r.purpose,
        legalBasis: ACCOUNTABLE_BASES[r.basis as keyof typeof ACCOUNTABLE_BASES],
      })),
    excludedCount: current.length - listed.length,
    excludedBases,
  };
}
