// Registration of OAuth client applications (clients:manage): SMART apps (public or confidential)
// and backend services (a key set or its URL, and the roles the client acts with).
import type { FastifyInstance } from 'fastify';
import { parseRegistration } from '../../security/oauth/clients.js';
import { type ClientRow, insertClient, listClients } from '../../store/oauth.js';
import type { AppContext } from '../context.js';

const view = (c: Omit<ClientRow, 'created_at' | 'disabled'> & Partial<ClientRow>) => ({
  client_id: c.client_id,
  name: c.name,
  type: c.type,
  redirect_uris: c.redirect_uris,
  scopes: c.scopes,
  token_endpoint_auth_method:
    c.type === 'public' ? 'none' : c.secret_hash ? 'client_secret_basic' : 'private_key_jwt',
  ...(c.jwks ? { jwks: JSON.parse(c.jwks) } : {}),
  ...(c.jwks_url ? { jwks_url: c.jwks_url } : {}),
  roles: c.roles,
  created_by: c.created_by,
  ...(c.created_at ? { created_at: c.created_at } : {}),
  ...(c.disabled !== undefined ? { disabled: c.disabled } : {}),
});

export function clientRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/admin/clients', async (req) => {
    req.audit = { action: 'R', interaction: 'client-list', entities: [], patients: [] };
    return (await listClients(ctx.db)).map(view);
  });

  app.post('/admin/clients', async (req, reply) => {
    req.audit = { action: 'C', interaction: 'client-create', entities: [], patients: [] };
    const { row, secret } = parseRegistration(req.body, req.principal?.username ?? '');
    await insertClient(ctx.db, row);
    req.audit.entities = [`client/${row.client_id}`];
    reply.header('Cache-Control', 'no-store');
    return reply.code(201).send({ ...view(row), ...(secret ? { client_secret: secret } : {}) });
  });
}
