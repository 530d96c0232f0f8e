// The access rule of every HTTP route, in one table keyed by method and route pattern. A route that
// is not in this table is refused (fail closed), and the authorization test fails for it.
import type { Action, Interaction } from './permissions.js';

export type AccessRule =
  | { kind: 'open' }
  /** Any signed-in user, including one whose token only allows setting up the second factor. */
  | { kind: 'signed-in' }
  | { kind: 'action'; action: Action }
  /**
   * A FHIR interaction on the resource type named by the route's :type parameter (or by the `param`
   * parameter, or fixed as `type`).
   */
  | { kind: 'fhir-type'; interaction: Interaction; param?: string; type?: string }
  /** System-level search: read on every type `_type` names (the route keeps to readable types). */
  | { kind: 'fhir-system-search' }
  /** A Bundle: each entry is checked on its own (api/fhir/system-level.ts). */
  | { kind: 'fhir-bundle' };

const R = (interaction: Interaction, param?: string): AccessRule => ({
  kind: 'fhir-type',
  interaction,
  param,
});
const A = (action: Action): AccessRule => ({ kind: 'action', action });

export const ROUTE_RULES: Record<string, AccessRule> = {
  'GET /healthz': { kind: 'open' },
  'POST /auth/token': { kind: 'open' },
  'GET /fhir/R4/metadata': { kind: 'open' },
  'POST /auth/session': { kind: 'open' },
  'GET /.well-known/smart-configuration': { kind: 'open' },
  'GET /fhir/R4/.well-known/smart-configuration': { kind: 'open' },
  'GET /.well-known/jwks.json': { kind: 'open' },
  'GET /oauth/authorize': { kind: 'open' },
  'POST /oauth/authorize': { kind: 'open' },
  'POST /oauth/token': { kind: 'open' },
  // The web code-search panel's page and modules (no patient data; the API calls they make are checked).
  'GET /ui/code-search': { kind: 'open' },
  'GET /ui/code-search.js': { kind: 'open' },
  'GET /ui/code-search-page.js': { kind: 'open' },
  'GET /auth/session': { kind: 'signed-in' },
  'DELETE /auth/session': { kind: 'signed-in' },
  'GET /admin/clients': A('clients:manage'),
  'POST /admin/clients': A('clients:manage'),
  'GET /admin/signing-keys': A('keys:manage'),
  'POST /admin/signing-keys': A('keys:manage'),
  'DELETE /admin/signing-keys/:kid': A('keys:manage'),
  'POST /auth/logout': { kind: 'signed-in' },
  'POST /auth/mfa/enroll': { kind: 'signed-in' },
  'POST /auth/mfa/activate': { kind: 'signed-in' },
  'GET /admin/users': A('users:manage'),
  'POST /admin/users': A('users:manage'),
  'GET /audit': A('audit:read'),
  'POST /disclosures': A('disclosures:record'),
  'POST /care-relationships': A('patients:assign'),
  'POST /break-the-glass': A('break-glass'),
  'GET /privacy/break-the-glass': A('audit:read'),
  'POST /privacy/break-the-glass/:id/review': A('audit:read'),
  'GET /patients/:id/accounting-of-disclosures': A('disclosures:account'),
  'GET /fhir/R4/_history': A('history:system'),
  'POST /fhir/R4': { kind: 'fhir-bundle' },
  'GET /fhir/R4': { kind: 'fhir-system-search' },
  'POST /fhir/R4/_search': { kind: 'fhir-system-search' },
  'GET /fhir/R4/:type/:id/:compartmentType': R('read', 'compartmentType'),
  'GET /fhir/R4/:type': R('read'),
  'POST /fhir/R4/:type/_search': R('read'),
  'GET /fhir/R4/:type/_history': R('read'),
  'POST /fhir/R4/:type': R('write'),
  'PUT /fhir/R4/:type': R('write'),
  'DELETE /fhir/R4/:type': R('delete'),
  'GET /fhir/R4/:type/:id': R('read'),
  'GET /fhir/R4/:type/:id/_history': R('read'),
  'GET /fhir/R4/:type/:id/_history/:vid': R('read'),
  'PUT /fhir/R4/:type/:id': R('write'),
  'PATCH /fhir/R4/:type/:id': R('write'),
  'DELETE /fhir/R4/:type/:id': R('delete'),
  // Terminology (code sets carry no patient data; every clinical and coding role uses them).
  'GET /fhir/R4/CodeSystem/$lookup': A('terminology:use'),
  'POST /fhir/R4/CodeSystem/$lookup': A('terminology:use'),
  'GET /fhir/R4/CodeSystem/$validate-code': A('terminology:use'),
  'POST /fhir/R4/CodeSystem/$validate-code': A('terminology:use'),
  'GET /fhir/R4/ValueSet/$expand': A('terminology:use'),
  'POST /fhir/R4/ValueSet/$expand': A('terminology:use'),
  // Patient/$everything: reading the Patient; the answer holds only the types the role may read.
  'GET /fhir/R4/Patient/:id/$everything': { kind: 'fhir-type', interaction: 'read', type: 'Patient' },
  'POST /fhir/R4/Patient/:id/$everything': { kind: 'fhir-type', interaction: 'read', type: 'Patient' },
  // Bulk Data export: kick-off, status (owner or administrator only, checked by the route), files.
  'GET /fhir/R4/$export': A('export:bulk'),
  'GET /fhir/R4/Patient/$export': A('export:bulk'),
  'GET /fhir/R4/Group/:id/$export': A('export:bulk'),
  'GET /fhir/R4/$export-status/:id': A('export:bulk'),
  'DELETE /fhir/R4/$export-status/:id': A('export:bulk'),
  'GET /fhir/R4/$export-file/:id/:file': A('export:bulk'),
  'GET /fhir/R4/ValueSet/$validate-code': A('terminology:use'),
  'POST /fhir/R4/ValueSet/$validate-code': A('terminology:use'),
};

/** Prefix rules for route families (the encoder's JSON API). */
const PREFIX_RULES: [string, AccessRule][] = [
  ['/terminology/', A('terminology:use')],
  ['/terminology', A('terminology:use')],
];

export function ruleFor(method: string, routeUrl: string): AccessRule | undefined {
  const exact = ROUTE_RULES[`${method} ${routeUrl}`];
  if (exact) return exact;
  return PREFIX_RULES.find(([p]) => routeUrl === p || routeUrl.startsWith(p))?.[1];
}
