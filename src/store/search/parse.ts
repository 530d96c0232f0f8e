// Parses a FHIR search (the query's name=value pairs) into a tree of filters and result controls,
// following the R4 search page: modifiers, prefixes, escaping, chains, _has, and the result
// parameters. Pure: no SQL here (compile.ts turns the tree into SQL). Errors are 400s that name the
// parameter; parameters this server does not know are collected as `ignored` (lenient handling).
import { type CompiledParam, findParam } from '../../fhir/index/search-params.js';
import { badRequest } from '../../platform/errors.js';
import { parseFilterParameter } from './filter-translate.js';

export type Filter =
  | { kind: 'param'; param: CompiledParam; modifier?: string; values: string[] }
  | { kind: 'missing'; param: CompiledParam; missing: boolean }
  /** `ref:Type.inner=v`: the reference param points at a resource of one of `types` matching `inner`. */
  | { kind: 'chain'; param: CompiledParam; types: string[]; inner: Filter[] }
  /** `_has:Type:ref:inner=v`: some `type` resource whose `ref` points here matches `inner`. */
  | { kind: 'has'; type: string; param: CompiledParam; inner: Filter[] }
  | { kind: 'id'; values: string[] }
  | { kind: 'lastUpdated'; values: string[] }
  | { kind: 'list'; values: string[] }
  | { kind: 'text'; field: '_text' | '_content'; values: string[] }
  /** Resources in the compartment of these patients (compartment search, SMART patient scopes). */
  | { kind: 'compartment'; patients: string[] }
  /** Resources in the compartment of one Encounter, RelatedPerson, Practitioner or Device (compartment search). */
  | { kind: 'in-compartment'; compartment: string; id: string }
  /** `_filter` logic: every item, any item, or not the inner filter. */
  | { kind: 'and' | 'or'; items: Filter[] }
  | { kind: 'not'; inner: Filter }
  /** `_filter` comparisons without an ordinary-search form (filter-conditions.ts). */
  | { kind: 'compare'; param: CompiledParam; op: CompareOp; value: string }
  /** `code[system eq X].code eq Y`: one coding of a token parameter meets the conditions on its parts. */
  | { kind: 'token-row'; param: CompiledParam; where: TokenRowCondition };

/** Conditions on the parts of one token value (system, code, display text). */
export type TokenRowCondition =
  | { kind: 'and' | 'or'; items: TokenRowCondition[] }
  | { kind: 'not'; inner: TokenRowCondition }
  | {
      kind: 'part';
      part: 'system' | 'code' | 'display';
      op: 'eq' | 'ne' | 'sw' | 'co' | 'ew';
      value: string;
    };

/** String eq (whole value, case- and accent-insensitive), ends-with and order; uri contains and ends-with; date overlap. */
export type CompareOp = 'eq' | 'ew' | 'co' | 'gt' | 'lt' | 'ge' | 'le' | 'po';

export interface SortKey {
  /** `_id`, `_lastUpdated`, or a search parameter of the type. */
  name: string;
  param?: CompiledParam;
  descending: boolean;
}

export interface IncludeSpec {
  /** The resource type whose reference parameter is followed (`*` for every reference parameter). */
  source: string;
  param: string;
  /** Only targets of this type. */
  target?: string;
  iterate: boolean;
  reverse: boolean;
}

export type SummaryMode = 'true' | 'false' | 'text' | 'data' | 'count';
export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface ParsedSearch {
  types: string[];
  filters: Filter[];
  sort: SortKey[];
  count: number;
  total: TotalMode;
  summary?: SummaryMode;
  elements?: string[];
  include: IncludeSpec[];
  cursor?: string;
  /** Parameters not understood, reported in the Bundle (or refused under Prefer: handling=strict). */
  ignored: string[];
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Parameters that control the result rather than filter it. */
const RESULT_PARAMS = new Set([
  '_count',
  '_cursor',
  '_total',
  '_format',
  '_pretty',
  '_summary',
  '_elements',
  '_sort',
  '_include',
  '_revinclude',
  '_type',
]);

const MODIFIERS: Record<string, string[]> = {
  string: ['exact', 'contains'],
  token: ['not', 'text', 'of-type', 'in', 'not-in', 'below', 'above'],
  reference: ['identifier'],
  uri: ['below', 'above'],
  date: [],
  number: [],
  quantity: [],
  composite: [],
};

/** Splits on commas not escaped with a backslash (the escapes stay for the value parsers). */
export function splitOr(value: string): string[] {
  return splitUnescaped(value, ',');
}

export function splitUnescaped(value: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      cur += ch + value[++i];
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export const unescapeValue = (s: string) => s.replace(/\\([,|$\\])/g, '$1');

/** `system|code` split on the first unescaped bar; each side unescaped. */
export function splitPipe(value: string): [string | undefined, string] {
  const parts = splitUnescaped(value, '|');
  if (parts.length === 1) return [undefined, unescapeValue(parts[0])];
  return [unescapeValue(parts[0]), unescapeValue(parts.slice(1).join('|'))];
}

export function parseSearch(types: string[], pairs: [string, string][]): ParsedSearch {
  const out: ParsedSearch = {
    types,
    filters: [],
    sort: [],
    count: DEFAULT_COUNT,
    total: 'none',
    include: [],
    ignored: [],
  };
  for (const [rawName, rawValue] of pairs) {
    const name = rawName.split(':')[0];
    if (name === '_filter') {
      if (rawName !== name) throw badRequest(`_filter takes no modifier ("${rawName}")`, rawName);
      // Its top-level `and` items are filters of their own, as repeated parameters are (so they plan alike).
      const f = parseFilterParameter(types, rawValue);
      out.filters.push(...(f.kind === 'and' ? f.items : [f]));
      continue;
    }
    if (RESULT_PARAMS.has(name)) {
      resultParam(out, rawName, rawValue);
      continue;
    }
    const f = parseFilter(types, rawName, rawValue, out.ignored);
    if (f) out.filters.push(f);
  }
  return out;
}

function resultParam(out: ParsedSearch, rawName: string, value: string): void {
  const [name, modifier] = rawName.split(':');
  switch (name) {
    case '_count': {
      if (!/^\d+$/.test(value)) throw badRequest(`_count must be a whole number, not "${value}"`, '_count');
      out.count = Math.min(Number(value), MAX_COUNT);
      return;
    }
    case '_cursor':
      out.cursor = value;
      return;
    case '_total':
      if (!['none', 'estimate', 'accurate'].includes(value))
        throw badRequest('_total must be none, estimate or accurate', '_total');
      out.total = value as TotalMode;
      return;
    case '_summary':
      if (!['true', 'false', 'text', 'data', 'count'].includes(value))
        throw badRequest('_summary must be true, false, text, data or count', '_summary');
      out.summary = value as SummaryMode;
      return;
    case '_elements':
      out.elements = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return;
    case '_sort':
      for (const key of value.split(',').filter(Boolean)) out.sort.push(sortKey(out.types, key));
      return;
    case '_include':
    case '_revinclude':
      out.include.push(includeSpec(value, name === '_revinclude', modifier));
      return;
    default:
      return; // _format, _pretty; _type is read by the system-level route
  }
}

function sortKey(types: string[], key: string): SortKey {
  const descending = key.startsWith('-');
  const name = descending ? key.slice(1) : key;
  if (name === '_id' || name === '_lastUpdated') return { name, descending };
  const params = types.map((t) => findParam(t, name));
  const param = params[0];
  if (!param || params.some((p) => !p) || param.type === 'composite' || param.type === 'special')
    throw badRequest(`Cannot sort by "${name}": not a search parameter of ${types.join(', ')}`, '_sort');
  return { name, param, descending };
}

function includeSpec(value: string, reverse: boolean, modifier: string | undefined): IncludeSpec {
  if (modifier && modifier !== 'iterate' && modifier !== 'recurse')
    throw badRequest(`Unknown modifier :${modifier} on _include`, reverse ? '_revinclude' : '_include');
  const iterate = modifier === 'iterate' || modifier === 'recurse';
  if (value === '*') return { source: '*', param: '*', iterate, reverse };
  const [source, param, target] = value.split(':');
  const where = reverse ? '_revinclude' : '_include';
  if (!source || !param)
    throw badRequest(`${where} takes Type:parameter[:TargetType], not "${value}"`, where);
  if (param !== '*') {
    const p = findParam(source, param);
    if (p?.type !== 'reference')
      throw badRequest(`${where}: ${source} has no reference parameter "${param}"`, where);
  }
  return { source, param, target, iterate, reverse };
}

/**
 * How deep chains and `_has` nest: each level is one more nested subquery, and a name of a few hundred
 * levels would make a statement the database refuses (a server error instead of an answer). Real
 * searches use two or three.
 */
const MAX_NESTING = 10;

/** The filter for one name=value pair, or undefined when the name is not known (then ignored). */
function parseFilter(types: string[], rawName: string, value: string, ignored: string[]): Filter | undefined {
  const levels = Math.max(rawName.split('.').length - 1, rawName.split('_has:').length - 1);
  if (levels > MAX_NESTING)
    throw badRequest(
      `"${rawName.length > 80 ? `${rawName.slice(0, 80)}...` : rawName}" nests ${levels} chained or _has levels; Chartroom follows at most ${MAX_NESTING} levels`,
      rawName.slice(0, 200),
    );
  if (rawName.startsWith('_has:')) return parseHas(types, rawName, value, ignored);
  const dot = rawName.indexOf('.');
  if (dot > 0) return parseChain(types, rawName.slice(0, dot), rawName.slice(dot + 1), value, ignored);
  const [name, modifier, ...extra] = rawName.split(':');
  if (extra.length) throw badRequest(`Invalid search parameter name "${rawName}"`, rawName);
  const values = splitOr(value);
  switch (name) {
    case '_id':
      if (modifier === 'missing') return undefined;
      return { kind: 'id', values: values.map(unescapeValue) };
    case '_lastUpdated':
      return { kind: 'lastUpdated', values };
    case '_list':
      return { kind: 'list', values: values.map(unescapeValue) };
    case '_text':
    case '_content':
      return { kind: 'text', field: name, values: values.map(unescapeValue) };
  }
  const params = types.map((t) => findParam(t, name));
  const param = params[0];
  if (!param || params.some((p) => !p || p.type !== param.type) || param.type === 'special') {
    ignored.push(rawName);
    return undefined;
  }
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false') throw badRequest(`:missing takes true or false`, rawName);
    return { kind: 'missing', param, missing: value === 'true' };
  }
  if (modifier && param.type === 'reference' && modifier !== 'identifier') {
    // `subject:Patient=123`: the modifier names the target type.
    if (!/^[A-Z][A-Za-z]+$/.test(modifier)) throw unknownModifier(rawName, param);
    return { kind: 'param', param, modifier, values };
  }
  if (modifier && !MODIFIERS[param.type]?.includes(modifier)) throw unknownModifier(rawName, param);
  return { kind: 'param', param, modifier, values };
}

const unknownModifier = (rawName: string, p: CompiledParam) =>
  badRequest(
    `Unsupported modifier in "${rawName}": a ${p.type} parameter takes ${['missing', ...(MODIFIERS[p.type] ?? [])].map((m) => `:${m}`).join(', ')}`,
    rawName,
  );

/** `subject:Patient.name:exact` -> the reference `subject` to Patient, then `name:exact` on it. */
function parseChain(
  types: string[],
  head: string,
  rest: string,
  value: string,
  ignored: string[],
): Filter | undefined {
  const [refName, typeModifier] = head.split(':');
  const param = findParam(types[0], refName);
  if (param?.type !== 'reference') {
    ignored.push(`${head}.${rest}`);
    return undefined;
  }
  const targets = typeModifier ? [typeModifier] : referenceTargets(param);
  const innerName = rest.split('.')[0].split(':')[0];
  const candidates = targets.filter(
    (t) => innerName.startsWith('_') || rest.includes('.') || findParam(t, innerName) !== undefined,
  );
  if (candidates.length === 0)
    throw badRequest(
      `Chained search "${head}.${rest}": no target type of ${refName} (${targets.join(', ')}) has a parameter "${innerName}"`,
      `${head}.${rest}`,
    );
  const inner = parseFilter(candidates, rest, value, ignored);
  if (!inner) return undefined;
  return { kind: 'chain', param, types: candidates, inner: [inner] };
}

/** `_has:Observation:patient:code=x` (and nested `_has:...:_has:...`). */
function parseHas(types: string[], rawName: string, value: string, ignored: string[]): Filter | undefined {
  const m = /^_has:([A-Z][A-Za-z]+):([a-z][A-Za-z0-9-]*):(.+)$/.exec(rawName);
  if (!m) throw badRequest(`_has takes _has:Type:reference:parameter=value, not "${rawName}"`, rawName);
  const [, type, refName, rest] = m;
  const param = findParam(type, refName);
  if (param?.type !== 'reference')
    throw badRequest(`_has: ${type} has no reference parameter "${refName}"`, rawName);
  const targets = referenceTargets(param);
  if (!types.some((t) => targets.includes(t)))
    throw badRequest(`_has: ${type}.${refName} does not point at ${types.join(', ')}`, rawName);
  const inner = parseFilter([type], rest, value, ignored);
  if (!inner) return undefined;
  return { kind: 'has', type, param, inner: [inner] };
}

/** The resource types a reference parameter can point at (its definition's `target`). */
export function referenceTargets(p: CompiledParam): string[] {
  return (p.definition.target as string[] | undefined) ?? [];
}
