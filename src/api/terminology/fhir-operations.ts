// FHIR terminology operations at /fhir/R4: CodeSystem/$lookup, CodeSystem/$validate-code, ValueSet/$expand and
// ValueSet/$validate-code (of a system's implicit value set, or of a ValueSet given in the body),
// by GET (query parameters) or POST (a Parameters resource or a form). Registered as static routes, which
// Fastify prefers over the instance route /fhir/R4/:type/:id.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../../platform/errors.js';
import {
  canonicalCode,
  SYSTEM_NAMES,
  type SystemKey,
  systemKeyOf,
  type ValueSetDefinition,
} from '../../terminology/index.js';
import { FHIR_JSON } from '../fhir/respond.js';
import {
  definitionExpansion,
  expansionValueSet,
  lookupParameters,
  validateParameters,
  valueSetValidationParameters,
} from './fhir-render.js';
import type { TerminologyHolder } from './holder.js';
import { type OperationInput, operationInput } from './operation-input.js';
import { valueSetDefinition } from './value-set-input.js';

const MAX_OFFSET = 1_000_000;

/** A system URI (or key) given by the caller; unknown is a 400 naming the parameter it came in. */
function systemFrom(value: string | undefined, expression: string): SystemKey {
  if (value === undefined || value.trim() === '')
    throw badRequest(
      `${expression} is required (the code system URI, e.g. http://hl7.org/fhir/sid/icd-10-cm)`,
      expression,
    );
  const key = systemKeyOf(value.trim());
  if (!key) throw badRequest(`Unknown code system "${value}"`, expression);
  return key;
}

/** code, system and version, given either as separate parameters or as one Coding (coding / codeableConcept). */
function codedInput(
  input: OperationInput,
  systemParams: string[],
): { system: SystemKey; code: string; version?: string; display?: string } {
  const coding = input.coding('coding') ?? input.coding('codeableConcept');
  const code = input.one('code');
  if (coding && code !== undefined) throw badRequest('Give either code or coding, not both', 'code');
  if (coding) {
    if (!coding.code) throw badRequest('coding.code is required', 'coding.code');
    return {
      system: systemFrom(coding.system, 'coding.system'),
      code: coding.code,
      version: coding.version,
      display: coding.display,
    };
  }
  if (code === undefined || code.trim() === '') throw badRequest('code is required', 'code');
  if (code.length > 40) throw badRequest('code is too long to be a code', 'code');
  const name = systemParams.find((p) => input.all(p).length > 0) ?? systemParams[0];
  return {
    system: systemFrom(input.one(name), name),
    code,
    version: input.one('version'),
    display: input.one('display'),
  };
}

/** url = a code system URI (the implicit value set of the whole system), optionally ?fhir_vs or ?fhir_vs=isa/<code>. */
function parseValueSetUrl(url: string): { system: SystemKey; parent?: string } {
  const [base, query] = [url.split('?')[0], url.includes('?') ? url.slice(url.indexOf('?') + 1) : undefined];
  const system = systemKeyOf(base);
  if (!system)
    throw badRequest(
      `url must be the URI of a loaded code system (optionally with ?fhir_vs or ?fhir_vs=isa/<code>), got "${url}"`,
      'url',
    );
  if (query === undefined || query === 'fhir_vs') return { system };
  const isa = /^fhir_vs=isa\/(.+)$/.exec(query);
  if (!isa) throw badRequest(`Only ?fhir_vs and ?fhir_vs=isa/<code> are supported, got "?${query}"`, 'url');
  const parent = decodeURIComponent(isa[1]);
  if (!/^[A-Za-z0-9.]{1,10}$/.test(parent)) throw badRequest(`Not a code: "${parent}"`, 'url');
  return { system, parent: canonicalCode(system, parent) };
}

function versionFromSystemVersion(input: OperationInput, system: SystemKey): string | undefined {
  for (const sv of input.all('system-version')) {
    const [uri, version] = sv.split('|');
    if (!version) throw badRequest(`system-version must be "uri|version", got "${sv}"`, 'system-version');
    if (systemKeyOf(uri) === system) return version;
  }
  return undefined;
}

export function terminologyOperationRoutes(app: FastifyInstance, holder: TerminologyHolder): void {
  const both = (path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
    app.get(path, handler);
    app.post(path, handler);
  };

  both('/fhir/R4/CodeSystem/$lookup', async (req, reply) => {
    req.audit = { action: 'E', interaction: 'operation-lookup', entities: [], patients: [] };
    const input = operationInput(req);
    const c = codedInput(input, ['system']);
    const date = input.date('date');
    const wanted = input.all('property');
    const t = await holder.get();
    const detail = t.lookup({ system: c.system, code: c.code, version: c.version, date });
    return reply.type(FHIR_JSON).send(lookupParameters(detail, SYSTEM_NAMES[c.system], wanted));
  });

  both('/fhir/R4/CodeSystem/$validate-code', async (req, reply) => {
    req.audit = { action: 'E', interaction: 'operation-validate-code', entities: [], patients: [] };
    const input = operationInput(req);
    const c = codedInput(input, ['url', 'system']);
    const date = input.date('date');
    const abstractAllowed = input.boolean('abstract') ?? false;
    const t = await holder.get();
    const r = t.validateCode({ system: c.system, code: c.code, version: c.version, date });
    return reply.type(FHIR_JSON).send(validateParameters(r, { abstractAllowed, display: c.display }));
  });

  both('/fhir/R4/ValueSet/$expand', async (req, reply) => {
    req.audit = { action: 'E', interaction: 'operation-expand', entities: [], patients: [] };
    const input = operationInput(req);
    const filter = input.one('filter');
    if (filter !== undefined && filter.length > 200)
      throw badRequest('filter is longer than 200 characters', 'filter');
    const count = input.integer('count', 0, 1000) ?? 100;
    const offset = input.integer('offset', 0, MAX_OFFSET) ?? 0;
    const date = input.date('date');
    const given = input.resource('valueSet');
    if (given) {
      // a ValueSet in the body: its compose.include / exclude of the systems served
      const def = valueSetDefinition(given.value, given.where);
      const t = await holder.get();
      const r = t.expandValueSet(def, { filter, date, offset, count });
      return reply
        .type(FHIR_JSON)
        .send(definitionExpansion(given.value as Record<string, unknown>, r, { filter, count }));
    }
    const url = input.one('url');
    if (url === undefined || url.trim() === '')
      throw badRequest(
        'url (a code system URI such as http://hl7.org/fhir/sid/icd-10-cm?fhir_vs=isa/E11) or a valueSet resource is required',
        'url',
      );
    const { system, parent } = parseValueSetUrl(url.trim());
    const version = versionFromSystemVersion(input, system);
    const t = await holder.get();
    const r = t.expand({ system, version, date, filter, parent, offset, count });
    return reply.type(FHIR_JSON).send(expansionValueSet(url.trim(), r, { filter, count }));
  });

  both('/fhir/R4/ValueSet/$validate-code', async (req, reply) => {
    req.audit = { action: 'E', interaction: 'operation-validate-code', entities: [], patients: [] };
    const input = operationInput(req);
    const c = codedInput(input, ['system']);
    const date = input.date('date');
    const given = input.resource('valueSet');
    let def: ValueSetDefinition;
    if (given) def = valueSetDefinition(given.value, given.where);
    else {
      const url = input.one('url');
      if (url === undefined || url.trim() === '')
        throw badRequest(
          'url (a code system URI, optionally ?fhir_vs=isa/<code>) or a valueSet resource is required',
          'url',
        );
      const { system, parent } = parseValueSetUrl(url.trim());
      def = {
        url: url.trim(),
        include: [{ system, filters: parent ? [{ property: 'concept', op: 'is-a', value: parent }] : [] }],
        exclude: [],
      };
    }
    const t = await holder.get();
    const r = t.validateInValueSet(def, { system: c.system, code: c.code, date });
    return reply.type(FHIR_JSON).send(valueSetValidationParameters(r, c.display));
  });
}
