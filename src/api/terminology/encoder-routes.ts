// The encoder's JSON API under /terminology, for the web encoder panel: search, the neoplasm and drug tables,
// code detail, edits for an encounter, loaded versions, the yearly diff and the impact report.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../platform/errors.js';
import type { TerminologyHolder } from './holder.js';
import { encounterFrom, impactFrom, QueryInput, systemOf } from './json-input.js';

type TableParams = { Params: { table: string } };
type CodeParams = { Params: { system: string; code: string } };

export function encoderRoutes(app: FastifyInstance, holder: TerminologyHolder): void {
  app.get('/terminology/search', async (req) => {
    req.audit = { action: 'E', interaction: 'terminology-search', entities: [], patients: [] };
    const q = new QueryInput(req);
    const query = q.string('q', { required: true, max: 500 }) as string;
    const options = {
      system: q.system('system'),
      version: q.string('version', { max: 20 }),
      date: q.date('date'),
      limit: q.integer('limit', 1, 500),
      billableOnly: q.boolean('billableOnly'),
    };
    return (await holder.get()).search(query, options);
  });

  app.get<TableParams>('/terminology/tables/:table', async (req) => {
    req.audit = { action: 'E', interaction: 'terminology-table-search', entities: [], patients: [] };
    const { table } = req.params;
    if (table !== 'neoplasm' && table !== 'drug')
      throw badRequest(`table must be "neoplasm" or "drug", got "${table}"`, 'table');
    const q = new QueryInput(req);
    const query = q.string('q', { required: true, max: 200 }) as string;
    const options = { column: q.string('column', { max: 60 }), limit: q.integer('limit', 1, 200) };
    return (await holder.get()).searchTable(table, query, options);
  });

  app.get<CodeParams>('/terminology/codes/:system/:code', async (req) => {
    req.audit = { action: 'R', interaction: 'terminology-code-detail', entities: [], patients: [] };
    const system = systemOf(req.params.system, 'system');
    const code = req.params.code;
    if (!/^[A-Za-z0-9.]{1,12}$/.test(code)) throw badRequest(`Not a code: "${code}"`, 'code');
    const q = new QueryInput(req);
    const options = { date: q.date('date'), version: q.string('version', { max: 20 }) };
    return (await holder.get()).lookup({ system, code, ...options });
  });

  app.post('/terminology/edits', async (req) => {
    req.audit = { action: 'E', interaction: 'terminology-edits', entities: [], patients: [] };
    const encounter = encounterFrom(req.body);
    return (await holder.get()).edits(encounter);
  });

  app.get('/terminology/versions', async (req) => {
    req.audit = { action: 'R', interaction: 'terminology-versions', entities: [], patients: [] };
    return { versions: (await holder.get()).versions() };
  });

  app.get('/terminology/diff', async (req) => {
    req.audit = { action: 'R', interaction: 'terminology-diff', entities: [], patients: [] };
    const q = new QueryInput(req);
    const system = systemOf(q.string('system') ?? 'icd10cm', 'system');
    const from = q.string('from', { required: true, max: 20 }) as string;
    const to = q.string('to', { required: true, max: 20 }) as string;
    return (await holder.get()).diff(system, from, to);
  });

  app.post('/terminology/impact', async (req) => {
    req.audit = { action: 'E', interaction: 'terminology-impact', entities: [], patients: [] };
    const { codes, options } = impactFrom(req.body);
    return (await holder.get()).impact(codes, options);
  });
}
