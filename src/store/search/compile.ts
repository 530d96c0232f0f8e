// Compiles a search (parameters already split by name) into one parameterized SQL query over the
// resource table and the index tables. This is the minimal subset of the record-store issue:
// _id, _lastUpdated, token, reference, string, date, uri, number and quantity parameters with OR (commas)
// and AND (repeats), _count and keyset paging. The full R4 semantics belong to the search issue.
import { findParam } from '../../fhir/index/search-params.js';
import { dateRange, normalizeString, numberRange } from '../../fhir/index/values.js';
import { badRequest } from '../../platform/errors.js';
import type { ParamRegistry } from '../param-registry.js';

export interface SearchRequest {
  type: string;
  params: [string, string][];
  count: number;
  /** Keyset cursor: only resources with rid greater than this. */
  after?: string;
  /** When set, resources of restricted patients are hidden unless the patient is in this list. */
  visibleRestricted?: string[];
  /** When set, only resources in this patient's compartment (SMART patient/ scopes). */
  compartmentPatient?: string;
}

export interface CompiledSearch {
  sql: string;
  values: unknown[];
  /** The number of matches (all pages), under the same conditions and authorization. */
  countSql: string;
  countValues: unknown[];
  /** Parameters that were not understood and ignored (lenient handling). */
  ignored: string[];
}

const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
type Prefix = (typeof PREFIXES)[number];
// Result parameters handled by the API; `_sort`, `_elements`, `_include`... are not yet, and so are
// reported as ignored (or refused with Prefer: handling=strict) like any unknown parameter.
const RESULT_PARAMS = new Set(['_count', '_cursor', '_total', '_format', '_pretty', '_summary']);

/** Splits on commas not escaped with a backslash, unescaping `\,` `\|` `\$` `\\`. */
export function splitOr(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      cur += ch + value[++i];
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function splitPipe(value: string): [string | undefined, string] {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === '|') return [unescapeValue(value.slice(0, i)), unescapeValue(value.slice(i + 1))];
  }
  return [undefined, unescapeValue(value)];
}

const unescapeValue = (s: string) => s.replace(/\\([,|$\\])/g, '$1');

function prefixOf(v: string): [Prefix, string] {
  const p = v.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && /^[0-9-]/.test(v.slice(2))) return [p, v.slice(2)];
  return ['eq', v];
}

function rangeCondition(
  prefix: Prefix,
  lo: string,
  hi: string,
  col: { lo: string; hi: string },
  add: (v: unknown) => string,
): string {
  // Parameters are added only when used: PostgreSQL cannot type a parameter that no clause mentions.
  const L = () => add(lo);
  const H = () => add(hi);
  switch (prefix) {
    case 'eq':
    case 'ap':
      return `${col.lo} >= ${L()} AND ${col.hi} <= ${H()}`;
    case 'ne':
      return `NOT (${col.lo} >= ${L()} AND ${col.hi} <= ${H()})`;
    case 'gt':
      return `${col.hi} > ${H()}`;
    case 'lt':
      return `${col.lo} < ${L()}`;
    case 'ge':
      return `${col.hi} >= ${L()}`;
    case 'le':
      return `${col.lo} <= ${H()}`;
    case 'sa':
      return `${col.lo} > ${H()}`;
    case 'eb':
      return `${col.hi} < ${L()}`;
  }
}

export function compileSearch(req: SearchRequest, registry: ParamRegistry): CompiledSearch {
  const values: unknown[] = [];
  const add = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const where: string[] = [`r.type = ${add(req.type)}`, 'NOT r.deleted'];
  const ignored: string[] = [];
  for (const [rawName, rawValue] of req.params) {
    const [name, modifier] = rawName.split(':') as [string, string | undefined];
    if (RESULT_PARAMS.has(name)) continue;
    const ors = splitOr(rawValue);
    if (name === '_id') {
      where.push(`r.id = ANY(${add(ors.map(unescapeValue))}::text[])`);
      continue;
    }
    if (name === '_lastUpdated') {
      const conds = ors.map((v) => {
        const [prefix, d] = prefixOf(v);
        const r = dateRange(d);
        if (!r) throw badRequest(`Invalid date "${d}" for _lastUpdated`, '_lastUpdated');
        return rangeCondition(
          prefix,
          r.lo,
          r.hi,
          { lo: 'r.last_updated', hi: 'r.last_updated' },
          (x) => `${add(x)}::timestamptz`,
        );
      });
      where.push(`(${conds.join(' OR ')})`);
      continue;
    }
    const p = findParam(req.type, name);
    if (!p || p.type === 'composite' || p.type === 'special') {
      ignored.push(rawName);
      continue;
    }
    const pid = add(registry.idOf(p));
    const conds: string[] = [];
    for (const v of ors) {
      if (modifier === 'missing') {
        const table = `sp_${p.type}`;
        conds.push(
          `${v === 'true' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} x WHERE x.rid = r.rid AND x.param = ${pid})`,
        );
        continue;
      }
      switch (p.type) {
        case 'token': {
          const [system, code] = splitPipe(v);
          let c = `x.code = ${add(code)}`;
          if (system === '') c += ' AND x.system IS NULL';
          else if (system !== undefined)
            c = code === '' ? `x.system = ${add(system)}` : `${c} AND x.system = ${add(system)}`;
          conds.push(
            `${modifier === 'not' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM sp_token x WHERE x.rid = r.rid AND x.param = ${pid} AND ${c})`,
          );
          break;
        }
        case 'reference': {
          const s = unescapeValue(v);
          const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(s);
          const c = m
            ? `x.target_id = ${add(m[2])} AND x.target_type = ${add(m[1])}`
            : `x.target_id = ${add(s)}${modifier ? ` AND x.target_type = ${add(modifier)}` : ''}`;
          conds.push(
            `EXISTS (SELECT 1 FROM sp_reference x WHERE x.rid = r.rid AND x.param = ${pid} AND ${c})`,
          );
          break;
        }
        case 'string': {
          const s = unescapeValue(v);
          const c =
            modifier === 'exact'
              ? `x.raw = ${add(s)}`
              : modifier === 'contains'
                ? `x.value LIKE ${add(`%${likeEscape(normalizeString(s))}%`)}`
                : `x.value LIKE ${add(`${likeEscape(normalizeString(s))}%`)}`;
          conds.push(`EXISTS (SELECT 1 FROM sp_string x WHERE x.rid = r.rid AND x.param = ${pid} AND ${c})`);
          break;
        }
        case 'uri': {
          const s = unescapeValue(v);
          const c = modifier === 'below' ? `x.value LIKE ${add(`${likeEscape(s)}%`)}` : `x.value = ${add(s)}`;
          conds.push(`EXISTS (SELECT 1 FROM sp_uri x WHERE x.rid = r.rid AND x.param = ${pid} AND ${c})`);
          break;
        }
        case 'date': {
          const [prefix, d] = prefixOf(v);
          const r = dateRange(d);
          if (!r) throw badRequest(`Invalid date "${d}" for ${name}`, name);
          const c = rangeCondition(
            prefix,
            r.lo,
            r.hi,
            { lo: 'x.lo', hi: 'x.hi' },
            (x) => `${add(x)}::timestamptz`,
          );
          conds.push(`EXISTS (SELECT 1 FROM sp_date x WHERE x.rid = r.rid AND x.param = ${pid} AND ${c})`);
          break;
        }
        case 'number':
        case 'quantity': {
          const [prefix, rest] = prefixOf(v);
          const [num, system, code] = rest.split('|');
          const r = numberRange(num);
          if (!r) throw badRequest(`Invalid number "${num}" for ${name}`, name);
          let c = rangeCondition(prefix, r.lo, r.hi, { lo: 'x.lo', hi: 'x.hi' }, (x) => `${add(x)}::numeric`);
          if (p.type === 'quantity' && code) c += ` AND x.code = ${add(code)}`;
          if (p.type === 'quantity' && system) c += ` AND x.system = ${add(system)}`;
          conds.push(
            `EXISTS (SELECT 1 FROM sp_${p.type} x WHERE x.rid = r.rid AND x.param = ${pid} AND ${c})`,
          );
          break;
        }
      }
    }
    if (conds.length) where.push(`(${conds.join(' OR ')})`);
  }
  // Authorization inside the query: hidden records are neither returned nor paged over nor counted.
  if (req.visibleRestricted) {
    where.push(
      `NOT EXISTS (SELECT 1 FROM restricted_patient rp WHERE rp.patient = ANY(r.patients) AND NOT (rp.patient = ANY(${add(req.visibleRestricted)}::text[])))`,
    );
  }
  if (req.compartmentPatient)
    where.push(
      `r.rid IN (SELECT rc.rid FROM resource_compartment rc WHERE rc.patient = ${add(req.compartmentPatient)})`,
    );
  const countSql = `SELECT count(*)::int AS n FROM resource r WHERE ${where.join(' AND ')}`;
  const countValues = [...values];
  if (req.after) where.push(`r.rid > ${add(req.after)}::bigint`);
  const sql = `SELECT r.rid::text AS rid, v.content, r.patients FROM resource r
    JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
    WHERE ${where.join(' AND ')} ORDER BY r.rid LIMIT ${add(req.count + 1)}`;
  return { sql, values, ignored, countSql, countValues };
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, '\\$&');
