// The inputs of a FHIR operation, from the query string (GET) or a Parameters resource or form body (POST),
// read into one shape and checked at the edge: each mistake is a 400 naming the parameter.
import type { Coding } from '@medplum/fhirtypes';
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../platform/errors.js';
import { queryPairs } from '../fhir/respond.js';

const PRIMITIVE_VALUES = [
  'valueString',
  'valueCode',
  'valueUri',
  'valueUrl',
  'valueCanonical',
  'valueDate',
  'valueDateTime',
  'valueInteger',
  'valueUnsignedInt',
  'valuePositiveInt',
  'valueBoolean',
  'valueDecimal',
  'valueId',
] as const;

export class OperationInput {
  private readonly values = new Map<string, string[]>();
  private readonly codings = new Map<string, Coding[]>();
  private readonly resources = new Map<string, { value: unknown; where: string }>();

  addResource(name: string, value: unknown, where: string): void {
    if (this.resources.has(name)) throw badRequest(`${name} may be given only once`, where);
    this.resources.set(name, { value, where });
  }

  /** A resource parameter (POST Parameters only) and where it sits in the body. */
  resource(name: string): { value: unknown; where: string } | undefined {
    return this.resources.get(name);
  }

  add(name: string, value: string): void {
    this.values.set(name, [...(this.values.get(name) ?? []), value]);
  }

  addCoding(name: string, coding: Coding): void {
    this.codings.set(name, [...(this.codings.get(name) ?? []), coding]);
  }

  /** A single-valued parameter; given twice is a 400. */
  one(name: string): string | undefined {
    const all = this.values.get(name);
    if (!all || all.length === 0) return undefined;
    if (all.length > 1) throw badRequest(`${name} may be given only once`, name);
    return all[0];
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  coding(name: string): Coding | undefined {
    const all = this.codings.get(name);
    if (!all || all.length === 0) return undefined;
    if (all.length > 1) throw badRequest(`${name} may be given only once`, name);
    return all[0];
  }

  /** A date of service: an ISO date (a dateTime is cut to its date). */
  date(name: string): string | undefined {
    const v = this.one(name);
    if (v === undefined) return undefined;
    if (!/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T[\d:.]+(Z|[+-]\d\d:\d\d)?)?$/.test(v))
      throw badRequest(`${name} must be a date (yyyy-mm-dd), got "${v}"`, name);
    return v.slice(0, 10);
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.one(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw badRequest(`${name} must be an integer from ${min} to ${max}, got "${v}"`, name);
    return Number(v);
  }

  boolean(name: string): boolean | undefined {
    const v = this.one(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw badRequest(`${name} must be true or false, got "${v}"`, name);
    return v === 'true';
  }
}

function readParameters(body: unknown, input: OperationInput): void {
  const p = body as { resourceType?: unknown; parameter?: unknown };
  if (!p || typeof p !== 'object' || p.resourceType !== 'Parameters')
    throw badRequest('The body must be a FHIR Parameters resource', 'Parameters');
  if (p.parameter === undefined) return;
  if (!Array.isArray(p.parameter))
    throw badRequest('Parameters.parameter must be an array', 'Parameters.parameter');
  p.parameter.forEach((raw: unknown, i: number) => {
    const where = `Parameters.parameter[${i}]`;
    const e = raw as Record<string, unknown>;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || e.name === '')
      throw badRequest(`${where} needs a name`, `${where}.name`);
    const name = e.name;
    const key = PRIMITIVE_VALUES.find((k) => e[k] !== undefined);
    if (key) {
      const v = e[key];
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        throw badRequest(`${where}.${key} must be a primitive value`, `${where}.${key}`);
      input.add(name, String(v));
    } else if (e.valueCoding !== undefined) {
      input.addCoding(name, codingAt(e.valueCoding, `${where}.valueCoding`));
    } else if (e.valueCodeableConcept !== undefined) {
      const cc = e.valueCodeableConcept as { coding?: unknown };
      if (!cc || typeof cc !== 'object' || !Array.isArray(cc.coding) || cc.coding.length === 0)
        throw badRequest(`${where}.valueCodeableConcept needs a coding`, `${where}.valueCodeableConcept`);
      cc.coding.forEach((c, j) => {
        input.addCoding(name, codingAt(c, `${where}.valueCodeableConcept.coding[${j}]`));
      });
    } else if (e.resource !== undefined) {
      input.addResource(name, e.resource, `${where}.resource`);
    } else if (e.part === undefined) {
      throw badRequest(`${where} (${name}) has no value`, where);
    }
  });
}

function codingAt(raw: unknown, where: string): Coding {
  const c = raw as Coding;
  if (!c || typeof c !== 'object') throw badRequest(`${where} must be a Coding`, where);
  for (const k of ['system', 'code', 'version', 'display'] as const)
    if (c[k] !== undefined && typeof c[k] !== 'string')
      throw badRequest(`${where}.${k} must be a string`, `${where}.${k}`);
  return c;
}

/** The operation's inputs: query parameters, plus the POST body (Parameters or a form). */
export function operationInput(req: FastifyRequest): OperationInput {
  const input = new OperationInput();
  for (const [k, v] of queryPairs(req)) if (!k.startsWith('_')) input.add(k, v);
  if (req.method === 'POST') {
    if (Array.isArray(req.body)) {
      for (const [k, v] of req.body as [string, string][]) input.add(k, v);
    } else if (req.body !== undefined) {
      readParameters(req.body, input);
    }
  }
  return input;
}
