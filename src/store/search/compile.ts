// Compiles a parsed search into parameterized SQL: the page (filters, authorization, sort, keyset
// cursor), the accurate count and the planner's estimate. Paging is by keyset on the sort keys plus
// the internal row key, so a page link stays correct while records are added or removed: nothing is
// skipped or repeated that was there before and after.
import { patientCompartmentParams } from '../../fhir/definitions.js';
import { findParam, storedParams } from '../../fhir/index/search-params.js';
import { badRequest } from '../../platform/errors.js';
import type { ParamRegistry } from '../param-registry.js';
import {
  anchorPatient,
  type ConditionContext,
  type ExpandedValueSet,
  filterSql,
  mergeDateBounds,
  SqlParts,
  visibilitySql,
} from './conditions.js';
import { type Filter, type ParsedSearch, type SortKey, splitPipe } from './parse.js';
import { prefixOf } from './range-condition.js';

export interface CompileOptions {
  registry: ParamRegistry;
  visibleRestricted?: string[];
  fhirBase?: string;
  valueSets?: Map<string, ExpandedValueSet>;
  /** The blind index of an SSN (store/ssn-sealing.ts); without it SSNs are compared as sent. */
  blindIndex?: (value: string) => string;
  /** Token rows carry their patient (migration 019; store/index-patient-keys.ts for older databases). */
  tokenPatientKeys?: boolean;
}

export interface CompiledSearch {
  sql: string;
  values: unknown[];
  /** The number of matches (all pages), under the same conditions and authorization. */
  countSql: string;
  countValues: unknown[];
  /** EXPLAIN of this gives the planner's row estimate (`_total=estimate`). */
  estimateSql: string;
  /** Run the page as a prepared statement: its plan does not depend on the values (patient-anchored). */
  prepare: boolean;
  /** The page is read backwards (a `previous` link): reverse the rows after reading. */
  backwards: boolean;
  sortCount: number;
}

/** Where a page starts: after (next) or before (previous) the row with these sort values. */
export interface Cursor {
  direction: 'next' | 'previous';
  keys: (string | null)[];
  rid: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.direction === 'next' ? 'n' : 'p', c.rid, ...c.keys])).toString(
    'base64url',
  );
}

export function decodeCursor(s: string, sortCount: number): Cursor {
  try {
    const a = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown[];
    if (
      Array.isArray(a) &&
      (a[0] === 'n' || a[0] === 'p') &&
      typeof a[1] === 'string' &&
      /^\d+$/.test(a[1]) &&
      a.length === sortCount + 2 &&
      a.slice(2).every((k) => k === null || typeof k === 'string')
    )
      return {
        direction: a[0] === 'n' ? 'next' : 'previous',
        rid: a[1],
        keys: a.slice(2) as (string | null)[],
      };
  } catch {
    // fall through
  }
  throw badRequest('Invalid _cursor: use the next and previous links of a search as they are', '_cursor');
}

interface SortColumn {
  expr: string;
  cast: string;
  descending: boolean;
}

/** The value a resource sorts by: the lowest of its values ascending, the highest descending. */
function sortColumn(ctx: ConditionContext, s: SortKey, types: string[]): SortColumn {
  if (s.name === '_id') return { expr: 'r.id', cast: 'text', descending: s.descending };
  if (s.name === '_lastUpdated')
    return { expr: 'r.last_updated', cast: 'timestamptz', descending: s.descending };
  const ids = [
    ...new Set(
      types.flatMap((t) =>
        storedParams(findParam(t, s.name) as NonNullable<SortKey['param']>).map((p) => ctx.registry.idOf(p)),
      ),
    ),
  ];
  const agg = s.descending ? 'max' : 'min';
  const p = s.param as NonNullable<SortKey['param']>;
  const [table, col, cast] = (
    {
      date: ['sp_date', s.descending ? 'hi' : 'lo', 'timestamptz'],
      string: ['sp_string', 'value', 'text'],
      token: ['sp_token', 'code', 'text'],
      reference: ['sp_reference', 'target_id', 'text'],
      uri: ['sp_uri', 'value', 'text'],
      number: ['sp_number', s.descending ? 'hi' : 'lo', 'numeric'],
      quantity: ['sp_quantity', s.descending ? 'hi' : 'lo', 'numeric'],
    } as Record<string, [string, string, string]>
  )[p.type];
  const x = ctx.sql.alias('s');
  return {
    expr: `(SELECT ${agg}(${x}.${col}) FROM ${table} ${x} WHERE ${x}.rid = r.rid AND ${x}.param = ANY(${ctx.sql.add(ids, 'int[]')}))`,
    cast,
    descending: s.descending,
  };
}

export function compileSearch(s: ParsedSearch, o: CompileOptions): CompiledSearch {
  const sql = new SqlParts();
  const ctx: ConditionContext = {
    sql,
    registry: o.registry,
    fhirBase: o.fhirBase,
    valueSets: o.valueSets ?? new Map(),
    visibleRestricted: o.visibleRestricted,
    blindIndex: o.blindIndex,
  };
  const where: string[] = [
    s.types.length === 1 ? `r.type = ${sql.add(s.types[0])}` : `r.type = ANY(${sql.add(s.types, 'text[]')})`,
    'NOT r.deleted',
  ];
  const { merged, rest, bounded } = mergeDateBounds(ctx, s.filters, 'r', s.types);
  const terms = [...merged];
  // conditions whose index rows are a bounded set (an unsorted page may take its candidates from one)
  const drivable = new Set(bounded);
  // The anchor is compiled last: a search that starts from the patient's token rows may not need it.
  const anchorFilter = rest.find((f) => isPatientAnchor(f, s.types));
  for (const f of rest) {
    if (f === anchorFilter) continue;
    if (f.kind === 'or' && !anchorFilter) terms.push(orAsUnion(ctx, f.items, s.types));
    else terms.push(filterSql(ctx, f, 'r', s.types));
    if (boundedRows(f)) drivable.add(terms[terms.length - 1]);
  }
  const vis = visibilitySql(ctx, 'r');
  if (vis) terms.push(vis);
  const anchorSql = () => filterSql(ctx, anchorFilter as Filter, 'r', s.types);
  const patient = anchorFilter && o.tokenPatientKeys ? anchorPatient(anchorFilter, o.fhirBase) : undefined;
  const keyed = patient && patientTokenWhere(sql, patient, anchorSql, terms);
  const anchor = anchorFilter && !keyed ? { filter: anchorFilter, sql: anchorSql() } : undefined;
  const anchored = keyed || (anchor && anchoredWhere(anchor, terms));
  where.push(...(anchored ?? [...(anchor ? [anchor.sql] : []), ...terms]));
  const whereSql = where.join(' AND ');
  // An unsorted search (page order: rid) without a patient anchor takes its candidates from one of its
  // index conditions, in rid order, and reads resources only until the page is full: a token's rows come
  // in that order from sp_token_code (param, code, rid, system), so a frequent code costs no more than a
  // rare one; a range's (dates, strings, numbers) are sorted in memory, which is cheaper than reading
  // every matching resource first. The planner does not find these plans from the EXISTS form: it cannot
  // know that a parameter id implies the type, so it expects a few dozen matches, and it never sorts a
  // semi-join's inner rows before the join. The count (_total) keeps the EXISTS form.
  const driving =
    !anchored && s.sort.length === 0 ? drivingTerm(terms.filter((t) => drivable.has(t))) : undefined;
  const countSql = `SELECT count(*)::int AS n FROM resource r WHERE ${whereSql}`;
  const estimateSql = `SELECT 1 FROM resource r WHERE ${whereSql}`;
  const countValues = [...sql.values];

  const sorts = s.sort.map((k) => sortColumn(ctx, k, s.types));
  const cursor = s.cursor ? decodeCursor(s.cursor, sorts.length) : undefined;
  const backwards = cursor?.direction === 'previous';
  const cols = sorts.map((c, i) => `${c.expr} AS s${i}`);
  const rows = driving
    ? drivenRows(
        sql,
        driving,
        where.filter((t) => t !== driving.term),
        cursor,
      )
    : `SELECT r.rid, r.version, r.patients${cols.map((c) => `, ${c}`).join('')} FROM resource r WHERE ${whereSql}`;
  const outer: string[] = [];
  if (cursor) outer.push(keysetCondition(sql, sorts, cursor));
  // Rows without a value sort last in both directions; a previous page reads the order backwards.
  const order = [
    ...sorts.map(
      (c, i) =>
        `q.s${i} ${c.descending !== backwards ? 'DESC' : 'ASC'} NULLS ${backwards ? 'FIRST' : 'LAST'}`,
    ),
    `q.rid ${backwards ? 'DESC' : 'ASC'}`,
  ].join(', ');
  // The page's keys are chosen (filtered, ordered, limited) before the content is joined, so only the
  // page's rows are read from resource_version, however many rows match.
  const page = `SELECT p.rid::text AS rid, v.content, p.patients${sorts.map((_, i) => `, p.s${i}::text AS s${i}`).join('')}
    FROM (SELECT q.* FROM (${rows}) q
      ${outer.length ? `WHERE ${outer.join(' AND ')}` : ''}
      ORDER BY ${order} LIMIT ${sql.add(s.count + 1)}) p
    JOIN resource_version v ON v.rid = p.rid AND v.version = p.version
    ORDER BY ${order.replace(/\bq\./g, 'p.')}`;
  return {
    sql: page,
    values: sql.values,
    prepare: anchored !== undefined,
    countSql,
    countValues,
    estimateSql,
    backwards,
    sortCount: sorts.length,
  };
}

/**
 * A `_filter` OR between parameters, when each side is one EXISTS over an index table (or a chain from
 * one) that depends on the row key alone: `r.rid = ANY (ARRAY(side UNION ALL side))`. The sides are read
 * from their indexes once and the resources looked up by key, so the cost follows the number of matches.
 * `EXISTS (...) OR EXISTS (...)` is planned as a walk over every resource of the type, which stops after a
 * page when the values are frequent but reads the whole type when they are rare (bench/search-filter-or.ts:
 * 0.3 ms against 60-90 ms at a million resources); `rid IN (... UNION ALL ...)` was planned with a
 * default estimate of 200 rows and walked the primary key instead (10x slower than the OR for a frequent
 * code). Other ORs stay as they are.
 */
function orAsUnion(ctx: ConditionContext, items: Filter[], types: string[]): string {
  const terms = items.map((f) => filterSql(ctx, f, 'r', types));
  const sides = terms.map((t) => {
    const m = wholeExists(t) && UNION_SIDE.exec(t);
    return m && !/\br\./.test(m[3] + m[4])
      ? `SELECT ${m[2]}.rid FROM ${m[1]} ${m[2]}${m[3]} WHERE ${m[4]}`
      : undefined;
  });
  if (sides.some((x) => x === undefined)) return `(${terms.join(' OR ')})`;
  return `r.rid = ANY (ARRAY(${sides.join(' UNION ALL ')}))`;
}

/**
 * Rows strictly after (or before) the cursor row in the sort order: the lexicographic comparison
 * over the sort keys and the row key, written out so that missing values (last) compare too.
 */
function keysetCondition(sql: SqlParts, sorts: SortColumn[], c: Cursor): string {
  const keys = [
    ...sorts.map((s, i) => ({ col: `q.s${i}`, cast: s.cast, desc: s.descending, value: c.keys[i] })),
    { col: 'q.rid', cast: 'bigint', desc: false, value: c.rid as string | null },
  ];
  const forward = c.direction === 'next';
  const ors: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const eqs = keys
      .slice(0, i)
      .map((k) => (k.value === null ? `${k.col} IS NULL` : `${k.col} = ${sql.add(k.value, k.cast)}`));
    const k = keys[i];
    let beyond: string;
    const gt = k.desc !== !forward ? '<' : '>';
    if (k.value === null) beyond = forward ? 'false' : `${k.col} IS NOT NULL`;
    else {
      const cmp = `${k.col} ${gt} ${sql.add(k.value, k.cast)}`;
      beyond = forward ? `(${cmp} OR ${k.col} IS NULL)` : cmp;
    }
    ors.push([...eqs, beyond].join(' AND '));
  }
  return `(${ors.map((o) => `(${o})`).join(' OR ')})`;
}

/**
 * Patient-anchored searches (the Patient compartment of one patient, or a reference to one patient by a
 * parameter of the type's patient compartment or one that can only point at a Patient, e.g. `Observation?patient=X&code=...`) are the most
 * frequent searches of a clinical system, and their best plan is always the same: start from the
 * patient's few hundred index rows and check the other conditions on each. Written that way, with the
 * other conditions as per-row probes (scalar subqueries with LIMIT 1, which the planner cannot turn into
 * joins that start from a frequent code), the statement's plan does not depend on the values, so it runs
 * prepared: parsed once per connection and planned once, which halves what the database spends on it
 * (docs/performance.md). Other searches keep plans made for their values (a code's frequency matters).
 */
function isPatientAnchor(f: Filter, types: string[]): boolean {
  if (f.kind === 'compartment') return f.patients.length === 1;
  return (
    f.kind === 'param' &&
    types.length === 1 &&
    f.param.type === 'reference' &&
    (f.modifier === undefined || f.modifier === 'Patient') &&
    f.values.length === 1 &&
    !f.values[0].includes(',') &&
    (patientCompartmentParams(types[0]).includes(f.param.code) ||
      (f.param.definition.target?.length === 1 && f.param.definition.target[0] === 'Patient'))
  );
}

/** `EXISTS (SELECT 1 FROM table alias [JOIN ...] WHERE alias.rid = r.rid AND ...)`: an index table's rows, maybe chained. */
const UNION_SIDE =
  /^EXISTS \(SELECT 1 FROM (\w+) (\w+)((?: JOIN [\s\S]*?)?)\s+WHERE \2\.rid = r\.rid AND ([\s\S]*)\)$/;
const EXISTS_TERM = /^(NOT )?EXISTS \((SELECT 1 FROM [\s\S]*)\)$/;
const ANCHOR_TERM = /^EXISTS \(SELECT 1 FROM (\w+) (\w+) WHERE \2\.rid = r\.rid AND ([\s\S]*)\)$/;

/** `term` is one EXISTS (...) whose parentheses close at its end (not `EXISTS (...) OR ...`). */
function wholeExists(term: string): RegExpExecArray | null {
  const m = EXISTS_TERM.exec(term);
  if (!m) return null;
  const open = term.indexOf('(');
  let depth = 0;
  for (let i = open; i < term.length; i++) {
    if (term[i] === '(') depth++;
    else if (term[i] === ')' && --depth === 0) return i === term.length - 1 ? m : null;
  }
  return null;
}

/** An EXISTS condition as a per-row probe that stays a probe in every plan. */
function probe(term: string): string {
  const m = wholeExists(term);
  if (!m) return term;
  return `(${m[2]} LIMIT 1) IS ${m[1] ? '' : 'NOT '}NULL`;
}

/**
 * The conditions of a patient-anchored search: `r.rid IN (the anchor's rows)`, the conditions that
 * depend on the row key alone checked on the anchor's rows before the resource is read (for a reference
 * anchor, whose rows are mostly of the searched type), the rest as probes on the resource. Undefined when the
 * anchor's SQL is not of the expected form (the search then runs as any other).
 */
function anchoredWhere(anchor: { filter: Filter; sql: string }, terms: string[]): string[] | undefined {
  const m = wholeExists(anchor.sql) && ANCHOR_TERM.exec(anchor.sql);
  if (!m || /\br\./.test(m[3])) return undefined;
  const [, table, alias, cond] = m;
  const ridOnly = (t: string) => Boolean(wholeExists(t)) && !/\br\.(?!rid\b)/.test(t);
  const pushDown = table === 'sp_reference' ? terms.filter(ridOnly) : [];
  const inAnchor = pushDown.map((t) => probe(t.replace(/\br\.rid\b/g, `${alias}.rid`)));
  const outer = terms.filter((t) => !pushDown.includes(t)).map(probe);
  return [
    `r.rid IN (SELECT ${alias}.rid FROM ${table} ${alias} WHERE ${[cond, ...inAnchor].join(' AND ')})`,
    ...outer,
  ];
}

/**
 * A patient-anchored search with a token condition (`Observation?patient=X&code=...`,
 * `Patient/X/Observation?code=...`) starts from that patient's rows of that code in sp_token_patient
 * (migration 019): a few rows of one index, where the anchor's rows would need a probe of the code for
 * each of the patient's records. The anchor itself is checked on those rows unless the patient's
 * compartment is exactly what it asks. Undefined without a positive token condition of the expected form.
 */
function patientTokenWhere(
  sql: SqlParts,
  patient: { id: string; exact: boolean },
  anchorSql: () => string,
  terms: string[],
): string[] | undefined {
  const token = tokenTerm(terms);
  if (!token) return undefined;
  const { alias, cond } = token;
  const others = terms.filter((t) => t !== token.term);
  return [
    `r.rid IN (SELECT ${alias}.rid FROM sp_token ${alias} WHERE ${alias}.patient = ${sql.add(patient.id)} AND ${cond})`,
    ...(patient.exact ? [] : [anchorSql()]),
    ...others,
  ].map((t, i) => (i === 0 ? t : probe(t)));
}

/**
 * An unsorted page's rows from its driving condition's candidates, in rid order: each candidate's
 * resource is read by key (the `OFFSET 0` keeps the lateral subquery from being merged into a join that
 * would scan resources from the first key), so reading stops once the page is full; a page after a
 * cursor starts its candidates after it.
 */
function drivenRows(
  sql: SqlParts,
  d: { table: string; alias: string; cond: string },
  where: string[],
  cursor: Cursor | undefined,
): string {
  const after = cursor
    ? ` AND ${d.alias}.rid ${cursor.direction === 'previous' ? '<' : '>'} ${sql.add(cursor.rid, 'bigint')}`
    : '';
  // u.rid, not r.rid: the page's ORDER BY then follows the candidates' order (no sort of all of them)
  return `SELECT u.rid, r.version, r.patients
      FROM (SELECT DISTINCT ${d.alias}.rid FROM ${d.table} ${d.alias} WHERE ${d.cond}${after}) u
      CROSS JOIN LATERAL (SELECT r.version, r.patients FROM resource r
        WHERE r.rid = u.rid AND ${where.join(' AND ')} OFFSET 0) r`;
}

/**
 * The condition an unsorted search takes its candidates from, among those with bounded index rows: a
 * token condition if there is one (its rows come in rid order), else the first other.
 */
function drivingTerm(
  terms: string[],
): { term: string; table: string; alias: string; cond: string } | undefined {
  const token = tokenTerm(terms);
  if (token) return { ...token, table: 'sp_token' };
  for (const term of terms) {
    const m = wholeExists(term) && ANCHOR_TERM.exec(term);
    if (m && !/\br\./.test(m[3])) return { term, table: m[1], alias: m[2], cond: m[3] };
  }
  return undefined;
}

/**
 * Whether a filter's index rows are few enough to sort: equality on codes (not a whole system or
 * `:text`, which no index bounds), a string's prefix or exact value (not `:contains`), references and
 * uris, and dates, numbers and quantities compared with `eq` or `ap` (a range closed on both sides;
 * one-sided ranges such as `date=ge2000` may hold most of a type's rows, and the EXISTS form reads those
 * best). Missing-value tests and chains are not index rows of one value.
 */
function boundedRows(f: Filter): boolean {
  if (f.kind !== 'param') return false;
  switch (f.param.type) {
    case 'token':
      return (
        (f.modifier === undefined ||
          f.modifier === 'of-type' ||
          f.modifier === 'below' ||
          f.modifier === 'in') &&
        f.values.every((v) => f.modifier === 'in' || splitPipe(v)[1] !== '')
      );
    case 'string':
      return f.modifier === undefined || f.modifier === 'exact';
    case 'reference':
    case 'uri':
    case 'composite':
      return true;
    case 'date':
    case 'number':
    case 'quantity':
      return f.values.every((v) => ['eq', 'ap'].includes(prefixOf(v)[0]));
    default:
      return false;
  }
}

/** The first positive token condition (`EXISTS` over sp_token that depends on the row key alone). */
function tokenTerm(terms: string[]): { term: string; alias: string; cond: string } | undefined {
  for (const term of terms) {
    const m = wholeExists(term) && ANCHOR_TERM.exec(term);
    if (m && m[1] === 'sp_token' && !/\br\./.test(m[3])) return { term, alias: m[2], cond: m[3] };
  }
  return undefined;
}
