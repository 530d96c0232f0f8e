// SQL conditions for parsed search filters over the resource table (alias given) and the index tables.
// Each parameter becomes one EXISTS over its index table with the OR-ed values inside, so a resource
// matches when any one of its values matches (AND between repeated parameters is the caller's).
import { codeHierarchy, HIERARCHY_SYSTEMS, prefixEnd } from '../../fhir/code-hierarchy.js';
import { compartmentParams, typeSchema } from '../../fhir/definitions.js';
import { splitUnion } from '../../fhir/index/compile-path.js';
import { type CompiledParam, findParam, storedParams } from '../../fhir/index/search-params.js';
import { dateRange, normalizeString, numberRange } from '../../fhir/index/values.js';
import { isSealed, SSN_LIKE, SSN_SYSTEM } from '../../fhir/ssn.js';
import { badRequest } from '../../platform/errors.js';
import type { ParamRegistry } from '../param-registry.js';
import { visibleRecordSql } from '../restrictions.js';
import { compositeQuantityRange, parseQuantity, quantityConditions } from './compile-quantity.js';
import { compareCondition, tokenRowCondition } from './filter-conditions.js';
import { type Filter, splitPipe, splitUnescaped, unescapeValue } from './parse.js';
import { prefixOf, rangeCondition, widen } from './range-condition.js';

/** Parameter values and fresh table aliases for one SQL statement. */
export class SqlParts {
  readonly values: unknown[] = [];
  private n = 0;
  add(v: unknown, cast?: string): string {
    this.values.push(v);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
  alias(prefix = 'x'): string {
    return `${prefix}${++this.n}`;
  }
}

/** A ValueSet as far as token `:in` needs it: enumerated codes and whole systems. */
export interface ExpandedValueSet {
  codes: { system: string; code: string }[];
  systems: string[];
}

export interface ConditionContext {
  sql: SqlParts;
  registry: ParamRegistry;
  /** The server's FHIR base, so absolute references to this server match local ones. */
  fhirBase?: string;
  valueSets: Map<string, ExpandedValueSet>;
  /** Restricted patients the caller may see (undefined: sees all). */
  visibleRestricted?: string[];
  /** The blind index SSNs are stored under: an SSN is searched by it, never by the number. */
  blindIndex?: (value: string) => string;
}

/** The index-table parameter ids of a parameter code over several resource types. */
function paramIds(ctx: ConditionContext, types: string[], p: CompiledParam): string {
  const list = paramIdList(ctx, types, p);
  return list.length === 1 ? ctx.sql.add(list[0]) : `ANY(${ctx.sql.add(list, 'int[]')})`;
}

function paramIdList(ctx: ConditionContext, types: string[], p: CompiledParam): number[] {
  const ids = new Set<number>();
  for (const t of types) {
    const q = findParam(t, p.code);
    if (q) for (const stored of storedParams(q)) ids.add(ctx.registry.idOf(stored));
  }
  return [...ids];
}

/** The index ids of the reference parameters that put a resource of `type` into a `compartment`. */
function compartmentParamIds(ctx: ConditionContext, compartment: string, type: string): number[] {
  const ids = compartmentParams(compartment, type).flatMap((code) => {
    const p = findParam(type, code);
    return p?.type === 'reference' ? [ctx.registry.idOf(p)] : [];
  });
  return [...new Set(ids)];
}

const TABLE: Record<string, string> = {
  token: 'sp_token',
  string: 'sp_string',
  date: 'sp_date',
  reference: 'sp_reference',
  number: 'sp_number',
  quantity: 'sp_quantity',
  uri: 'sp_uri',
  composite: 'sp_composite',
};

/** The SQL condition for one filter on the resource aliased `r` of one of `types`. */
export function filterSql(ctx: ConditionContext, f: Filter, r: string, types: string[]): string {
  const { sql } = ctx;
  switch (f.kind) {
    case 'id':
      return `${r}.id = ANY(${sql.add(f.values, 'text[]')})`;
    case 'lastUpdated':
      return `(${f.values
        .map((v) => {
          const [prefix, d] = prefixOf(v);
          const range = dateRange(d);
          if (!range) throw badRequest(`Invalid date "${d}" for _lastUpdated`, '_lastUpdated');
          const [L, H] = widen(prefix, range, 'date');
          return rangeCondition(
            prefix,
            () => sql.add(L, 'timestamptz'),
            () => sql.add(H, 'timestamptz'),
            { lo: `${r}.last_updated`, hi: `${r}.last_updated` },
          );
        })
        .join(' OR ')})`;
    case 'list': {
      const x = sql.alias();
      const l = sql.alias('l');
      const item = findParam('List', 'item') as CompiledParam;
      return `EXISTS (SELECT 1 FROM resource ${l} JOIN sp_reference ${x} ON ${x}.rid = ${l}.rid
        WHERE ${l}.type = 'List' AND ${l}.id = ANY(${sql.add(f.values, 'text[]')}) AND NOT ${l}.deleted
        AND ${x}.param = ${sql.add(ctx.registry.idOf(item))} AND ${x}.target_type = ${r}.type AND ${x}.target_id = ${r}.id${listVisible(ctx, l)})`;
    }
    case 'text': {
      const t = sql.alias('t');
      const col = f.field === '_text' ? 'narrative' : 'content';
      const conds = f.values.map((v) => `${t}.${col} @@ websearch_to_tsquery('english', ${sql.add(v)})`);
      return `EXISTS (SELECT 1 FROM sp_text ${t} WHERE ${t}.rid = ${r}.rid AND (${conds.join(' OR ')}))`;
    }
    case 'compartment': {
      const c = sql.alias('c');
      // For one type other than Patient, membership is a reference to the patient by one of the type's
      // compartment parameters: the same rows resource_compartment is computed from (fhir/index/
      // extract.ts), but only those of this type, which makes a patient-anchored search start from
      // far fewer rows (store/search/compile.ts).
      const ids =
        types.length === 1 && types[0] !== 'Patient' ? compartmentParamIds(ctx, 'Patient', types[0]) : [];
      if (ids.length)
        return `EXISTS (SELECT 1 FROM sp_reference ${c} WHERE ${c}.rid = ${r}.rid AND ${c}.param = ANY(${sql.add(ids, 'int[]')}) AND ${c}.target_type = 'Patient' AND ${c}.target_id = ANY(${sql.add(f.patients, 'text[]')}))`;
      return `EXISTS (SELECT 1 FROM resource_compartment ${c} WHERE ${c}.rid = ${r}.rid AND ${c}.patient = ANY(${sql.add(f.patients, 'text[]')}))`;
    }
    case 'in-compartment': {
      // No precomputed membership as for patients: a reference to the compartment's resource by one of
      // the type's member parameters (its CompartmentDefinition), or the resource itself.
      const c = sql.alias('c');
      const ids = [...new Set(types.flatMap((t) => compartmentParamIds(ctx, f.compartment, t)))];
      const terms: string[] = [];
      if (ids.length)
        terms.push(
          `EXISTS (SELECT 1 FROM sp_reference ${c} WHERE ${c}.rid = ${r}.rid AND ${c}.param = ANY(${sql.add(ids, 'int[]')}) AND ${c}.target_type = ${sql.add(f.compartment)} AND ${c}.target_id = ${sql.add(f.id)})`,
        );
      if (types.includes(f.compartment))
        terms.push(`(${r}.type = ${sql.add(f.compartment)} AND ${r}.id = ${sql.add(f.id)})`);
      if (terms.length === 0) return 'false';
      return terms.length === 1 ? terms[0] : `(${terms.join(' OR ')})`;
    }
    case 'missing': {
      const x = sql.alias();
      return `${f.missing ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${TABLE[f.param.type]} ${x} WHERE ${x}.rid = ${r}.rid AND ${x}.param = ${paramIds(ctx, types, f.param)})`;
    }
    case 'chain': {
      const x = sql.alias();
      const t = sql.alias('t');
      const inner = f.inner.map((g) => filterSql(ctx, g, t, f.types));
      return `EXISTS (SELECT 1 FROM sp_reference ${x} JOIN resource ${t} ON ${t}.type = ${x}.target_type AND ${t}.id = ${x}.target_id
        WHERE ${x}.rid = ${r}.rid AND ${x}.param = ${paramIds(ctx, types, f.param)}
        AND ${t}.type = ANY(${sql.add(f.types, 'text[]')}) AND NOT ${t}.deleted AND ${[...inner, visibilitySql(ctx, t)].filter(Boolean).join(' AND ')})`;
    }
    case 'has': {
      const x = sql.alias();
      const h = sql.alias('h');
      const inner = f.inner.map((g) => filterSql(ctx, g, h, [f.type]));
      return `EXISTS (SELECT 1 FROM sp_reference ${x} JOIN resource ${h} ON ${h}.rid = ${x}.rid
        WHERE ${x}.param = ${sql.add(ctx.registry.idOf(f.param))} AND ${x}.target_type = ${r}.type AND ${x}.target_id = ${r}.id
        AND ${h}.type = ${sql.add(f.type)} AND NOT ${h}.deleted AND ${[...inner, visibilitySql(ctx, h)].filter(Boolean).join(' AND ')})`;
    }
    case 'param':
      return paramSql(ctx, f, r, types);
    case 'and':
    case 'or':
      return `(${f.items.map((g) => filterSql(ctx, g, r, types)).join(f.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT (${filterSql(ctx, f.inner, r, types)})`;
    case 'compare': {
      const x = sql.alias();
      return `EXISTS (SELECT 1 FROM ${TABLE[f.param.type]} ${x} WHERE ${x}.rid = ${r}.rid AND ${x}.param = ${paramIds(ctx, types, f.param)} AND ${compareCondition(sql, x, f)})`;
    }
    case 'token-row': {
      const x = sql.alias();
      return `EXISTS (SELECT 1 FROM sp_token ${x} WHERE ${x}.rid = ${r}.rid AND ${x}.param = ${paramIds(ctx, types, f.param)} AND ${tokenRowCondition(sql, x, f.where)})`;
    }
  }
}

/**
 * Hides resources of restricted patients, and labelled resources, the caller may not see (authorization
 * inside the query).
 */
export function visibilitySql(ctx: ConditionContext, r: string): string {
  if (!ctx.visibleRestricted) return '';
  return visibleRecordSql(r, ctx.sql.add(ctx.visibleRestricted, 'text[]'), ctx.sql.alias('rp'));
}

/** A List the caller may not see selects nothing (its membership would reveal it). */
function listVisible(ctx: ConditionContext, l: string): string {
  const vis = visibilitySql(ctx, l);
  return vis ? ` AND ${vis}` : '';
}

function paramSql(
  ctx: ConditionContext,
  f: Extract<Filter, { kind: 'param' }>,
  r: string,
  types: string[],
): string {
  const { sql } = ctx;
  const p = f.param;
  const x = sql.alias();
  let table = TABLE[p.type];
  let negate = false;
  let conds: string[];
  let params: string | undefined;
  const name = f.modifier ? `${p.code}:${f.modifier}` : p.code;
  switch (p.type) {
    case 'token': {
      negate = f.modifier === 'not' || f.modifier === 'not-in';
      conds = f.values.map((v) => tokenCondition(ctx, x, f.modifier, v, name));
      break;
    }
    case 'reference': {
      if (f.modifier === 'identifier') {
        table = 'sp_token';
        conds = f.values.map((v) => tokenCondition(ctx, x, undefined, v, name));
      } else conds = f.values.map((v) => referenceCondition(ctx, x, f.modifier, v));
      break;
    }
    case 'string': {
      conds = f.values.map((raw) => {
        const s = unescapeValue(raw);
        if (f.modifier === 'exact') return `${x}.raw = ${sql.add(s)}`;
        const norm = likeEscape(normalizeString(s));
        return `${x}.value LIKE ${sql.add(f.modifier === 'contains' ? `%${norm}%` : `${norm}%`)}`;
      });
      break;
    }
    case 'uri': {
      conds = f.values.map((raw) => {
        const s = unescapeValue(raw);
        if (f.modifier === 'below') return `${x}.value LIKE ${sql.add(`${likeEscape(s)}%`)}`;
        if (f.modifier === 'above') return `${x}.value = ANY(${sql.add(uriPrefixes(s), 'text[]')})`;
        return `${x}.value = ${sql.add(s)}`;
      });
      break;
    }
    case 'date': {
      conds = f.values.map((v) => {
        const [prefix, d] = prefixOf(v);
        const range = dateRange(d);
        if (!range)
          throw badRequest(
            `Invalid date "${d}" for ${p.code}: use YYYY, YYYY-MM, YYYY-MM-DD or a dateTime`,
            name,
          );
        const [L, H] = widen(prefix, range, 'date');
        return rangeCondition(
          prefix,
          () => sql.add(L, 'timestamptz'),
          () => sql.add(H, 'timestamptz'),
          { lo: `${x}.lo`, hi: `${x}.hi` },
        );
      });
      break;
    }
    case 'number': {
      conds = f.values.map((v) => {
        const [prefix, rest] = prefixOf(v);
        const num = unescapeValue(splitUnescaped(rest, '|')[0]);
        const range = numberRange(num);
        if (!range) throw badRequest(`Invalid number "${num}" for ${p.code}`, name);
        const [L, H] = widen(prefix, range, 'number');
        return rangeCondition(
          prefix,
          () => sql.add(L, 'numeric'),
          () => sql.add(H, 'numeric'),
          { lo: `${x}.lo`, hi: `${x}.hi` },
        );
      });
      break;
    }
    case 'quantity': {
      const values = f.values.map((v) => parseQuantity(v, p.code, name));
      ({ params, conds } = quantityConditions(sql, x, values, paramIdList(ctx, types, p)));
      break;
    }
    case 'composite': {
      conds = f.values.map((v) => compositeCondition(ctx, x, p, v, name));
      break;
    }
    default:
      throw badRequest(`Search by ${p.code} (${p.type}) is not supported`, name);
  }
  params ??= paramIds(ctx, types, p);
  return `${negate ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} ${x} WHERE ${x}.rid = ${r}.rid AND ${x}.param = ${params} AND (${conds.join(' OR ')}))`;
}

function tokenCondition(
  ctx: ConditionContext,
  x: string,
  modifier: string | undefined,
  v: string,
  name: string,
): string {
  const { sql } = ctx;
  if (modifier === 'text')
    return `${x}.text LIKE ${sql.add(`${likeEscape(normalizeString(unescapeValue(v)))}%`)}`;
  if (modifier === 'of-type') {
    const parts = splitUnescaped(v, '|').map(unescapeValue);
    if (parts.length !== 3 || !parts[1] || !parts[2])
      throw badRequest(':of-type takes system|code|value (the identifier type and the value)', name);
    // an SSN's row holds its blind index: a value of the SS identifier type may be one
    const codes = ctx.blindIndex && parts[1] === 'SS' ? [parts[2], ctx.blindIndex(parts[2])] : [parts[2]];
    return `(${x}.of_type = ${sql.add(`${parts[0]}|${parts[1]}`)} AND ${x}.code = ANY(${sql.add(codes, 'text[]')}))`;
  }
  if (modifier === 'below' || modifier === 'above') return subsumption(ctx, x, modifier, v, name);
  if (modifier === 'in' || modifier === 'not-in') {
    const vs = ctx.valueSets.get(unescapeValue(v));
    if (!vs)
      throw badRequest(
        `:${modifier} needs a ValueSet stored on this server with url "${unescapeValue(v)}" whose codes can be listed`,
        name,
      );
    const parts = [];
    if (vs.codes.length)
      parts.push(
        `(${x}.system, ${x}.code) IN (SELECT * FROM unnest(${sql.add(
          vs.codes.map((c) => c.system),
          'text[]',
        )}, ${sql.add(
          vs.codes.map((c) => c.code),
          'text[]',
        )}))`,
      );
    if (vs.systems.length) parts.push(`${x}.system = ANY(${sql.add(vs.systems, 'text[]')})`);
    return parts.length ? `(${parts.join(' OR ')})` : 'false';
  }
  const [system, code] = splitPipe(v);
  if (system === SSN_SYSTEM && code !== '' && ctx.blindIndex)
    return `(${x}.code = ${sql.add(ctx.blindIndex(code))} AND ${x}.system = ${sql.add(system)})`;
  if (system === undefined && ctx.blindIndex && (SSN_LIKE.test(code) || isSealed(code)))
    return `(${x}.code = ${sql.add(code)} OR (${x}.code = ${sql.add(ctx.blindIndex(code))} AND ${x}.system = ${sql.add(SSN_SYSTEM)}))`;
  if (system === undefined) return `${x}.code = ${sql.add(code)}`;
  if (code === '') return `${x}.system = ${sql.add(system)}`;
  if (system === '') return `(${x}.code = ${sql.add(code)} AND ${x}.system IS NULL)`;
  return `(${x}.code = ${sql.add(code)} AND ${x}.system = ${sql.add(system)})`;
}

/**
 * `:below` / `:above` for systems whose codes carry their hierarchy (fhir/code-hierarchy.ts): below is a
 * prefix, as an index range on sp_token_code (param, code, ...) with the prefix checked exactly (the range
 * alone would be exact only in a byte-order collation); above is the code's list of prefixes.
 */
function subsumption(
  ctx: ConditionContext,
  x: string,
  modifier: 'below' | 'above',
  v: string,
  name: string,
): string {
  const { sql } = ctx;
  const [system, code] = splitPipe(v);
  if (!system || !code)
    throw badRequest(`:${modifier} takes system|code (e.g. http://hl7.org/fhir/sid/icd-10-cm|E11)`, name);
  const h = codeHierarchy(system);
  if (!h)
    throw badRequest(
      `:${modifier} works for code systems whose codes carry their hierarchy: ${HIERARCHY_SYSTEMS.join(', ')}; not for ${system}`,
      name,
    );
  const sys = `${x}.system = ${sql.add(system)}`;
  if (modifier === 'above') return `(${sys} AND ${x}.code = ANY(${sql.add(h.ancestors(code), 'text[]')}))`;
  const ranges = h.belowPrefixes(code).map((p) => {
    const prefix = sql.add(p);
    return `(${x}.code >= ${prefix} AND ${x}.code < ${sql.add(prefixEnd(p))} AND left(${x}.code, ${p.length}) = ${prefix})`;
  });
  return `(${sys} AND (${ranges.join(' OR ')}))`;
}

const REFERENCE_RE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * The patient a patient-anchored filter names (a Patient compartment, or a reference that can only be to a
 * Patient: `Patient/X`, `X` with `:Patient`, or `X` for a parameter whose only target is Patient), and
 * whether that patient's compartment is exactly what the filter matches (the compartment) or holds its
 * matches among others (a reference by one parameter: the filter is checked as well).
 */
export function anchorPatient(
  f: Filter,
  fhirBase: string | undefined,
): { id: string; exact: boolean } | undefined {
  if (f.kind === 'compartment')
    return f.patients.length === 1 ? { id: f.patients[0], exact: true } : undefined;
  if (f.kind !== 'param' || f.param.type !== 'reference' || f.values.length !== 1) return undefined;
  let s = unescapeValue(f.values[0]);
  if (fhirBase && s.startsWith(`${fhirBase}/`)) s = s.slice(fhirBase.length + 1);
  const m = REFERENCE_RE.exec(s);
  if (m)
    return m[1] === 'Patient' && (!f.modifier || f.modifier === 'Patient')
      ? { id: m[2], exact: false }
      : undefined;
  const onlyPatient = f.param.definition.target?.length === 1 && f.param.definition.target[0] === 'Patient';
  return ID_RE.test(s) && (f.modifier === 'Patient' || (!f.modifier && onlyPatient))
    ? { id: s, exact: false }
    : undefined;
}

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

function referenceCondition(
  ctx: ConditionContext,
  x: string,
  typeModifier: string | undefined,
  raw: string,
): string {
  const { sql } = ctx;
  let s = unescapeValue(raw);
  if (ctx.fhirBase && s.startsWith(`${ctx.fhirBase}/`)) s = s.slice(ctx.fhirBase.length + 1);
  const m = REFERENCE_RE.exec(s);
  if (m) {
    if (typeModifier && typeModifier !== m[1]) return 'false';
    return `(${x}.target_id = ${sql.add(m[2])} AND ${x}.target_type = ${sql.add(m[1])})`;
  }
  return typeModifier
    ? `(${x}.target_id = ${sql.add(s)} AND ${x}.target_type = ${sql.add(typeModifier)})`
    : `${x}.target_id = ${sql.add(s)}`;
}

/**
 * Composite values are `part$part...`: token parts (`system|code`, `code`), string and reference parts
 * form the stored key; the numeric, quantity or date part (with a prefix) compares with the range.
 */
function compositeCondition(
  ctx: ConditionContext,
  x: string,
  p: CompiledParam,
  v: string,
  name: string,
): string {
  const { sql } = ctx;
  const comps = p.components ?? [];
  const parts = splitUnescaped(v, '$');
  if (parts.length !== comps.length)
    throw badRequest(
      `${p.code} takes ${comps.length} parts joined by $ (${comps.map((c) => c.code).join('$')})`,
      name,
    );
  const keyParts: { exact?: string; pattern?: string }[] = [];
  let range: string | undefined;
  comps.forEach((c, i) => {
    const part = parts[i];
    if (c.type === 'token') {
      const [system, code] = splitPipe(part);
      if (system === undefined) keyParts.push({ pattern: `[^$]*\\|${regexEscape(code)}` });
      else keyParts.push({ exact: `${system}|${code}` });
    } else if (c.type === 'string') keyParts.push({ exact: normalizeString(unescapeValue(part)) });
    else if (c.type === 'reference') keyParts.push({ exact: unescapeValue(part) });
    else if (range === undefined && c.type === 'quantity')
      range = compositeQuantityRange(sql, x, part, p.code, name);
    else if (range === undefined) {
      const [prefix, rest] = prefixOf(part);
      const text = splitUnescaped(rest, '|')[0];
      let r: { lo: string; hi: string } | undefined;
      if (c.type === 'date') {
        const d = dateRange(text);
        r = d && { lo: String(Date.parse(d.lo)), hi: String(Date.parse(d.hi)) };
      } else r = numberRange(text);
      if (!r) throw badRequest(`Invalid ${c.type} "${text}" in ${p.code}`, name);
      const [L, H] = widen(prefix, r, 'number');
      range = rangeCondition(
        prefix,
        () => sql.add(L, 'numeric'),
        () => sql.add(H, 'numeric'),
        { lo: `${x}.lo`, hi: `${x}.hi` },
      );
    }
  });
  const keyCond = keyParts.every((k) => k.exact !== undefined)
    ? `${x}.key = ${sql.add(keyParts.map((k) => k.exact).join('$'))}`
    : `${x}.key ~ ${sql.add(`^${keyParts.map((k) => k.pattern ?? regexEscape(k.exact as string)).join('\\$')}$`)}`;
  return range ? `(${keyCond} AND ${range})` : keyCond;
}

/** `http://a/b/c` -> the URL itself and each shorter path prefix (for `:above`). */
function uriPrefixes(s: string): string[] {
  const out = [s];
  let cur = s;
  for (;;) {
    const i = cur.lastIndexOf('/');
    if (i <= cur.indexOf('//') + 1) break;
    cur = cur.slice(0, i);
    out.push(cur);
  }
  return out;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, '\\$&');
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type ParamFilter = Extract<Filter, { kind: 'param' }>;

/**
 * AND-ed single-value date filters on the same single-valued element (`date=ge2019-01-01&date=lt2019-02-01`
 * on Encounter.period) must hold on the one index row the resource has: they become one EXISTS whose
 * row also overlaps the bounds' common range, which the GiST index `sp_date_range` finds directly.
 * Returns the SQL of each merged group and the filters left as they were.
 */
export function mergeDateBounds(
  ctx: ConditionContext,
  filters: Filter[],
  r: string,
  types: string[],
): { merged: string[]; rest: Filter[]; bounded: string[] } {
  const groups = new Map<string, ParamFilter[]>();
  for (const f of filters)
    if (f.kind === 'param' && f.param.type === 'date' && !f.modifier && f.values.length === 1)
      groups.set(f.param.code, [...(groups.get(f.param.code) ?? []), f]);
  const merged: string[] = [];
  const bounded: string[] = [];
  const mergedSet = new Set<Filter>();
  for (const group of groups.values()) {
    if (group.length < 2 || !types.every((t) => singleValued(t, group[0].param.code))) continue;
    const { sql } = ctx;
    const x = sql.alias();
    let lower = '-infinity';
    let upper = 'infinity';
    const conds = group.map((f) => {
      const [prefix, d] = prefixOf(f.values[0]);
      const range = dateRange(d);
      if (!range) throw badRequest(`Invalid date "${d}" for ${f.param.code}`, f.param.code);
      const [L, H] = widen(prefix, range, 'date');
      const [lo, hi] = boundsOf(prefix, L, H);
      if (lo !== '-infinity' && (lower === '-infinity' || lo > lower)) lower = lo;
      if (hi !== 'infinity' && (upper === 'infinity' || hi < upper)) upper = hi;
      return rangeCondition(
        prefix,
        () => sql.add(L, 'timestamptz'),
        () => sql.add(H, 'timestamptz'),
        { lo: `${x}.lo`, hi: `${x}.hi` },
      );
    });
    // The overlap is implied by the conditions when the bounds leave a range; it lets the index find rows.
    if (lower === '-infinity' || upper === 'infinity' || lower <= upper)
      conds.unshift(
        `tstzrange(${x}.lo, greatest(${x}.lo, ${x}.hi), '[]') && tstzrange(${sql.add(lower, 'timestamptz')}, ${sql.add(upper, 'timestamptz')}, '[]')`,
      );
    merged.push(
      `EXISTS (SELECT 1 FROM sp_date ${x} WHERE ${x}.rid = ${r}.rid AND ${x}.param = ${paramIds(ctx, types, group[0].param)} AND ${conds.join(' AND ')})`,
    );
    if (lower !== '-infinity' && upper !== 'infinity') bounded.push(merged[merged.length - 1]);
    for (const f of group) mergedSet.add(f);
  }
  return { merged, rest: filters.filter((f) => !mergedSet.has(f)), bounded };
}

/** The part of the time line a value with this prefix must reach into. */
function boundsOf(prefix: string, L: string, H: string): [string, string] {
  switch (prefix) {
    case 'ge':
      return [L, 'infinity'];
    case 'gt':
    case 'sa':
      return [H, 'infinity'];
    case 'le':
      return ['-infinity', H];
    case 'lt':
    case 'eb':
      return ['-infinity', L];
    case 'ne':
      return ['-infinity', 'infinity'];
    default:
      return [L, H];
  }
}

const singleCache = new Map<string, boolean>();

/** True when a resource of `type` has at most one value for the parameter (a single, non-repeating element). */
export function singleValued(type: string, code: string): boolean {
  const key = `${type}.${code}`;
  const cached = singleCache.get(key);
  if (cached !== undefined) return cached;
  const p = findParam(type, code);
  const names = new Set<string>();
  let ok = p !== undefined;
  for (const part of splitUnion(p?.definition.expression ?? '')) {
    const m = /^\(?([A-Z][A-Za-z]+)\.([a-z][A-Za-z]*)(?: as [A-Za-z]+)?\)?$/.exec(part.trim());
    if (m && m[1] !== type) continue;
    if (!m) {
      if (part.trim().startsWith(type) || part.trim().startsWith(`(${type}`)) ok = false;
      continue;
    }
    names.add(m[2]);
  }
  if (names.size !== 1) ok = false;
  else {
    const [name] = names;
    const elements = typeSchema(type)?.elements ?? {};
    ok = ok && (elements[name] ?? elements[`${name}[x]`])?.max === 1;
  }
  singleCache.set(key, ok);
  return ok;
}
