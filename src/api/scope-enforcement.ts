// SMART scopes on every request made with an app's or a backend client's token: the effective
// permission is the intersection of the roles (checked before, by the pipeline) and the token's
// scopes. patient/ scopes confine the request to the launched patient's compartment (the repository
// applies it: api/request-repo.ts). Tokens from the Chartroom sign-in (no client) keep their roles' rights.
import type { FastifyRequest } from 'fastify';
import { isKnownResourceType } from '../fhir/definitions.js';
import { FhirError, forbidden, issue } from '../platform/errors.js';
import { type Letter, letterOf, scopeAccess } from '../security/oauth/scopes.js';
import type { AccessRule } from '../security/policy/route-rules.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when patient/ scopes confine this request to one patient's compartment. */
    confinedPatient?: string;
  }
}

/** Applies the token's scopes to the route; sets req.confinedPatient for patient/ scopes. */
export function enforceScopes(req: FastifyRequest, rule: AccessRule): void {
  const p = req.principal;
  if (!p?.clientId) return;
  const url = req.routeOptions.url ?? '';
  switch (rule.kind) {
    case 'signed-in':
      // an app may end its session, not manage the user's second factor
      if (url.startsWith('/auth/mfa/')) throw forbidden('An app token cannot manage the second factor');
      return;
    case 'open':
    case 'fhir-bundle': // each entry: assertEntryScopes, from the bundle route once the body is parsed
      return;
    case 'fhir-type': {
      if (rule.type) {
        // Patient/$everything answers with every type: it needs a wildcard scope (confined or not)
        confine(req, '*', 'r');
        confine(req, '*', 's');
        return;
      }
      const type = (req.params as Record<string, string | undefined>)[rule.param ?? 'type'] ?? '';
      if (!isKnownResourceType(type)) return;
      // a compartment search (Patient/1/Observation) searches the type it names
      confine(req, type, rule.param ? 's' : letterOf(req.method, url));
      return;
    }
    case 'fhir-system-search': {
      const q = new URLSearchParams(req.url.split('?')[1] ?? '');
      const types = q
        .getAll('_type')
        .flatMap((v) => v.split(','))
        .map((t) => t.trim())
        .filter(isKnownResourceType);
      for (const type of types.length ? types : ['*']) confine(req, type, 's');
      return;
    }
    case 'action': {
      // Apps reach the FHIR API; of the rest only terminology (with a scope to read code systems),
      // system history and bulk export (with a user/ or system/ scope to read and search everything).
      const everything = scopeAccess(p.scope, '*', 'r') === 'all' && scopeAccess(p.scope, '*', 's') === 'all';
      if (rule.action === 'terminology:use' && scopeAccess(p.scope, 'CodeSystem', 'r') !== 'none') return;
      if ((rule.action === 'history:system' || rule.action === 'export:bulk') && everything) return;
      throw forbidden(`The access token's scopes (${p.scope}) do not reach ${req.method} ${url}`);
    }
  }
}

function confine(req: FastifyRequest, type: string, letter: Letter, expression?: string): void {
  const p = req.principal;
  if (!p) return;
  const access = scopeAccess(p.scope, type, letter);
  if (access === 'none') {
    throw new FhirError(
      403,
      issue(
        'forbidden',
        `The access token's scopes (${p.scope}) do not allow ${LETTER_NAME[letter]} on ${type}`,
        expression,
      ),
    );
  }
  if (access === 'patient') {
    if (!p.patient)
      throw forbidden('patient/ scopes need a patient context (launch/patient), and this token has none');
    req.confinedPatient = p.patient;
  }
}

const LETTER_NAME: Record<Letter, string> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };

const ENTRY_LETTER: Record<string, Letter> = { POST: 'c', PUT: 'u', PATCH: 'u', DELETE: 'd' };

/** The scopes applied to each entry of a batch or transaction Bundle (after the roles were). */
export function assertEntryScopes(req: FastifyRequest, method: string, url: string, index: number): void {
  if (!req.principal?.clientId) return;
  const type = url.replace(/^\/+/, '').split(/[/?]/)[0];
  if (!isKnownResourceType(type)) return; // the entry itself answers 404
  const read = /^[^?]*\/[^/?]+/.test(url.replace(/^\/+/, '')) ? 'r' : 's';
  const letter = ENTRY_LETTER[method] ?? read;
  confine(req, type, letter, `Bundle.entry[${index}].request`);
}
