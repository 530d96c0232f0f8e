// Search over HTTP: type-level (GET and POST _search), system-level (`_type`) and compartment search
// (Patient, Encounter, RelatedPerson, Practitioner, Device), all answered by one function that runs the search with the caller's authorization and
// builds the searchset Bundle (matches, included resources, outcome, self/next/previous links).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allResourceTypes } from '../../fhir/definitions.js';
import { parseJson, stringifyJson } from '../../fhir/json.js';
import { subsetResource } from '../../fhir/subset.js';
import { badRequest, forbidden } from '../../platform/errors.js';
import { mayOnType } from '../../security/policy/permissions.js';
import {
  compartmentFilter,
  compartmentMemberTypes,
  wholeCompartmentFilter,
} from '../../store/search/compartment.js';
import type { Filter } from '../../store/search/parse.js';
import type { SearchPage } from '../../store/search/run-search.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { entityOf, searchsetBundle } from './bundles.js';
import { baseUrl, FHIR_JSON, queryPairs } from './respond.js';
import { assertType, typeParam } from './route-params.js';

interface SearchTarget {
  types: string[];
  /** The URL path (after the FHIR base) that links repeat. */
  path: string;
  filters?: Filter[];
  interaction: string;
}

export function searchRoutes(app: FastifyInstance, ctx: AppContext): void {
  type P = { Params: { type: string } };
  app.get<P>('/fhir/R4/:type', (req, reply) => {
    assertType(req.params.type);
    return search(ctx, req, reply, queryPairs(req), typeTarget(req.params.type));
  });
  app.post<P>('/fhir/R4/:type/_search', (req, reply) => {
    assertType(req.params.type);
    return search(ctx, req, reply, [...queryPairs(req), ...formBody(req)], typeTarget(req.params.type));
  });

  // System-level search: `_type` names the types (each must be readable); without it, every type the
  // caller may read, with the parameters common to all resources.
  const system = (req: FastifyRequest, reply: FastifyReply, pairs: [string, string][]) => {
    const roles = req.principal?.roles ?? [];
    const named = typeParam(pairs);
    for (const t of named)
      if (!mayOnType(roles, t, 'read')) throw forbidden(`Your role may not read ${t} resources`);
    const types = named.length ? named : allResourceTypes().filter((t) => mayOnType(roles, t, 'read'));
    return search(ctx, req, reply, pairs, { types, path: '', interaction: 'search-system' });
  };
  app.get('/fhir/R4', (req, reply) => system(req, reply, queryPairs(req)));
  app.post('/fhir/R4/_search', (req, reply) => system(req, reply, [...queryPairs(req), ...formBody(req)]));

  // Compartment search: Patient/123/Observation?code=... is Observation?code=... within the compartment;
  // Encounter, RelatedPerson, Practitioner and Device compartments likewise (store/search/compartment.ts).
  type C = { Params: { type: string; id: string; compartmentType: string } };
  const compartment = (req: FastifyRequest<C>, reply: FastifyReply, pairs: [string, string][]) => {
    const { type, id, compartmentType } = req.params;
    if (compartmentType === '*') return wholeCompartment(req, reply, pairs);
    assertType(compartmentType);
    return search(ctx, req, reply, pairs, {
      types: [compartmentType],
      path: `/${type}/${id}/${compartmentType}`,
      filters: [compartmentFilter(type, id, compartmentType)],
      interaction: 'search-compartment',
    });
  };
  // `Patient/123/*`: every type of the compartment the caller may read (or those `_type` names), with the
  // parameters they share, in one searchset.
  const wholeCompartment = (req: FastifyRequest<C>, reply: FastifyReply, pairs: [string, string][]) => {
    const { type, id } = req.params;
    const roles = req.principal?.roles ?? [];
    const members = compartmentMemberTypes(type);
    const named = typeParam(pairs);
    for (const t of named) {
      if (!members.includes(t))
        throw badRequest(`${t} resources are never in a ${type} compartment`, '_type');
      if (!mayOnType(roles, t, 'read')) throw forbidden(`Your role may not read ${t} resources`);
    }
    const types = (named.length ? named : members).filter((t) => mayOnType(roles, t, 'read'));
    if (types.length === 0) throw forbidden(`Your role may read none of the types of a ${type} compartment`);
    return search(ctx, req, reply, pairs, {
      types,
      path: `/${type}/${id}/*`,
      filters: [wholeCompartmentFilter(type, id)],
      interaction: 'search-compartment',
    });
  };
  app.get<C>('/fhir/R4/:type/:id/:compartmentType', (req, reply) => compartment(req, reply, queryPairs(req)));
}

const typeTarget = (type: string): SearchTarget => ({
  types: [type],
  path: `/${type}`,
  interaction: 'search-type',
});

function formBody(req: FastifyRequest): [string, string][] {
  const ct = String(req.headers['content-type'] ?? '');
  if (!ct.startsWith('application/x-www-form-urlencoded'))
    throw badRequest('POST _search takes an application/x-www-form-urlencoded body', 'Content-Type');
  return (req.body as [string, string][] | undefined) ?? [];
}

async function search(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  pairs: [string, string][],
  target: SearchTarget,
): Promise<FastifyReply> {
  const roles = req.principal?.roles ?? [];
  const base = baseUrl(ctx.config.baseUrl);
  const page = await requestRepo(req, ctx).search({
    type: target.types,
    params: pairs,
    filters: target.filters,
    fhirBase: base,
    mayRead: (t) => mayOnType(roles, t, 'read'),
  });
  const strict = /handling\s*=\s*strict/.test(String(req.headers.prefer ?? ''));
  if (page.ignored.length && strict)
    throw badRequest(`Unknown or unsupported search parameter(s): ${page.ignored.join(', ')}`, page.ignored);
  req.audit = {
    action: 'E',
    interaction: target.interaction,
    entities: [...page.entries, ...page.included].map((e) => entityOf(e.content)),
    patients: page.patients,
  };
  const kept = pairs.filter(([k]) => k !== '_cursor');
  const url = (extra: [string, string][]) => {
    const qs = new URLSearchParams([...kept, ...extra]).toString();
    return `${base}${target.path}${qs ? `?${qs}` : ''}`;
  };
  return reply.type(FHIR_JSON).send(searchBundle(base, page, url));
}

/** The searchset Bundle: matches, included resources, the ignored parameters, and the page links. */
function searchBundle(base: string, page: SearchPage, url: (extra: [string, string][]) => string): string {
  const { summary, elements } = page.parsed;
  const subset = (summary && summary !== 'false') || elements?.length;
  return searchsetBundle(base, {
    self: url([]),
    next: page.next ? url([['_cursor', page.next]]) : undefined,
    previous: page.previous ? url([['_cursor', page.previous]]) : undefined,
    entries: [
      ...page.entries.map((e) => ({ content: e.content, mode: 'match' as const })),
      ...page.included.map((e) => ({ content: e.content, mode: 'include' as const })),
    ],
    total: page.total,
    transform: subset
      ? (content) =>
          stringifyJson(subsetResource(parseJson(content) as Record<string, unknown>, summary, elements))
      : undefined,
    outcome: page.ignored.length
      ? {
          resourceType: 'OperationOutcome',
          issue: [
            {
              severity: 'warning',
              code: 'not-supported',
              diagnostics: `Ignored unknown or unsupported search parameter(s): ${page.ignored.join(', ')}`,
              expression: page.ignored,
            },
          ],
        }
      : undefined,
  });
}
