// GET /oauth/authorize checks the app's request (SMART App Launch 2.0: response_type=code, a registered
// redirect_uri, state, aud = the FHIR base, PKCE S256) and shows the sign-in page; POST /oauth/authorize
// carries the user through sign-in, the patient picker (launch/patient) and consent, then redirects
// with code and state. Errors go back to the app (error=...) once its redirect URI is known to be
// registered; before that, they are shown as a page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError } from '../../platform/errors.js';
import { signIn } from '../../security/identity/sign-in.js';
import { OTHER_SCOPES } from '../../security/oauth/clients.js';
import { issueCode } from '../../security/oauth/grants.js';
import { CHALLENGE } from '../../security/oauth/pkce.js';
import {
  grantScopes,
  hasPatientScopes,
  parseResourceScope,
  splitScopes,
} from '../../security/oauth/scopes.js';
import { mayOnType } from '../../security/policy/permissions.js';
import { findClient } from '../../store/oauth.js';
import { fields } from '../auth/token.js';
import type { AppContext } from '../context.js';
import { requestRepo } from '../request-repo.js';
import { consentPage, errorPage, PAGE_STYLE_HASH, type PatientChoice, signInPage } from './authorize-page.js';
import { fhirBase } from './discovery.js';

const STEP_SECONDS = 600;

interface AuthzRequest {
  client_id: string;
  app: string;
  redirect_uri: string;
  scope: string;
  state: string;
  code_challenge: string;
  exp: number;
}

interface Pending {
  request: AuthzRequest;
  username: string;
  roles: string[];
  mfa: boolean;
  exp: number;
}

export function authorizeRoutes(app: FastifyInstance, ctx: AppContext): void {
  const seal = (v: unknown) => ctx.box.seal(JSON.stringify(v));
  const unseal = <T extends { exp: number }>(s: string | undefined): T | undefined => {
    try {
      const v = JSON.parse(ctx.box.open(s ?? '')) as T;
      return v.exp > Date.now() / 1000 ? v : undefined;
    } catch {
      return undefined;
    }
  };

  app.get('/oauth/authorize', async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    req.audit = {
      action: 'E',
      interaction: 'oauth-authorize',
      entities: [`client/${q.client_id}`],
      patients: [],
    };
    const client = q.client_id ? await findClient(ctx.db, q.client_id) : undefined;
    if (!client || client.disabled)
      return html(reply, 400, errorPage('Unknown or disabled application (client_id).'));
    if (!q.redirect_uri || !client.redirect_uris.includes(q.redirect_uri))
      return html(reply, 400, errorPage('The redirect_uri is not one registered for this application.'));
    const back = (error: string, description: string) =>
      redirect(reply, q.redirect_uri as string, { error, error_description: description, state: q.state });
    if (q.response_type !== 'code') return back('unsupported_response_type', 'response_type must be code');
    if (!q.state) return back('invalid_request', 'state is required');
    if (q.aud !== fhirBase(ctx))
      return back('invalid_request', `aud must be the FHIR base URL ${fhirBase(ctx)}`);
    if (q.code_challenge_method !== 'S256' || !CHALLENGE.test(q.code_challenge ?? ''))
      return back('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
    const scope = grantScopes(q.scope ?? '', client.scopes).filter(
      (s) => parseResourceScope(s) || OTHER_SCOPES.includes(s),
    );
    if (!scope.some((s) => parseResourceScope(s)))
      return back('invalid_scope', 'None of the requested scopes is one this application may have');
    const request: AuthzRequest = {
      client_id: client.client_id,
      app: client.name,
      redirect_uri: q.redirect_uri,
      scope: scope.join(' '),
      state: q.state,
      code_challenge: q.code_challenge as string,
      exp: Math.floor(Date.now() / 1000) + STEP_SECONDS,
    };
    return html(
      reply,
      200,
      signInPage({ appName: client.name, scopes: scope, request: seal(request) }),
      request.redirect_uri,
    );
  });

  app.post('/oauth/authorize', async (req, reply) => {
    const f = fields(req);
    req.audit = { action: 'E', interaction: 'oauth-authorize', entities: [], patients: [] };
    const step = f.get('step');
    if (step === 'sign-in') {
      const request = unseal<AuthzRequest>(f.get('request'));
      if (!request)
        return html(reply, 400, errorPage('The sign-in page has expired; start again from the application.'));
      req.audit.entities = [`client/${request.client_id}`];
      const again = (status: number, error: string) =>
        html(
          reply,
          status,
          signInPage({
            appName: request.app,
            scopes: splitScopes(request.scope),
            request: f.get('request') as string,
            error,
          }),
          request.redirect_uri,
        );
      const username = f.get('username') ?? '';
      if (!username || !f.get('password')) return again(400, 'Enter your username and password.');
      let user: Awaited<ReturnType<typeof signIn>>;
      try {
        user = await signIn(
          ctx.db,
          ctx.box,
          ctx.config,
          username,
          f.get('password') as string,
          f.get('totp') || undefined,
        );
      } catch (err) {
        if (err instanceof FhirError) return again(err.status, err.message);
        throw err;
      }
      if (user.enrollmentOnly)
        return again(
          403,
          'Your role signs in with a second factor, which is not set up yet: set it up in Chartroom first.',
        );
      req.principal = { username: user.username, roles: user.roles, scope: '', sid: '' };
      const pending: Pending = {
        request,
        username: user.username,
        roles: user.roles,
        mfa: user.mfa,
        exp: request.exp,
      };
      return choose(req, reply, pending, seal(pending));
    }
    const pending = unseal<Pending>(f.get('pending'));
    if (!pending)
      return html(reply, 400, errorPage('The page has expired; start again from the application.'));
    const r = pending.request;
    req.audit.entities = [`client/${r.client_id}`];
    req.principal = { username: pending.username, roles: pending.roles, scope: '', sid: '' };
    if (step === 'search')
      return choose(req, reply, pending, f.get('pending') as string, f.get('name') ?? '');
    if (step !== 'decide') return html(reply, 400, errorPage('Unknown step.'));
    if (f.get('decision') !== 'allow')
      return redirect(reply, r.redirect_uri, {
        error: 'access_denied',
        error_description: 'The user refused',
        state: r.state,
      });
    let patient: string | undefined;
    if (needsPatient(r.scope)) {
      patient = f.get('patient');
      const problem = patient ? await patientProblem(req, ctx, patient) : 'Choose a patient first.';
      if (problem) return choose(req, reply, pending, f.get('pending') as string, undefined, problem);
      req.audit.patients = [patient as string];
    }
    const code = await issueCode(
      { db: ctx.db, box: ctx.box, tokens: ctx.tokens, sessions: ctx.sessions },
      {
        client_id: r.client_id,
        username: pending.username,
        mfa: pending.mfa,
        redirect_uri: r.redirect_uri,
        scope: r.scope,
        patient: patient ?? null,
        code_challenge: r.code_challenge,
      },
    );
    return redirect(reply, r.redirect_uri, { code, state: r.state });
  });

  /** The consent page, with the patient picker and its search results when the app needs a patient. */
  async function choose(
    req: FastifyRequest,
    reply: FastifyReply,
    pending: Pending,
    sealed: string,
    query?: string,
    error?: string,
  ) {
    const r = pending.request;
    const needs = needsPatient(r.scope);
    let patients: PatientChoice[] | undefined;
    if (needs && query !== undefined && mayOnType(pending.roles, 'Patient', 'read')) {
      const params: [string, string][] = query.trim() ? [['name', query.trim()]] : [];
      const page = await requestRepo(req, ctx).search({ type: 'Patient', params, count: 20 });
      patients = page.entries.map((e) => patientChoice(e.content));
    } else if (needs && query !== undefined) patients = [];
    return html(
      reply,
      error ? 400 : 200,
      consentPage({
        appName: r.app,
        username: pending.username,
        scopes: splitScopes(r.scope),
        pending: sealed,
        needsPatient: needs,
        query,
        patients,
        error,
      }),
      r.redirect_uri,
    );
  }
}

const needsPatient = (scope: string) =>
  splitScopes(scope).includes('launch/patient') || hasPatientScopes(scope);

/** Why the user may not launch the app for this patient, or undefined when they may. */
async function patientProblem(req: FastifyRequest, ctx: AppContext, id: string): Promise<string | undefined> {
  if (!mayOnType(req.principal?.roles ?? [], 'Patient', 'read'))
    return 'Your role may not see patient records.';
  try {
    await requestRepo(req, ctx).read('Patient', id);
    return undefined;
  } catch (err) {
    if (err instanceof FhirError) return err.message;
    throw err;
  }
}

function patientChoice(content: string): PatientChoice {
  const p = JSON.parse(content) as {
    id: string;
    birthDate?: string;
    name?: { family?: string; given?: string[]; text?: string }[];
  };
  const n = p.name?.[0];
  const name = n?.text ?? [...(n?.given ?? []), n?.family ?? ''].join(' ').trim();
  return {
    id: p.id,
    label: `${name || '(no name)'}${p.birthDate ? `, born ${p.birthDate}` : ''} (Patient/${p.id})`,
  };
}

function html(reply: FastifyReply, status: number, body: string, redirectUri?: string) {
  // The form posts here and is then redirected to the app: form-action must allow the app's origin.
  const appOrigin = redirectUri ? ` ${new URL(redirectUri).origin}` : '';
  reply.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src ${PAGE_STYLE_HASH}; form-action 'self'${appOrigin}; frame-ancestors 'none'; base-uri 'none'`,
  );
  reply.header('Cache-Control', 'no-store');
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

function redirect(reply: FastifyReply, uri: string, params: Record<string, string | undefined>) {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  reply.header('Cache-Control', 'no-store');
  return reply.redirect(url.toString(), 302);
}
