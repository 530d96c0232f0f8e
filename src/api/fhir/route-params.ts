// Checks and parses the parts of FHIR URLs shared by the routes.
import type { FastifyRequest } from 'fastify';
import { isKnownResourceType } from '../../fhir/definitions.js';
import { dateRange } from '../../fhir/index/values.js';
import { parseJson, stringifyJson } from '../../fhir/json.js';
import { subsetResource } from '../../fhir/subset.js';
import { badRequest, notFound } from '../../platform/errors.js';
import { DEFAULT_COUNT, MAX_COUNT } from '../../store/search/parse.js';

export function assertType(type: string): void {
  if (!isKnownResourceType(type)) throw notFound(`Unknown resource type "${type}"`);
}

export function countParam(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_COUNT;
  if (!/^\d+$/.test(raw)) throw badRequest(`_count must be a non-negative integer, got "${raw}"`, '_count');
  return Math.min(Number(raw), MAX_COUNT);
}

export function historyParams(req: FastifyRequest): {
  count: number;
  since?: string;
  at?: string;
  cursor?: string;
} {
  const q = (req.query ?? {}) as Record<string, string | undefined>;
  return {
    count: countParam(q._count),
    since: instantParam('_since', q._since),
    at: instantParam('_at', q._at),
    cursor: q._cursor,
  };
}

/** A FHIR instant (or date) parameter as the start of its range; 400 when it is not one. */
export function instantParam(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const r = dateRange(v);
  if (!r) throw badRequest(`${name} must be a FHIR instant, got "${v}"`, name);
  return r.lo;
}

/** Patients named by a resource, for the audit trail: itself, or its subject/patient reference. */
export function patientsOf(type: string, id: string, content: string): string[] {
  if (type === 'Patient') return [id];
  const m = /"(?:subject|patient)":\{"reference":"Patient\/([A-Za-z0-9\-.]+)"/.exec(content);
  return m ? [m[1]] : [];
}

/** The resource types named by `_type` (comma-separated, possibly repeated), each checked to exist. */
export function typeParam(pairs: [string, string][]): string[] {
  const named = pairs
    .filter(([k]) => k === '_type')
    .flatMap(([, v]) => v.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of named)
    if (!isKnownResourceType(t)) throw badRequest(`Unknown resource type "${t}" in _type`, '_type');
  return [...new Set(named)];
}

/**
 * `_summary` and `_elements` on a read: the resource subsetted as on a search page (`count` has no
 * meaning for one resource); the content unchanged without them.
 */
export function readSubset(req: FastifyRequest, content: string | null): string | null {
  const q = (req.query ?? {}) as Record<string, string | string[] | undefined>;
  const one = (name: string) => {
    const v = q[name];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const summary = one('_summary');
  const elements = one('_elements')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (summary !== undefined && !['true', 'false', 'text', 'data'].includes(summary))
    throw badRequest('_summary on a read must be true, false, text or data', '_summary');
  if (content === null || ((summary === undefined || summary === 'false') && !elements?.length))
    return content;
  return stringifyJson(subsetResource(parseJson(content) as Record<string, unknown>, summary, elements));
}
