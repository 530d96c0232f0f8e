// Runs a search: parse, resolve the ValueSets `:in` needs, compile, read the page, the total and the
// included resources, and build the cursors of the next and previous pages.
import type { ValueSet } from '@medplum/fhirtypes';
import { findParam } from '../../fhir/index/search-params.js';
import type { Queryable } from '../../platform/db/database.js';
import type { ParamRegistry } from '../param-registry.js';
import { compileSearch, encodeCursor } from './compile.js';
import type { ExpandedValueSet } from './conditions.js';
import { type FoundRow, findIncludes } from './include.js';
import { type Filter, type ParsedSearch, parseSearch } from './parse.js';

export interface SearchRequest {
  /** One resource type, or several (system-level search with `_type`). */
  type: string | string[];
  params: [string, string][];
  /** Overrides `_count` (conditional interactions ask for 2). */
  count?: number;
  /** Keyset cursor from an earlier page: resources with a greater internal key (unsorted searches). */
  after?: string;
  /** Asks for the accurate total (as `_total=accurate`). */
  total?: boolean;
  /** Filters added by the server (compartment search, SMART patient scopes). */
  filters?: Filter[];
  /** The server's FHIR base URL, so absolute references to it match. */
  fhirBase?: string;
  /** Types the caller may read, for included resources (default: all). */
  mayRead?: (type: string) => boolean;
  /** The blind index SSNs are stored under (set by the repository). */
  blindIndex?: (value: string) => string;
}

export interface SearchRow {
  rid: string;
  content: string;
  patients: string[];
}

export interface SearchPage {
  entries: SearchRow[];
  /** Resources added by _include/_revinclude (search mode "include"). */
  included: SearchRow[];
  /** Matches on all pages, when asked for (`_total`), or when the first page holds them all. */
  total?: number;
  /** Patients whose compartment holds a result or an included resource (for the audit trail). */
  patients: string[];
  next?: string;
  previous?: string;
  ignored: string[];
  parsed: ParsedSearch;
}

export async function runSearch(
  q: Queryable,
  registry: ParamRegistry,
  req: SearchRequest,
  visibleRestricted: string[] | undefined,
): Promise<SearchPage> {
  const types = Array.isArray(req.type) ? req.type : [req.type];
  const parsed = parseSearch(types, req.params);
  if (req.count !== undefined) parsed.count = req.count;
  if (req.total) parsed.total = 'accurate';
  if (req.after !== undefined && parsed.sort.length === 0 && !parsed.cursor)
    parsed.cursor = encodeCursor({ direction: 'next', rid: req.after, keys: [] });
  parsed.filters.push(...(req.filters ?? []));
  const valueSets = await resolveValueSets(q, registry, parsed.filters);
  const summaryCount = parsed.summary === 'count';
  const c = compileSearch(parsed, {
    registry,
    visibleRestricted,
    fhirBase: req.fhirBase,
    valueSets,
    blindIndex: req.blindIndex,
    tokenPatientKeys: await registry.tokenPatientKeys(q),
  });

  let total: number | undefined;
  if (parsed.total === 'accurate' || summaryCount)
    total = (await q.query<{ n: number }>(c.countSql, c.countValues)).rows[0].n;
  else if (parsed.total === 'estimate') total = await estimate(q, c.estimateSql, c.countValues);
  const empty = { entries: [], included: [], ignored: parsed.ignored, patients: [], total, parsed };
  if (summaryCount || parsed.count === 0) return empty;

  const rows = (
    await q.query<SearchRow & Record<string, string | null>>(c.sql, c.values, { prepare: c.prepare })
  ).rows;
  const more = rows.length > parsed.count;
  if (more) rows.length = parsed.count;
  if (c.backwards) rows.reverse();
  const cursorOf = (row: Record<string, string | null>, direction: 'next' | 'previous') =>
    encodeCursor({
      direction,
      rid: row.rid as string,
      keys: Array.from({ length: c.sortCount }, (_, i) => row[`s${i}`] ?? null),
    });
  let next: string | undefined;
  let previous: string | undefined;
  if (rows.length) {
    if (c.backwards ? parsed.cursor : more) next = cursorOf(rows[rows.length - 1], 'next');
    if (c.backwards ? more : parsed.cursor) previous = cursorOf(rows[0], 'previous');
  }
  // Without a cursor and with everything on one page, the total costs nothing.
  if (total === undefined && !parsed.cursor && !more) total = rows.length;

  const entries = rows.map((r) => ({ rid: r.rid, content: r.content, patients: r.patients }));
  const included = parsed.include.length
    ? await findIncludes(
        q,
        registry,
        parsed.include,
        entries.map(withTypeAndId),
        visibleRestricted,
        req.mayRead ?? (() => true),
      )
    : [];
  const patients = [...new Set([...entries, ...included].flatMap((e) => e.patients))];
  return { entries, included, next, previous, total, ignored: parsed.ignored, patients, parsed };
}

function withTypeAndId(e: SearchRow): FoundRow {
  const type = /"resourceType":"([A-Za-z]+)"/.exec(e.content)?.[1] ?? '';
  const id = /"id":"([A-Za-z0-9\-.]+)"/.exec(e.content)?.[1] ?? '';
  return { ...e, type, id };
}

async function estimate(q: Queryable, sql: string, values: unknown[]): Promise<number> {
  const r = await q.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
  const plan = r.rows[0]['QUERY PLAN'];
  const parsedPlan = (typeof plan === 'string' ? JSON.parse(plan) : plan) as {
    Plan: { 'Plan Rows': number };
  }[];
  return Math.round(parsedPlan[0].Plan['Plan Rows']);
}

/** The ValueSets named by `:in` / `:not-in` values, from the store, as lists of codes and systems. */
async function resolveValueSets(
  q: Queryable,
  registry: ParamRegistry,
  filters: Filter[],
): Promise<Map<string, ExpandedValueSet>> {
  const urls = new Set<string>();
  const walk = (fs: Filter[]) => {
    for (const f of fs) {
      if (f.kind === 'param' && (f.modifier === 'in' || f.modifier === 'not-in'))
        for (const v of f.values) urls.add(v.replace(/\\([,|$\\])/g, '$1'));
      if (f.kind === 'chain' || f.kind === 'has') walk(f.inner);
      if (f.kind === 'and' || f.kind === 'or') walk(f.items);
      if (f.kind === 'not') walk([f.inner]);
    }
  };
  walk(filters);
  const out = new Map<string, ExpandedValueSet>();
  if (urls.size === 0) return out;
  const urlParam = registry.idOf(findParam('ValueSet', 'url') as NonNullable<ReturnType<typeof findParam>>);
  const r = await q.query<{ content: string }>(
    `SELECT v.content FROM sp_uri x JOIN resource r ON r.rid = x.rid
     JOIN resource_version v ON v.rid = r.rid AND v.version = r.version
     WHERE x.param = $1 AND x.value = ANY($2::text[]) AND r.type = 'ValueSet' AND NOT r.deleted`,
    [urlParam, [...urls]],
  );
  for (const row of r.rows) {
    const vs = JSON.parse(row.content) as ValueSet;
    const expanded = listValueSet(vs);
    if (expanded && vs.url) out.set(vs.url, expanded);
  }
  return out;
}

/** The codes of a ValueSet when they can be listed: its expansion, or include lists and whole systems. */
export function listValueSet(vs: ValueSet): ExpandedValueSet | undefined {
  const codes: ExpandedValueSet['codes'] = [];
  const systems: string[] = [];
  if (vs.expansion?.contains?.length) {
    const walk = (cs: NonNullable<NonNullable<ValueSet['expansion']>['contains']>) => {
      for (const c of cs) {
        if (c.system && c.code) codes.push({ system: c.system, code: c.code });
        if (c.contains) walk(c.contains);
      }
    };
    walk(vs.expansion.contains);
    return { codes, systems };
  }
  for (const inc of vs.compose?.include ?? []) {
    if (inc.filter?.length || inc.valueSet?.length || !inc.system) return undefined;
    if (inc.concept?.length)
      for (const c of inc.concept) codes.push({ system: inc.system, code: c.code as string });
    else systems.push(inc.system);
  }
  if (vs.compose?.exclude?.length) return undefined;
  return { codes, systems };
}
