// Quantity search, `[prefix]value|system|code`. With the UCUM system and a unit that converts, the value
// is compared in canonical units (fhir/ucum/canonical.ts) with the canonical rows the index keeps under
// the negated parameter id, so 12 g/dL matches gt100|http://unitsofmeasure.org|g/L. Other units, and
// `value||code`, compare with the value as written in the same system and code.
import { numberRange } from '../../fhir/index/values.js';
import {
  type CanonicalRange,
  canonicalRange,
  UCUM_SYSTEM,
  ucumUnitProblem,
} from '../../fhir/ucum/canonical.js';
import { badRequest } from '../../platform/errors.js';
import type { SqlParts } from './conditions.js';
import { splitUnescaped, unescapeValue } from './parse.js';
import { type Prefix, prefixOf, rangeCondition, widen } from './range-condition.js';

export interface QuantitySearch {
  prefix: Prefix;
  /** The searched range at the value's precision (widened for `ap`), in the unit as written. */
  lo: string;
  hi: string;
  system?: string;
  code?: string;
  /** The same range in canonical units, when the unit is UCUM and converts. */
  ucum?: CanonicalRange;
}

/** One search value; a bad number or an unknown UCUM unit is the caller's mistake (400). */
export function parseQuantity(v: string, param: string, name: string): QuantitySearch {
  const [prefix, rest] = prefixOf(v);
  const [num, system, code] = splitUnescaped(rest, '|').map(unescapeValue);
  const range = numberRange(num);
  if (!range) throw badRequest(`Invalid number "${num}" for ${param}`, name);
  const [lo, hi] = widen(prefix, range, 'number');
  const q: QuantitySearch = { prefix, lo, hi, system: system || undefined, code: code || undefined };
  if (system === UCUM_SYSTEM && code) {
    const problem = ucumUnitProblem(code);
    if (problem)
      throw badRequest(
        `${param}: "${code}" is not a UCUM unit (${problem}) To match a unit as written, search ${num}||${code}`,
        name,
      );
    q.ucum = canonicalRange(code, lo, hi);
  }
  return q;
}

/**
 * The OR-ed conditions over sp_quantity (alias `x`) for the values of one parameter, and the parameter
 * ids its EXISTS reads (`x.param = <params>`): with a converting UCUM unit, the negated ids too.
 */
export function quantityConditions(
  sql: SqlParts,
  x: string,
  values: QuantitySearch[],
  ids: number[],
): { params: string; conds: string[] } {
  const idList = (list: number[]) =>
    list.length === 1 ? sql.add(list[0]) : `ANY(${sql.add(list, 'int[]')})`;
  const range = (q: QuantitySearch, lo: string, hi: string) =>
    rangeCondition(
      q.prefix,
      () => sql.add(lo, 'numeric'),
      () => sql.add(hi, 'numeric'),
      { lo: `${x}.lo`, hi: `${x}.hi` },
    );
  const exact = (q: QuantitySearch) => {
    let c = range(q, q.lo, q.hi);
    if (q.code) c += ` AND ${x}.code = ${sql.add(q.code)}`;
    if (q.system) c += ` AND ${x}.system = ${sql.add(q.system)}`;
    return c;
  };
  if (!values.some((q) => q.ucum)) return { params: idList(ids), conds: values.map(exact) };
  const plain = idList(ids);
  const canonical = idList(ids.map((id) => -id));
  const conds = values.map((q) => {
    const asWritten = `(${x}.param = ${plain} AND ${exact(q)})`;
    if (!q.ucum) return asWritten;
    const converted = `(${x}.param = ${canonical} AND ${x}.code = ${sql.add(q.ucum.code)} AND ${range(q, q.ucum.lo, q.ucum.hi)})`;
    // Rows indexed before units were converted have no canonical row; they still match in their own unit.
    return `(${converted} OR ${asWritten})`;
  });
  return { params: `ANY(${sql.add([...ids, ...ids.map((id) => -id)], 'int[]')})`, conds };
}

/**
 * The range condition of a composite's quantity part (`[prefix]value|system|code`) over sp_composite:
 * with a converting UCUM unit, rows with a canonical quantity compare in canonical units and rows without
 * one (another system, or written before the conversion) by value alone, as before.
 */
export function compositeQuantityRange(
  sql: SqlParts,
  x: string,
  part: string,
  param: string,
  name: string,
): string {
  const q = parseQuantity(part, param, name);
  const range = (lo: string, hi: string, cols: { lo: string; hi: string }) =>
    rangeCondition(
      q.prefix,
      () => sql.add(lo, 'numeric'),
      () => sql.add(hi, 'numeric'),
      cols,
    );
  const byValue = range(q.lo, q.hi, { lo: `${x}.lo`, hi: `${x}.hi` });
  if (!q.ucum) return byValue;
  const converted = range(q.ucum.lo, q.ucum.hi, { lo: `${x}.ucum_lo`, hi: `${x}.ucum_hi` });
  return `((${x}.ucum_code = ${sql.add(q.ucum.code)} AND ${converted}) OR (${x}.ucum_code IS NULL AND ${byValue}))`;
}
