// Checks the inputs of the encoder JSON API at the edge: query strings, an encounter's codes for the edits,
// stored codes for the impact report. Each mistake is a 400 whose expression names the parameter or field.
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../platform/errors.js';
import type { EncounterCodes, EncounterType, StoredCode, SystemKey } from '../../terminology/index.js';
import { systemKeyOf } from '../../terminology/index.js';

export const MAX_IMPACT_CODES = 50_000;
const MAX_DIAGNOSES = 100;
const MAX_PROCEDURES = 200;
const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export class QueryInput {
  private readonly q: Record<string, unknown>;

  constructor(req: FastifyRequest) {
    this.q = (req.query ?? {}) as Record<string, unknown>;
  }

  string(name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const v = this.q[name];
    if (Array.isArray(v)) throw badRequest(`${name} may be given only once`, name);
    if (v === undefined || (typeof v === 'string' && v.trim() === '')) {
      if (opts.required) throw badRequest(`${name} is required`, name);
      return undefined;
    }
    const s = String(v);
    if (opts.max && s.length > opts.max)
      throw badRequest(`${name} is longer than ${opts.max} characters`, name);
    return s;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw badRequest(`${name} must be an integer from ${min} to ${max}, got "${v}"`, name);
    return Number(v);
  }

  boolean(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw badRequest(`${name} must be true or false, got "${v}"`, name);
    return v === 'true';
  }

  date(name: string): string | undefined {
    const v = this.string(name);
    if (v !== undefined && !ISO_DATE.test(v))
      throw badRequest(`${name} must be a date (yyyy-mm-dd), got "${v}"`, name);
    return v;
  }

  system(name: string): string | undefined {
    const v = this.string(name);
    if (v !== undefined) systemOf(v, name);
    return v;
  }
}

export function systemOf(value: unknown, expression: string): SystemKey {
  const key = typeof value === 'string' ? systemKeyOf(value.trim()) : undefined;
  if (!key)
    throw badRequest(
      `${expression} must be icd10cm, icd10pcs, hcpcs, cpt or an official system URI, got ${JSON.stringify(value)}`,
      expression,
    );
  return key;
}

type Json = Record<string, unknown>;

function objectAt(v: unknown, where: string): Json {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw badRequest(`${where} must be a JSON object`, where);
  return v as Json;
}

function codeAt(v: unknown, where: string): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9.\- ]{1,12}$/.test(v.trim()))
    throw badRequest(`${where} must be a code (letters, digits and a dot), got ${JSON.stringify(v)}`, where);
  return v.trim();
}

function arrayAt(v: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw badRequest(`${where} must be an array`, where);
  if (v.length > max) throw badRequest(`${where} holds more than ${max} entries`, where);
  return v;
}

const ENCOUNTER_TYPES: readonly EncounterType[] = ['inpatient', 'outpatient', 'professional', 'emergency'];
const SEXES = ['male', 'female', 'other', 'unknown'] as const;
const PROCEDURE_SYSTEMS = ['icd10pcs', 'hcpcs', 'cpt'] as const;

/** The body of POST /terminology/edits. */
export function encounterFrom(body: unknown): EncounterCodes {
  const b = objectAt(body, 'body');
  if (typeof b.date !== 'string' || !ISO_DATE.test(b.date))
    throw badRequest('date (the date of service, yyyy-mm-dd) is required', 'date');
  if (!ENCOUNTER_TYPES.includes(b.encounterType as EncounterType))
    throw badRequest(`encounterType must be one of ${ENCOUNTER_TYPES.join(', ')}`, 'encounterType');
  const enc: EncounterCodes = {
    date: b.date,
    encounterType: b.encounterType as EncounterType,
    diagnoses: arrayAt(b.diagnoses ?? [], 'diagnoses', MAX_DIAGNOSES).map((d, i) => {
      const o = objectAt(d, `diagnoses[${i}]`);
      const out: EncounterCodes['diagnoses'][number] = { code: codeAt(o.code, `diagnoses[${i}].code`) };
      if (o.poa !== undefined) {
        if (typeof o.poa !== 'string' || !/^[YNUW1]$/.test(o.poa))
          throw badRequest(`diagnoses[${i}].poa must be Y, N, U, W or 1`, `diagnoses[${i}].poa`);
        out.poa = o.poa;
      }
      return out;
    }),
  };
  if (b.ageYears !== undefined) {
    if (!Number.isInteger(b.ageYears) || (b.ageYears as number) < 0 || (b.ageYears as number) > 130)
      throw badRequest('ageYears must be an integer from 0 to 130', 'ageYears');
    enc.ageYears = b.ageYears as number;
  }
  if (b.sex !== undefined) {
    if (!SEXES.includes(b.sex as (typeof SEXES)[number]))
      throw badRequest(`sex must be one of ${SEXES.join(', ')}`, 'sex');
    enc.sex = b.sex as (typeof SEXES)[number];
  }
  if (b.procedures !== undefined) {
    enc.procedures = arrayAt(b.procedures, 'procedures', MAX_PROCEDURES).map((p, i) => {
      const where = `procedures[${i}]`;
      const o = objectAt(p, where);
      const out: NonNullable<EncounterCodes['procedures']>[number] = {
        code: codeAt(o.code, `${where}.code`),
      };
      if (o.system !== undefined) {
        if (!PROCEDURE_SYSTEMS.includes(o.system as (typeof PROCEDURE_SYSTEMS)[number]))
          throw badRequest(`${where}.system must be icd10pcs, hcpcs or cpt`, `${where}.system`);
        out.system = o.system as (typeof PROCEDURE_SYSTEMS)[number];
      }
      if (o.modifiers !== undefined) {
        const mods = arrayAt(o.modifiers, `${where}.modifiers`, 10);
        if (!mods.every((m) => typeof m === 'string' && /^[A-Za-z0-9]{2}$/.test(m)))
          throw badRequest(`${where}.modifiers must be two-character modifiers`, `${where}.modifiers`);
        out.modifiers = mods as string[];
      }
      if (o.units !== undefined) {
        if (!Number.isInteger(o.units) || (o.units as number) < 1 || (o.units as number) > 9999)
          throw badRequest(`${where}.units must be an integer from 1 to 9999`, `${where}.units`);
        out.units = o.units as number;
      }
      return out;
    });
  }
  if (enc.diagnoses.length === 0 && (enc.procedures ?? []).length === 0)
    throw badRequest('Give at least one diagnosis or procedure', 'diagnoses');
  return enc;
}

/** The body of POST /terminology/impact: { codes: [{ system, code, ref? }], icd10cmVersion?, icd10pcsVersion? }. */
export function impactFrom(body: unknown): {
  codes: StoredCode[];
  options: { icd10cmVersion?: string; icd10pcsVersion?: string };
} {
  const b = objectAt(body, 'body');
  const codes = arrayAt(b.codes, 'codes', MAX_IMPACT_CODES).map((c, i) => {
    const o = objectAt(c, `codes[${i}]`);
    const out: StoredCode = {
      system: o.system === undefined ? 'icd10cm' : systemOf(o.system, `codes[${i}].system`),
      code: codeAt(o.code, `codes[${i}].code`),
    };
    if (o.ref !== undefined) {
      if (typeof o.ref !== 'string' || o.ref.length > 500)
        throw badRequest(`codes[${i}].ref must be a string`, `codes[${i}].ref`);
      out.ref = o.ref;
    }
    return out;
  });
  const options: { icd10cmVersion?: string; icd10pcsVersion?: string } = {};
  for (const k of ['icd10cmVersion', 'icd10pcsVersion'] as const) {
    const v = b[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !/^(FY)?\d{4}$/.test(v))
      throw badRequest(`${k} must be a fiscal year such as 2026`, k);
    options[k] = v;
  }
  return { codes, options };
}
