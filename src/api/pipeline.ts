// Every request passes here: authenticate -> (authorize) -> handle -> audit (journaled before the response). Only sign-in, metadata,
// .well-known, the OAuth endpoints, the health check and the web panel's files are open; everything
// else needs a valid bearer token or the web app's session cookie (api/authenticate.ts).
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isKnownResourceType } from '../fhir/definitions.js';
import { FhirError, forbidden, unauthorized } from '../platform/errors.js';
import type { AccessRecord } from '../security/audit/audit-event.js';
import type { Principal } from '../security/oauth/tokens.js';
import { mayDo, mayOnType } from '../security/policy/permissions.js';
import { type AccessRule, ruleFor } from '../security/policy/route-rules.js';
import { authenticate, authenticateCached } from './authenticate.js';
import type { AppContext } from './context.js';
import { FHIR_JSON } from './fhir/respond.js';
import { enforceScopes } from './scope-enforcement.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    audit?: {
      action: 'C' | 'R' | 'U' | 'D' | 'E';
      interaction: string;
      entities: string[];
      patients: string[];
    };
  }
}

/** Routes anyone may call: their rule is 'open' (unknown URLs fall through to a 404 after sign-in). */
export function isOpen(req: FastifyRequest): boolean {
  const url = req.routeOptions.url;
  return url !== undefined && ruleFor(req.method, url)?.kind === 'open';
}

export function installPipeline(app: FastifyInstance, ctx: AppContext): void {
  // Callback hooks, not async ones: a read whose token and session are in the caches is authenticated
  // without a promise.
  app.addHook('onRequest', (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    if (isOpen(req)) return done();
    let known: Principal | undefined;
    try {
      known = authenticateCached(req, ctx);
      if (known) {
        req.principal = known;
        authorize(req);
      }
    } catch (err) {
      return done(err as Error);
    }
    if (known) return done();
    authenticate(req, ctx)
      .then((p) => {
        req.principal = p;
        authorize(req);
      })
      .then(() => done(), done);
  });

  // The entry is journaled before the response leaves (onSend runs before the first byte is written):
  // if the journal cannot take it, the response is replaced by a 503 and nothing is disclosed.
  app.addHook(
    'onSend',
    (
      req: FastifyRequest,
      reply: FastifyReply,
      payload: unknown,
      done: (err: Error | null, payload?: unknown) => void,
    ) => {
      if (req.url === '/healthz') return done(null, payload);
      if (req.auditedInTransaction && reply.statusCode < 400) return done(null, payload); // committed with the data change
      const a = req.audit;
      const q = req.url.indexOf('?');
      const record: AccessRecord = {
        username: req.principal?.username,
        action: a?.action ?? 'E',
        interaction: a?.interaction ?? `${req.method} ${req.routeOptions.url ?? 'unknown'}`,
        path: q < 0 ? req.url : req.url.slice(0, q),
        status: reply.statusCode,
        clientIp: req.ip,
        entities: a?.entities ?? [],
        patients: a?.patients ?? [],
      };
      const refused = (err: unknown) => {
        if (!(err instanceof FhirError)) return done(err as Error);
        ctx.audit.recordUnjournaled({ ...record, status: err.status });
        done(null, refusal(reply, payload, err));
      };
      ctx.audit.record(record).then(() => done(null, payload), refused);
    },
  );
}

/** Replaces a response whose audit entry could not be written by the error's OperationOutcome. */
function refusal(reply: FastifyReply, payload: unknown, err: FhirError): string {
  if (payload instanceof Readable) payload.destroy();
  for (const h of [
    'etag',
    'last-modified',
    'location',
    'content-location',
    'content-disposition',
    'content-length',
  ])
    reply.removeHeader(h);
  reply.code(err.status).type(FHIR_JSON);
  return JSON.stringify(err.outcome);
}

/**
 * Authorization for now: every signed-in user's token carries roles and a scope, and only the
 * administrator role exists. The security issue replaces this with the role/label policy.
 */
/** Applies the route's rule (security/policy/route-rules.ts) to the signed-in user's roles. */
function authorize(req: FastifyRequest): void {
  const p = req.principal;
  if (!p) throw unauthorized('Not signed in');
  const url = req.routeOptions.url;
  if (url === undefined) return; // no such route: the not-found handler answers
  const rule = ruleFor(req.method, url);
  if (!rule) throw forbidden(`No access rule covers ${req.method} ${url}; refused`);
  if (p.scope === 'mfa-enrollment' && rule.kind !== 'signed-in') {
    throw forbidden(
      'Set up the second factor first: POST /auth/mfa/enroll, then /auth/mfa/activate, then sign in with totp',
    );
  }
  authorizeRoles(req, p, rule);
  enforceScopes(req, rule); // SMART apps: the token's scopes narrow the roles' rights
}

function authorizeRoles(req: FastifyRequest, p: Principal, rule: AccessRule): void {
  const who = p.roles.join(', ') || 'no role';
  switch (rule.kind) {
    case 'open':
    case 'signed-in':
    case 'fhir-bundle': // each entry is checked by the bundle route
      return;
    case 'action':
      if (!mayDo(p.roles, rule.action)) throw forbidden(`Your role (${who}) does not allow ${rule.action}`);
      return;
    case 'fhir-system-search': {
      const q = new URLSearchParams(req.url.split('?')[1] ?? '');
      for (const type of q
        .getAll('_type')
        .flatMap((v) => v.split(','))
        .map((t) => t.trim()))
        if (isKnownResourceType(type) && !mayOnType(p.roles, type, 'read'))
          throw forbidden(`Your role (${who}) may not read ${type} resources`);
      return;
    }
    case 'fhir-type': {
      const type =
        rule.type ?? (req.params as Record<string, string | undefined>)[rule.param ?? 'type'] ?? '';
      if (!isKnownResourceType(type)) return; // the route answers 404 for an unknown type
      if (!mayOnType(p.roles, type, rule.interaction))
        throw forbidden(`Your role (${who}) may not ${rule.interaction} ${type} resources`);
    }
  }
}
