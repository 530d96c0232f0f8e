// Builds the HTTP server: body parsing, the request pipeline, error mapping and the route plugins.
import fs from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { parseJson as parseFhirJson } from '../fhir/json.js';
import { FhirError, issue } from '../platform/errors.js';
import { clientRoutes } from './admin/clients.js';
import { signingKeyRoutes } from './admin/signing-keys.js';
import { auditReportRoutes } from './audit-report.js';
import { mfaRoutes } from './auth/mfa.js';
import { sessionRoutes } from './auth/session.js';
import { tokenRoutes } from './auth/token.js';
import { userRoutes } from './auth/users.js';
import type { AppContext } from './context.js';
import { bulkExportRoutes } from './fhir/bulk-export.js';
import { everythingRoutes } from './fhir/everything.js';
import { instanceRoutes } from './fhir/instance.js';
import { FHIR_JSON } from './fhir/respond.js';
import { searchRoutes } from './fhir/search.js';
import { systemRoutes } from './fhir/system-level.js';
import { typeRoutes } from './fhir/type-level.js';
import { disclosureRoutes } from './him/disclosures.js';
import { restrictedAccessRoutes } from './him/restricted-access.js';
import { installMinimumNecessary } from './minimum-necessary.js';
import { authorizeRoutes } from './oauth/authorize.js';
import { discoveryRoutes } from './oauth/discovery.js';
import { oauthTokenRoutes } from './oauth/token.js';
import { installPipeline } from './pipeline.js';
import { installSecurityHeaders } from './security-headers.js';
import { terminologyRoutes } from './terminology/routes.js';
import { codeSearchPageRoutes } from './ui/code-search-page.js';

export const VERSION = '0.1.0';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, for the authorization test that checks each has an access rule. */
    routeList: { method: string; url: string }[];
  }
}

export function buildApp(ctx: AppContext): FastifyInstance {
  const tls =
    ctx.config.tlsCert && ctx.config.tlsKey
      ? { cert: fs.readFileSync(ctx.config.tlsCert), key: fs.readFileSync(ctx.config.tlsKey) }
      : undefined;
  const app = Fastify({
    ...(tls ? { https: tls } : {}),
    // No request log: URLs and bodies carry PHI (search parameters, names). Errors are reported
    // without request data (see the error handler).
    logger: false,
    bodyLimit: ctx.config.bodyLimit,
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true },
  });

  const parseJson = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0) return done(null, undefined);
    try {
      // Decimals keep their precision (1.50 stays 1.50): see fhir/json.ts.
      done(null, parseFhirJson(body));
    } catch (err) {
      done(new FhirError(400, issue('structure', `The body is not valid JSON: ${(err as Error).message}`)));
    }
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/fhir+json', 'application/json-patch+json'],
    { parseAs: 'string' },
    parseJson,
  );
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, [...new URLSearchParams(body as string).entries()]);
  });
  app.addContentTypeParser('*', (req, _payload, done) => {
    done(
      new FhirError(
        415,
        issue(
          'not-supported',
          `Unsupported Content-Type "${req.headers['content-type']}"; send application/fhir+json`,
        ),
      ),
    );
  });

  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routeList.push({ method, url: r.url });
  });
  installPipeline(app, ctx);
  installSecurityHeaders(app, Boolean(tls));
  installMinimumNecessary(app, ctx.repo.ssn);

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof FhirError) {
      if (err.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="chartroom"');
      return reply.code(err.status).type(FHIR_JSON).send(err.outcome);
    }
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(413)
        .type(FHIR_JSON)
        .send({
          resourceType: 'OperationOutcome',
          issue: [issue('too-costly', `The body is larger than the limit of ${ctx.config.bodyLimit} bytes`)],
        });
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply
        .code(e.statusCode)
        .type(FHIR_JSON)
        .send({ resourceType: 'OperationOutcome', issue: [issue('invalid', e.message)] });
    }
    // The message of an unexpected error may quote data (a database error cites the values it refused),
    // so only its kind and where it happened are written.
    const frames = ((err as Error).stack ?? '').split('\n').slice(1, 8).join('\n');
    process.stderr.write(
      `internal error ${(err as Error).name} ${(err as { code?: string }).code ?? ''} (message withheld: it may hold patient data)\n${frames}\n`,
    );
    return reply
      .code(500)
      .type(FHIR_JSON)
      .send({
        resourceType: 'OperationOutcome',
        issue: [issue('exception', 'Internal server error; the request was not applied')],
      });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .type(FHIR_JSON)
      .send({
        resourceType: 'OperationOutcome',
        issue: [issue('not-found', `No route for ${req.method} ${req.url.split('?')[0]}`)],
      });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  tokenRoutes(app, ctx);
  mfaRoutes(app, ctx);
  userRoutes(app, ctx);
  sessionRoutes(app, ctx);
  discoveryRoutes(app, ctx);
  authorizeRoutes(app, ctx);
  oauthTokenRoutes(app, ctx);
  clientRoutes(app, ctx);
  signingKeyRoutes(app, ctx);
  auditReportRoutes(app, ctx);
  disclosureRoutes(app, ctx);
  restrictedAccessRoutes(app, ctx);
  systemRoutes(app, ctx, VERSION);
  everythingRoutes(app, ctx);
  bulkExportRoutes(app, ctx);
  typeRoutes(app, ctx);
  searchRoutes(app, ctx);
  instanceRoutes(app, ctx);
  terminologyRoutes(app, ctx);
  codeSearchPageRoutes(app);
  return app;
}
