// The row conditions of the `_filter` comparisons that ordinary search has no form for: on sp_string's
// normalized value (case- and accent-free, COLLATE "C", so order is by code point on both databases)
// whole-value eq, ends-with and order; on sp_uri contains and ends-with; on sp_date overlap (`po`).
import { dateRange, normalizeString } from '../../fhir/index/values.js';
import { badRequest } from '../../platform/errors.js';
import type { SqlParts } from './conditions.js';
import type { Filter, TokenRowCondition } from './parse.js';
import { rangeCondition } from './range-condition.js';

type CompareFilter = Extract<Filter, { kind: 'compare' }>;

const ORDER = { gt: '>', lt: '<', ge: '>=', le: '<=' } as const;

/** The condition on one index row aliased `x` (the caller wraps it in EXISTS over the parameter's table). */
export function compareCondition(sql: SqlParts, x: string, f: CompareFilter): string {
  const like = (s: string) => s.replace(/[\\%_]/g, '\\$&');
  if (f.param.type === 'date') {
    const range = dateRange(f.value);
    if (!range) throw badRequest(`Invalid date "${f.value}" for ${f.param.code}`, '_filter');
    // Overlap: the value's range and the stored one share an instant.
    return rangeCondition(
      'ap',
      () => sql.add(range.lo, 'timestamptz'),
      () => sql.add(range.hi, 'timestamptz'),
      { lo: `${x}.lo`, hi: `${x}.hi` },
    );
  }
  const v = f.param.type === 'string' ? normalizeString(f.value) : f.value;
  switch (f.op) {
    case 'eq':
      return `${x}.value = ${sql.add(v)}`;
    case 'co':
      return `${x}.value LIKE ${sql.add(`%${like(v)}%`)}`;
    case 'ew':
      return `${x}.value LIKE ${sql.add(`%${like(v)}`)}`;
    case 'gt':
    case 'lt':
    case 'ge':
    case 'le':
      return `${x}.value ${ORDER[f.op]} ${sql.add(v)}`;
    default:
      throw badRequest(`_filter: "${f.op}" cannot be used with ${f.param.code}`, '_filter');
  }
}

/** The conditions on one sp_token row (aliased `x`) of a bracketed token path. */
export function tokenRowCondition(sql: SqlParts, x: string, c: TokenRowCondition): string {
  if ('items' in c)
    return `(${c.items.map((i) => tokenRowCondition(sql, x, i)).join(c.kind === 'and' ? ' AND ' : ' OR ')})`;
  if ('inner' in c) return `NOT coalesce(${tokenRowCondition(sql, x, c.inner)}, false)`;
  // display is compared as :text does, normalized; system and code as written
  const col = c.part === 'display' ? `${x}.text` : `${x}.${c.part}`;
  const v = c.part === 'display' ? normalizeString(c.value) : c.value;
  const like = v.replace(/[\\%_]/g, '\\$&');
  switch (c.op) {
    case 'eq':
      return `${col} = ${sql.add(v)}`;
    case 'ne':
      return `${col} IS DISTINCT FROM ${sql.add(v)}`;
    case 'sw':
      return `${col} LIKE ${sql.add(`${like}%`)}`;
    case 'co':
      return `${col} LIKE ${sql.add(`%${like}%`)}`;
    default:
      return `${col} LIKE ${sql.add(`%${like}`)}`; // ew
  }
}
