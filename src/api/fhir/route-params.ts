// Checks and parses the parts of FHIR URLs shared by the routes.
import type { FastifyRequest } from 'fastify';
import { isKnownResourceType } from '../../fhir/definitions.js';
import { dateRange } from '../../fhir/index/values.js';
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
